package org.placeshare.gateway.http;

import io.vertx.ext.web.RoutingContext;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.TokenException;

/** Step 1 of the request path: the bearer access token, verified into a {@code Caller}. */
final class Authentication {

  private static final String BEARER = "Bearer ";

  private final AccessTokens tokens;

  Authentication(AccessTokens tokens) {
    this.tokens = tokens;
  }

  void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      ctx.fail(401, new GatewayException(IssueType.LOGIN, "a bearer access token is required"));
      return;
    }
    try {
      RequestState.get(ctx).caller = tokens.verify(header.substring(BEARER.length()).strip());
    } catch (TokenException e) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      ctx.fail(
          401,
          new GatewayException(IssueType.LOGIN, "the access token was refused", e.getMessage()));
      return;
    }
    ctx.next();
  }
}
