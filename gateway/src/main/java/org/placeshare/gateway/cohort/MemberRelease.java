package org.placeshare.gateway.cohort;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.PersonView;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.consent.ConsentRegister;
import org.placeshare.gateway.policy.FlagConcealment;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicySet;
import org.placeshare.policy.Refusal;
import org.placeshare.policy.identity.Caller;

/**
 * One cohort member through the request path of the person-level view: the register's facts and
 * standing consents, a decision per source for a member of a cohort of this size (deny by default),
 * the permitted sources fetched, and only what each decision allows kept, with its obligations
 * (pseudonyms included) applied.
 */
public final class MemberRelease {

  /** The audit action of a member released by a bulk job (and of the job's own events). */
  public static final String ACTION = "cohort-export";

  /** What became of one member, and the decision for each source it rests on. */
  public sealed interface Outcome {
    /** The true decisions, for the audit. */
    List<AuditEvent.SourceDecision> decisions();

    /**
     * The decisions as the metrics count them, as the person view does: a source refused only for a
     * flag under the decision it would have had without it ({@link FlagConcealment}).
     */
    List<AuditEvent.SourceDecision> counted();

    /** Whether a flag hid a source: the outcome was answered as if it had not. */
    default boolean concealed() {
      return !counted().equals(decisions());
    }
  }

  /**
   * Records released: the resources as they leave (the merged Patient first), the audit event that
   * must be durable before they are written, and the sources that failed on the way (a source
   * hidden by a flag and known to be failing among them, as it would have failed).
   */
  public record Released(
      List<Resource> resources,
      AuditEvent event,
      List<String> problems,
      List<AuditEvent.SourceDecision> counted)
      implements Outcome {
    public Released {
      resources = List.copyOf(resources);
      problems = List.copyOf(problems);
      counted = List.copyOf(counted);
    }

    @Override
    public List<AuditEvent.SourceDecision> decisions() {
      return event.decisions();
    }
  }

  /** Left out: the policy permitted no source, or no permitted source holds the person. */
  public record LeftOut(
      Why why, List<AuditEvent.SourceDecision> decisions, List<AuditEvent.SourceDecision> counted)
      implements Outcome {
    public LeftOut {
      decisions = List.copyOf(decisions);
      counted = List.copyOf(counted);
    }
  }

  /**
   * Every source that was asked failed, or would have failed: a source hidden by a flag and known
   * to be failing fails here as it would for a member without the flag.
   */
  public record Failed(
      List<String> problems,
      List<AuditEvent.SourceDecision> decisions,
      List<AuditEvent.SourceDecision> counted)
      implements Outcome {
    public Failed {
      problems = List.copyOf(problems);
      decisions = List.copyOf(decisions);
      counted = List.copyOf(counted);
    }

    /** A member no source was decided for (the gateway itself failed): nothing hidden. */
    public Failed(List<String> problems, List<AuditEvent.SourceDecision> decisions) {
      this(problems, decisions, decisions);
    }
  }

  /** Why a member was left out, for the IG lead's audit event. Recipients see one count. */
  public enum Why {
    FLAGGED,
    REFUSED,
    NOT_HELD
  }

  private final PolicyStore policy;
  private final PatientRegister register;
  private final ConsentRegister consents;
  private final List<RecordSource> sources;
  private final Optional<Pseudonyms> pseudonyms;
  private final FlagConcealment concealment;
  private final Clock clock;

  public MemberRelease(
      PolicyStore policy,
      PatientRegister register,
      ConsentRegister consents,
      List<RecordSource> sources,
      Optional<Pseudonyms> pseudonyms,
      FlagConcealment concealment,
      Clock clock) {
    this.policy = policy;
    this.register = register;
    this.consents = consents;
    this.sources = List.copyOf(sources);
    this.pseudonyms = pseudonyms;
    this.concealment = concealment;
    this.clock = clock;
  }

  /**
   * The decision for each source about a member of a cohort of {@code size}, with nothing known of
   * the person: what a job would be refused for everyone, such as an agreement without
   * cohortExport. Empty when some source might permit.
   */
  public List<String> refusedForEveryone(Caller caller, NhsNumber anyMember, int size) {
    PolicySet set = policy.current();
    DecisionRequest base = request(caller, anyMember, size, clock.instant());
    List<String> reasons = new ArrayList<>();
    for (RecordSource source : sources) {
      Decision d = set.decide(base.withProvider(source.descriptor().organisation()));
      boolean personal =
          d.refusals().stream().anyMatch(r -> !AGREEMENT_LEVEL.contains(r)) || d.permitted();
      if (personal) {
        return List.of();
      }
      reasons.add(source.descriptor().id() + ": " + String.join("; ", d.reasons()));
    }
    return reasons;
  }

  /** Refusals that hold whoever the person is: the agreement does not cover this caller or use. */
  private static final Set<Refusal> AGREEMENT_LEVEL =
      EnumSet.of(
          Refusal.NO_AGREEMENT,
          Refusal.NOT_IN_FORCE,
          Refusal.ROLE_NOT_ALLOWED,
          Refusal.PURPOSE_NOT_ALLOWED,
          Refusal.COHORT_EXPORT_NOT_AGREED);

  private static DecisionRequest request(Caller caller, NhsNumber patient, int size, Instant now) {
    return DecisionRequest.of(
            caller.organisation(),
            caller.role(),
            caller.purpose(),
            patient,
            caller.organisation(),
            now)
        .withCohortSize(size);
  }

  /**
   * Decides, fetches and keeps what is allowed for one member.
   *
   * @param types the resource types asked for ({@code _type}), if narrowed
   */
  public Future<Outcome> release(
      ExportJobs.Job job,
      int cohortSize,
      NhsNumber patient,
      Optional<Set<String>> types,
      Optional<Instant> since) {
    Instant now = clock.instant();
    PolicySet set = policy.current();
    Caller caller = job.caller();
    DecisionRequest base = request(caller, patient, cohortSize, now);
    List<OdsCode> providers = sources.stream().map(s -> s.descriptor().organisation()).toList();
    List<String> capped = set.cappedAgreements(providers, caller.organisation());
    return Future.all(
            register.facts(patient),
            register.releasedOn(caller.organisation(), base.day(), capped),
            consents.standing(patient))
        .compose(
            facts ->
                decideAndFetch(
                    job,
                    set,
                    base.withFacts(facts.resultAt(0))
                        .withReleasedToday(facts.resultAt(1))
                        .withConsents(facts.resultAt(2)),
                    types,
                    since,
                    now));
  }

  private static List<String> problems(List<SourceRecords.Failed> failures) {
    return failures.stream().map(f -> f.source().id() + ": " + f.reason()).toList();
  }

  private Future<Outcome> decideAndFetch(
      ExportJobs.Job job,
      PolicySet set,
      DecisionRequest base,
      Optional<Set<String>> types,
      Optional<Instant> since,
      Instant now) {
    List<AuditEvent.SourceDecision> decisions = new ArrayList<>();
    Map<String, Decision> decided = new LinkedHashMap<>();
    Map<String, Decision> permitted = new LinkedHashMap<>();
    Set<Refusal> refusals = EnumSet.noneOf(Refusal.class);
    for (RecordSource source : sources) {
      Decision d = set.decide(base.withProvider(source.descriptor().organisation()));
      decisions.add(AuditEvent.SourceDecision.of(source.descriptor().id(), d));
      decided.put(source.descriptor().id(), d);
      if (d.permitted()) {
        permitted.put(source.descriptor().id(), d);
      } else {
        refusals.addAll(d.refusals());
      }
    }
    boolean flagged = refusals.stream().anyMatch(FlagConcealment.FLAGS::contains);
    // Sources refused only for a flag answer as sources that do not hold the person, or as failed
    // when known to be failing, and are counted as without the flag: as in the person view. The
    // reason is kept for the audit, never told apart in the recipient's counts or the metrics.
    FlagConcealment.Hidden hidden = FlagConcealment.hidden(set, base, decided);
    List<AuditEvent.SourceDecision> counted = new ArrayList<>();
    decided.forEach(
        (id, d) -> counted.add(AuditEvent.SourceDecision.of(id, hidden.counted(id, d))));
    List<SourceRecords.Failed> hiddenFailed = concealment.knownFailures(hidden);
    if (permitted.isEmpty()) {
      if (!hiddenFailed.isEmpty()) {
        return Future.succeededFuture(new Failed(problems(hiddenFailed), decisions, counted));
      }
      return Future.succeededFuture(
          new LeftOut(flagged ? Why.FLAGGED : Why.REFUSED, decisions, counted));
    }
    Map<String, PersonView.Grant> grants = new LinkedHashMap<>();
    List<Future<SourceRecords>> fetches = new ArrayList<>();
    for (RecordSource source : sources) {
      Decision d = permitted.get(source.descriptor().id());
      if (d == null) {
        continue;
      }
      PersonView.Grant grant = PersonView.Grant.of(d, types.orElse(null));
      grants.put(source.descriptor().id(), grant);
      fetches.add(
          source
              .fetch(base.patient(), grant.obligations().resourceTypes(), since)
              .onSuccess(concealment::answered));
    }
    return Future.all(fetches)
        .compose(
            all -> {
              List<SourceRecords> results = new ArrayList<>(all.list());
              results.addAll(hiddenFailed);
              List<String> problems = new ArrayList<>();
              boolean found = false;
              for (SourceRecords r : results) {
                if (r instanceof SourceRecords.Failed failed) {
                  problems.add(failed.source().id() + ": " + failed.reason());
                }
                found |= r instanceof SourceRecords.Found;
              }
              if (!found) {
                return Future.succeededFuture(
                    problems.isEmpty()
                        ? new LeftOut(flagged ? Why.FLAGGED : Why.NOT_HELD, decisions, counted)
                        : new Failed(problems, decisions, counted));
              }
              PersonView.Released released =
                  PersonView.assemble(
                      base.patient(),
                      base.recipient(),
                      results,
                      grants,
                      List.of(),
                      pseudonyms,
                      now);
              List<Resource> resources = ExportReferences.plain(released.bundle());
              AuditEvent event =
                  new AuditEvent(
                      UUID.randomUUID(),
                      now,
                      job.id().toString(),
                      ACTION,
                      AuditEvent.Outcome.PERMITTED,
                      200,
                      Optional.of(base.patient()),
                      Optional.of(job.caller()),
                      Optional.empty(),
                      Optional.empty(),
                      decisions,
                      released.referencesBySource(),
                      problems,
                      released.resourceCount()
                          + " resources released to cohort export "
                          + job.id()
                          + released.leftOutNote(),
                      0);
              // A pilot's cap reached by others since the decision: refused after all.
              return register
                  .countReleases(permitted.values(), base.recipient(), base.day())
                  .map(
                      reached ->
                          reached.isEmpty()
                              ? new Released(resources, event, problems, counted)
                              : new LeftOut(Why.REFUSED, decisions, counted));
            });
  }
}
