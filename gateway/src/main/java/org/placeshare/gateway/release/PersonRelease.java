package org.placeshare.gateway.release;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.logging.Logger;
import org.placeshare.fhir.CareRelationships;
import org.placeshare.fhir.PersonView;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.Witnessing;
import org.placeshare.gateway.audit.WitnessingBehind;
import org.placeshare.gateway.consent.ConsentRegister;
import org.placeshare.gateway.consent.ConsentVerifier;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.policy.FlagConcealment;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.gateway.register.PilotCount;
import org.placeshare.gateway.release.ReleaseOutcome.Lookup;
import org.placeshare.gateway.release.ReleaseOutcome.Trail;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.CareRelationship;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicySet;
import org.placeshare.policy.Refusal;
import org.placeshare.policy.identity.Caller;

/**
 * The one release path: a verified caller, a person and the request's options in; a decided,
 * fetched, obligation-applied outcome out, with the audit event a release must make durable before
 * anything leaves. Steps 3 to 5 of the request path and the content of step 6, for the person view
 * and every cohort member alike; no transport, so the rules are the same whoever asks.
 *
 * <p>The register's facts, the pilots' counts of today and the consents (standing, and a presented
 * token once verified) are read first; then each source is decided (deny by default), a flag's
 * refusal concealed ({@link FlagConcealment}), the permitted sources fetched in parallel, only what
 * each decision allows kept (with its obligations), and a pilot's cap checked again as the release
 * is counted. Writing the audit event and answering are the caller's: an HTTP response and an
 * export file are made durable differently.
 */
public final class PersonRelease {

  private static final Logger LOG = Logger.getLogger(PersonRelease.class.getName());

  /** Refusals that hold whoever the person is: the agreement does not cover this caller or use. */
  private static final Set<Refusal> AGREEMENT_LEVEL =
      EnumSet.of(
          Refusal.NO_AGREEMENT,
          Refusal.NOT_IN_FORCE,
          Refusal.ROLE_NOT_ALLOWED,
          Refusal.PURPOSE_NOT_ALLOWED,
          Refusal.SENSITIVE_SOURCE_NOT_NAMED,
          Refusal.FAMILY_NOT_AGREED,
          Refusal.COHORT_EXPORT_NOT_AGREED);

  /** The audit's reason for a member refused because no family clause could be asked. */
  private final PolicyStore policy;

  private final PatientRegister register;
  private final ReleaseConsents consents;
  private final List<RecordSource> sources;
  private final Optional<Pseudonyms> pseudonyms;
  private final FlagConcealment concealment;

  /** Where {@code $data-quality} compares the sources with the index, when one is configured. */
  private final Optional<ReferenceIndex> index;

  private final Metrics metrics;

  /** When witnessing fails closed and is behind, every release is refused here, the one path. */
  private final Optional<Witnessing> witnessing;

  private final Clock clock;

  public PersonRelease(
      PolicyStore policy,
      PatientRegister register,
      ConsentRegister consents,
      ConsentVerifier verifier,
      List<RecordSource> sources,
      Optional<Pseudonyms> pseudonyms,
      FlagConcealment concealment,
      Optional<ReferenceIndex> index,
      Metrics metrics,
      Optional<Witnessing> witnessing,
      Clock clock) {
    this.policy = policy;
    this.register = register;
    this.consents = new ReleaseConsents(consents, verifier, clock);
    this.sources = List.copyOf(sources);
    this.pseudonyms = pseudonyms;
    this.concealment = concealment;
    this.index = index;
    this.metrics = metrics;
    this.witnessing = witnessing;
    this.clock = clock;
  }

  /**
   * Releases what the agreements allow of one person to one caller. The future fails only when the
   * gateway's own storage fails ({@link ReleaseUnavailable}); a source's trouble, a refusal and a
   * flag are outcomes.
   */
  public Future<ReleaseOutcome> release(Caller caller, NhsNumber patient, ReleaseOptions options) {
    return release(caller, patient, options, Counting.NOW, ReadAhead.NONE);
  }

  /** When a release is counted against the pilots' daily volumes. */
  public enum Counting {
    /** Before the outcome is answered, in a transaction of its own: a refusal is CapReached. */
    NOW,
    /**
     * With the audit event, in its transaction: the outcome carries the count owed ({@link
     * ReleaseOutcome.Released#owed}) for the audit log's append, which refuses the release if the
     * cap was reached meanwhile (issue 22: a view makes no transaction of its own for its count).
     */
    WITH_AUDIT
  }

  /** As {@link #release(Caller, NhsNumber, ReleaseOptions)}, counted as {@code counting} says. */
  public Future<ReleaseOutcome> release(
      Caller caller, NhsNumber patient, ReleaseOptions options, Counting counting) {
    return release(caller, patient, options, counting, ReadAhead.NONE);
  }

  /**
   * As {@link #release(Caller, NhsNumber, ReleaseOptions)}, deciding on the person's facts and
   * standing consents in {@code read} when it holds them (read for a bulk job's chunk at once,
   * {@link #readAhead}).
   */
  public Future<ReleaseOutcome> release(
      Caller caller, NhsNumber patient, ReleaseOptions options, ReadAhead read) {
    return release(caller, patient, options, Counting.NOW, read);
  }

  private Future<ReleaseOutcome> release(
      Caller caller, NhsNumber patient, ReleaseOptions options, Counting counting, ReadAhead read) {
    // One snapshot for the whole release: a reload meanwhile cannot mix two sets.
    PolicySet set = policy.current();
    return asked(caller, patient, options, set, read)
        .transform(
            asked -> {
              if (asked.failed()) {
                return asked.cause() instanceof ReleaseConsents.Refused refused
                    ? Future.succeededFuture(
                        new ReleaseOutcome.Refused(
                            ReleaseOutcome.Ground.CONSENT_TOKEN, refused.getMessage(), Trail.NONE))
                    : Future.failedFuture(asked.cause());
              }
              return decideAndFetch(caller, set, asked.result(), options, counting);
            });
  }

  /**
   * Whether a release would be permitted, decided exactly as {@link #release} decides (the same
   * facts, pilots' counts and consents, the same agreements), with no source asked and nothing
   * counted: a household view counts the members a caller may see before anyone is released. A
   * source known to be failing permits nothing here, since its lookup would leave the person out.
   *
   * @param decisions each source's decision, for the audit of a view refused on this count
   * @param agreements every agreement that permits the person from a source not known to be
   *     failing, not only the one each decision names (their references, id@version): the only
   *     agreements the person's household's other members may be released under
   */
  public record Permission(
      boolean permitted, List<AuditEvent.SourceDecision> decisions, Set<String> agreements) {
    public Permission {
      decisions = List.copyOf(decisions);
      agreements = Set.copyOf(agreements);
    }
  }

  /** Decides a release of the person without fetching it or counting it ({@link Permission}). */
  public Future<Permission> permission(Caller caller, NhsNumber patient, ReleaseOptions options) {
    PolicySet set = policy.current();
    return asked(caller, patient, options, set, ReadAhead.NONE)
        .transform(
            asked -> {
              if (asked.failed()) {
                return asked.cause() instanceof ReleaseConsents.Refused
                    ? Future.succeededFuture(new Permission(false, List.of(), Set.of()))
                    : Future.failedFuture(asked.cause());
              }
              List<AuditEvent.SourceDecision> decisions = new ArrayList<>();
              Set<String> agreements = new TreeSet<>();
              for (RecordSource source : sources) {
                Decision d = set.decide(forSource(asked.result(), source));
                decisions.add(AuditEvent.SourceDecision.of(source.descriptor().id(), d));
                // A source known to be failing would leave the person out: not counted.
                if (d.permitted() && !concealment.knownFailing(source)) {
                  // Every agreement that permits, not only the one the decision names: a
                  // household's members may be released under these and no others.
                  set.permitting(forSource(asked.result(), source))
                      .forEach(a -> agreements.add(a.reference()));
                }
              }
              return Future.succeededFuture(
                  new Permission(!agreements.isEmpty(), decisions, agreements));
            });
  }

  /**
   * The facts and standing consents of these people, read at once (a bulk job's chunk): fewer round
   * trips to the database than a read for each. Fails with {@link ReleaseUnavailable} when the
   * gateway's storage fails.
   */
  public Future<ReadAhead> readAhead(List<NhsNumber> people) {
    return Future.all(register.factsOf(people), consents.standingOf(people))
        .transform(
            all ->
                all.failed()
                    ? Future.failedFuture(
                        new ReleaseUnavailable(ReleaseUnavailable.Store.REGISTER, all.cause()))
                    : Future.succeededFuture(
                        new ReadAhead(all.result().resultAt(0), all.result().resultAt(1))));
  }

  /**
   * The question about the person with what it depends on read: the register's facts, the pilots'
   * counts of today, the consents. Fails with {@link ReleaseConsents.Refused} for a presented token
   * that does not hold, else with {@link ReleaseUnavailable} when the gateway's storage fails.
   */
  private Future<DecisionRequest> asked(
      Caller caller, NhsNumber patient, ReleaseOptions options, PolicySet set, ReadAhead read) {
    // Both a release and a permission start here: while witnessing fails closed, neither goes on.
    Optional<WitnessingBehind> behind = witnessing.flatMap(Witnessing::refusal);
    if (behind.isPresent()) {
      return Future.failedFuture(behind.get());
    }
    DecisionRequest base = question(caller, patient, options, clock.instant());
    List<String> capped = set.cappedAgreements(providers(), caller.organisation());
    // Read ahead for a chunk, or read now; a presented token is always verified and kept here.
    Optional<ReadAhead.Known> known =
        options.consentToken().isEmpty() ? read.of(patient) : Optional.empty();
    return Future.all(
            known.isPresent()
                ? Future.succeededFuture(known.get().facts())
                : register.facts(patient),
            register.releasedOn(caller.organisation(), base.day(), capped),
            known.isPresent()
                ? Future.succeededFuture(known.get().standing())
                : consents.forRelease(caller, patient, options.consentToken()))
        .transform(
            all -> {
              if (all.failed()) {
                return all.cause() instanceof ReleaseConsents.Refused
                    ? Future.failedFuture(all.cause())
                    : Future.failedFuture(
                        new ReleaseUnavailable(ReleaseUnavailable.Store.REGISTER, all.cause()));
              }
              return Future.succeededFuture(
                  base.withFacts(all.result().resultAt(0))
                      .withReleasedToday(all.result().resultAt(1))
                      .withConsents(all.result().resultAt(2)));
            });
  }

  /**
   * The decision for each source about a member of a cohort of {@code size}, with nothing known of
   * the person: what a job would be refused for everyone, such as an agreement without
   * cohortExport. Empty when some source might permit.
   */
  public List<String> refusedForEveryone(Caller caller, NhsNumber anyMember, int size) {
    PolicySet set = policy.current();
    DecisionRequest base =
        request(
            caller,
            anyMember,
            ReleaseOptions.member(new UUID(0, 0), size, "", Optional.empty(), Optional.empty()),
            clock.instant());
    List<String> reasons = new ArrayList<>();
    for (RecordSource source : sources) {
      Decision d = set.decide(forSource(base, source));
      boolean personal =
          d.refusals().stream().anyMatch(r -> !AGREEMENT_LEVEL.contains(r)) || d.permitted();
      if (personal) {
        return List.of();
      }
      reasons.add(source.descriptor().id() + ": " + String.join("; ", d.reasons()));
    }
    return reasons;
  }

  /**
   * Feeds the relationship register from what the sources said (registered GP, open episodes,
   * encounters) in a person's view. A failure here loses a hint, never the answer, so it is logged
   * and passed over. Not done for cohort members: a bulk export's fetches must not widen who may
   * see a person later.
   */
  public Future<Void> learnRelationships(NhsNumber patient, ReleaseOutcome.Released released) {
    Set<CareRelationship> seen = new HashSet<>();
    for (SourceRecords r : released.results()) {
      if (r instanceof SourceRecords.Found found) {
        seen.addAll(CareRelationships.in(found));
      }
    }
    return register
        .relateEach(patient, seen, clock.instant())
        .recover(
            e -> {
              LOG.warning("relationship register not updated: " + e.getClass().getSimpleName());
              return Future.succeededFuture();
            });
  }

  /**
   * The question about the person. A household's other member is asked about as family: the
   * agreements' family clause decides whether they may be released at all, and narrows their types;
   * everything else is decided on the member's own facts.
   */
  private static DecisionRequest question(
      Caller caller, NhsNumber patient, ReleaseOptions options, Instant now) {
    DecisionRequest request = request(caller, patient, options, now);
    return family(options)
        // Only under an agreement that also permitted the person they are family of.
        .map(member -> request.withFamilyOf(member.relationships(), member.subjectAgreementIds()))
        .orElse(request);
  }

  /** How the person is asked about as family: in a household view, or in a bulk job's household. */
  private static Optional<ReleaseOptions.HouseholdMember> family(ReleaseOptions options) {
    if (options.occasion() instanceof ReleaseOptions.HouseholdMember member) {
      return Optional.of(member);
    }
    return options.occasion() instanceof ReleaseOptions.CohortMember member
        ? member.family()
        : Optional.empty();
  }

  private static DecisionRequest request(
      Caller caller, NhsNumber patient, ReleaseOptions options, Instant now) {
    DecisionRequest request =
        DecisionRequest.of(
                caller.organisation(),
                caller.role(),
                caller.purpose(),
                patient,
                caller.organisation(),
                now)
            .withEmergencyReason(options.emergencyReason())
            .withRelationshipClaim(options.relationshipClaim());
    return options.occasion() instanceof ReleaseOptions.CohortMember member
        ? request.withCohortSize(member.cohortSize())
        : request;
  }

  /** The question about one source: its provider, and what all of its records are. */
  private static DecisionRequest forSource(DecisionRequest base, RecordSource source) {
    return base.withProvider(source.descriptor().organisation())
        .withProviderHolds(source.descriptor().holds());
  }

  private List<OdsCode> providers() {
    return sources.stream().map(s -> s.descriptor().organisation()).toList();
  }

  private Future<ReleaseOutcome> decideAndFetch(
      Caller caller,
      PolicySet set,
      DecisionRequest base,
      ReleaseOptions options,
      Counting counting) {
    Map<String, DecisionRequest> questions = new LinkedHashMap<>();
    Map<String, Decision> decided = new LinkedHashMap<>();
    Map<String, Decision> permitted = new LinkedHashMap<>();
    List<AuditEvent.SourceDecision> decisions = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    for (RecordSource source : sources) {
      String id = source.descriptor().id();
      DecisionRequest question = forSource(base, source);
      Decision d = set.decide(question);
      questions.put(id, question);
      decisions.add(AuditEvent.SourceDecision.of(id, d));
      decided.put(id, d);
      if (d.permitted()) {
        permitted.put(id, d);
      } else {
        refusals.add(id + ": " + String.join("; ", d.reasons()));
      }
    }
    // Sources refused only for a flag answer as sources that do not hold the person, or as failed
    // when known to be failing, and are counted as without the flag. The audit keeps the truth.
    FlagConcealment.Hidden hidden = FlagConcealment.hidden(set, questions, decided);
    List<SourceRecords.Failed> hiddenFailed = concealment.knownFailures(hidden);
    List<AuditEvent.SourceDecision> counted = new ArrayList<>();
    decided.forEach(
        (id, d) -> {
          Decision c = hidden.counted(id, d);
          counted.add(AuditEvent.SourceDecision.of(id, c));
          metrics.decision(
              c.agreement().map(Agreement::id).orElse("none"),
              c.effect().name().toLowerCase(Locale.ROOT));
        });
    Map<String, String> hiddenLookups = new LinkedHashMap<>();
    hidden.sources().forEach(id -> hiddenLookups.put(id, "not-found"));
    hiddenFailed.forEach(f -> hiddenLookups.put(f.source().id(), "failed"));
    Trail trail = new Trail(decisions, counted, hiddenLookups, List.of());
    if (permitted.isEmpty()) {
      if (hidden.any()) {
        return Future.succeededFuture(
            new ReleaseOutcome.Concealed(
                problems(hiddenFailed), Optional.of(String.join("\n", refusals)), trail));
      }
      return Future.succeededFuture(
          new ReleaseOutcome.Refused(
              ReleaseOutcome.Ground.POLICY, String.join("\n", refusals), trail));
    }
    boolean qualityOnly =
        options.occasion() instanceof ReleaseOptions.View view && view.qualityOnly();
    Map<String, PersonView.Grant> grants = new LinkedHashMap<>();
    List<Future<SourceRecords>> fetches = new ArrayList<>();
    List<Lookup> lookups = new ArrayList<>();
    List<SourceDescriptor> withheld = new ArrayList<>();
    Map<String, SourceRecords.Failed> failing = new LinkedHashMap<>();
    hiddenFailed.forEach(f -> failing.put(f.source().id(), f));
    for (RecordSource source : sources) {
      String id = source.descriptor().id();
      Decision d = permitted.get(id);
      if (d != null) {
        PersonView.Grant grant = PersonView.Grant.of(d, askedAndGranted(caller, options));
        grants.put(id, grant);
        Set<String> types = qualityOnly ? Set.of("Patient") : grant.obligations().resourceTypes();
        long asked = System.nanoTime();
        fetches.add(
            source
                .fetch(base.patient(), types, options.since())
                .onSuccess(
                    r -> {
                      concealment.answered(r);
                      synchronized (lookups) {
                        lookups.add(new Lookup(id, result(r), System.nanoTime() - asked));
                      }
                    }));
      } else if (failing.containsKey(id)) {
        // A hidden source known to be failing answers as its real lookup would: with that failure.
        fetches.add(Future.succeededFuture(failing.get(id)));
      } else if (!hidden.wouldAsk(id) && options.occasion() instanceof ReleaseOptions.View) {
        // A view says which sources were not shared; an export's manifest counts members instead.
        withheld.add(source.descriptor());
      }
    }
    // A fetch reports upstream trouble in its result and never fails, so all() waits for each.
    return Future.all(fetches)
        .compose(
            all -> {
              List<SourceRecords> results = all.list();
              Trail asked;
              synchronized (lookups) {
                asked = trail.withLookups(lookups);
              }
              return released(
                  caller, base, options, results, permitted, grants, withheld, asked, counting);
            });
  }

  /**
   * The types asked for ({@code _type}) narrowed to the token's granted scopes: a type not granted
   * is never released. Null asks for all the decision allows (a job's caller, unscoped).
   */
  static Set<String> askedAndGranted(Caller caller, ReleaseOptions options) {
    if (caller.scopes().unrestricted()) {
      return options.types().orElse(null);
    }
    Set<String> types = new TreeSet<>(caller.scopes().resourceTypes());
    options.types().ifPresent(types::retainAll);
    // Never empty, which would ask for everything: the Patient is the anchor the endpoint checked.
    types.add("Patient");
    return types;
  }

  private static String result(SourceRecords r) {
    return r instanceof SourceRecords.Found
        ? "found"
        : r instanceof SourceRecords.NotFound ? "not-found" : "failed";
  }

  static List<String> problems(List<? extends SourceRecords> results) {
    return results.stream()
        .filter(r -> r instanceof SourceRecords.Failed)
        .map(r -> r.source().id() + ": " + ((SourceRecords.Failed) r).reason())
        .toList();
  }

  private Future<ReleaseOutcome> released(
      Caller caller,
      DecisionRequest request,
      ReleaseOptions options,
      List<SourceRecords> results,
      Map<String, Decision> permitted,
      Map<String, PersonView.Grant> grants,
      List<SourceDescriptor> withheld,
      Trail trail,
      Counting counting) {
    List<String> problems = problems(results);
    boolean found = results.stream().anyMatch(r -> r instanceof SourceRecords.Found);
    if (!found) {
      ReleaseOutcome nobody =
          trail.concealed()
              ? new ReleaseOutcome.Concealed(problems, Optional.empty(), trail)
              : problems.isEmpty()
                  ? new ReleaseOutcome.NotHeld(trail)
                  : new ReleaseOutcome.Failed(problems, trail);
      return Future.succeededFuture(nobody);
    }
    Instant now = clock.instant();
    if (options.occasion() instanceof ReleaseOptions.View view && view.qualityOnly()) {
      return QualityCheck.IndexComparison.of(index, request.patient())
          .map(
              compared ->
                  QualityCheck.checked(
                      caller, request, options, view, results, compared, now, trail));
    }
    PersonView.Released view =
        PersonView.assemble(
            request.patient(), request.recipient(), results, grants, withheld, pseudonyms, now);
    AuditEvent event =
        ReleaseEvent.of(
            caller,
            request,
            options,
            now,
            view.referencesBySource(),
            problems,
            options.occasion() instanceof ReleaseOptions.HouseholdMember
                // The household note last: the subject access report reads it to the end.
                ? view.resourceCount()
                    + " resources released"
                    + view.leftOutNote()
                    + released(options)
                : view.resourceCount()
                    + " resources released"
                    + released(options)
                    + view.leftOutNote(),
            trail);
    if (counting == Counting.WITH_AUDIT) {
      return Future.succeededFuture(
          new ReleaseOutcome.Released(
              view,
              event,
              results,
              problems,
              trail,
              PilotCount.of(permitted.values(), request.recipient(), request.day())));
    }
    // A pilot's cap reached by others since the decision: refused after all.
    return register
        .countReleases(permitted.values(), request.recipient(), request.day())
        .recover(
            e ->
                Future.failedFuture(
                    new ReleaseUnavailable(ReleaseUnavailable.Store.RELEASE_COUNT, e)))
        .map(
            reached ->
                reached.isEmpty()
                    ? new ReleaseOutcome.Released(
                        view, event, results, problems, trail, Optional.empty())
                    : new ReleaseOutcome.CapReached(
                        PilotCount.reasons(reached, request.recipient()), trail));
  }

  private static String released(ReleaseOptions options) {
    if (options.occasion() instanceof ReleaseOptions.HouseholdMember member) {
      return " as part of a household: " + householdNote(member);
    }
    return options.occasion() instanceof ReleaseOptions.CohortMember member
        ? " to cohort export "
            + member.job()
            + member.family().map(f -> " as part of a household: " + householdNote(f)).orElse("")
        : "";
  }

  /**
   * How a member was seen, for their audit event and so their subject access report: only that they
   * were a member of a household viewed in this request. Not whose household, how they are family
   * or on which day: their report must not tell them of another person or of a family tie a source
   * states. The IG lead follows the request id to the request's event, which holds the rest.
   */
  public static String householdNote(ReleaseOptions.HouseholdMember member) {
    return "seen as a member of a household viewed in request " + member.requestId();
  }
}
