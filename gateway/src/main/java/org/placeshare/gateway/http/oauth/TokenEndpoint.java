package org.placeshare.gateway.http.oauth;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.trust.AssertionReplay;
import org.placeshare.gateway.trust.Revocations;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.ClientAssertionVerifier;
import org.placeshare.policy.identity.ClientRegistry;
import org.placeshare.policy.identity.GrantedScopes;
import org.placeshare.policy.identity.ScopeException;
import org.placeshare.policy.identity.SmartScopes;
import org.placeshare.policy.identity.TokenException;
import org.placeshare.policy.identity.UnknownClientKeyException;
import org.placeshare.policy.identity.VerifiedClientAssertion;

/**
 * {@code POST /oauth2/token}: the client-credentials grant authenticated by a signed JWT client
 * assertion (RFC 6749 section 4.4 with RFC 7523 section 2.2). Each assertion id is good once across
 * every instance; under mutual TLS the certificate must be the client's and the token is bound to
 * it (RFC 8705). Every issue and every refusal is audited. Errors follow RFC 6749 section 5.2.
 */
public final class TokenEndpoint {

  private static final Logger LOG = Logger.getLogger(TokenEndpoint.class.getName());

  public static final String ACTION = "token-request";

  /** A token request is a grant type and one assertion; nothing bigger is a real one. */
  public static final int MAX_REQUEST_BYTES = 16 * 1024;

  static final String GRANT_TYPE = "client_credentials";
  static final String FORM = "application/x-www-form-urlencoded";
  static final String ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  /** Ids are kept a little past expiry: verification allows that much clock skew. */
  private static final int KEEP_PAST_EXPIRY_SECONDS = 60;

  private final ClientAssertionVerifier assertions;
  private final AccessTokens tokens;
  private final AssertionReplay replay;
  private final AuditLog audit;
  private final Clock clock;
  private final boolean mutualTls;
  private final Revocations revocations;
  private final Supplier<ClientRegistry> registry;
  private final ScopeGrants scopeGrants;

  public TokenEndpoint(
      ClientAssertionVerifier assertions,
      AccessTokens tokens,
      AssertionReplay replay,
      AuditLog audit,
      Clock clock,
      boolean mutualTls,
      Revocations revocations,
      Supplier<ClientRegistry> registry,
      PolicyStore policy) {
    this.scopeGrants = new ScopeGrants(policy, clock);
    this.revocations = revocations;
    this.registry = registry;
    this.assertions = assertions;
    this.tokens = tokens;
    this.replay = replay;
    this.audit = audit;
    this.clock = clock;
    this.mutualTls = mutualTls;
  }

  public void handle(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.strip().toLowerCase(Locale.ROOT).startsWith(FORM)) {
      refuse(
          ctx,
          400,
          "invalid_request",
          "expected a body of type " + FORM + " (RFC 6749 section 4.4), got " + type);
      return;
    }
    var form = ctx.request().formAttributes();
    for (String name : form.names()) {
      if (form.getAll(name).size() > 1) {
        refuse(ctx, 400, "invalid_request", name + " must be sent once, got it more than once");
        return;
      }
    }
    String grantType = form.get("grant_type");
    if (grantType == null || grantType.isEmpty()) {
      refuse(ctx, 400, "invalid_request", "grant_type is missing; expected " + GRANT_TYPE);
      return;
    }
    if (!GRANT_TYPE.equals(grantType)) {
      refuse(ctx, 400, "unsupported_grant_type", "grant_type must be " + GRANT_TYPE);
      return;
    }
    if (!ASSERTION_TYPE.equals(form.get("client_assertion_type"))) {
      refuse(ctx, 400, "invalid_request", "client_assertion_type must be " + ASSERTION_TYPE);
      return;
    }
    Optional<List<SmartScopes.Asked>> requested;
    try {
      requested = Optional.ofNullable(form.get("scope")).map(SmartScopes::parse);
    } catch (ScopeException e) {
      refuse(ctx, 400, "invalid_scope", e.getMessage());
      return;
    }
    String presented = form.get("client_assertion");
    VerifiedClientAssertion assertion;
    try {
      assertion = assertions.verify(presented);
    } catch (UnknownClientKeyException e) {
      // The client may have rotated its keys: fetch its set again (rate-limited), try once more.
      ctx.request().pause();
      Future.fromCompletionStage(
              refetchKeys(registry.get(), e.clientId()), ctx.vertx().getOrCreateContext())
          .onComplete(
              refreshed -> {
                ctx.request().resume();
                try {
                  granted(ctx, assertions.verify(presented), requested);
                } catch (TokenException again) {
                  refuse(ctx, 401, "invalid_client", again.getMessage());
                }
              });
      return;
    } catch (TokenException e) {
      refuse(ctx, 401, "invalid_client", e.getMessage());
      return;
    }
    granted(ctx, assertion, requested);
  }

  /**
   * Fetches a client's key set again after its assertion named a key not held, if the client is
   * still registered: a reload of the clients file may have removed it since its assertion was
   * read, and then there is nothing to fetch (checked again, the assertion is refused as from a
   * client not registered: invalid_client, never a 500).
   */
  static CompletionStage<Boolean> refetchKeys(ClientRegistry registry, String clientId) {
    return registry
        .find(clientId)
        .map(client -> client.keys().refresh())
        .orElse(CompletableFuture.completedFuture(false));
  }

  /** The rest of a token request once its assertion has verified. */
  private void granted(
      RoutingContext ctx,
      VerifiedClientAssertion assertion,
      Optional<List<SmartScopes.Asked>> requested) {
    String client = assertion.client().id();
    Optional<ClientCertificate> certificate = ClientCertificate.of(ctx);
    Optional<String> wrongCertificate =
        certificate.flatMap(c -> revocations.certificateRefusal(c.certificate()));
    if (wrongCertificate.isEmpty() && mutualTls) {
      wrongCertificate =
          certificate
              .map(c -> c.identity().refusal(client, registry.get()))
              .orElse(Optional.of("the client certificate is not " + client + "'s"));
    }
    if (wrongCertificate.isPresent()) {
      refuse(ctx, 401, "invalid_client", "client assertion refused: " + wrongCertificate.get());
      return;
    }
    Instant now = clock.instant();
    revocations
        .clientRefusal(client)
        .compose(
            suspended -> {
              if (suspended.isPresent()) {
                refuse(ctx, 401, "invalid_client", "client assertion refused: " + suspended.get());
                return Future.succeededFuture(Optional.<Boolean>empty());
              }
              return replay
                  .firstUse(
                      client,
                      assertion.jti(),
                      assertion.expires().plusSeconds(KEEP_PAST_EXPIRY_SECONDS),
                      now)
                  .map(Optional::of);
            })
        .onFailure(e -> unavailable(ctx, e))
        .onSuccess(
            checked -> {
              if (checked.isEmpty()) {
                return;
              }
              boolean first = checked.get();
              if (!first) {
                refuse(
                    ctx,
                    401,
                    "invalid_client",
                    "client assertion refused: its jti has been used before");
                return;
              }
              GrantedScopes scopes;
              try {
                scopes = SmartScopes.grant(requested, scopeGrants.allowed(assertion));
              } catch (ScopeException e) {
                refuse(ctx, 400, "invalid_scope", e.getMessage());
                return;
              }
              issue(ctx, assertion, certificate.map(ClientCertificate::thumbprint), scopes);
            });
  }

  private void issue(
      RoutingContext ctx,
      VerifiedClientAssertion assertion,
      Optional<String> thumbprint,
      GrantedScopes scopes) {
    AccessTokens.Issued issued = tokens.issue(assertion, thumbprint, scopes);
    String detail =
        "access token "
            + issued.id()
            + " issued to "
            + assertion.client().id()
            + " ("
            + assertion.client().organisation()
            + (assertion.client().system()
                ? ") as a system client acting for itself"
                : ") for user " + assertion.userId())
            + " as "
            + assertion.role()
            + ", purpose "
            + assertion.purpose()
            + ", scope "
            + (scopes.scope().isEmpty() ? "(no resource type)" : scopes.scope())
            + (thumbprint.isPresent() ? ", bound to its client certificate" : "");
    audited(ctx, AuditEvent.Outcome.PERMITTED, 200, detail)
        .onFailure(e -> unavailable(ctx, e))
        .onSuccess(
            v ->
                answer(
                    ctx,
                    200,
                    new JsonObject()
                        .put("access_token", issued.token())
                        .put("token_type", "Bearer")
                        .put("expires_in", issued.lifetime().toSeconds())
                        .put("scope", scopes.scope())));
  }

  /**
   * The one failure door of the token endpoint, for what fails before or around {@link #handle}: a
   * body over the limit, a body that cannot be read. Each is an OAuth error (RFC 6749 section 5.2),
   * audited, never a bare status or a FHIR OperationOutcome.
   */
  public void failed(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    int status = ctx.statusCode();
    if (status == 413) {
      refuse(
          ctx,
          413,
          "invalid_request",
          "the token request is larger than " + MAX_REQUEST_BYTES + " bytes");
    } else if (status == 405) {
      ctx.response().putHeader("Allow", "POST");
      refuse(
          ctx,
          405,
          "invalid_request",
          "the token endpoint takes POST (RFC 6749 section 3.2), got " + ctx.request().method());
    } else if (status >= 400 && status < 500) {
      refuse(ctx, status, "invalid_request", "the token request could not be read");
    } else {
      Throwable cause = ctx.failure();
      String why = cause == null ? "status " + status : cause.getClass().getSimpleName();
      if (!(cause instanceof HttpClosedException)) {
        LOG.log(
            Level.SEVERE, "token request " + RequestState.get(ctx).requestId + " failed", cause);
      }
      audited(ctx, AuditEvent.Outcome.FAILED, 500, "the token request failed: " + why)
          .onFailure(e -> unavailable(ctx, e))
          .onSuccess(
              v ->
                  answer(
                      ctx,
                      500,
                      error(
                          "server_error",
                          "the token request failed; quote request id "
                              + RequestState.get(ctx).requestId)));
    }
  }

  private void refuse(RoutingContext ctx, int status, String error, String description) {
    audited(ctx, AuditEvent.Outcome.REFUSED, status, description)
        .onFailure(e -> unavailable(ctx, e))
        .onSuccess(v -> answer(ctx, status, error(error, description)));
  }

  private static JsonObject error(String error, String description) {
    return new JsonObject().put("error", error).put("error_description", description);
  }

  /** Every token response, issued or refused, is never cached (RFC 6749 section 5.1). */
  private static void answer(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().putHeader("Pragma", "no-cache");
    StrictJson.json(ctx, status, body);
  }

  private Future<Void> audited(
      RoutingContext ctx, AuditEvent.Outcome outcome, int status, String detail) {
    AuditEvent event =
        RequestState.get(ctx).event(clock.instant(), outcome, status, Map.of(), List.of(), detail);
    return audit.append(event).mapEmpty();
  }

  private void unavailable(RoutingContext ctx, Throwable e) {
    LOG.log(Level.SEVERE, "token request " + RequestState.get(ctx).requestId + " not audited", e);
    answer(ctx, 503, error("temporarily_unavailable", AuditUnavailable.MESSAGE));
  }
}
