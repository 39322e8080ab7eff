package org.placeshare.gateway.http.oauth;

import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.trust.Revocations;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.TokenException;

/**
 * Step 1 of the request path: the bearer access token, verified into a {@code Caller}. A token
 * bound to a client certificate (RFC 8705) is good only on a connection presenting that
 * certificate; with mutual TLS on, every token must be bound. A certificate its CA has revoked is
 * refused; and a token is good only while nobody has taken trust back: its client suspended or
 * removed, or the token itself revoked, through any instance ({@link Revocations}).
 */
public final class Authentication {

  private static final String BEARER = "Bearer ";

  private final AccessTokens tokens;
  private final boolean mutualTls;
  private final Revocations revocations;

  public Authentication(AccessTokens tokens, boolean mutualTls, Revocations revocations) {
    this.tokens = tokens;
    this.mutualTls = mutualTls;
    this.revocations = revocations;
  }

  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      ctx.fail(401, new GatewayException(IssueType.LOGIN, "a bearer access token is required"));
      return;
    }
    Caller caller;
    try {
      caller = tokens.verify(header.substring(BEARER.length()).strip());
    } catch (TokenException e) {
      refuse(ctx, e.getMessage());
      return;
    }
    Optional<String> unbound = notBoundHere(ctx, caller);
    if (unbound.isPresent()) {
      // The token itself verified: the audit names who tried it on this connection.
      RequestState.get(ctx).caller = caller;
      refuse(ctx, unbound.get());
      return;
    }
    RequestState.get(ctx).caller = caller;
    // The fleet's record is a query: a body waits paused, unread, until it is answered.
    ctx.request().pause();
    revocations
        .refusal(caller)
        .onComplete(
            checked -> {
              ctx.request().resume();
              if (checked.failed()) {
                ctx.fail(
                    503,
                    new GatewayException(
                        IssueType.TRANSIENT,
                        "the gateway cannot check the access token now; try again shortly",
                        "revocation check failed: " + checked.cause().getClass().getSimpleName()));
              } else if (checked.result().isPresent()) {
                refuse(ctx, "access token refused: " + checked.result().get());
              } else {
                ctx.next();
              }
            });
  }

  /**
   * Why a verified token may not be used on this connection (a revoked client certificate, or one
   * other than the token is bound to), or empty when it may: the API and the console's sign-in both
   * ask, so a stolen bound token opens neither.
   */
  public Optional<String> notBoundHere(RoutingContext ctx, Caller caller) {
    Optional<ClientCertificate> certificate = ClientCertificate.of(ctx);
    Optional<String> revoked =
        certificate.flatMap(c -> revocations.certificateRefusal(c.certificate()));
    if (revoked.isPresent()) {
      return Optional.of("client certificate refused: " + revoked.get());
    }
    Optional<String> presented = certificate.map(ClientCertificate::thumbprint);
    if (caller.certificateThumbprint().isPresent()
        && !caller.certificateThumbprint().equals(presented)) {
      return Optional.of(
          "access token refused: bound to a client certificate this connection lacks");
    }
    if (mutualTls && caller.certificateThumbprint().isEmpty()) {
      return Optional.of("access token refused: not bound to a client certificate");
    }
    return Optional.empty();
  }

  private static void refuse(RoutingContext ctx, String why) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    ctx.fail(401, new GatewayException(IssueType.LOGIN, "the access token was refused", why));
  }
}
