package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * The gateway's side of C2SP tlog-witness: submits checkpoint notes to each configured witness
 * (with a consistency proof from the size it last cosigned), keeps the verified cosignatures,
 * serves the newest witnessed checkpoint with them, and knows how far behind witnessing is: beyond
 * {@code maxLag} an IG alert, and with {@code failClosed} releases refused ({@link #refusal()}).
 *
 * <p>A checkpoint is witnessed when the quorum cosigned that same size, so the witnesses are driven
 * towards one size each round: a witness's next target is the largest checkpoint another witness
 * has cosigned or is submitting that has not reached the quorum (it joins it), and only when there
 * is none the newest. Witnesses slower than the tick therefore cannot phase-lock on alternate
 * checkpoints, and one witness down holds no one back (nobody waits for it: it only ever joins).
 *
 * <p>Instances sharing a database share the state: a lease lets one of them at a time submit to a
 * witness (recording the size it submits, for the others to join), and a witness's recorded size
 * only ever rises. A witness shown to hold another root for a size this log holds raises {@code
 * witness-fork}; one that claims a larger tree, {@code witness-ahead}; one that has not cosigned
 * for longer than {@code maxLag} while the log grew, {@code witness-silent}.
 */
public final class Witnessing {

  private static final Logger LOG = Logger.getLogger(Witnessing.class.getName());

  static final Duration SUBMIT_EVERY = Duration.ofSeconds(1);

  /**
   * One witness as the log knows it.
   *
   * @param ahead a size it claimed beyond this log's
   * @param fork a size this log holds for which it holds another root
   * @param lag how long the oldest checkpoint larger than its size has waited for it
   */
  public record WitnessState(
      String name,
      long size,
      Optional<Instant> cosignedAt,
      Optional<Instant> attemptedAt,
      Optional<String> error,
      Optional<Long> ahead,
      Optional<Long> fork,
      Duration lag) {}

  /**
   * Witnessing now.
   *
   * @param newest the newest checkpoint's size (0 if none)
   * @param witnessed the newest witnessed checkpoint's size (0 if none)
   * @param lag how long the oldest checkpoint newer than the newest witnessed one has waited
   */
  public record Status(
      List<WitnessState> witnesses, long newest, long witnessed, Duration lag, boolean behind) {
    public Status {
      witnesses = List.copyOf(witnesses);
    }

    static final Status UNKNOWN = new Status(List.of(), 0, 0, Duration.ZERO, false);
  }

  private final Vertx vertx;
  private final Pool pool;
  private final WitnessingConfig config;
  private final Clock clock;
  private final AtomicReference<Status> status = new AtomicReference<>(Status.UNKNOWN);
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private final WitnessSubmitter submitter;
  private long timer = -1;

  public Witnessing(
      Vertx vertx,
      Pool pool,
      AuditTree tree,
      NoteVerifierKey logKey,
      WitnessingConfig config,
      Clock clock) {
    if (!config.configured()) {
      throw new IllegalArgumentException("witnessing needs at least one witness");
    }
    this.vertx = vertx;
    this.pool = pool;
    this.config = config;
    this.clock = clock;
    this.submitter =
        new WitnessSubmitter(
            vertx, pool, tree, logKey, config, () -> status.get().witnessed(), clock);
  }

  public WitnessingConfig config() {
    return config;
  }

  /** Records the witnesses and reads the status once, before releases are served. */
  public Future<Void> prepare() {
    List<Tuple> rows = config.witnesses().stream().map(w -> Tuple.of(w.name())).toList();
    return pool.preparedQuery("INSERT INTO audit_witness (name) VALUES ($1) ON CONFLICT DO NOTHING")
        .executeBatch(rows)
        .compose(x -> refresh())
        .mapEmpty();
  }

  /** Starts submitting, each second. */
  public void start() {
    timer = vertx.setPeriodic(SUBMIT_EVERY.toMillis(), id -> tick());
  }

  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return submitter.close();
  }

  /** Witnessing as last read (each second). */
  public Status status() {
    return status.get();
  }

  /**
   * The refusal every release meets while witnessing is behind and the gateway fails closed; empty
   * otherwise.
   */
  public Optional<WitnessingBehind> refusal() {
    Status s = status.get();
    if (!config.failClosed() || !s.behind()) {
      return Optional.empty();
    }
    return Optional.of(new WitnessingBehind(lagWords(s)));
  }

  /**
   * The alerts an IG lead sees: the patterns in the events of a window ({@link AuditAlerts}), then
   * witnessing's, which are about now, not the window, and raised while they hold.
   */
  public static List<AuditAlerts.Alert> alerts(
      List<AuditRecord> window, Optional<Witnessing> witnessing) {
    List<AuditAlerts.Alert> all = new ArrayList<>(AuditAlerts.find(window));
    witnessing.ifPresent(w -> all.addAll(w.alerts()));
    return all;
  }

  /**
   * The IG alerts witnessing raises now: behind for longer than allowed; a witness ahead of the
   * log, holding another root (a fork), or silent for longer than allowed while the log grew. The
   * witness alerts are raised even while the quorum is met by the others.
   */
  public List<AuditAlerts.Alert> alerts() {
    Status s = status.get();
    List<AuditAlerts.Alert> alerts = new ArrayList<>();
    if (s.behind()) {
      StringBuilder words = new StringBuilder(lagWords(s));
      for (WitnessState w : s.witnesses()) {
        w.error().ifPresent(e -> words.append("; ").append(w.name()).append(": ").append(e));
      }
      alerts.add(
          new AuditAlerts.Alert("witnessing-behind", "witnessing", words.toString(), List.of()));
    }
    for (WitnessState w : s.witnesses()) {
      w.ahead()
          .ifPresent(
              n ->
                  alerts.add(
                      new AuditAlerts.Alert(
                          "witness-ahead",
                          w.name(),
                          "witness "
                              + w.name()
                              + " has cosigned a tree of "
                              + n
                              + " events, larger than this log's "
                              + s.newest()
                              + ": evidence of a fork or a rolled-back database",
                          List.of())));
      w.fork()
          .ifPresent(
              n ->
                  alerts.add(
                      new AuditAlerts.Alert(
                          "witness-fork",
                          w.name(),
                          "witness "
                              + w.name()
                              + " holds another root for size "
                              + n
                              + " than this log's: evidence of a fork (the log rewritten in"
                              + " place, or its database restored and regrown past "
                              + n
                              + "); not retried until a cosignature is made again",
                          List.of())));
      if (w.lag().compareTo(config.maxLag()) > 0) {
        alerts.add(
            new AuditAlerts.Alert(
                "witness-silent",
                w.name(),
                "witness "
                    + w.name()
                    + " has cosigned nothing for "
                    + w.lag().toSeconds()
                    + " s while the log grew past its size "
                    + w.size()
                    + " (at most "
                    + config.maxLag().toSeconds()
                    + " s allowed)"
                    + w.error().map(e -> ": " + e).orElse(""),
                List.of()));
      }
    }
    return alerts;
  }

  private String lagWords(Status s) {
    return "the log's checkpoints after size "
        + s.witnessed()
        + " have waited "
        + s.lag().toSeconds()
        + " s for "
        + config.quorum()
        + " of "
        + config.witnesses().size()
        + " witnesses' cosignatures (at most "
        + config.maxLag().toSeconds()
        + " s allowed)";
  }

  /**
   * The checkpoint {@code GET /audit/checkpoint} serves: the newest witnessed one (as of the last
   * status read, each second) with its verified cosignatures after the log's signature, or, when
   * none is witnessed yet, the newest with the cosignatures it has. Primary key reads only: the
   * endpoint is public.
   */
  public Future<Optional<String>> servedNote() {
    long witnessed = status.get().witnessed();
    return pool.preparedQuery(
            "SELECT c.note, (SELECT string_agg(s.line, '' ORDER BY s.witness)"
                + " FROM audit_cosignature s WHERE s.size = c.size AND s.witness = ANY($1)) AS lines"
                + " FROM audit_checkpoint c WHERE c.note IS NOT NULL AND c.size = (CASE WHEN $2 > 0"
                + " THEN $2 ELSE (SELECT max(size) FROM audit_checkpoint WHERE note IS NOT NULL)"
                + " END)")
        .execute(Tuple.of(names(), witnessed))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.<String>empty()
                    : Optional.of(
                        rows.iterator().next().getString("note")
                            + Optional.ofNullable(rows.iterator().next().getString("lines"))
                                .orElse("")));
  }

  private String[] names() {
    return names(config);
  }

  static String[] names(WitnessingConfig config) {
    return config.witnesses().stream().map(WitnessingConfig.Witness::name).toArray(String[]::new);
  }

  private void tick() {
    refresh()
        .onFailure(e -> LOG.warning("witnessing status not read: " + e.getClass().getSimpleName()));
    submitter.round();
  }

  /**
   * Reads each configured witness's state (whether or not it has a row yet), the newest and newest
   * witnessed checkpoints, and the lag. One read at a time: while one runs, the status as last read
   * is answered.
   */
  Future<Status> refresh() {
    if (!refreshing.compareAndSet(false, true)) {
      return Future.succeededFuture(status.get());
    }
    Instant now = clock.instant();
    return pool.preparedQuery(
            "SELECT n.name, coalesce(w.size, 0) AS size, w.cosigned_at, w.attempted_at, w.error,"
                + " w.ahead, w.fork, (SELECT c.created_at FROM audit_checkpoint c"
                + " WHERE c.size > coalesce(w.size, 0) AND c.note IS NOT NULL"
                + " ORDER BY c.size LIMIT 1) AS waiting"
                + " FROM unnest($1::text[]) AS n(name) LEFT JOIN audit_witness w ON w.name = n.name"
                + " ORDER BY n.name")
        .execute(Tuple.of(names()))
        .compose(
            rows -> {
              List<WitnessState> witnesses = new ArrayList<>();
              for (Row r : rows) {
                witnesses.add(
                    new WitnessState(
                        r.getString("name"),
                        r.getLong("size"),
                        instant(r, "cosigned_at"),
                        instant(r, "attempted_at"),
                        Optional.ofNullable(r.getString("error")),
                        Optional.ofNullable(r.getLong("ahead")),
                        Optional.ofNullable(r.getLong("fork")),
                        waited(instant(r, "waiting"), now)));
              }
              return pool.preparedQuery(
                      "WITH witnessed AS ("
                          + WitnessQueries.WITNESSED
                          + ") SELECT (SELECT max(size) FROM audit_checkpoint"
                          + " WHERE note IS NOT NULL) AS newest,"
                          + " coalesce((SELECT size FROM witnessed), 0) AS witnessed,"
                          + " (SELECT c.created_at FROM audit_checkpoint c WHERE c.note IS NOT NULL"
                          + " AND c.size > coalesce((SELECT size FROM witnessed), 0)"
                          + " ORDER BY c.size LIMIT 1) AS waiting")
                  .execute(Tuple.of(names(), config.quorum()))
                  .map(
                      log -> {
                        Row r = log.iterator().next();
                        Duration lag = waited(instant(r, "waiting"), now);
                        Status s =
                            new Status(
                                witnesses,
                                Optional.ofNullable(r.getLong("newest")).orElse(0L),
                                r.getLong("witnessed"),
                                lag,
                                lag.compareTo(config.maxLag()) > 0);
                        status.set(s);
                        return s;
                      });
            })
        .eventually(() -> Future.succeededFuture(refreshing.getAndSet(false)));
  }

  private static Duration waited(Optional<Instant> since, Instant now) {
    return since
        .map(t -> Duration.between(t, now))
        .filter(d -> !d.isNegative())
        .orElse(Duration.ZERO);
  }

  static Optional<Instant> instant(Row r, String column) {
    OffsetDateTime t = r.getOffsetDateTime(column);
    return Optional.ofNullable(t).map(OffsetDateTime::toInstant);
  }
}
