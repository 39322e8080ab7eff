package org.placeshare.gateway.http.oauth;

import com.nimbusds.jose.JWSAlgorithm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.placeshare.policy.identity.ClientKeys;

/**
 * What a standard client reads before asking for a token, unauthenticated and cacheable: the SMART
 * configuration ({@code /.well-known/smart-configuration}, SMART App Launch 2, Backend Services)
 * and the same facts as RFC 8414 authorisation server metadata ({@code
 * /.well-known/oauth-authorization-server}). One grant ({@code client_credentials}), one client
 * authentication ({@code private_key_jwt}, RFC 7523) with the algorithms {@link ClientKeys}
 * accepts, and SMART v2 system read/search scopes.
 */
public final class WellKnown {

  /** Metadata changes only with a deployment; an hour's caching is safe and spares the gateway. */
  static final String CACHE_CONTROL = "public, max-age=3600";

  private final JsonObject smart;
  private final JsonObject oauth;

  public WellKnown(String publicUrl) {
    JsonArray algorithms =
        new JsonArray(ClientKeys.ALGORITHMS.stream().map(JWSAlgorithm::getName).sorted().toList());
    JsonArray scopes =
        new JsonArray(
            List.of("system/*.rs", "system/Patient.rs", "system/Group.rs", "system/*.read"));
    String tokenUrl = publicUrl + "/oauth2/token";
    this.oauth =
        new JsonObject()
            .put("issuer", publicUrl)
            .put("token_endpoint", tokenUrl)
            .put("jwks_uri", publicUrl + "/.well-known/jwks.json")
            .put("grant_types_supported", new JsonArray().add("client_credentials"))
            .put("response_types_supported", new JsonArray())
            .put("token_endpoint_auth_methods_supported", new JsonArray().add("private_key_jwt"))
            .put("token_endpoint_auth_signing_alg_values_supported", algorithms)
            .put("scopes_supported", scopes);
    this.smart =
        oauth
            .copy()
            .put(
                "capabilities",
                new JsonArray()
                    .add("client-confidential-asymmetric")
                    .add("permission-v1")
                    .add("permission-v2"));
  }

  public void smartConfiguration(RoutingContext ctx) {
    answer(ctx, smart);
  }

  public void authorizationServer(RoutingContext ctx) {
    answer(ctx, oauth);
  }

  private static void answer(RoutingContext ctx, JsonObject body) {
    ctx.response()
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", CACHE_CONTROL)
        .end(body.encode());
  }
}
