package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The submitting half of {@link Witnessing}: each round, for each witness not already being asked
 * nor backing off, takes its lease, picks its target and posts it ({@code add-checkpoint}), keeps a
 * verified cosignature, catches up from a 409, and records failures, forks and backoffs in {@code
 * audit_witness}, which the status half reads.
 */
final class WitnessSubmitter {

  private static final Logger LOG = Logger.getLogger(WitnessSubmitter.class.getName());

  /** One submission's deadline: connecting, sending and reading the answer. */
  static final Duration DEADLINE = Duration.ofSeconds(5);

  /** Long enough for a submission and its one retry after a 409. */
  static final Duration LEASE = DEADLINE.multipliedBy(2).plusSeconds(1);

  static final Duration BACKOFF_BASE = Duration.ofSeconds(1);

  /** A witness down for long is still tried once a minute: it may come back. */
  static final Duration BACKOFF_CAP = Duration.ofMinutes(1);

  /** The last error is kept in words, shortened to this. */
  static final int MAX_ERROR_CHARS = 300;

  private final Pool pool;
  private final AuditTree tree;
  private final NoteVerifierKey logKey;
  private final WitnessingConfig config;
  private final Clock clock;
  private final WitnessClient client;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private final Map<String, Instant> notBefore = new ConcurrentHashMap<>();

  /** The newest witnessed size as the status half last read it: no target is below it. */
  private final LongSupplier witnessed;

  WitnessSubmitter(
      Vertx vertx,
      Pool pool,
      AuditTree tree,
      NoteVerifierKey logKey,
      WitnessingConfig config,
      LongSupplier witnessed,
      Clock clock) {
    this.witnessed = witnessed;
    this.pool = pool;
    this.tree = tree;
    this.logKey = logKey;
    this.config = config;
    this.clock = clock;
    this.client = new WitnessClient(vertx, DEADLINE, config.witnesses().size());
  }

  /** Starts a submission to each witness that is neither being asked nor backing off. */
  void round() {
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

  Future<Void> close() {
    return client.close();
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
    long floor = Math.max(own, witnessed.getAsLong());
    OffsetDateTime now = clock.instant().atOffset(ZoneOffset.UTC);
    return pool.preparedQuery(WitnessQueries.TARGET)
        .execute(Tuple.of(Witnessing.names(config), config.quorum(), w.name(), floor, now))
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
}
