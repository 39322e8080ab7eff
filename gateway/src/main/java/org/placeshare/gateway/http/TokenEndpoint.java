package org.placeshare.gateway.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.ClientAssertionVerifier;
import org.placeshare.policy.identity.TokenException;
import org.placeshare.policy.identity.VerifiedClientAssertion;

/**
 * {@code POST /oauth2/token}: the client-credentials grant authenticated by a signed JWT client
 * assertion (RFC 6749 section 4.4 with RFC 7523 section 2.2). Errors follow RFC 6749 section 5.2.
 */
final class TokenEndpoint {

  static final String GRANT_TYPE = "client_credentials";
  static final String ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  private final ClientAssertionVerifier assertions;
  private final AccessTokens tokens;

  TokenEndpoint(ClientAssertionVerifier assertions, AccessTokens tokens) {
    this.assertions = assertions;
    this.tokens = tokens;
  }

  void handle(RoutingContext ctx) {
    var form = ctx.request().formAttributes();
    if (!GRANT_TYPE.equals(form.get("grant_type"))) {
      error(ctx, 400, "unsupported_grant_type", "grant_type must be " + GRANT_TYPE);
      return;
    }
    if (!ASSERTION_TYPE.equals(form.get("client_assertion_type"))) {
      error(ctx, 400, "invalid_request", "client_assertion_type must be " + ASSERTION_TYPE);
      return;
    }
    VerifiedClientAssertion assertion;
    try {
      assertion = assertions.verify(form.get("client_assertion"));
    } catch (TokenException e) {
      error(ctx, 401, "invalid_client", e.getMessage());
      return;
    }
    AccessTokens.Issued issued = tokens.issue(assertion);
    Outcomes.noStore(ctx.response())
        .putHeader("Content-Type", "application/json")
        .end(
            new JsonObject()
                .put("access_token", issued.token())
                .put("token_type", "Bearer")
                .put("expires_in", issued.lifetime().toSeconds())
                .encode());
  }

  private static void error(RoutingContext ctx, int status, String error, String description) {
    Outcomes.noStore(ctx.response().setStatusCode(status))
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", error).put("error_description", description).encode());
  }
}
