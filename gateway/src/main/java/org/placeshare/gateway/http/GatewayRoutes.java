package org.placeshare.gateway.http;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.util.List;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.RecordSource;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.ClientAssertionVerifier;
import org.placeshare.policy.identity.SigningKey;

/** The gateway's HTTP API, one line per endpoint. */
public final class GatewayRoutes {

  /** A token request is a grant type and one assertion; nothing bigger is a real one. */
  static final int MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

  private GatewayRoutes() {}

  public static Router create(
      Vertx vertx,
      PolicyStore policy,
      PatientRegister register,
      List<RecordSource> sources,
      AuditLog audit,
      SigningKey signingKey,
      ClientAssertionVerifier assertions,
      AccessTokens tokens,
      Clock clock) {
    Router router = Router.router(vertx);
    TokenEndpoint tokenEndpoint = new TokenEndpoint(assertions, tokens);
    Authentication authentication = new Authentication(tokens);
    PersonViewHandler personView =
        new PersonViewHandler(vertx, policy, register, sources, audit, clock);
    PolicyEndpoints policyEndpoints =
        new PolicyEndpoints(
            vertx,
            policy,
            register,
            sources.stream().map(s -> s.descriptor().organisation()).distinct().toList(),
            audit,
            clock);
    FhirFailureHandler failures = new FhirFailureHandler(audit, clock);
    JsonObject jwks = new JsonObject().put("keys", List.of(signingKey.publicJwk().toJSONObject()));

    router
        .post("/oauth2/token")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_TOKEN_REQUEST_BYTES))
        .handler(tokenEndpoint::handle);
    router.get("/.well-known/jwks.json").handler(ctx -> json(ctx, jwks));

    router.route("/fhir/*").handler(ctx -> audited(ctx, clock, "fhir-request"));
    router
        .get("/fhir/Patient/:nhsNumber/:operation")
        .handler(authentication::handle)
        .handler(personView::parse)
        .handler(personView::respond);
    router.route("/fhir/*").handler(ctx -> ctx.fail(404, notFound()));
    router.route("/fhir/*").failureHandler(failures::handle);

    router.route("/agreements*").handler(ctx -> audited(ctx, clock, "read-agreements"));
    router.route("/agreements*").handler(authentication::handle);
    router.get("/agreements").handler(policyEndpoints::list);
    router.get("/agreements/:id").handler(policyEndpoints::one);
    router.route("/agreements*").failureHandler(failures::handle);

    router.route("/policy/*").handler(ctx -> audited(ctx, clock, "policy-admin"));
    router.route("/policy/*").handler(authentication::handle);
    router.route("/policy/*").handler(policyEndpoints::requireIgLead);
    router
        .post("/policy/evaluate")
        .handler(BodyHandler.create(false).setBodyLimit(PolicyEndpoints.MAX_EVALUATE_BYTES))
        .handler(policyEndpoints::evaluate);
    router.get("/policy/status").handler(policyEndpoints::status);
    router.post("/policy/reload").handler(policyEndpoints::reload);
    router.route("/policy/*").failureHandler(failures::handle);

    router.route().last().handler(ctx -> ctx.response().setStatusCode(404).end());
    return router;
  }

  private static void audited(RoutingContext ctx, Clock clock, String action) {
    RequestState.begin(ctx, clock.instant(), action);
    ctx.next();
  }

  private static GatewayException notFound() {
    return new GatewayException(IssueType.NOTSUPPORTED, "no such FHIR interaction on this gateway");
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
  }
}
