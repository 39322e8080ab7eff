package org.placeshare.gateway.http.policy;

import static org.placeshare.gateway.http.edge.StrictJson.array;
import static org.placeshare.gateway.http.edge.StrictJson.bool;
import static org.placeshare.gateway.http.edge.StrictJson.instant;
import static org.placeshare.gateway.http.edge.StrictJson.invalid;
import static org.placeshare.gateway.http.edge.StrictJson.json;
import static org.placeshare.gateway.http.edge.StrictJson.object;
import static org.placeshare.gateway.http.edge.StrictJson.reason;
import static org.placeshare.gateway.http.edge.StrictJson.strings;
import static org.placeshare.gateway.http.edge.StrictJson.text;
import static org.placeshare.gateway.http.edge.StrictJson.unknownKeys;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.CareRelationship;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PatientFacts;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.PolicySet;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.RelationshipKind;
import org.placeshare.policy.SensitiveCategory;

/**
 * The agreements in force ({@code GET /agreements}, {@code GET /agreements/{id}}), the what-if
 * evaluation for IG leads ({@code POST /policy/evaluate}, audited, fetching nothing) and the reload
 * status and trigger ({@code GET /policy/status}, {@code POST /policy/reload}).
 */
public final class PolicyEndpoints {

  static final String EVALUATE_ACTION = "policy-evaluate";

  /** A what-if question is a few fields; nothing bigger is a real one. */
  public static final int MAX_EVALUATE_BYTES = 16 * 1024;

  private static final Set<String> EVALUATE_KEYS =
      Set.of(
          "patient",
          "recipient",
          "role",
          "purpose",
          "provider",
          "at",
          "emergencyReason",
          "relationshipClaim",
          "consent",
          "facts",
          "releasedToday");
  private static final Set<String> CONSENT_KEYS =
      Set.of("id", "issuer", "recipients", "purposes", "scopes", "method", "notBefore", "expires");
  private static final Set<String> FACTS_KEYS =
      Set.of("optedOut", "restricted", "postcodeDistrict", "relationships");

  private final Vertx vertx;
  private final PolicyStore store;
  private final PatientRegister register;
  private final List<OdsCode> providers;

  /** What all of each provider's sources hold, so a what-if asks what a view would ask. */
  private final Map<OdsCode, Set<SensitiveCategory>> holds;

  private final AuditLog audit;
  private final Clock clock;

  public PolicyEndpoints(
      Vertx vertx,
      PolicyStore store,
      PatientRegister register,
      List<SourceDescriptor> sources,
      AuditLog audit,
      Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.register = register;
    this.providers = sources.stream().map(SourceDescriptor::organisation).distinct().toList();
    Map<OdsCode, Set<SensitiveCategory>> holds = new HashMap<>();
    sources.forEach(
        d ->
            holds
                .computeIfAbsent(d.organisation(), o -> EnumSet.noneOf(SensitiveCategory.class))
                .addAll(d.holds()));
    this.holds = Map.copyOf(holds);
    this.audit = audit;
    this.clock = clock;
  }

  public void list(RoutingContext ctx) {
    LocalDate today = LocalDate.now(clock);
    JsonArray agreements = new JsonArray();
    store.current().agreements().forEach(a -> agreements.add(AgreementJson.summary(a, today)));
    json(ctx, 200, new JsonObject().put("agreements", agreements));
  }

  public void one(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    store
        .current()
        .find(id)
        .ifPresentOrElse(
            a -> json(ctx, 200, AgreementJson.detail(a, LocalDate.now(clock))),
            () ->
                ctx.fail(
                    404,
                    new GatewayException(
                        IssueType.NOTFOUND, "no agreement with that id is loaded")));
  }

  public void status(RoutingContext ctx) {
    json(ctx, 200, status(store.status()));
  }

  public void reload(RoutingContext ctx) {
    store
        .reload(vertx)
        .onSuccess(s -> json(ctx, s.lastError().isPresent() ? 422 : 200, status(s)))
        .onFailure(ctx::fail);
  }

  public void evaluate(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = EVALUATE_ACTION;
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      ctx.fail(400, new GatewayException(IssueType.INVALID, "expected a JSON object"));
      return;
    }
    if (body == null) {
      ctx.fail(400, new GatewayException(IssueType.INVALID, "expected a JSON object, got nothing"));
      return;
    }
    Question q;
    try {
      q = question(body);
    } catch (PolicyException | GatewayException e) {
      ctx.fail(
          400,
          e instanceof GatewayException g
              ? g
              : new GatewayException(IssueType.INVALID, e.getMessage()));
      return;
    }
    state.patient = q.request.patient();
    state.emergencyReason = q.request.emergencyReason().orElse(null);
    state.relationshipClaim = q.request.relationshipClaim().orElse(null);
    PolicySet policy = store.current();
    Future<PatientFacts> facts =
        q.facts.map(Future::succeededFuture).orElseGet(() -> register.facts(q.request.patient()));
    List<OdsCode> asked = q.provider.map(List::of).orElse(providers);
    Future<Map<String, Integer>> used =
        q.releasedToday
            .map(Future::succeededFuture)
            .orElseGet(
                () ->
                    register.releasedOn(
                        q.request.recipient(),
                        q.request.day(),
                        policy.cappedAgreements(asked, q.request.recipient())));
    Future.all(facts, used)
        .onFailure(
            e ->
                ctx.fail(
                    503,
                    new GatewayException(
                        IssueType.TRANSIENT, "the patient register is unavailable")))
        .onSuccess(
            all -> {
              DecisionRequest request =
                  q.request.withFacts(facts.result()).withReleasedToday(used.result());
              JsonArray decisions = new JsonArray();
              for (OdsCode provider : asked) {
                Decision d =
                    policy.decide(
                        request
                            .withProvider(provider)
                            .withProviderHolds(holds.getOrDefault(provider, Set.of())));
                state.decisions.add(AuditEvent.SourceDecision.of(provider.value(), d));
                decisions.add(AgreementJson.decision(d));
              }
              JsonObject answer =
                  new JsonObject()
                      .put("patient", request.patient().toString())
                      .put("at", request.at().toString())
                      .put("policyFingerprint", store.status().fingerprint())
                      .put("decisions", decisions);
              audited(ctx, state, answer);
            });
  }

  private void audited(RoutingContext ctx, RequestState state, JsonObject answer) {
    AuditEvent event =
        state.event(
            clock.instant(),
            AuditEvent.Outcome.EVALUATED,
            200,
            Map.of(),
            List.of(),
            "what-if evaluation; no record was fetched");
    audit
        .append(event)
        .onSuccess(seq -> json(ctx, 200, answer))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)));
  }

  /** The parsed what-if: a decision request, plus what was stated instead of looked up. */
  private record Question(
      DecisionRequest request,
      Optional<OdsCode> provider,
      Optional<PatientFacts> facts,
      Optional<Map<String, Integer>> releasedToday) {}

  private Question question(JsonObject body) {
    unknownKeys(body, EVALUATE_KEYS, "");
    NhsNumber patient;
    try {
      patient = NhsNumber.parse(text(body, "patient", true));
    } catch (InvalidNhsNumberException e) {
      throw new GatewayException(IssueType.VALUE, "patient: " + e.getMessage());
    }
    OdsCode recipient = OdsCode.of(text(body, "recipient", true));
    Optional<OdsCode> provider =
        Optional.ofNullable(text(body, "provider", false)).map(OdsCode::of);
    Instant at = instant(body, "at").orElse(clock.instant());
    DecisionRequest request =
        DecisionRequest.of(
                recipient,
                text(body, "role", true),
                PurposeOfUse.of(text(body, "purpose", true)),
                patient,
                provider.orElse(recipient),
                at)
            .withEmergencyReason(Optional.ofNullable(reason(body, "emergencyReason")))
            .withRelationshipClaim(Optional.ofNullable(reason(body, "relationshipClaim")));
    JsonObject consent = object(body, "consent");
    if (consent != null) {
      request = request.withConsents(List.of(consent(consent, patient, at)));
    }
    JsonObject facts = object(body, "facts");
    JsonObject used = object(body, "releasedToday");
    return new Question(
        request,
        provider,
        Optional.ofNullable(facts).map(PolicyEndpoints::facts),
        Optional.ofNullable(used).map(PolicyEndpoints::releasedToday));
  }

  private static Consent consent(JsonObject json, NhsNumber patient, Instant at) {
    unknownKeys(json, CONSENT_KEYS, "consent.");
    Set<OdsCode> recipients = new LinkedHashSet<>();
    strings(json, "recipients").forEach(r -> recipients.add(OdsCode.of(r)));
    Set<PurposeOfUse> purposes = new LinkedHashSet<>();
    strings(json, "purposes").forEach(p -> purposes.add(PurposeOfUse.of(p)));
    return new Consent(
        Optional.ofNullable(text(json, "id", false)).orElse("what-if"),
        OdsCode.of(text(json, "issuer", true)),
        patient,
        recipients,
        purposes,
        json.containsKey("scopes") ? Set.copyOf(strings(json, "scopes")) : Set.of(Consent.ALL_DATA),
        method(Optional.ofNullable(text(json, "method", false)).orElse("written")),
        "what-if",
        instant(json, "notBefore").orElse(at),
        instant(json, "expires").orElse(at.plusSeconds(1)));
  }

  private static ConsentMethod method(String code) {
    return ConsentMethod.of(code)
        .orElseThrow(
            () ->
                invalid("consent.method: expected written, verbal or digital, got '" + code + "'"));
  }

  private static PatientFacts facts(JsonObject json) {
    unknownKeys(json, FACTS_KEYS, "facts.");
    Set<CareRelationship> relationships = new LinkedHashSet<>();
    JsonArray list = array(json, "relationships");
    for (int i = 0; list != null && i < list.size(); i++) {
      if (!(list.getValue(i) instanceof JsonObject r)) {
        throw invalid("facts.relationships[" + i + "]: expected an object");
      }
      unknownKeys(r, Set.of("organisation", "kind"), "facts.relationships[" + i + "].");
      String kind = text(r, "kind", true);
      relationships.add(
          new CareRelationship(
              OdsCode.of(text(r, "organisation", true)),
              RelationshipKind.of(kind)
                  .orElseThrow(
                      () ->
                          invalid(
                              "facts.relationships[].kind: expected registered-gp, episode-of-care or encounter, got '"
                                  + kind
                                  + "'"))));
    }
    return new PatientFacts(
        bool(json, "optedOut"),
        bool(json, "restricted"),
        Optional.ofNullable(text(json, "postcodeDistrict", false)),
        relationships);
  }

  private static Map<String, Integer> releasedToday(JsonObject json) {
    Map<String, Integer> used = new HashMap<>();
    for (String id : json.fieldNames()) {
      if (!(json.getValue(id) instanceof Integer n) || n < 0) {
        throw invalid("releasedToday." + id + ": expected a whole number >= 0");
      }
      used.put(id, n);
    }
    return used;
  }

  private static JsonObject status(PolicyStore.Status s) {
    return new JsonObject()
        .put("fingerprint", s.fingerprint())
        .put("agreements", s.agreements())
        .put("loadedAt", s.loadedAt().toString())
        .put("checkedAt", s.checkedAt().toString())
        .put("reloads", s.reloads())
        .put("refusedReloads", s.refusedReloads())
        .put("lastError", s.lastError().orElse(null))
        .put("lastErrorAt", s.lastErrorAt().map(Instant::toString).orElse(null))
        .put("warnings", new JsonArray(s.warnings()));
  }
}
