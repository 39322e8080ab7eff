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
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import org.placeshare.policy.identity.SigningKey;

/**
 * The audit tree as its readers see it: signed checkpoints (one at least every second while events
 * arrive, made by whichever instance gets there first), inclusion and consistency proofs made from
 * the stored tiles (O(log n) hashes read, whatever the size), and the tiles and entry bundles of
 * C2SP tlog-tiles.
 */
public final class AuditTree {

  private static final Logger LOG = Logger.getLogger(AuditTree.class.getName());

  static final Duration CHECKPOINT_EVERY = Duration.ofSeconds(1);

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

  /** An inclusion proof with the leaf hash and root it proves against. */
  public record Inclusion(
      long index, long size, byte[] leafHash, byte[] root, List<byte[]> proof) {}

  /** A consistency proof with the two roots it links. */
  public record Consistency(
      long from, long to, byte[] fromRoot, byte[] toRoot, List<byte[]> proof) {}

  /**
   * PATH(index, D[0:size]) from the stored tiles: one read of at most ~2 tiles per tile level,
   * whatever the size. Fails with IllegalArgumentException if the log holds fewer than {@code size}
   * events.
   */
  public Future<Inclusion> inclusion(long index, long size) {
    if (index < 0 || index >= size) {
      return Future.failedFuture(new IllegalArgumentException("index must be below size"));
    }
    MerkleNodes.Planner plan = new MerkleNodes.Planner();
    MerkleNodes.inclusionProof(plan, index, size);
    MerkleNodes.root(plan, size);
    return stored(plan, size)
        .map(
            nodes ->
                new Inclusion(
                    index,
                    size,
                    nodes.node(0, index),
                    MerkleNodes.root(nodes, size),
                    MerkleNodes.inclusionProof(nodes, index, size)));
  }

  /** PROOF(from, D[0:to]) from the stored tiles, with both roots. */
  public Future<Consistency> consistency(long from, long to) {
    if (from < 0 || from > to) {
      return Future.failedFuture(new IllegalArgumentException("from must be 0 to the value of to"));
    }
    MerkleNodes.Planner plan = new MerkleNodes.Planner();
    MerkleNodes.consistencyProof(plan, from, to);
    MerkleNodes.root(plan, from);
    MerkleNodes.root(plan, to);
    return stored(plan, to)
        .map(
            nodes ->
                new Consistency(
                    from,
                    to,
                    MerkleNodes.root(nodes, from),
                    MerkleNodes.root(nodes, to),
                    MerkleNodes.consistencyProof(nodes, from, to)));
  }

  private Future<MerkleNodes.Nodes> stored(MerkleNodes.Planner plan, long size) {
    return AuditTiles.read(pool, plan.tiles())
        .map(
            read -> {
              if (read.size() < size) {
                throw new IllegalArgumentException(
                    "the log holds " + read.size() + " events, not " + size);
              }
              return new Tiles.Stored(read.tiles());
            });
  }

  /**
   * A hash tile as tlog-tiles serves it: the first {@code width} hashes of the stored tile, empty
   * if the tree has not yet filled that many.
   */
  public Future<Optional<byte[]>> tile(int level, long index, int width) {
    return AuditTiles.read(pool, Set.of(new Tiles.Id(level, index)))
        .map(
            read -> {
              byte[] tile = read.tiles().get(new Tiles.Id(level, index));
              int bytes = width * Merkle.HASH_BYTES;
              if (tile == null || tile.length < bytes) {
                return Optional.<byte[]>empty();
              }
              return Optional.of(Arrays.copyOf(tile, bytes));
            });
  }

  /**
   * An entry bundle of tlog-tiles: the leaf data of events {@code 256 * index} on, {@code width} of
   * them, each as a big-endian uint16 length then the bytes whose leaf hash the tree holds. Empty
   * if the log holds fewer.
   */
  public Future<Optional<byte[]>> entries(long index, int width) {
    long first = index * Tiles.WIDTH;
    return pool.preparedQuery(
            "SELECT "
                + AuditRecord.COLUMNS
                + ", redacted_at FROM audit_event WHERE leaf_index >= $1 AND leaf_index < $2"
                + " ORDER BY leaf_index")
        .execute(Tuple.of(first, first + width))
        .map(
            rows -> {
              if (rows.size() != width) {
                return Optional.<byte[]>empty();
              }
              Buffer bundle = Buffer.buffer();
              for (Row row : rows) {
                if (row.getValue("redacted_at") != null) {
                  throw new Redacted(row.getLong("leaf_index"));
                }
                byte[] data = AuditRecord.from(row).leafData();
                if (data.length > MAX_ENTRY_BYTES) {
                  throw new IllegalStateException(
                      "an audit event's leaf data is longer than an entry bundle can hold");
                }
                bundle.appendUnsignedShort(data.length).appendBytes(data);
              }
              return Optional.of(bundle.getBytes());
            });
  }

  /**
   * An entry bundle holds an event redacted under retention: its data no longer hashes to its leaf
   * (which stays, so proofs and tiles still verify), so the bundle cannot be served.
   */
  public static final class Redacted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Redacted(long index) {
      super("the event at index " + index + " has been redacted under retention");
    }
  }

  /** An entry bundle spells each entry's length in two bytes. */
  static final int MAX_ENTRY_BYTES = 0xFFFF;

  /** The tree's current size. */
  public Future<Long> size() {
    return pool.query("SELECT size FROM audit_tree")
        .execute()
        .map(rows -> rows.iterator().next().getLong("size"));
  }
}
