package org.placeshare.gateway.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.PersonView;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.Obligations;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicySet;
import org.placeshare.policy.identity.Caller;

/**
 * {@code GET /fhir/Patient/{nhsNumber}/$everything}: steps 2 to 7 of the request path. Parse the
 * NHS number, decide per source (deny by default), fetch the permitted sources in parallel, keep
 * only what each decision allows, audit durably, then respond.
 */
final class PersonViewHandler {

  static final String ACTION = "read-person-view";
  static final String EMERGENCY_HEADER = "X-Emergency-Reason";
  static final String RELATIONSHIP_HEADER = "X-Relationship-Reason";

  /** A stated reason is a sentence for the IG reviewer, not a document. */
  static final int MAX_STATED_REASON = 500;

  private final Vertx vertx;
  private final PolicyStore store;
  private final PatientRegister register;
  private final List<RecordSource> sources;
  private final AuditLog audit;
  private final Clock clock;

  PersonViewHandler(
      Vertx vertx,
      PolicyStore store,
      PatientRegister register,
      List<RecordSource> sources,
      AuditLog audit,
      Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.register = register;
    this.sources = List.copyOf(sources);
    this.audit = audit;
    this.clock = clock;
  }

  void parse(RoutingContext ctx) {
    if (!"$everything".equals(ctx.pathParam("operation"))) {
      ctx.fail(
          404,
          new GatewayException(IssueType.NOTSUPPORTED, "only $everything is served on Patient"));
      return;
    }
    RequestState state = RequestState.get(ctx);
    state.action = ACTION;
    try {
      state.patient = NhsNumber.parse(ctx.pathParam("nhsNumber"));
      state.emergencyReason = statedReason(ctx, EMERGENCY_HEADER);
      state.relationshipClaim = statedReason(ctx, RELATIONSHIP_HEADER);
    } catch (InvalidNhsNumberException e) {
      ctx.fail(400, new GatewayException(IssueType.VALUE, e.getMessage()));
      return;
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    ctx.next();
  }

  /** A reason stated in a header for the IG reviewer: a sentence, not a document. */
  private static String statedReason(RoutingContext ctx, String header) {
    String reason = ctx.request().getHeader(header);
    if (reason == null) {
      return null;
    }
    reason = reason.strip();
    if (reason.isEmpty() || reason.length() > MAX_STATED_REASON) {
      throw new GatewayException(
          IssueType.INVALID,
          header + " must state a reason of 1 to " + MAX_STATED_REASON + " characters");
    }
    return reason;
  }

  void respond(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    Caller caller = state.caller;
    // One snapshot for the whole request: a reload meanwhile cannot mix two sets.
    PolicySet policy = store.current();
    DecisionRequest base =
        DecisionRequest.of(
                caller.organisation(),
                caller.role(),
                caller.purpose(),
                state.patient,
                caller.organisation(),
                clock.instant())
            .withEmergencyReason(Optional.ofNullable(state.emergencyReason))
            .withRelationshipClaim(Optional.ofNullable(state.relationshipClaim));
    List<String> capped = policy.cappedAgreements(providers(), caller.organisation());
    Future.all(
            register.facts(state.patient),
            register.releasedOn(caller.organisation(), base.day(), capped))
        .onFailure(e -> ctx.fail(503, registerUnavailable(e)))
        .onSuccess(
            all ->
                decideAndFetch(
                    ctx,
                    state,
                    policy,
                    base.withFacts(all.resultAt(0)).withReleasedToday(all.resultAt(1))));
  }

  private List<OdsCode> providers() {
    return sources.stream().map(s -> s.descriptor().organisation()).toList();
  }

  private void decideAndFetch(
      RoutingContext ctx, RequestState state, PolicySet policy, DecisionRequest base) {
    Map<String, Decision> permitted = new HashMap<>();
    List<String> refusals = new ArrayList<>();
    for (RecordSource source : sources) {
      var descriptor = source.descriptor();
      Decision decision = policy.decide(base.withProvider(descriptor.organisation()));
      state.decisions.add(AuditEvent.SourceDecision.of(descriptor.id(), decision));
      if (decision.permitted()) {
        permitted.put(descriptor.id(), decision);
      } else {
        refusals.add(descriptor.id() + ": " + String.join("; ", decision.reasons()));
      }
    }
    if (permitted.isEmpty()) {
      ctx.fail(
          403,
          new GatewayException(
              IssueType.FORBIDDEN,
              "no data-sharing agreement permits this request",
              String.join("\n", refusals)));
      return;
    }
    Map<String, Obligations> allowed = new HashMap<>();
    permitted.forEach((id, d) -> allowed.put(id, d.obligations()));
    List<Future<SourceRecords>> fetches = new ArrayList<>();
    for (RecordSource source : sources) {
      Obligations terms = allowed.get(source.descriptor().id());
      if (terms != null) {
        fetches.add(source.fetch(state.patient, terms.resourceTypes()));
      }
    }
    // A fetch reports upstream trouble in its result and never fails, so all() waits for every one.
    Future.all(fetches)
        .onSuccess(all -> release(ctx, state, base, all.list(), permitted.values(), allowed))
        .onFailure(ctx::fail);
  }

  private static GatewayException registerUnavailable(Throwable e) {
    return new GatewayException(
        IssueType.TRANSIENT,
        "the patient register is unavailable; nothing was released",
        e.getClass().getSimpleName());
  }

  private void release(
      RoutingContext ctx,
      RequestState state,
      DecisionRequest request,
      List<SourceRecords> results,
      Collection<Decision> permitted,
      Map<String, Obligations> allowed) {
    List<String> problems = new ArrayList<>();
    boolean found = false;
    for (SourceRecords r : results) {
      if (r instanceof SourceRecords.Failed failed) {
        problems.add(failed.source().id() + ": " + failed.reason());
      }
      found |= r instanceof SourceRecords.Found;
    }
    if (!found) {
      if (problems.isEmpty()) {
        ctx.fail(
            404, new GatewayException(IssueType.NOTFOUND, "no permitted source holds this person"));
      } else {
        ctx.fail(
            502,
            new GatewayException(
                IssueType.TRANSIENT,
                "no permitted source could be read: " + String.join("; ", problems)));
      }
      return;
    }
    Instant now = clock.instant();
    PersonView.Released released = PersonView.assemble(results, allowed, now);
    vertx
        .executeBlocking(() -> Fhir.encode(released.bundle()), false)
        .compose(json -> countPilotReleases(request, permitted).map(json))
        .compose(
            json ->
                audit
                    .append(event(state, now, released, problems))
                    .recover(e -> Future.failedFuture(new AuditUnavailable(e)))
                    .map(seq -> json))
        .onSuccess(json -> Outcomes.sendFhir(ctx.response().setStatusCode(200), json))
        .onFailure(e -> ctx.fail(e instanceof AuditUnavailable ? 503 : 500, e));
  }

  /** One release counted per pilot agreement with a daily volume, before the answer leaves. */
  private Future<Void> countPilotReleases(DecisionRequest request, Collection<Decision> permitted) {
    List<Future<Void>> counts = new ArrayList<>();
    permitted.stream()
        .map(d -> d.agreement().orElseThrow())
        .filter(a -> a.dailyVolume().isPresent())
        .map(Agreement::id)
        .distinct()
        .forEach(id -> counts.add(register.countRelease(id, request.recipient(), request.day())));
    return Future.all(counts)
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(new AuditUnavailable(e)));
  }

  private static AuditEvent event(
      RequestState state, Instant now, PersonView.Released released, List<String> problems) {
    return state.event(
        now,
        AuditEvent.Outcome.PERMITTED,
        200,
        released.referencesBySource(),
        problems,
        released.resourceCount() + " resources released");
  }
}
