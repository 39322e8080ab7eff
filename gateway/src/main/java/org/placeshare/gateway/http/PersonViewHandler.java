package org.placeshare.gateway.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.CareRelationships;
import org.placeshare.fhir.DataQuality;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.PersonView;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.consent.ConsentRegister;
import org.placeshare.gateway.consent.ConsentVerifier;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.policy.FlagConcealment;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.Consent;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.FhirResourceTypes;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicySet;
import org.placeshare.policy.identity.Caller;

/**
 * {@code GET /fhir/Patient/{nhsNumber}/$everything}: steps 2 to 7 of the request path. Parse the
 * NHS number, decide per source (deny by default), fetch the permitted sources in parallel, keep
 * only what each decision allows, audit durably, then respond.
 */
final class PersonViewHandler {

  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger(PersonViewHandler.class.getName());

  static final String ACTION = "read-person-view";
  static final String DATA_QUALITY_ACTION = "data-quality";
  static final String EVERYTHING = "$everything";
  static final String DATA_QUALITY = "$data-quality";
  static final String EMERGENCY_HEADER = "X-Emergency-Reason";
  static final String RELATIONSHIP_HEADER = "X-Relationship-Reason";
  static final String CONSENT_HEADER = "X-Consent-Token";

  /** The one answer for "nobody here", whether nobody is there or a flag hides them. */
  private static final String NOT_THERE = "no permitted source holds this person";

  /** A stated reason is a sentence for the IG reviewer, not a document. */
  static final int MAX_STATED_REASON = 500;

  private final Vertx vertx;
  private final PolicyStore store;
  private final PatientRegister register;
  private final List<RecordSource> sources;
  private final ConsentVerifier verifier;
  private final ConsentRegister consents;
  private final AuditLog audit;
  private final Clock clock;
  private final Optional<Pseudonyms> pseudonyms;
  private final Metrics metrics;
  private final FlagConcealment concealment;
  private final DecoyDelay decoy = new DecoyDelay();

  PersonViewHandler(
      Vertx vertx,
      PolicyStore store,
      PatientRegister register,
      List<RecordSource> sources,
      ConsentVerifier verifier,
      ConsentRegister consents,
      AuditLog audit,
      Optional<Pseudonyms> pseudonyms,
      Metrics metrics,
      FlagConcealment concealment,
      Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.register = register;
    this.sources = List.copyOf(sources);
    this.verifier = verifier;
    this.consents = consents;
    this.audit = audit;
    this.pseudonyms = pseudonyms;
    this.metrics = metrics;
    this.concealment = concealment;
    this.clock = clock;
  }

  void parse(RoutingContext ctx) {
    String operation = ctx.pathParam("operation");
    if (!EVERYTHING.equals(operation) && !DATA_QUALITY.equals(operation)) {
      ctx.fail(
          404,
          new GatewayException(
              IssueType.NOTSUPPORTED, "only $everything and $data-quality are served on Patient"));
      return;
    }
    RequestState state = RequestState.get(ctx);
    state.action = EVERYTHING.equals(operation) ? ACTION : DATA_QUALITY_ACTION;
    try {
      state.patient = NhsNumber.parse(ctx.pathParam("nhsNumber"));
      state.emergencyReason = statedReason(ctx, EMERGENCY_HEADER);
      state.relationshipClaim = statedReason(ctx, RELATIONSHIP_HEADER);
      state.consentToken = ctx.request().getHeader(CONSENT_HEADER);
      state.types = types(ctx.request().getParam("_type"));
      state.since = since(ctx.request().getParam("_since"));
    } catch (InvalidNhsNumberException e) {
      ctx.fail(400, new GatewayException(IssueType.VALUE, e.getMessage()));
      return;
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    ctx.next();
  }

  /** {@code _type=Condition,Encounter}: FHIR R4 resource types, at most 50. */
  static Set<String> types(String param) {
    if (param == null) {
      return null;
    }
    Set<String> types = new java.util.LinkedHashSet<>();
    for (String type : param.split(",", -1)) {
      String t = type.strip();
      if (!FhirResourceTypes.R4.contains(t)) {
        throw new GatewayException(
            IssueType.VALUE, "_type: expected FHIR R4 resource types separated by commas");
      }
      types.add(t);
    }
    if (types.size() > 50) {
      throw new GatewayException(IssueType.VALUE, "_type: expected at most 50 types");
    }
    return types;
  }

  /** {@code _since}: a FHIR instant with a time zone, such as 2026-11-01T00:00:00Z. */
  static Instant since(String param) {
    if (param == null) {
      return null;
    }
    try {
      return java.time.OffsetDateTime.parse(param).toInstant();
    } catch (java.time.format.DateTimeParseException e) {
      throw new GatewayException(
          IssueType.VALUE, "_since: expected an instant such as 2026-11-01T00:00:00Z");
    }
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
            register.releasedOn(caller.organisation(), base.day(), capped),
            consents(state))
        .onFailure(
            e -> {
              if (e instanceof GatewayException g && g.status() > 0) {
                ctx.fail(g);
              } else {
                ctx.fail(503, registerUnavailable(e));
              }
            })
        .onSuccess(
            all ->
                decideAndFetch(
                    ctx,
                    state,
                    policy,
                    base.withFacts(all.resultAt(0))
                        .withReleasedToday(all.resultAt(1))
                        .withConsents(all.resultAt(2))));
  }

  /**
   * The consents that may apply: every standing one registered for the person and not withdrawn,
   * and the one presented with the request, once verified and found not withdrawn. A presented
   * token is kept (not standing) so that it can be listed and withdrawn.
   */
  private Future<List<Consent>> consents(RequestState state) {
    Future<List<Consent>> standing = consents.standing(state.patient);
    if (state.consentToken == null) {
      return standing;
    }
    return verifier
        .verify(state.consentToken)
        .recover(
            e -> Future.failedFuture(consentRefused(ConsentEndpoints.refused(e).auditDetail())))
        .compose(
            presented ->
                consents
                    .keep(presented, false, ConsentEndpoints.by(state.caller), clock.instant())
                    .compose(
                        kept -> {
                          if (kept == ConsentRegister.Registered.WITHDRAWN) {
                            return Future.failedFuture(
                                consentRefused(
                                    "consent " + presented.consent().id() + " was withdrawn"));
                          }
                          if (kept == ConsentRegister.Registered.CONFLICT) {
                            return Future.failedFuture(
                                consentRefused("another consent already has this token's id"));
                          }
                          return standing.map(
                              list -> {
                                List<Consent> all = new ArrayList<>();
                                all.add(presented.consent());
                                list.stream()
                                    .filter(c -> !c.id().equals(presented.consent().id()))
                                    .forEach(all::add);
                                return all;
                              });
                        }));
  }

  private static GatewayException consentRefused(String why) {
    return new GatewayException(403, IssueType.SECURITY, "the consent token was refused", why);
  }

  private List<OdsCode> providers() {
    return sources.stream().map(s -> s.descriptor().organisation()).toList();
  }

  private void decideAndFetch(
      RoutingContext ctx, RequestState state, PolicySet policy, DecisionRequest base) {
    Map<String, Decision> permitted = new HashMap<>();
    Map<String, Decision> decided = new java.util.LinkedHashMap<>();
    List<String> refusals = new ArrayList<>();
    for (RecordSource source : sources) {
      var descriptor = source.descriptor();
      Decision decision = policy.decide(base.withProvider(descriptor.organisation()));
      state.decisions.add(AuditEvent.SourceDecision.of(descriptor.id(), decision));
      decided.put(descriptor.id(), decision);
      if (decision.permitted()) {
        permitted.put(descriptor.id(), decision);
      } else {
        refusals.add(descriptor.id() + ": " + String.join("; ", decision.reasons()));
      }
    }
    // Sources refused only because of a flag are left out silently, as if they held nobody.
    FlagConcealment.Hidden concealed = FlagConcealment.hidden(policy, base, decided);
    List<String> hidden = concealed.sources();
    // Counted as the caller is answered: a source hidden for a flag as its unflagged decision.
    decided.forEach((id, d) -> countDecision(concealed.counted(id, d)));
    if (permitted.isEmpty() && !hidden.isEmpty()) {
      // Answer as a lookup of these sources that found nobody would, as slowly as one does.
      state.concealedRefusal = true;
      List<String> problems =
          concealment.knownFailures(concealed).stream()
              .map(f -> f.source().id() + ": " + f.reason())
              .toList();
      GatewayException answer = nobodyFound(problems, String.join("\n", refusals));
      long delay = Math.max(1, decoy.next().toMillis());
      vertx.setTimer(
          delay,
          t -> {
            countHiddenFetches(concealed, TimeUnit.MILLISECONDS.toNanos(delay));
            ctx.fail(answer);
          });
      return;
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
    Map<String, PersonView.Grant> grants = new HashMap<>();
    permitted.forEach((id, d) -> grants.put(id, PersonView.Grant.of(d, state.types)));
    List<Future<SourceRecords>> fetches = new ArrayList<>();
    List<SourceDescriptor> withheld = new ArrayList<>();
    // A hidden source known to be failing answers as its real lookup would: with that failure.
    Map<String, SourceRecords.Failed> hiddenFailed = new HashMap<>();
    concealment.knownFailures(concealed).forEach(f -> hiddenFailed.put(f.source().id(), f));
    for (RecordSource source : sources) {
      String id = source.descriptor().id();
      PersonView.Grant grant = grants.get(id);
      if (grant != null) {
        Set<String> types =
            qualityOnly(state) ? Set.of("Patient") : grant.obligations().resourceTypes();
        long asked = System.nanoTime();
        fetches.add(
            source
                .fetch(state.patient, types, Optional.ofNullable(state.since))
                .onSuccess(
                    r ->
                        metrics.fetched(
                            id,
                            r instanceof SourceRecords.Found
                                ? "found"
                                : r instanceof SourceRecords.NotFound ? "not-found" : "failed",
                            System.nanoTime() - asked)));
      } else if (hiddenFailed.containsKey(id)) {
        fetches.add(Future.succeededFuture(hiddenFailed.get(id)));
      } else if (!concealed.wouldAsk(id)) {
        withheld.add(source.descriptor());
      }
    }
    if (!hidden.isEmpty()) {
      state.concealedRefusal = true;
    }
    // The hidden sources' lookups would have taken time too: the answer waits as long as one.
    Future<Long> decoyWait =
        hidden.isEmpty()
            ? Future.succeededFuture(0L)
            : vertx.timer(Math.max(1, decoy.next().toMillis())).map(0L);
    // A fetch reports upstream trouble in its result and never fails, so all() waits for every one.
    long started = System.nanoTime();
    Future.all(Future.all(fetches), decoyWait)
        .onSuccess(
            waited -> {
              long took = System.nanoTime() - started;
              if (hidden.isEmpty()) {
                decoy.observe(Duration.ofNanos(took));
              } else {
                countHiddenFetches(concealed, took);
              }
              List<SourceRecords> all = waited.<io.vertx.core.CompositeFuture>resultAt(0).list();
              release(ctx, state, base, all, permitted.values(), grants, withheld);
            })
        .onFailure(ctx::fail);
  }

  private void countDecision(Decision decision) {
    metrics.decision(
        decision.agreement().map(Agreement::id).orElse("none"),
        decision.effect().name().toLowerCase(java.util.Locale.ROOT));
  }

  /** What a source hidden for a flag would have been asked: counted as a lookup that found none. */
  private void countHiddenFetches(FlagConcealment.Hidden concealed, long nanos) {
    Set<String> failing = new java.util.HashSet<>();
    concealment.knownFailures(concealed).forEach(f -> failing.add(f.source().id()));
    concealed
        .sources()
        .forEach(id -> metrics.fetched(id, failing.contains(id) ? "failed" : "not-found", nanos));
  }

  /**
   * The answer when no permitted source that answered holds the person: 404 when every one
   * answered, 502 when any could not be read, since that one may hold them and "not held" cannot be
   * claimed (even if every other answered "not held").
   */
  private static GatewayException nobodyFound(List<String> problems, String auditDetail) {
    if (problems.isEmpty()) {
      return new GatewayException(
          404, IssueType.NOTFOUND, NOT_THERE, auditDetail == null ? NOT_THERE : auditDetail);
    }
    String message =
        "no permitted source that answered holds this person, and some could not be read: "
            + String.join("; ", problems);
    return new GatewayException(
        502, IssueType.TRANSIENT, message, auditDetail == null ? message : auditDetail);
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
      Map<String, PersonView.Grant> grants,
      List<SourceDescriptor> withheld) {
    List<String> problems = new ArrayList<>();
    boolean found = false;
    for (SourceRecords r : results) {
      if (r instanceof SourceRecords.Failed failed) {
        problems.add(failed.source().id() + ": " + failed.reason());
      }
      concealment.answered(r);
      found |= r instanceof SourceRecords.Found;
    }
    if (!found) {
      ctx.fail(nobodyFound(problems, null));
      return;
    }
    Instant now = clock.instant();
    if (qualityOnly(state)) {
      reportQuality(ctx, state, results, now);
      return;
    }
    PersonView.Released released =
        PersonView.assemble(
            state.patient, request.recipient(), results, grants, withheld, pseudonyms, now);
    released
        .referencesBySource()
        .forEach(
            (source, refs) ->
                metrics.released(grants.get(source).agreement().split("@", 2)[0], refs.size()));
    released.findings().forEach(f -> metrics.dataQuality(f.source(), f.field()));
    vertx
        .executeBlocking(() -> Fhir.encode(released.bundle()), false)
        .compose(
            json ->
                register
                    .countReleases(permitted, request.recipient(), request.day())
                    .recover(e -> Future.failedFuture(new AuditUnavailable(e)))
                    .compose(
                        reached ->
                            reached.isEmpty()
                                ? Future.succeededFuture(json)
                                : Future.failedFuture(capReached(reached, request.recipient()))))
        .compose(
            json ->
                audit
                    .append(event(state, now, released, problems))
                    .recover(e -> Future.failedFuture(new AuditUnavailable(e)))
                    .map(seq -> json))
        .onSuccess(
            json -> {
              Outcomes.sendFhir(ctx.response().setStatusCode(200), json);
              // A hint for later decisions, not part of this answer: written after it leaves.
              learnRelationships(state.patient, results, now);
            })
        .onFailure(
            e -> {
              if (e instanceof GatewayException g && g.status() > 0) {
                ctx.fail(g);
              } else {
                ctx.fail(e instanceof AuditUnavailable ? 503 : 500, e);
              }
            });
  }

  /**
   * A pilot's cap reached between this request's decision and its release, by requests on this or
   * another instance: refused as the decision would have refused it a moment later.
   */
  private static GatewayException capReached(List<Agreement> reached, OdsCode recipient) {
    return new GatewayException(
        403,
        IssueType.FORBIDDEN,
        "no data-sharing agreement permits this request",
        reached.stream()
            .map(
                a ->
                    a.id()
                        + ": the pilot's daily volume of "
                        + a.dailyVolume().getAsInt()
                        + " for "
                        + recipient
                        + " was reached while this request was answered")
            .collect(java.util.stream.Collectors.joining("\n")));
  }

  /**
   * Feeds the relationship register from what the sources said (registered GP, open episodes,
   * encounters). A failure here loses a hint, never the answer, so it is logged and passed over.
   */
  private Future<Void> learnRelationships(
      NhsNumber patient, List<SourceRecords> results, Instant now) {
    List<Future<Void>> writes = new ArrayList<>();
    for (SourceRecords r : results) {
      if (r instanceof SourceRecords.Found found) {
        CareRelationships.in(found).forEach(c -> writes.add(register.relate(patient, c, now)));
      }
    }
    return Future.all(writes)
        .<Void>mapEmpty()
        .recover(
            e -> {
              LOG.warning("relationship register not updated: " + e.getClass().getSimpleName());
              return Future.succeededFuture();
            });
  }

  private static boolean qualityOnly(RequestState state) {
    return DATA_QUALITY_ACTION.equals(state.action);
  }

  /**
   * {@code $data-quality}: the sources' Patients checked and compared, answered as an
   * OperationOutcome naming sources and fields only. No record is released.
   */
  private void reportQuality(
      RoutingContext ctx, RequestState state, List<SourceRecords> results, Instant now) {
    List<SourceRecords.Found> found =
        results.stream()
            .filter(r -> r instanceof SourceRecords.Found)
            .map(SourceRecords.Found.class::cast)
            .toList();
    List<DataQuality.Finding> findings = DataQuality.check(state.patient, found);
    findings.forEach(f -> metrics.dataQuality(f.source(), f.field()));
    OperationOutcome outcome = DataQuality.outcome(findings);
    List<String> problems = new ArrayList<>();
    for (SourceRecords r : results) {
      if (r instanceof SourceRecords.Failed failed) {
        problems.add(failed.source().id() + ": " + failed.reason());
        outcome
            .addIssue()
            .setSeverity(OperationOutcome.IssueSeverity.WARNING)
            .setCode(OperationOutcome.IssueType.INCOMPLETE)
            .setDiagnostics("source " + failed.source().id() + " " + failed.reason());
      }
    }
    if (findings.isEmpty()) {
      outcome
          .addIssue()
          .setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
          .setCode(OperationOutcome.IssueType.INFORMATIONAL)
          .setDiagnostics(
              "data quality: the " + found.size() + " sources holding the person agree");
    }
    AuditEvent event =
        state.event(
            now,
            AuditEvent.Outcome.PERMITTED,
            200,
            Map.of(),
            problems,
            "data-quality check of "
                + found.size()
                + " sources: "
                + findings.size()
                + " findings; no record released");
    audit
        .append(event)
        .onSuccess(
            seq -> Outcomes.sendFhir(ctx.response().setStatusCode(200), Fhir.encode(outcome)))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)));
  }

  private static AuditEvent event(
      RequestState state, Instant now, PersonView.Released released, List<String> problems) {
    return state.event(
        now,
        AuditEvent.Outcome.PERMITTED,
        200,
        released.referencesBySource(),
        problems,
        released.resourceCount() + " resources released" + released.leftOutNote());
  }
}
