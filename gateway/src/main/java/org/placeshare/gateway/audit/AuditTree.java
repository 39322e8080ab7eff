package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import org.placeshare.policy.identity.SigningKey;

/**
 * The audit tree as its readers see it: signed checkpoints (one at least every second while events
 * arrive, made by whichever instance gets there first), and inclusion and consistency proofs made
 * from the stored leaf hashes.
 */
public final class AuditTree {

  private static final Logger LOG = Logger.getLogger(AuditTree.class.getName());

  static final Duration CHECKPOINT_EVERY = Duration.ofSeconds(1);

  /** Proofs are made from the leaf hashes in memory: this many leaves at the most per proof. */
  static final int MAX_PROOF_LEAVES = 5_000_000;

  private final Pool pool;
  private final SigningKey key;
  private final String origin;
  private final Optional<NoteSigner> noteKey;
  private final Clock clock;
  private long timer = -1;

  public AuditTree(Pool pool, SigningKey key, String origin, Clock clock) {
    this(pool, key, origin, Optional.empty(), clock);
  }

  /**
   * @param noteKey signs each checkpoint also as a C2SP signed note, if present
   */
  public AuditTree(
      Pool pool, SigningKey key, String origin, Optional<NoteSigner> noteKey, Clock clock) {
    this.pool = pool;
    this.key = key;
    this.origin = origin;
    this.noteKey = noteKey;
    this.clock = clock;
  }

  /** Starts signing checkpoints every second while the tree grows. */
  public void start(Vertx vertx) {
    timer =
        vertx.setPeriodic(
            CHECKPOINT_EVERY.toMillis(),
            id ->
                checkpoint()
                    .onFailure(
                        e ->
                            LOG.warning(
                                "audit checkpoint not signed: " + e.getClass().getSimpleName())));
  }

  public void stop(Vertx vertx) {
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
  }

  /** Signs and stores a checkpoint if the tree has grown since the last one. */
  public Future<Optional<Checkpoint>> checkpoint() {
    return pool.query(
            "SELECT t.size, t.frontier, (SELECT max(size) FROM audit_checkpoint) AS signed"
                + " FROM audit_tree t")
        .execute()
        .compose(
            rows -> {
              Row row = rows.iterator().next();
              long size = row.getLong("size");
              Long signed = row.getLong("signed");
              if (size == 0 || (signed != null && signed >= size)) {
                return Future.succeededFuture(Optional.<Checkpoint>empty());
              }
              byte[] root =
                  new Frontier(size, AuditLog.hashes(row.getArrayOfBuffers("frontier"))).root();
              Checkpoint c = Checkpoint.sign(key, origin, size, root, clock.instant());
              String note =
                  noteKey.map(k -> NoteCheckpoint.sign(k, size, root).note()).orElse(null);
              return pool.preparedQuery(
                      "INSERT INTO audit_checkpoint (size, root, signed, created_at, note)"
                          + " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (size) DO NOTHING")
                  .execute(
                      Tuple.of(
                          size,
                          Buffer.buffer(root),
                          c.signed(),
                          c.time().atOffset(ZoneOffset.UTC),
                          note))
                  .map(Optional.of(c));
            });
  }

  /** The latest signed checkpoint, if any. */
  public Future<Optional<String>> latest() {
    return pool.query("SELECT signed FROM audit_checkpoint ORDER BY size DESC LIMIT 1")
        .execute()
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(rows.iterator().next().getString("signed")));
  }

  /** The latest checkpoint signed as a C2SP note, if any. */
  public Future<Optional<String>> latestNote() {
    return pool.query(
            "SELECT note FROM audit_checkpoint WHERE note IS NOT NULL ORDER BY size DESC LIMIT 1")
        .execute()
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(rows.iterator().next().getString("note")));
  }

  /** Every checkpoint signed as a C2SP note, oldest first. */
  public Future<List<String>> notes() {
    return pool.query("SELECT note FROM audit_checkpoint WHERE note IS NOT NULL ORDER BY size")
        .execute()
        .map(
            rows -> {
              List<String> all = new ArrayList<>();
              rows.forEach(r -> all.add(r.getString("note")));
              return all;
            });
  }

  /** Every signed checkpoint, oldest first. */
  public Future<List<String>> checkpoints() {
    return pool.query("SELECT signed FROM audit_checkpoint ORDER BY size")
        .execute()
        .map(
            rows -> {
              List<String> all = new ArrayList<>();
              rows.forEach(r -> all.add(r.getString("signed")));
              return all;
            });
  }

  /** The leaf hashes of the first {@code size} events; fails if the log holds fewer. */
  public Future<List<byte[]>> leaves(long size) {
    if (size < 0 || size > MAX_PROOF_LEAVES) {
      return Future.failedFuture(
          new IllegalArgumentException("size must be 0 to " + MAX_PROOF_LEAVES));
    }
    return pool.preparedQuery(
            "SELECT leaf_hash FROM audit_event WHERE leaf_index < $1 ORDER BY leaf_index")
        .execute(Tuple.of(size))
        .map(
            rows -> {
              List<byte[]> leaves = new ArrayList<>(rows.size());
              rows.forEach(r -> leaves.add(r.getBuffer("leaf_hash").getBytes()));
              if (leaves.size() != size) {
                throw new IllegalArgumentException(
                    "the log holds " + leaves.size() + " events, not " + size);
              }
              return leaves;
            });
  }

  /** The tree's current size. */
  public Future<Long> size() {
    return pool.query("SELECT size FROM audit_tree")
        .execute()
        .map(rows -> rows.iterator().next().getLong("size"));
  }
}
