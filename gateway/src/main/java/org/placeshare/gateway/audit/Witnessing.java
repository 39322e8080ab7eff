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
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * The gateway's side of C2SP tlog-witness: submits the newest checkpoint note to each configured
 * witness that has not cosigned it (with a consistency proof from the size it last cosigned), keeps
 * the verified cosignatures, serves the newest witnessed checkpoint with them, and knows how far
 * behind witnessing is: beyond {@code maxLag} an IG alert, and with {@code failClosed} releases
 * refused ({@link #refusal()}). Instances sharing a database share the state: a lease lets one of
 * them at a time submit to a witness, and a witness's recorded size only ever rises.
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

  /** One witness as the log knows it. */
  public record WitnessState(
      String name,
      long size,
      Optional<Instant> cosignedAt,
      Optional<Instant> attemptedAt,
      Optional<String> error,
      Optional<Long> ahead) {}

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

  /** The IG alerts witnessing raises now: behind for longer than allowed, a witness ahead. */
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
   * The checkpoint {@code GET /audit/checkpoint} serves: the newest witnessed one with its verified
   * cosignatures after the log's signature, or, when none is witnessed yet, the newest with the
   * cosignatures it has.
   */
  public Future<Optional<String>> servedNote() {
    return pool.preparedQuery(
            "WITH witnessed AS ("
                + WITNESSED
                + "), pick AS (SELECT coalesce((SELECT size FROM witnessed),"
                + " (SELECT max(size) FROM audit_checkpoint WHERE note IS NOT NULL)) AS size)"
                + " SELECT c.note, (SELECT string_agg(s.line, '' ORDER BY s.witness)"
                + " FROM audit_cosignature s WHERE s.size = c.size AND s.witness = ANY($1)) AS lines"
                + " FROM audit_checkpoint c JOIN pick ON c.size = pick.size WHERE c.note IS NOT NULL")
        .execute(Tuple.of(names(), config.quorum()))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.<String>empty()
                    : Optional.of(
                        rows.iterator().next().getString("note")
                            + Optional.ofNullable(rows.iterator().next().getString("lines"))
                                .orElse("")));
  }

  /** The newest checkpoint with cosignatures by {@code $2} of the witnesses named in {@code $1}. */
  private static final String WITNESSED =
      "SELECT size FROM audit_cosignature WHERE witness = ANY($1) GROUP BY size"
          + " HAVING count(*) >= $2 ORDER BY size DESC LIMIT 1";

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

  /** Reads the witnesses' rows, the newest and newest witnessed checkpoints, and the lag. */
  Future<Status> refresh() {
    Instant now = clock.instant();
    return pool.preparedQuery(
            "SELECT name, size, cosigned_at, attempted_at, error, ahead,"
                + " (SELECT max(size) FROM audit_checkpoint WHERE note IS NOT NULL) AS newest,"
                + " coalesce(("
                + WITNESSED
                + "), 0) AS witnessed,"
                + " (SELECT min(created_at) FROM audit_checkpoint WHERE note IS NOT NULL"
                + "   AND size > coalesce(("
                + WITNESSED
                + "), 0)) AS waiting"
                + " FROM audit_witness WHERE name = ANY($1) ORDER BY name")
        .execute(Tuple.of(names(), config.quorum()))
        .map(
            rows -> {
              List<WitnessState> witnesses = new ArrayList<>();
              long newest = 0;
              long witnessed = 0;
              Duration lag = Duration.ZERO;
              for (Row r : rows) {
                witnesses.add(
                    new WitnessState(
                        r.getString("name"),
                        r.getLong("size"),
                        instant(r, "cosigned_at"),
                        instant(r, "attempted_at"),
                        Optional.ofNullable(r.getString("error")),
                        Optional.ofNullable(r.getLong("ahead"))));
                newest = Optional.ofNullable(r.getLong("newest")).orElse(0L);
                witnessed = r.getLong("witnessed");
                Optional<Instant> waiting = instant(r, "waiting");
                lag =
                    waiting
                        .map(t -> Duration.between(t, now))
                        .filter(d -> !d.isNegative())
                        .orElse(Duration.ZERO);
              }
              Status s =
                  new Status(witnesses, newest, witnessed, lag, lag.compareTo(config.maxLag()) > 0);
              status.set(s);
              return s;
            });
  }

  /** One round for one witness: if it has not cosigned the newest checkpoint, submit it. */
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
                        return attempt(w, old.get(), newest, false).eventually(() -> release(w));
                      });
            });
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
    return pool.preparedQuery("UPDATE audit_witness SET lease_until = NULL WHERE name = $1")
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
                return failed(w, "not reached: " + kind(answered.cause()), Optional.empty());
              }
              WitnessClient.Answer a = answered.result();
              if (a.status() == 200) {
                return cosigned(w, checkpoint, a);
              }
              if (a.status() == 409) {
                return conflict(w, checkpoint, a, retried);
              }
              return failed(w, "answered " + a.status() + reason(a.status()), Optional.empty());
            });
  }

  private Future<Void> cosigned(
      WitnessingConfig.Witness w, NoteCheckpoint checkpoint, WitnessClient.Answer a) {
    AddCheckpoint.Cosigned c;
    try {
      c = AddCheckpoint.cosignature(checkpoint.note(), a.body(), logKey, w.key(), clock.instant());
    } catch (IllegalArgumentException e) {
      return failed(
          w, "answered 200 without a valid cosignature: " + e.getMessage(), Optional.empty());
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
                                        + " cosigned_at = $3, error = NULL, ahead = NULL"
                                        + " WHERE name = $1")
                                .execute(Tuple.of(w.name(), checkpoint.size(), now))))
        .onSuccess(
            x -> {
              failures.remove(w.name());
              notBefore.remove(w.name());
            })
        .mapEmpty();
  }

  /**
   * The witness is at another size: from one this log holds, submit again at once with a proof from
   * it (once); from a larger one, the witness has cosigned a tree this log does not have: raised,
   * never retried blindly.
   */
  private Future<Void> conflict(
      WitnessingConfig.Witness w,
      NoteCheckpoint checkpoint,
      WitnessClient.Answer a,
      boolean retried) {
    long theirs;
    try {
      theirs = AddCheckpoint.conflictSize(a.contentType(), a.body());
    } catch (IllegalArgumentException e) {
      return failed(w, "answered 409 unreadably: " + e.getMessage(), Optional.empty());
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
                    Optional.of(theirs));
              }
              if (theirs > checkpoint.size()) {
                // Another instance has had a newer checkpoint cosigned: the next round submits it.
                return Future.succeededFuture();
              }
              if (retried) {
                return failed(w, "out of step twice (it is at " + theirs + ")", Optional.empty());
              }
              return attempt(w, theirs, checkpoint, true);
            });
  }

  private Future<Void> failed(WitnessingConfig.Witness w, String error, Optional<Long> ahead) {
    String words = error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) : error;
    int n = failures.merge(w.name(), 1, Integer::sum);
    // A witness ahead of the log is not retried until an operator looks: the longest wait.
    Duration wait = ahead.isPresent() ? BACKOFF_CAP : backoff(n);
    notBefore.put(w.name(), clock.instant().plus(wait));
    return pool.preparedQuery(
            "UPDATE audit_witness SET error = $2, ahead = coalesce($3, ahead) WHERE name = $1")
        .execute(Tuple.of(w.name(), words, ahead.orElse(null)))
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
