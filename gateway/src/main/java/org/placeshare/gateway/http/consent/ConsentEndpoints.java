package org.placeshare.gateway.http.consent;

import static org.placeshare.gateway.http.edge.StrictJson.invalid;
import static org.placeshare.gateway.http.edge.StrictJson.unknownKeys;

import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.consent.ConsentRegister;
import org.placeshare.gateway.consent.ConsentVerifier;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.gateway.http.oauth.IgLead;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.CareRelationship;
import org.placeshare.policy.Consent;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.RelationshipKind;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.TokenException;
import org.placeshare.policy.identity.VerifiedConsent;

/**
 * Registered consents: {@code POST /consents} registers a token from a trusted issuer so it applies
 * to every later request for the person; {@code GET /consents?patient=} lists a person's consents
 * for their GP practice and IG; {@code DELETE /consents/{id}} withdraws one, at once for every
 * instance. Every call is audited. {@link ConsentIssuing} records and signs one with the gateway's
 * consent key ({@code POST /consents/issue}) and keeps it here as a registered one.
 */
public final class ConsentEndpoints {

  public static final int MAX_BODY_BYTES = 16 * 1024;

  private static final Set<String> REGISTER_KEYS = Set.of("token");

  private final ConsentVerifier verifier;
  private final ConsentRegister consents;
  private final PatientRegister register;
  private final AuditLog audit;
  private final IgLead igLead;
  private final Clock clock;

  public ConsentEndpoints(
      ConsentVerifier verifier,
      ConsentRegister consents,
      PatientRegister register,
      AuditLog audit,
      IgLead igLead,
      Clock clock) {
    this.verifier = verifier;
    this.consents = consents;
    this.register = register;
    this.audit = audit;
    this.igLead = igLead;
    this.clock = clock;
  }

  public void register(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "consent-register";
    String token;
    try {
      JsonObject body = body(ctx);
      unknownKeys(body, REGISTER_KEYS, "");
      token = StrictJson.text(body, "token", true, 9 * 1024);
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    verifier
        .verify(token)
        .onFailure(e -> ctx.fail(400, refused(e)))
        .onSuccess(
            verified -> {
              Consent c = verified.consent();
              state.patient = c.patient();
              Caller caller = state.caller;
              boolean party =
                  caller.organisation().equals(c.issuer())
                      || c.recipients().contains(caller.organisation())
                      || igLead.is(caller);
              if (!party) {
                ctx.fail(
                    403,
                    new GatewayException(
                        IssueType.FORBIDDEN,
                        "only the consent's issuer, a recipient it names or IG may register it"));
                return;
              }
              keep(ctx, state, verified, "registered");
            });
  }

  /** Keeps a verified consent in the register and answers; registered and issued ones alike. */
  void keep(RoutingContext ctx, RequestState state, VerifiedConsent verified, String how) {
    Consent c = verified.consent();
    consents
        .keep(verified, true, by(state.caller), clock.instant())
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            result -> {
              switch (result) {
                case WITHDRAWN ->
                    ctx.fail(
                        409,
                        new GatewayException(
                            IssueType.CONFLICT,
                            "this consent was withdrawn and cannot be registered again"));
                case CONFLICT ->
                    ctx.fail(
                        409,
                        new GatewayException(
                            IssueType.CONFLICT, "another consent already has this id"));
                default -> {
                  JsonObject answer = new JsonObject().put("id", c.id()).put("status", "active");
                  if (state.action.equals("consent-issue")) {
                    answer.put("token", verified.token());
                  }
                  respond(
                      ctx,
                      result == ConsentRegister.Registered.NEW ? 201 : 200,
                      answer,
                      "consent " + c.id() + " by " + c.issuer() + " " + how);
                }
              }
            });
  }

  public void list(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "consent-list";
    try {
      state.patient = nhsNumber(ctx.request().getParam("patient"));
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    authorisedForPatient(state, state.patient)
        .compose(v -> consents.forPatient(state.patient))
        .onFailure(e -> fail(ctx, e))
        .onSuccess(
            entries -> {
              Instant now = clock.instant();
              JsonArray list = new JsonArray();
              entries.forEach(e -> list.add(json(e, now)));
              respond(
                  ctx,
                  200,
                  new JsonObject().put("patient", state.patient.toString()).put("consents", list),
                  entries.size() + " consents listed");
            });
  }

  public void withdraw(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "consent-withdraw";
    String jti = ctx.pathParam("id");
    String why;
    try {
      why = withdrawalReason(ctx.request().getParam("reason"));
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    consents
        .find(jti)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              if (found.isEmpty()) {
                ctx.fail(404, new GatewayException(IssueType.NOTFOUND, "no consent with that id"));
                return;
              }
              ConsentRegister.Entry entry = found.get();
              state.patient = entry.consent().patient();
              Future<Void> allowed =
                  state.caller.organisation().equals(entry.consent().issuer())
                      ? Future.succeededFuture()
                      : authorisedForPatient(state, state.patient);
              allowed
                  .compose(v -> consents.withdraw(jti, by(state.caller), why, clock.instant()))
                  .onFailure(e -> fail(ctx, e))
                  .onSuccess(
                      changed ->
                          respond(
                              ctx,
                              200,
                              new JsonObject().put("id", jti).put("status", "withdrawn"),
                              changed
                                  ? "consent " + jti + " withdrawn: " + why
                                  : "consent " + jti + " was already withdrawn"));
            });
  }

  /** IG leads, and the person's registered GP practice, may see and withdraw their consents. */
  private Future<Void> authorisedForPatient(RequestState state, NhsNumber patient) {
    if (igLead.is(state.caller)) {
      return Future.succeededFuture();
    }
    CareRelationship gp =
        new CareRelationship(state.caller.organisation(), RelationshipKind.REGISTERED_GP);
    return register
        .facts(patient)
        .compose(
            facts ->
                facts.relationships().contains(gp)
                    ? Future.succeededFuture()
                    : Future.failedFuture(
                        new GatewayException(
                            403,
                            IssueType.FORBIDDEN,
                            "only the person's registered GP practice or IG may do this",
                            state.caller.organisation() + " is not the registered GP")));
  }

  /** A failure inside a chain: its own status if it knows one; the database's trouble is a 503. */
  static void fail(RoutingContext ctx, Throwable e) {
    if (e instanceof GatewayException g && g.status() > 0) {
      ctx.fail(e);
    } else if (e instanceof TokenException) {
      ctx.fail(500, e);
    } else {
      ctx.fail(503, new AuditUnavailable(e));
    }
  }

  private void respond(RoutingContext ctx, int status, JsonObject answer, String detail) {
    AuditEvent event =
        RequestState.get(ctx)
            .event(
                clock.instant(), AuditEvent.Outcome.PERMITTED, status, Map.of(), List.of(), detail);
    audit
        .append(event)
        .onSuccess(seq -> StrictJson.json(ctx, status, answer))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)));
  }

  private static JsonObject json(ConsentRegister.Entry e, Instant now) {
    Consent c = e.consent();
    String status =
        e.withdrawn()
            ? "withdrawn"
            : !now.isBefore(c.expires())
                ? "expired"
                : now.isBefore(c.notBefore()) ? "not-yet-valid" : "active";
    return new JsonObject()
        .put("id", c.id())
        .put("status", status)
        .put("standing", e.standing())
        .put("issuer", c.issuer().value())
        .put(
            "recipients",
            new JsonArray(c.recipients().stream().map(OdsCode::value).sorted().toList()))
        .put(
            "purposes",
            new JsonArray(c.purposes().stream().map(PurposeOfUse::code).sorted().toList()))
        .put("scopes", new JsonArray(c.scopes().stream().sorted().toList()))
        .put("method", c.method().code())
        .put("recordedBy", c.recordedBy())
        .put("notBefore", c.notBefore().toString())
        .put("expires", c.expires().toString())
        .put("firstSeenAt", e.firstSeenAt().toString())
        .put("firstSeenBy", e.firstSeenBy())
        .put("withdrawnAt", e.withdrawnAt().map(Instant::toString).orElse(null))
        .put("withdrawnBy", e.withdrawnBy().orElse(null))
        .put("withdrawalReason", e.withdrawalReason().orElse(null));
  }

  static String by(Caller caller) {
    return caller.clientId() + "/" + caller.userId() + " (" + caller.organisation() + ")";
  }

  private static String withdrawalReason(String given) {
    if (given == null) {
      return "withdrawn";
    }
    String r = given.strip();
    if (r.isEmpty() || r.length() > StrictJson.MAX_STATED_REASON) {
      throw invalid("reason: expected 1 to " + StrictJson.MAX_STATED_REASON + " characters");
    }
    return r;
  }

  static NhsNumber nhsNumber(String value) {
    if (value == null) {
      throw invalid("patient: expected an NHS number, got nothing");
    }
    try {
      return NhsNumber.parse(value);
    } catch (InvalidNhsNumberException e) {
      throw new GatewayException(IssueType.VALUE, "patient: " + e.getMessage());
    }
  }

  static JsonObject body(RoutingContext ctx) {
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        throw invalid("expected a JSON object, got nothing");
      }
      return body;
    } catch (DecodeException | ClassCastException e) {
      throw invalid("expected a JSON object");
    }
  }

  /** A consent token refused: the reason names the check, never the token's content. */
  static GatewayException refused(Throwable e) {
    return new GatewayException(
        IssueType.SECURITY,
        "the consent token was refused",
        e instanceof TokenException ? e.getMessage() : e.getClass().getSimpleName());
  }
}
