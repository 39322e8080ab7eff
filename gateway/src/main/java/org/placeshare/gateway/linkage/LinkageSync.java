package org.placeshare.gateway.linkage;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.placeshare.fhir.UpstreamException;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.IndexEntry;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.fhir.linkage.Trace;
import org.placeshare.fhir.mapped.Roster;
import org.placeshare.fhir.mapped.RosterEntry;
import org.placeshare.fhir.mapped.RosterPage;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * Keeps the linkage register in step with each traced source: reads every page of its {@link
 * Roster} and for each entry decides:
 *
 * <ul>
 *   <li>unusable demographics: counted and reported, never linked;
 *   <li>a live link, or an open review, on the same demographics (fingerprint): nothing;
 *   <li>otherwise traced through the {@link ReferenceIndex}: CERTAIN (never ambiguous: {@link
 *       org.placeshare.fhir.linkage.Matcher#rank} sees to it) links automatically; PROBABLE or
 *       POSSIBLE go to the steward's review, unlinked; CERTAINLY_NOT is counted as not traced;
 *   <li>a live link whose demographics changed is re-checked: still CERTAIN to the same NHS number
 *       refreshes it; anything else (a CERTAIN trace to another NHS number included) takes it out
 *       of views and puts it to review; a link a steward undid is never linked again but by review.
 * </ul>
 *
 * Every trace and every link decision is an audit event, appended before the register's change
 * commits; an automatic link is written only where nothing or a live link to the same person is, so
 * a steward's decision made while the record is traced is never overwritten. A sync runs at start,
 * every interval and on demand, one per source at a time across instances (a PostgreSQL advisory
 * lock). The index or the roster failing fails that source's sync: the trouble is recorded for
 * views to report, and existing links stay. Each roster page must arrive within the source's
 * deadline, and one sync runs at most {@link #MAX_SYNC_DURATION}: a slow agency cannot hold its
 * lock, or a stopping gateway, for longer.
 */
public final class LinkageSync {

  private static final Logger LOG = Logger.getLogger(LinkageSync.class.getName());

  /** Most roster pages one sync reads: beyond it the roster is not a list but a loop. */
  public static final int MAX_PAGES_PER_SYNC = 10_000;

  /** Most roster entries one sync reads. */
  public static final int MAX_ENTRIES_PER_SYNC = 500_000;

  /** Most traces one sync asks of the index; the next sync goes on where links now stand. */
  public static final int MAX_TRACES_PER_SYNC = 50_000;

  /** Longest local id the register keeps; a longer one is not an id but bad data. */
  public static final int MAX_LOCAL_ID_LENGTH = 128;

  /** Candidates a review keeps for the steward, best first. */
  public static final int MAX_REVIEW_CANDIDATES = 5;

  /**
   * Longest one sync of one source may run: far more than a large roster needs (10,000 people and
   * their traces take under a minute), short enough that a source trickling its pages (each within
   * its deadline) cannot hold its sync, and the lock, for ever. At the cap the sync fails, the
   * links it made stand, and the next sync starts again.
   */
  public static final Duration MAX_SYNC_DURATION = Duration.ofMinutes(30);

  /** What a source's sync reports when there is no reference index to trace against. */
  public static final String NO_INDEX = "no reference index is configured";

  /**
   * Names the sync lock among the server's advisory locks (two-key space, as reviews use): the
   * second key is the source id's hash. Two sources sharing a hash only wait for each other.
   */
  private static final int SYNC_LOCK = 0x6c696e6b;

  private final Vertx vertx;
  private final Pool pool;
  private final LinkageRegister register;
  private final Optional<ReferenceIndex> index;
  private final Map<String, Roster> rosters = new LinkedHashMap<>();
  private final AuditLog audit;
  private final Duration every;
  private final Duration maxDuration;
  private final Clock clock;
  private final Set<Future<SyncReport>> running = ConcurrentHashMap.newKeySet();
  private volatile boolean stopping;
  private volatile boolean roundRunning;
  private long timer = -1;

  public LinkageSync(
      Vertx vertx,
      Pool pool,
      LinkageRegister register,
      Optional<ReferenceIndex> index,
      List<Roster> rosters,
      AuditLog audit,
      Duration every,
      Clock clock) {
    this(vertx, pool, register, index, rosters, audit, every, MAX_SYNC_DURATION, clock);
  }

  /**
   * @param maxDuration the longest one sync of one source may run ({@link #MAX_SYNC_DURATION})
   */
  public LinkageSync(
      Vertx vertx,
      Pool pool,
      LinkageRegister register,
      Optional<ReferenceIndex> index,
      List<Roster> rosters,
      AuditLog audit,
      Duration every,
      Duration maxDuration,
      Clock clock) {
    this.vertx = vertx;
    this.pool = pool;
    this.register = register;
    this.index = index;
    rosters.forEach(r -> this.rosters.put(r.descriptor().id(), r));
    this.audit = audit;
    this.every = every;
    this.maxDuration = maxDuration;
    this.clock = clock;
  }

  /** The traced sources, in the configured order. */
  public List<Roster> rosters() {
    return List.copyOf(rosters.values());
  }

  public LinkageRegister register() {
    return register;
  }

  /** Syncs every traced source now, then every interval. Nothing to do without traced sources. */
  public void start() {
    if (rosters.isEmpty()) {
      return;
    }
    round();
    timer = vertx.setPeriodic(every.toMillis(), id -> round());
  }

  /** Stops the schedule and lets running syncs end at their next entry. */
  public Future<Void> stop() {
    stopping = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    List<Future<SyncReport>> pending = new ArrayList<>(running);
    return Future.join(pending).otherwiseEmpty().mapEmpty();
  }

  private void round() {
    if (roundRunning || stopping) {
      return;
    }
    roundRunning = true;
    register
        .loadTrouble()
        .otherwiseEmpty()
        .compose(x -> syncAll(Optional.empty()))
        .onComplete(x -> roundRunning = false);
  }

  /**
   * Syncs each traced source in turn (one connection held for the lock at a time); a source whose
   * sync runs elsewhere is skipped. The future holds the reports of those that ran.
   */
  public Future<List<SyncReport>> syncAll(Optional<Caller> caller) {
    List<SyncReport> reports = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String source : rosters.keySet()) {
      chain =
          chain.compose(
              x ->
                  begin(source, caller)
                      .compose(r -> r)
                      .onSuccess(reports::add)
                      .<Void>mapEmpty()
                      .otherwiseEmpty());
    }
    return chain.map(x -> List.copyOf(reports));
  }

  /** Syncs one source and waits for it to finish. */
  public Future<SyncReport> sync(String source, Optional<Caller> caller) {
    return begin(source, caller).compose(r -> r);
  }

  /**
   * Starts a sync of one source: the outer future completes once it holds the source's lock, with
   * the sync's own future; it fails with a {@link LinkageRefused} (409) when another sync of the
   * source is running, on this instance or another, and (404) when the source is not traced.
   */
  public Future<Future<SyncReport>> begin(String source, Optional<Caller> caller) {
    Roster roster = rosters.get(source);
    if (roster == null) {
      return Future.failedFuture(
          new LinkageRefused(
              LinkageRefused.NOT_FOUND, "no traced source with that id", "no source " + source));
    }
    if (stopping) {
      return Future.failedFuture(
          new LinkageRefused(
              LinkageRefused.CONFLICT, "the gateway is stopping", "sync refused at shutdown"));
    }
    return pool.getConnection()
        .compose(
            conn ->
                conn.preparedQuery("SELECT pg_try_advisory_lock($1, $2)")
                    .execute(Tuple.of(SYNC_LOCK, source.hashCode()))
                    .compose(
                        rows -> {
                          if (!rows.iterator().next().getBoolean(0)) {
                            return conn.close()
                                .transform(
                                    x ->
                                        Future.failedFuture(
                                            new LinkageRefused(
                                                LinkageRefused.CONFLICT,
                                                "a sync of that source is running; try again when"
                                                    + " it ends",
                                                "sync of " + source + " already running")));
                          }
                          Future<SyncReport> done =
                              run(roster, caller).eventually(() -> unlock(conn, source));
                          running.add(done);
                          done.onComplete(x -> running.remove(done));
                          return Future.succeededFuture(done);
                        })
                    .onFailure(e -> conn.close()));
  }

  private static Future<Void> unlock(SqlConnection conn, String source) {
    return conn.preparedQuery("SELECT pg_advisory_unlock($1, $2)")
        .execute(Tuple.of(SYNC_LOCK, source.hashCode()))
        .<Void>mapEmpty()
        // Closing the connection releases a session lock anyway.
        .eventually(conn::close);
  }

  /** A sync's failure, in words safe to show: the trouble views report. */
  private static final class SyncFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SyncFailure(String trouble) {
      super(trouble, null, false, false);
    }
  }

  /** One sync of one source as it goes. */
  private final class Run {
    final Roster roster;
    final String source;
    final Optional<Caller> caller;
    final String id = UUID.randomUUID().toString();
    final Instant started = clock.instant();
    final Set<String> seen = new HashSet<>();
    final Set<String> cursors = new HashSet<>();
    int pages;
    int read;
    int unchanged;
    int linked;
    int refreshed;
    int queued;
    int notTraced;
    int unusable;
    int unreadable;
    int traces;
    boolean capped;
    // Set when the sync ran out of time: it stops at its next step, as at shutdown.
    volatile boolean expired;

    Run(Roster roster, Optional<Caller> caller) {
      this.roster = roster;
      this.source = roster.descriptor().id();
      this.caller = caller;
    }

    SyncReport report(SyncReport.Outcome outcome, Optional<String> trouble) {
      return new SyncReport(
          source,
          started,
          clock.instant(),
          outcome,
          read,
          unchanged,
          linked,
          refreshed,
          queued,
          notTraced,
          unusable,
          unreadable,
          trouble);
    }
  }

  private Future<SyncReport> run(Roster roster, Optional<Caller> caller) {
    Run run = new Run(roster, caller);
    Future<SyncReport> report =
        index.isEmpty()
            ? Future.succeededFuture(run.report(SyncReport.Outcome.FAILED, Optional.of(NO_INDEX)))
            : capped(run, pages(run, Optional.empty()))
                .map(outcome -> run.report(outcome, Optional.empty()))
                .recover(e -> failed(run, e));
    return report.compose(r -> register.recordSync(r).map(r)).onSuccess(r -> LOG.info(r.summary()));
  }

  /**
   * The sync's outcome, or its failure once it has run {@code maxDuration}: then it stops at its
   * next step and its lock is released, whatever it is still waiting for.
   */
  private Future<SyncReport.Outcome> capped(Run run, Future<SyncReport.Outcome> work) {
    Promise<SyncReport.Outcome> outcome = Promise.promise();
    long timer =
        vertx.setTimer(
            maxDuration.toMillis(),
            id -> {
              run.expired = true;
              outcome.tryFail(
                  new SyncFailure(
                      "the sync took longer than "
                          + describe(maxDuration)
                          + " and was stopped; the next sync starts again"));
            });
    work.onComplete(
        done -> {
          vertx.cancelTimer(timer);
          if (done.succeeded()) {
            outcome.tryComplete(done.result());
          } else {
            outcome.tryFail(done.cause());
          }
        });
    return outcome.future();
  }

  private static String describe(Duration d) {
    return d.toMinutes() >= 1 && d.toSecondsPart() == 0
        ? d.toMinutes() + " minutes"
        : d.toMillis() + " ms";
  }

  /**
   * One page of the roster, within the source's deadline whatever the roster does (TracedSource
   * keeps it too, and closes the request): a stopping gateway waits for no agency longer.
   */
  private Future<RosterPage> rosterPage(Roster roster, Optional<String> cursor) {
    long deadline = roster.descriptor().deadline().toMillis();
    Promise<RosterPage> page = Promise.promise();
    long timer =
        vertx.setTimer(
            deadline,
            id ->
                page.tryFail(
                    new UpstreamException(
                        "did not send a roster page within " + deadline + " ms")));
    roster
        .page(cursor)
        .onComplete(
            done -> {
              vertx.cancelTimer(timer);
              if (done.succeeded()) {
                page.tryComplete(done.result());
              } else {
                page.tryFail(done.cause());
              }
            });
    return page.future();
  }

  /** A failed sync's report; its trouble is audited (no person named) before it is recorded. */
  private Future<SyncReport> failed(Run run, Throwable e) {
    String trouble =
        e instanceof SyncFailure ? e.getMessage() : "the sync failed: " + e.getClass().getName();
    SyncReport report = run.report(SyncReport.Outcome.FAILED, Optional.of(trouble));
    return append(run, LinkageEvents.TRACE, AuditEvent.Outcome.FAILED, Optional.empty(), trouble)
        .otherwiseEmpty()
        .map(report);
  }

  private Future<SyncReport.Outcome> pages(Run run, Optional<String> cursor) {
    if (stopping || run.expired) {
      return Future.succeededFuture(SyncReport.Outcome.INCOMPLETE);
    }
    if (run.pages >= MAX_PAGES_PER_SYNC) {
      return Future.succeededFuture(SyncReport.Outcome.INCOMPLETE);
    }
    if (cursor.isPresent() && !run.cursors.add(cursor.get())) {
      return Future.failedFuture(
          new SyncFailure("the source's roster named a page it had already given"));
    }
    run.pages++;
    return rosterPage(run.roster, cursor)
        .recover(
            e ->
                Future.failedFuture(
                    new SyncFailure(
                        "the source's roster could not be read"
                            + (e instanceof UpstreamException ? ": " + e.getMessage() : ""))))
        .compose(page -> page(run, page).map(page))
        .compose(
            page -> {
              if (run.capped) {
                return Future.succeededFuture(SyncReport.Outcome.INCOMPLETE);
              }
              return page.next().isPresent()
                  ? pages(run, page.next())
                  : Future.succeededFuture(SyncReport.Outcome.SUCCEEDED);
            });
  }

  /** The entries of one page, one after another: the index is asked at most once at a time. */
  private Future<Void> page(Run run, RosterPage page) {
    List<RosterEntry> entries = new ArrayList<>();
    for (RosterEntry e : page.entries()) {
      if (run.read + entries.size() >= MAX_ENTRIES_PER_SYNC) {
        run.capped = true;
        break;
      }
      // An id listed twice is one record: the first listing decides.
      if (run.seen.add(e.localId())) {
        entries.add(e);
      }
    }
    List<String> ids =
        entries.stream().filter(e -> usable(e).isEmpty()).map(RosterEntry::localId).toList();
    return register
        .states(run.source, ids)
        .compose(
            states -> {
              Future<Void> chain = Future.succeededFuture();
              for (RosterEntry e : entries) {
                chain =
                    chain.compose(
                        x ->
                            stopping || run.expired
                                ? Future.succeededFuture()
                                : entry(run, e, Optional.ofNullable(states.get(e.localId()))));
              }
              return chain;
            });
  }

  /** Why an entry cannot be traced, or empty when it can. */
  private static Optional<String> usable(RosterEntry e) {
    if (e.unusable().isPresent()) {
      return e.unusable();
    }
    if (e.localId().isBlank() || e.localId().length() > MAX_LOCAL_ID_LENGTH) {
      return Optional.of("no usable local id");
    }
    return Optional.empty();
  }

  /** One entry; {@code stored} is empty when its stored link could not be read back. */
  private Future<Void> entry(Run run, RosterEntry e, Optional<RecordState> stored) {
    run.read++;
    if (usable(e).isPresent()) {
      run.unusable++;
      return Future.succeededFuture();
    }
    if (stored.isEmpty()) {
      // One unreadable row skips its record, never the page: the rest of the roster goes on.
      run.unreadable++;
      return Future.succeededFuture();
    }
    RecordState state = stored.get();
    Demographics d = e.demographics().orElseThrow();
    String fingerprint = DemographicsJson.fingerprint(d);
    Optional<RegisteredLink> link = state.link();
    if (link.isPresent() && link.get().live() && link.get().fingerprint().equals(fingerprint)) {
      run.unchanged++;
      return Future.succeededFuture();
    }
    if (state.openReviewFingerprint().filter(fingerprint::equals).isPresent()) {
      run.unchanged++;
      return Future.succeededFuture();
    }
    if (state
        .lastDecision()
        .filter(l -> l.outcome().equals(Review.NO_MATCH) && l.fingerprint().equals(fingerprint))
        .isPresent()) {
      // A steward found no match on these very demographics: not traced until they change.
      run.notTraced++;
      return Future.succeededFuture();
    }
    if (run.traces >= MAX_TRACES_PER_SYNC) {
      run.capped = true;
      return Future.succeededFuture();
    }
    run.traces++;
    ReferenceIndex referenceIndex = index.orElseThrow();
    return referenceIndex
        .search(d, ReferenceIndex.MAX_CANDIDATES)
        .recover(
            x ->
                Future.failedFuture(
                    new SyncFailure(
                        "the reference index could not be reached"
                            + (x instanceof UpstreamException ? ": " + x.getMessage() : ""))))
        .compose(ranked -> decide(run, e.localId(), d, state, ranked));
  }

  /** What one trace found, as the sync's decisions about the record use it. */
  private record Traced(
      Trace trace,
      Optional<Candidate> best,
      Optional<NhsNumber> named,
      List<ReviewCandidate> candidates,
      String detail) {}

  private Future<Void> decide(
      Run run, String localId, Demographics d, RecordState state, List<Candidate> ranked) {
    Trace trace = Trace.of(ranked);
    Optional<Candidate> best = ranked.isEmpty() ? Optional.empty() : Optional.of(ranked.get(0));
    Optional<NhsNumber> named =
        trace.grade() == MatchGrade.CERTAINLY_NOT
            ? Optional.empty()
            : trace.best().map(IndexEntry::nhsNumber);
    List<ReviewCandidate> candidates =
        ranked.stream()
            .filter(c -> c.grade() != MatchGrade.CERTAINLY_NOT)
            .limit(MAX_REVIEW_CANDIDATES)
            .map(ReviewCandidate::of)
            .toList();
    String detail =
        "trace of "
            + run.source
            + " record "
            + localId
            + ": "
            + Grades.code(trace.grade())
            + (named.isPresent()
                ? " (score " + Grades.round(trace.score().total()) + ") to " + named.get()
                : "")
            + (trace.ambiguous() ? ", ambiguous" : "");
    Traced traced = new Traced(trace, best, named, candidates, detail);
    return append(run, LinkageEvents.TRACE, AuditEvent.Outcome.PERMITTED, named, detail)
        .compose(x -> settle(run, localId, d, state, traced, false));
  }

  /**
   * What the trace means for the record given what the register holds about it. {@code again}: the
   * state was read afresh because a steward changed the record's link after the page's states were
   * read; a second change meanwhile leaves the record to the next sync.
   */
  private Future<Void> settle(
      Run run, String localId, Demographics d, RecordState state, Traced traced, boolean again) {
    Trace trace = traced.trace();
    List<ReviewCandidate> candidates = traced.candidates();
    Optional<NhsNumber> named = traced.named();
    Optional<RegisteredLink> link = state.link();
    if (link.isPresent()) {
      RegisteredLink l = link.get();
      return switch (l.status()) {
        case LINKED ->
            trace.grade() == MatchGrade.CERTAIN && named.equals(Optional.of(l.link().nhsNumber()))
                ? refresh(run, localId, d, traced, again)
                : review(
                    run,
                    localId,
                    d,
                    candidates,
                    trace.grade() == MatchGrade.CERTAIN
                        ? "traced certainly to another NHS number than its link"
                        : "its demographics changed",
                    true,
                    named,
                    l.link().nhsNumber());
        case RECHECKING ->
            review(
                run,
                localId,
                d,
                candidates,
                "its demographics changed while its link was re-checked",
                false,
                named,
                l.link().nhsNumber());
        case UNDONE ->
            trace.grade() == MatchGrade.CERTAINLY_NOT
                ? notTraced(run, localId, state)
                : review(
                    run,
                    localId,
                    d,
                    candidates,
                    "its link was undone by a steward",
                    false,
                    named,
                    l.link().nhsNumber());
      };
    }
    return switch (trace.grade()) {
      case CERTAIN -> automatic(run, localId, d, traced, again);
      case PROBABLE, POSSIBLE ->
          review(
              run,
              localId,
              d,
              candidates,
              trace.ambiguous()
                  ? "ambiguous: more than one person traced certainly"
                  : Grades.code(trace.grade()) + " match",
              false,
              named,
              null);
      case CERTAINLY_NOT -> notTraced(run, localId, state);
    };
  }

  private Future<Void> automatic(
      Run run, String localId, Demographics d, Traced traced, boolean again) {
    Candidate certain = traced.best().orElseThrow();
    NhsNumber nhs = certain.entry().nhsNumber();
    return link(
        run,
        localId,
        d,
        traced,
        again,
        run.source + " record " + localId + " linked automatically to " + nhs,
        () -> run.linked++);
  }

  private Future<Void> refresh(
      Run run, String localId, Demographics d, Traced traced, boolean again) {
    NhsNumber nhs = traced.best().orElseThrow().entry().nhsNumber();
    return link(
        run,
        localId,
        d,
        traced,
        again,
        run.source
            + " record "
            + localId
            + " link to "
            + nhs
            + " refreshed: its changed demographics traced certainly to the same"
            + " person",
        () -> run.refreshed++);
  }

  /**
   * Writes a certain link (audited as it is written). When the register holds something else than
   * the page's read said (a steward linked the record to another person, or undid its link, in
   * between), nothing is written and the record is decided again on its state as it now is: a link
   * never moves without a steward.
   */
  private Future<Void> link(
      Run run,
      String localId,
      Demographics d,
      Traced traced,
      boolean again,
      String detail,
      Runnable counted) {
    Candidate certain = traced.best().orElseThrow();
    NhsNumber nhs = certain.entry().nhsNumber();
    return register
        .linkAutomatically(
            run.source,
            localId,
            d,
            certain,
            clock.instant(),
            () ->
                append(
                    run,
                    LinkageEvents.LINK,
                    AuditEvent.Outcome.PERMITTED,
                    Optional.of(nhs),
                    detail))
        .compose(
            written -> {
              if (written) {
                counted.run();
                return Future.succeededFuture();
              }
              if (again) {
                run.unchanged++;
                return Future.succeededFuture();
              }
              return register
                  .states(run.source, List.of(localId))
                  .compose(
                      states ->
                          settle(
                              run,
                              localId,
                              d,
                              states.getOrDefault(localId, RecordState.NONE),
                              traced,
                              true));
            });
  }

  private Future<Void> review(
      Run run,
      String localId,
      Demographics d,
      List<ReviewCandidate> candidates,
      String reason,
      boolean recheck,
      Optional<NhsNumber> named,
      NhsNumber linkedTo) {
    // The person the record was linked to is named too: their subject access report shows the
    // link leaving their views.
    Optional<NhsNumber> patient = linkedTo != null ? Optional.of(linkedTo) : named;
    return append(
            run,
            LinkageEvents.LINK_REVIEW,
            AuditEvent.Outcome.PERMITTED,
            patient,
            run.source
                + " record "
                + localId
                + " put to review, unlinked: "
                + reason
                + (recheck ? "; its link to " + linkedTo + " is not live until decided" : "")
                // Grades only: a candidate's NHS number in the text would be a disclosure that
                // their subject access report, which finds events by patient, never shows.
                + "; candidates graded "
                + String.join(", ", candidates.stream().map(c -> Grades.code(c.grade())).toList()))
        .compose(
            x ->
                register.openReview(
                    run.source, localId, d, candidates, reason, recheck, clock.instant()))
        .onSuccess(id -> run.queued++)
        .mapEmpty();
  }

  private Future<Void> notTraced(Run run, String localId, RecordState state) {
    return (state.openReviewFingerprint().isPresent()
            ? register.supersede(run.source, localId, clock.instant())
            : Future.<Void>succeededFuture())
        .onSuccess(x -> run.notTraced++);
  }

  private Future<Long> append(
      Run run,
      String action,
      AuditEvent.Outcome outcome,
      Optional<NhsNumber> patient,
      String detail) {
    return audit
        .append(
            LinkageEvents.event(
                run.id, action, outcome, patient, run.caller, detail, clock.instant()))
        .recover(e -> Future.failedFuture(new SyncFailure("the audit log could not be written")));
  }
}
