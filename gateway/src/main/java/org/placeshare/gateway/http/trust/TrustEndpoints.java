package org.placeshare.gateway.http.trust;

import static org.placeshare.gateway.http.edge.StrictJson.json;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.FhirFailureHandler;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.gateway.trust.ClientStore;
import org.placeshare.gateway.trust.CrlStore;
import org.placeshare.gateway.trust.Revocations;
import org.placeshare.policy.identity.RegisteredClient;

/**
 * Taking trust back, for IG leads: the client registry in force and its reload ({@code GET
 * /trust/clients}, {@code POST /trust/clients/reload}: a client suspended or removed in the clients
 * file loses its tokens, console sessions and cohort jobs on every instance), and revoking one
 * access token by its {@code jti} ({@code POST /trust/tokens/{jti}/revoke}), on every instance from
 * its next request. RFC 7009 revocation is a client's own; this is the IG lead's.
 */
public final class TrustEndpoints {

  static final String ACTION = "trust-admin";
  static final String REVOKE_ACTION = "token-revoke";

  /** A revocation's body is one reason. */
  static final int MAX_BODY_BYTES = 4 * 1024;

  private final Vertx vertx;
  private final ClientStore clients;
  private final Revocations revocations;
  private final AuditLog audit;
  private final Clock clock;

  public TrustEndpoints(
      Vertx vertx, ClientStore clients, Revocations revocations, AuditLog audit, Clock clock) {
    this.vertx = vertx;
    this.clients = clients;
    this.revocations = revocations;
    this.audit = audit;
    this.clock = clock;
  }

  /**
   * The routes, each behind authentication and the IG-lead check.
   *
   * @param igLead the one check that the caller is an IG lead
   */
  public void mount(
      Router router,
      Handler<RoutingContext> authentication,
      Handler<RoutingContext> igLead,
      FhirFailureHandler failures) {
    router
        .route("/trust/*")
        .handler(
            ctx -> {
              RequestState.begin(ctx, clock.instant(), ACTION);
              ctx.next();
            });
    router.route("/trust/*").handler(authentication);
    router.route("/trust/*").handler(igLead);
    router.get("/trust/clients").handler(this::registry);
    router.post("/trust/clients/reload").handler(this::reload);
    router
        .post("/trust/tokens/:jti/revoke")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        .handler(this::revoke);
    router.route("/trust/*").failureHandler(failures::handle);
  }

  public void registry(RoutingContext ctx) {
    json(ctx, 200, status(clients.status()));
  }

  public void reload(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    clients
        .reload(vertx, Optional.of(state.caller), state.requestId)
        .onSuccess(s -> json(ctx, s.lastError().isPresent() ? 422 : 200, status(s)))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)));
  }

  public void revoke(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = REVOKE_ACTION;
    Optional<String> jti = Revocations.tokenId(ctx.pathParam("jti"));
    if (jti.isEmpty()) {
      ctx.fail(400, StrictJson.invalid("jti: expected an access token id (a UUID)"));
      return;
    }
    String reason;
    try {
      JsonObject body = ctx.body().length() == 0 ? new JsonObject() : ctx.body().asJsonObject();
      if (body == null) {
        body = new JsonObject();
      }
      StrictJson.unknownKeys(body, Set.of("reason"), "");
      reason = StrictJson.text(body, "reason", false, Revocations.MAX_REASON_CHARS);
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    } catch (RuntimeException e) {
      ctx.fail(400, StrictJson.invalid("expected a JSON object with a reason, or nothing"));
      return;
    }
    String why = reason == null ? "no reason given" : reason;
    Instant now = clock.instant();
    revocations
        .revokeToken(jti.get(), state.caller, why, now)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            fresh -> {
              AuditEvent event =
                  state.event(
                      clock.instant(),
                      AuditEvent.Outcome.PERMITTED,
                      200,
                      Map.of(),
                      List.of(),
                      "access token "
                          + jti.get()
                          + (fresh ? " revoked on every instance: " : " was revoked already: ")
                          + why);
              audit
                  .append(event)
                  .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
                  .onSuccess(
                      seq ->
                          json(
                              ctx,
                              200,
                              new JsonObject()
                                  .put("jti", jti.get())
                                  .put("revoked", true)
                                  .put("already", !fresh)
                                  .put("at", now.toString())));
            });
  }

  private JsonObject status(ClientStore.Status s) {
    JsonArray list = new JsonArray();
    for (RegisteredClient c : clients.get().clients().values()) {
      list.add(
          new JsonObject()
              .put("id", c.id())
              .put("organisation", c.organisation().value())
              .put("status", c.status().code())
              .put(
                  "purposes",
                  new JsonArray(c.purposes().stream().map(Object::toString).sorted().toList())));
    }
    JsonObject json =
        new JsonObject()
            .put("file", s.file().map(Path::toString).orElse(null))
            .put("fingerprint", s.fingerprint())
            .put("clients", list)
            .put("suspended", s.suspended())
            .put("loadedAt", s.loadedAt().toString())
            .put("checkedAt", s.checkedAt().toString())
            .put("reloads", s.reloads())
            .put("refusedReloads", s.refusedReloads())
            .put("lastError", s.lastError().orElse(null))
            .put("lastErrorAt", s.lastErrorAt().map(Instant::toString).orElse(null));
    revocations
        .revocationList()
        .map(CrlStore::status)
        .ifPresent(c -> json.put("clientCrl", crl(c)));
    return json;
  }

  private static JsonObject crl(CrlStore.Status c) {
    return new JsonObject()
        .put("fingerprint", c.fingerprint())
        .put("revoked", c.revoked())
        .put("nextUpdate", c.nextUpdate().map(Instant::toString).orElse(null))
        .put("loadedAt", c.loadedAt().toString())
        .put("checkedAt", c.checkedAt().toString())
        .put("reloads", c.reloads())
        .put("refusedReloads", c.refusedReloads())
        .put("lastError", c.lastError().orElse(null))
        .put("lastErrorAt", c.lastErrorAt().map(Instant::toString).orElse(null));
  }
}
