package org.placeshare.gateway.http.fhir;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Patient;
import org.placeshare.fhir.UpstreamException;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.fhir.linkage.MatchProbability;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.Witnessing;
import org.placeshare.gateway.audit.WitnessingBehind;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.PatientFacts;
import org.placeshare.policy.identity.Caller;

/**
 * {@code POST /fhir/Patient/$match} (FHIR R4 <a
 * href="https://hl7.org/fhir/R4/patient-operation-match.html">patient-operation-match</a>): traces
 * demographics to NHS numbers through the reference index, for a client whose agreement allows
 * tracing ({@code tracing: permitted}).
 *
 * <p>The steps, each a handler: {@link #authorise} (403 unless an agreement in force lets the
 * caller's organisation, role and purpose trace), {@link #limit} ({@value #TRACES_PER_MINUTE}
 * traces a client a minute, fleet-wide; 429 with Retry-After), then, once the body is read under
 * {@value #MAX_BODY_BYTES} bytes, {@link #trace}: the request is read strictly ({@link
 * MatchRequest}), the index searched, candidates graded by the gateway's own matcher (an ambiguous
 * match is never certain; certainly-not candidates never leave), a candidate whose national data
 * opt-out (or withheld restricted record) applies under the permitting agreement dropped as if
 * absent, and the answer is a {@code searchset} Bundle of Patients carrying only the NHS number and
 * the fields the caller sent, each with {@code search.score} ({@link MatchProbability}) and the
 * {@value #MATCH_GRADE} extension.
 *
 * <p>Audited as a disclosure: one event per NHS number returned (action {@value #ACTION}, the
 * request's id shared), naming the client, the agreement and that person, so each person's accesses
 * show they were traced; a trace returning no one is one event naming no one.
 */
public final class PatientMatch {

  public static final String ACTION = "match";

  /** The largest $match body read: one Patient's demographics need far less. */
  public static final int MAX_BODY_BYTES = 16 * 1024;

  /** Traces one client may make a minute, across every instance. */
  public static final int TRACES_PER_MINUTE = 30;

  /** FHIR's extension for a candidate's match grade (certain, probable, possible). */
  public static final String MATCH_GRADE = "http://hl7.org/fhir/StructureDefinition/match-grade";

  /** The audit's name for the reference index as a source of disclosed NHS numbers. */
  static final String SOURCE = "reference-index";

  private static final String REFUSED = "no data-sharing agreement lets this client trace people";

  private final Vertx vertx;
  private final Optional<ReferenceIndex> index;
  private final PolicyStore policy;
  private final PatientRegister register;
  private final AuditLog audit;
  private final Clock clock;

  /** A trace discloses an NHS number: while witnessing fails closed and is behind, none is. */
  private final Optional<Witnessing> witnessing;

  public PatientMatch(
      Vertx vertx,
      Optional<ReferenceIndex> index,
      PolicyStore policy,
      PatientRegister register,
      AuditLog audit,
      Optional<Witnessing> witnessing,
      Clock clock) {
    this.vertx = vertx;
    this.witnessing = witnessing;
    this.index = index;
    this.policy = policy;
    this.register = register;
    this.audit = audit;
    this.clock = clock;
  }

  /** The agreement that lets the caller trace, kept on the context for the later steps. */
  private static final String AGREEMENT = "placeshare.match.agreement";

  public void authorise(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = ACTION;
    Caller caller = state.caller;
    Optional<Agreement> agreement =
        policy
            .current()
            .tracingAgreement(
                caller.organisation(), caller.role(), caller.purpose(), LocalDate.now(clock));
    if (agreement.isEmpty()) {
      ctx.fail(
          403,
          new GatewayException(
              IssueType.FORBIDDEN,
              REFUSED,
              "no agreement in force has tracing: permitted for "
                  + caller.organisation()
                  + " as "
                  + caller.role()
                  + " for "
                  + caller.purpose()));
      return;
    }
    if (index.isEmpty()) {
      ctx.fail(
          501,
          new GatewayException(
              IssueType.NOTSUPPORTED, "tracing is not configured on this gateway"));
      return;
    }
    Optional<WitnessingBehind> behind = witnessing.flatMap(Witnessing::refusal);
    if (behind.isPresent()) {
      ctx.fail(503, behind.get());
      return;
    }
    ctx.put(AGREEMENT, agreement.get());
    ctx.next();
  }

  public void trace(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    Agreement agreement = ctx.get(AGREEMENT);
    String body =
        ctx.body().buffer() == null ? "" : ctx.body().buffer().toString(StandardCharsets.UTF_8);
    vertx
        .executeBlocking(() -> MatchRequest.parse(body), false)
        .compose(
            request ->
                index
                    .orElseThrow()
                    .search(request.demographics(), ReferenceIndex.MAX_CANDIDATES)
                    .recover(e -> Future.failedFuture(indexFailed(e)))
                    .compose(ranked -> allowed(ranked, agreement, state.caller))
                    .map(kept -> answer(request, kept)))
        .compose(answer -> audited(state, agreement, answer).map(v -> answer))
        .onSuccess(answer -> Outcomes.sendFhir(ctx, 200, answer.bundle()))
        .onFailure(e -> ctx.fail(status(e), e));
  }

  /** What one trace returns: the Bundle, and who is in it with which grade, for the audit. */
  private record Answer(Bundle bundle, List<Candidate> returned) {}

  /**
   * The candidates that may be told: probable or certain (a possible one is too weak a match to
   * disclose an NHS number on), and not a person whose national data opt-out (or withheld
   * restricted record) applies under the agreement; those are "no match". Where a person who may
   * not be told scored certain too, nobody is told: the other would otherwise come back graded
   * probable for the ambiguity, and so say that a hidden person with the same details exists.
   */
  private Future<List<Candidate>> allowed(
      List<Candidate> ranked, Agreement agreement, Caller caller) {
    List<Candidate> graded =
        ranked.stream()
            .filter(c -> MatchGrade.of(c.score().total()) != MatchGrade.CERTAINLY_NOT)
            .toList();
    List<Future<PatientFacts>> facts =
        graded.stream().map(c -> register.facts(c.entry().nhsNumber())).toList();
    return Future.all(facts)
        .recover(
            e ->
                Future.failedFuture(
                    new GatewayException(
                        503,
                        IssueType.TRANSIENT,
                        "the patient register is unavailable; nothing was traced",
                        e.getClass().getSimpleName())))
        .map(
            all -> {
              List<Candidate> kept = new ArrayList<>();
              for (int i = 0; i < graded.size(); i++) {
                Candidate c = graded.get(i);
                PatientFacts f = facts.get(i).result();
                boolean optedOut =
                    f.optedOut() && agreement.optOutApplies() && !caller.purpose().isDirectCare();
                boolean withheld = f.restricted() && !agreement.releasesRestricted();
                if (optedOut || withheld) {
                  if (MatchGrade.of(c.score().total()) == MatchGrade.CERTAIN) {
                    return List.<Candidate>of();
                  }
                } else if (c.grade() == MatchGrade.CERTAIN || c.grade() == MatchGrade.PROBABLE) {
                  kept.add(c);
                }
              }
              return kept;
            });
  }

  private static Answer answer(MatchRequest request, List<Candidate> kept) {
    List<Candidate> returned =
        kept.stream()
            // The matcher never grades two people certain at once: ambiguity makes both probable.
            .filter(c -> !request.onlyCertainMatches() || c.grade() == MatchGrade.CERTAIN)
            .limit(request.count())
            .toList();
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    bundle.setTotal(returned.size());
    for (Candidate c : returned) {
      Patient patient = request.echo(c.entry().nhsNumber().toString());
      Bundle.BundleEntryComponent entry = bundle.addEntry().setResource(patient);
      entry.getSearch().setMode(Bundle.SearchEntryMode.MATCH).setScore(score(c.grade()));
      entry.getSearch().addExtension(MATCH_GRADE, new CodeType(grade(c.grade())));
    }
    return new Answer(bundle, returned);
  }

  /**
   * The score a caller is told: the least probability of a match at the candidate's grade, so that
   * it says no more than the grade does. The exact weight would tell, request by request, how each
   * field compared (whether a guessed postcode or gender is right).
   */
  static BigDecimal score(MatchGrade grade) {
    return BigDecimal.valueOf(MatchProbability.of(grade.threshold()))
        .setScale(3, RoundingMode.DOWN);
  }

  /** FHIR's match-grade codes: certain, probable, possible (certainly-not never leaves). */
  static String grade(MatchGrade grade) {
    return grade.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** One event per NHS number disclosed, or one naming no one; durable before the answer. */
  private Future<Void> audited(RequestState state, Agreement agreement, Answer answer) {
    Instant now = clock.instant();
    AuditEvent.SourceDecision decision =
        new AuditEvent.SourceDecision(
            SOURCE,
            SOURCE,
            "permit",
            Optional.of(agreement.reference()),
            Optional.of(agreement.sha256()),
            List.of(agreement.pinnedReference()),
            List.of(),
            false,
            false,
            Optional.empty(),
            Optional.empty(),
            List.of("tracing permitted by " + agreement.reference()));
    List<Future<Long>> appends = new ArrayList<>();
    if (answer.returned().isEmpty()) {
      appends.add(audit.append(event(state, now, Optional.empty(), decision, "no match")));
    }
    for (Candidate c : answer.returned()) {
      NhsNumber nhs = c.entry().nhsNumber();
      String detail =
          "traced under "
              + agreement.reference()
              + ": "
              + grade(c.grade())
              + " match, "
              + String.format(Locale.ROOT, "%.1f", c.score().total())
              + " bits; "
              + answer.returned().size()
              + " returned";
      appends.add(audit.append(event(state, now, Optional.of(nhs), decision, detail)));
    }
    return Future.all(appends)
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(new AuditUnavailable(e)));
  }

  private static AuditEvent event(
      RequestState state,
      Instant now,
      Optional<NhsNumber> patient,
      AuditEvent.SourceDecision decision,
      String detail) {
    Map<String, List<String>> released =
        patient.map(p -> Map.of(SOURCE, List.of("Patient?identifier=" + p))).orElse(Map.of());
    return state.stamped(
        new AuditEvent(
            UUID.randomUUID(),
            now,
            state.requestId,
            ACTION,
            AuditEvent.Outcome.PERMITTED,
            200,
            patient,
            Optional.ofNullable(state.caller),
            Optional.empty(),
            Optional.empty(),
            List.of(decision),
            released,
            List.of(),
            detail,
            now.toEpochMilli() - state.started.toEpochMilli()));
  }

  private static GatewayException indexFailed(Throwable e) {
    String message =
        e instanceof UpstreamException
            ? e.getMessage()
            : "the reference index could not be reached (" + e.getClass().getSimpleName() + ")";
    return new GatewayException(
        503, IssueType.TRANSIENT, message + "; nothing was traced", message);
  }

  private static int status(Throwable e) {
    if (e instanceof GatewayException g && g.status() > 0) {
      return g.status();
    }
    return e instanceof AuditUnavailable ? 503 : 500;
  }
}
