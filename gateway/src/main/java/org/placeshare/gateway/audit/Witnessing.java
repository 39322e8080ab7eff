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
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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

  /** One submission's deadline: connecting, sending and reading the answer. */
  static final Duration DEADLINE = Duration.ofSeconds(5);

  /** Long enough for a submission and its one retry after a 409. */
  static final Duration LEASE = DEADLINE.multipliedBy(2).plusSeconds(1);

  static final Duration BACKOFF_BASE = Duration.ofSeconds(1);

  /** A witness down for long is still tried once a minute: it may come back. */
  static final Duration BACKOFF_CAP = Duration.ofMinutes(1);

  /** The last error is kept in words, shortened to this. */
  static final int MAX_ERROR_CHARS = 300;

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
  private final AuditTree tree;
  private final NoteVerifierKey logKey;
  private final WitnessingConfig config;
  private final Clock clock;
  private final WitnessClient client;
  private final AtomicReference<Status> status = new AtomicReference<>(Status.UNKNOWN);
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private final Map<String, Instant> notBefore = new ConcurrentHashMap<>();
  private final AtomicBoolean refreshing = new AtomicBoolean();
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
    this.tree = tree;
    this.logKey = logKey;
    this.config = config;
    this.clock = clock;
    this.client = new WitnessClient(vertx, DEADLINE, config.witnesses().size());
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
    return client.close();
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
    return config.witnesses().stream().map(WitnessingConfig.Witness::name).toArray(String[]::new);
  }

  private void tick() {
    refresh()
        .onFailure(e -> LOG.warning("witnessing status not read: " + e.getClass().getSimpleName()));
    Instant now = clock.instant();
    for (WitnessingConfig.Witness w : config.witnesses()) {
      if (inFlight.contains(w.name()) || now.isBefore(notBefore.getOrDefault(w.name(), now))) {
        continue;
      }
      inFlight.add(w.name());
      submit(w)
          .onComplete(
              r -> {
                inFlight.remove(w.name());
                if (r.failed()) {
                  LOG.warning(
                      "witness "
                          + w.name()
                          + " not reached: "
                          + r.cause().getClass().getSimpleName());
                }
              });
    }
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

  /**
   * One round for one witness: if it has not cosigned the newest checkpoint, take its lease, pick
   * its target ({@link WitnessQueries#TARGET}, else the newest) and submit it.
   */
  Future<Void> submit(WitnessingConfig.Witness w) {
    return tree.latestNote()
        .compose(
            note -> {
              if (note.isEmpty()) {
                return Future.succeededFuture();
              }
              NoteCheckpoint newest = NoteCheckpoint.readUnverified(note.get());
              return lease(w, newest.size())
                  .compose(
                      old -> {
                        if (old.isEmpty()) {
                          return Future.succeededFuture();
                        }
                        return target(w, old.get(), newest)
                            .compose(
                                t -> attempt(w, old.get(), t, false).eventually(() -> release(w)));
                      });
            });
  }

  /**
   * The checkpoint this witness should cosign next: the one it should join if any (recorded as the
   * lease's target for the others to join too), else the newest.
   */
  private Future<NoteCheckpoint> target(
      WitnessingConfig.Witness w, long own, NoteCheckpoint newest) {
    long floor = Math.max(own, status.get().witnessed());
    OffsetDateTime now = clock.instant().atOffset(ZoneOffset.UTC);
    return pool.preparedQuery(WitnessQueries.TARGET)
        .execute(Tuple.of(names(), config.quorum(), w.name(), floor, now))
        .map(
            rows ->
                rows.size() == 0
                    ? newest
                    : NoteCheckpoint.readUnverified(rows.iterator().next().getString("note")))
        .compose(
            t ->
                pool.preparedQuery("UPDATE audit_witness SET target = $2 WHERE name = $1")
                    .execute(Tuple.of(w.name(), t.size()))
                    .map(t));
  }

  /**
   * Takes the witness's lease if the witness has not cosigned {@code size} and no instance holds
   * it: the witness's recorded size, or empty when there is nothing to do here.
   */
  private Future<Optional<Long>> lease(WitnessingConfig.Witness w, long size) {
    OffsetDateTime now = clock.instant().atOffset(ZoneOffset.UTC);
    return pool.preparedQuery(
            "UPDATE audit_witness SET lease_until = $2, attempted_at = $3 WHERE name = $1"
                + " AND size < $4 AND (lease_until IS NULL OR lease_until < $3) RETURNING size")
        .execute(Tuple.of(w.name(), now.plus(LEASE), now, size))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.<Long>empty()
                    : Optional.of(rows.iterator().next().getLong("size")));
  }

  private Future<Void> release(WitnessingConfig.Witness w) {
    return pool.preparedQuery(
            "UPDATE audit_witness SET lease_until = NULL, target = NULL WHERE name = $1")
        .execute(Tuple.of(w.name()))
        .mapEmpty();
  }

  private Future<Void> attempt(
      WitnessingConfig.Witness w, long old, NoteCheckpoint checkpoint, boolean retried) {
    Future<List<byte[]>> proof =
        old == 0
            ? Future.succeededFuture(List.of())
            : tree.consistency(old, checkpoint.size()).map(AuditTree.Consistency::proof);
    return proof
        .compose(p -> client.addCheckpoint(w.url(), AddCheckpoint.body(old, p, checkpoint.note())))
        .transform(
            answered -> {
              if (answered.failed()) {
                return failed(w, "not reached: " + kind(answered.cause()));
              }
              WitnessClient.Answer a = answered.result();
              if (a.status() == 200) {
                return cosigned(w, checkpoint, a);
              }
              if (a.status() == 409) {
                return conflict(w, old, checkpoint, a, retried);
              }
              if (a.status() == 422 && old > 0) {
                // The proof is this log's own, from a size the witness said it holds: it holds
                // another root for that size.
                return fork(
                    w,
                    old,
                    "refused this log's consistency proof from size "
                        + old
                        + " to "
                        + checkpoint.size()
                        + " (422): it holds another root for size "
                        + old);
              }
              return failed(w, "answered " + a.status() + reason(a.status()));
            });
  }

  private Future<Void> cosigned(
      WitnessingConfig.Witness w, NoteCheckpoint checkpoint, WitnessClient.Answer a) {
    AddCheckpoint.Cosigned c;
    try {
      c = AddCheckpoint.cosignature(checkpoint.note(), a.body(), logKey, w.key(), clock.instant());
    } catch (IllegalArgumentException e) {
      return failed(w, "answered 200 without a valid cosignature: " + e.getMessage());
    }
    OffsetDateTime now = clock.instant().atOffset(ZoneOffset.UTC);
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(
                        "INSERT INTO audit_cosignature (size, witness, line, signed_at)"
                            + " VALUES ($1, $2, $3, $4) ON CONFLICT (size, witness) DO NOTHING")
                    .execute(
                        Tuple.of(
                            checkpoint.size(),
                            w.name(),
                            c.line(),
                            c.time().atOffset(ZoneOffset.UTC)))
                    .compose(
                        x ->
                            conn.preparedQuery(
                                    "UPDATE audit_witness SET size = GREATEST(size, $2),"
                                        + " cosigned_at = $3, error = NULL, ahead = NULL,"
                                        + " fork = NULL WHERE name = $1")
                                .execute(Tuple.of(w.name(), checkpoint.size(), now))))
        .onSuccess(
            x -> {
              failures.remove(w.name());
              notBefore.remove(w.name());
            })
        .mapEmpty();
  }

  /**
   * The witness answered 409 to a submission from {@code sent}: it is at another size, or (when
   * {@code sent} is the checkpoint's size) it holds another root for that size. From a size this
   * log holds, submit again at once with a proof from it (once); the same size named again after
   * that is the spec's same-size different-root conflict, a fork. A size larger than this log's is
   * raised as ahead; one between the checkpoint and the log's size passes silently only if this
   * gateway had the witness cosign it (another instance was quicker). Never retried blindly.
   */
  private Future<Void> conflict(
      WitnessingConfig.Witness w,
      long sent,
      NoteCheckpoint checkpoint,
      WitnessClient.Answer a,
      boolean retried) {
    long theirs;
    try {
      theirs = AddCheckpoint.conflictSize(a.contentType(), a.body());
    } catch (IllegalArgumentException e) {
      return failed(w, "answered 409 unreadably: " + e.getMessage());
    }
    return tree.size()
        .compose(
            ours -> {
              if (theirs > ours) {
                return failed(
                    w,
                    "has cosigned a tree of "
                        + theirs
                        + " events, larger than this log's "
                        + ours
                        + ": a fork or a rolled-back database",
                    Optional.of(theirs),
                    Optional.empty());
              }
              if (theirs == sent && sent != checkpoint.size()) {
                return failed(w, "answered 409 naming the old size it was sent (" + sent + ")");
              }
              if (theirs == sent) {
                // Old size right, and still a conflict: the same size with another root.
                return fork(
                    w,
                    theirs,
                    "answered 409 to this log's checkpoint of size "
                        + checkpoint.size()
                        + " from its own size "
                        + theirs
                        + ": it holds another root for size "
                        + theirs);
              }
              if (theirs > checkpoint.size()) {
                return cosignedBy(w, theirs)
                    .compose(
                        known ->
                            known
                                ? Future.succeededFuture()
                                : failed(
                                    w,
                                    "claims to have cosigned size "
                                        + theirs
                                        + ", which this gateway never had it cosign"));
              }
              if (retried) {
                return failed(w, "out of step twice (it is at " + theirs + ")");
              }
              return attempt(w, theirs, checkpoint, true);
            });
  }

  private Future<Boolean> cosignedBy(WitnessingConfig.Witness w, long size) {
    return pool.preparedQuery("SELECT 1 FROM audit_cosignature WHERE size = $1 AND witness = $2")
        .execute(Tuple.of(size, w.name()))
        .map(rows -> rows.size() > 0);
  }

  private Future<Void> fork(WitnessingConfig.Witness w, long size, String error) {
    LOG.warning("witness " + w.name() + " holds another root for size " + size);
    return failed(w, error, Optional.empty(), Optional.of(size));
  }

  private Future<Void> failed(WitnessingConfig.Witness w, String error) {
    return failed(w, error, Optional.empty(), Optional.empty());
  }

  private Future<Void> failed(
      WitnessingConfig.Witness w, String error, Optional<Long> ahead, Optional<Long> fork) {
    String words = error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) : error;
    int n = failures.merge(w.name(), 1, Integer::sum);
    // Evidence against the log is not retried until an operator looks: the longest wait.
    Duration wait = ahead.isPresent() || fork.isPresent() ? BACKOFF_CAP : backoff(n);
    notBefore.put(w.name(), clock.instant().plus(wait));
    return pool.preparedQuery(
            "UPDATE audit_witness SET error = $2, ahead = coalesce($3, ahead),"
                + " fork = coalesce($4, fork) WHERE name = $1")
        .execute(Tuple.of(w.name(), words, ahead.orElse(null), fork.orElse(null)))
        .mapEmpty();
  }

  /**
   * Doubling from {@link #BACKOFF_BASE} after each failure in a row, up to {@link #BACKOFF_CAP}.
   */
  static Duration backoff(int failuresInARow) {
    int doublings = Math.min(Math.max(0, failuresInARow - 1), 16);
    Duration d = BACKOFF_BASE.multipliedBy(1L << doublings);
    return d.compareTo(BACKOFF_CAP) > 0 ? BACKOFF_CAP : d;
  }

  private static String reason(int status) {
    return switch (status) {
      case 403 -> " (the log's signature is not trusted by the witness)";
      case 404 -> " (the witness does not know this log's origin)";
      case 422 -> " (the witness found the consistency proof wrong)";
      case 400 -> " (the witness found the request malformed)";
      default -> status >= 500 ? " (the witness failed)" : "";
    };
  }

  private static String kind(Throwable e) {
    String kind = e.getClass().getSimpleName();
    return kind.isEmpty() ? "request failed" : kind;
  }

  private static Optional<Instant> instant(Row r, String column) {
    OffsetDateTime t = r.getOffsetDateTime(column);
    return Optional.ofNullable(t).map(OffsetDateTime::toInstant);
  }
}
