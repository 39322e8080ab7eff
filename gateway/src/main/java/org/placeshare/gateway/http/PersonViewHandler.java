package org.placeshare.gateway.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.PersonView;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;
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

  /** A break-glass reason is a sentence for the IG reviewer, not a document. */
  static final int MAX_EMERGENCY_REASON = 500;

  private final Vertx vertx;
  private final PolicySet policy;
  private final List<RecordSource> sources;
  private final AuditLog audit;
  private final Clock clock;

  PersonViewHandler(
      Vertx vertx, PolicySet policy, List<RecordSource> sources, AuditLog audit, Clock clock) {
    this.vertx = vertx;
    this.policy = policy;
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
    } catch (InvalidNhsNumberException e) {
      ctx.fail(400, new GatewayException(IssueType.VALUE, e.getMessage()));
      return;
    }
    String reason = ctx.request().getHeader(EMERGENCY_HEADER);
    if (reason != null) {
      reason = reason.strip();
      if (reason.isEmpty() || reason.length() > MAX_EMERGENCY_REASON) {
        ctx.fail(
            400,
            new GatewayException(
                IssueType.INVALID,
                EMERGENCY_HEADER
                    + " must state a reason of 1 to "
                    + MAX_EMERGENCY_REASON
                    + " characters"));
        return;
      }
      state.emergencyReason = reason;
    }
    ctx.next();
  }

  void respond(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    Caller caller = state.caller;
    Map<String, Set<String>> allowed = new HashMap<>();
    List<String> refusals = new ArrayList<>();
    for (RecordSource source : sources) {
      var descriptor = source.descriptor();
      Decision decision =
          policy.decide(
              new DecisionRequest(
                  caller.organisation(),
                  caller.role(),
                  caller.purpose(),
                  state.patient,
                  descriptor.organisation(),
                  Optional.ofNullable(state.emergencyReason)));
      state.decisions.add(audited(descriptor.id(), decision));
      if (decision.permitted()) {
        allowed.put(descriptor.id(), decision.resourceTypes());
      } else {
        refusals.add(descriptor.id() + ": " + String.join("; ", decision.reasons()));
      }
    }
    if (allowed.isEmpty()) {
      ctx.fail(
          403,
          new GatewayException(
              IssueType.FORBIDDEN,
              "no data-sharing agreement permits this request",
              String.join("\n", refusals)));
      return;
    }
    List<Future<SourceRecords>> fetches = new ArrayList<>();
    for (RecordSource source : sources) {
      Set<String> types = allowed.get(source.descriptor().id());
      if (types != null) {
        fetches.add(source.fetch(state.patient, types));
      }
    }
    // A fetch reports upstream trouble in its result and never fails, so all() waits for every one.
    Future.all(fetches)
        .onSuccess(all -> release(ctx, state, all.list(), allowed))
        .onFailure(ctx::fail);
  }

  private void release(
      RoutingContext ctx,
      RequestState state,
      List<SourceRecords> results,
      Map<String, Set<String>> allowed) {
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
        .compose(
            json ->
                audit
                    .append(event(state, now, released, problems))
                    .recover(e -> Future.failedFuture(new AuditUnavailable(e)))
                    .map(seq -> json))
        .onSuccess(json -> Outcomes.sendFhir(ctx.response().setStatusCode(200), json))
        .onFailure(e -> ctx.fail(e instanceof AuditUnavailable ? 503 : 500, e));
  }

  private AuditEvent event(
      RequestState state, Instant now, PersonView.Released released, List<String> problems) {
    return new AuditEvent(
        UUID.randomUUID(),
        now,
        state.requestId,
        ACTION,
        AuditEvent.Outcome.PERMITTED,
        200,
        Optional.of(state.patient),
        Optional.of(state.caller),
        Optional.ofNullable(state.emergencyReason),
        state.decisions,
        released.referencesBySource(),
        problems,
        released.resourceCount() + " resources released",
        now.toEpochMilli() - state.started.toEpochMilli());
  }

  private static AuditEvent.SourceDecision audited(String sourceId, Decision decision) {
    return new AuditEvent.SourceDecision(
        sourceId,
        decision.provider().value(),
        decision.effect().name().toLowerCase(),
        decision.agreement().map(a -> a.reference()),
        decision.agreement().map(a -> a.sha256()),
        decision.reasons());
  }
}
