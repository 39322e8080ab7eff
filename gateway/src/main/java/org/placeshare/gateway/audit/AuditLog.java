package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.placeshare.gateway.register.PilotCount;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * The durable audit log in PostgreSQL, a Merkle tree of its events. {@link #append} completes only
 * once the event is committed, so a response that waits for it never leaves unaudited. Appends are
 * committed in batches (group commit): while one batch commits the next gathers, so throughput
 * holds under load without any event waiting for a timer. Each batch locks the one tree row, takes
 * the next leaf indices and stores the tree's new right edge, so every instance on the database
 * appends to one log with one sequence and one tree.
 *
 * <p>A release that owes the pilots' daily volumes a count ({@link PilotCount}) is counted in the
 * same transaction as its event (issue 22): the count, the cap check and the event commit together,
 * in one batch for the whole group, so a view makes no transaction of its own for them. A release
 * whose cap was reached is not appended; its append fails with {@link PilotCount.Reached}, and the
 * others of its batch go on.
 */
public final class AuditLog {

  /** Most events committed in one transaction. */
  public static final int MAX_BATCH = 1024;

  private static final String LOCK_TREE = "SELECT size, frontier FROM audit_tree FOR UPDATE";
  private static final String INSERT =
      "INSERT INTO audit_event ("
          + AuditRecord.COLUMNS
          + ", leaf_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
          + " $15, $16)";
  private static final String UPDATE_TREE = "UPDATE audit_tree SET size = $1, frontier = $2";

  private record Pending(AuditEvent event, Optional<PilotCount> count, Promise<Long> done) {}

  /** What a batch did with one pending event: its leaf index, or the caps that refused it. */
  private record Committed(long index, List<Agreement> reached) {}

  /** Told of each committed batch: for the metrics of group commit. */
  @FunctionalInterface
  public interface BatchObserver {
    void committed(int events, long nanos);
  }

  private final Pool pool;
  private final BatchObserver observer;
  private final Deque<Pending> queue = new ArrayDeque<>();
  private boolean flushing;

  public AuditLog(Pool pool) {
    this(pool, (events, nanos) -> {});
  }

  public AuditLog(Pool pool, BatchObserver observer) {
    this.pool = pool;
    this.observer = observer;
  }

  /** Completes once every event appended so far is committed (or failed): for shutdown. */
  public Future<Void> drain() {
    Promise<Void> drained = Promise.promise();
    waitUntilIdle(drained, 0);
    return drained.future();
  }

  private void waitUntilIdle(Promise<Void> drained, int tries) {
    boolean idle;
    synchronized (this) {
      idle = queue.isEmpty() && !flushing;
    }
    if (idle || tries > 200) {
      drained.complete();
    } else {
      // A plain timer would need a Vertx here; a short sleep on a pool thread is enough for this.
      CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS)
          .execute(() -> waitUntilIdle(drained, tries + 1));
    }
  }

  /** Appends one event; the future holds its leaf index once it is committed. */
  public Future<Long> append(AuditEvent event) {
    return append(event, Optional.empty());
  }

  /**
   * Appends the event of a release together with the count it owes the pilots, in one transaction:
   * both commit, or neither. Fails with {@link PilotCount.Reached}, nothing appended or counted,
   * when a cap was reached since the decision.
   */
  public Future<Long> append(AuditEvent event, Optional<PilotCount> count) {
    Promise<Long> done = Promise.promise();
    boolean start;
    synchronized (this) {
      queue.add(new Pending(event, count, done));
      start = !flushing;
      flushing = true;
    }
    if (start) {
      flush();
    }
    return done.future();
  }

  private void flush() {
    List<Pending> batch = new ArrayList<>();
    synchronized (this) {
      while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
        batch.add(queue.poll());
      }
      if (batch.isEmpty()) {
        flushing = false;
        return;
      }
    }
    long started = System.nanoTime();
    pool.withTransaction(conn -> commit(conn, batch))
        .onComplete(
            committed -> {
              int appended =
                  committed.succeeded()
                      ? (int) committed.result().stream().filter(c -> c.reached().isEmpty()).count()
                      : 0;
              if (appended > 0) {
                observer.committed(appended, System.nanoTime() - started);
              }
              for (int i = 0; i < batch.size(); i++) {
                Pending p = batch.get(i);
                if (committed.failed()) {
                  p.done().fail(committed.cause());
                } else if (committed.result().get(i).reached().isEmpty()) {
                  p.done().complete(committed.result().get(i).index());
                } else {
                  p.done()
                      .fail(
                          new PilotCount.Reached(
                              committed.result().get(i).reached(),
                              p.count().orElseThrow().recipient()));
                }
              }
              flush();
            });
  }

  /**
   * Counts what the batch owes the pilots, then inserts the events that may go at the tree's next
   * indices, in batch order. The counts and the tree's lock are sent together (pipelined), as are
   * the events and the tiles: the counts take their rows' locks before the tree's, on every
   * instance, so no two batches wait on each other in a cycle.
   */
  private static Future<List<Committed>> commit(SqlConnection conn, List<Pending> batch) {
    List<Integer> owing = new ArrayList<>();
    List<PilotCount> counts = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      if (batch.get(i).count().isPresent()) {
        owing.add(i);
        counts.add(batch.get(i).count().get());
      }
    }
    Future<List<List<Agreement>>> counted =
        counts.isEmpty() ? Future.succeededFuture(List.of()) : PilotCount.take(conn, counts);
    Future<Row> locked = conn.query(LOCK_TREE).execute().map(rows -> rows.iterator().next());
    return Future.all(counted, locked)
        .compose(
            both -> {
              List<List<Agreement>> reached = new ArrayList<>();
              batch.forEach(p -> reached.add(List.of()));
              for (int k = 0; k < owing.size(); k++) {
                reached.set(owing.get(k), counted.result().get(k));
              }
              Row tree = locked.result();
              long first = tree.getLong("size");
              Frontier frontier = new Frontier(first, hashes(tree.getArrayOfBuffers("frontier")));
              List<Tuple> inserts = new ArrayList<>();
              List<Committed> committed = new ArrayList<>();
              Tiles.Appends tiles = new Tiles.Appends();
              for (int i = 0; i < batch.size(); i++) {
                if (!reached.get(i).isEmpty()) {
                  committed.add(new Committed(-1, reached.get(i)));
                  continue;
                }
                long index = frontier.size();
                AuditRecord record = record(batch.get(i).event(), index);
                byte[] leaf = record.leafHash();
                frontier.append(leaf, tiles);
                inserts.add(tuple(record, leaf));
                committed.add(new Committed(index, List.of()));
              }
              if (inserts.isEmpty()) {
                return Future.succeededFuture(committed);
              }
              Buffer[] edge = frontier.hashes().stream().map(Buffer::buffer).toArray(Buffer[]::new);
              // Tiles in the same transaction as the leaves: both commit, or neither does.
              return Future.all(
                      conn.preparedQuery(INSERT).executeBatch(inserts),
                      AuditTiles.writeWithTree(conn, tiles, frontier.size(), edge))
                  .map(committed);
            });
  }

  /**
   * Brings events written before the log was a tree (by an older gateway) into it, in the order
   * they were written, under the tree lock. A no-op once every event has its leaf.
   */
  public Future<Integer> adoptUntreed() {
    return pool.withTransaction(
        conn ->
            conn.query(LOCK_TREE)
                .execute()
                .compose(
                    rows -> {
                      Row tree = rows.iterator().next();
                      Frontier frontier =
                          new Frontier(
                              tree.getLong("size"), hashes(tree.getArrayOfBuffers("frontier")));
                      Tiles.Appends tiles = new Tiles.Appends();
                      return AuditTiles.catchUp(conn, frontier.size())
                          .compose(
                              caughtUp ->
                                  conn.query(
                                          "SELECT seq, "
                                              + AuditRecord.COLUMNS
                                              + " FROM audit_event WHERE leaf_index IS NULL"
                                              + " ORDER BY seq")
                                      .execute())
                          .compose(
                              untreed -> {
                                List<Tuple> updates = new ArrayList<>();
                                for (Row row : untreed) {
                                  long index = frontier.size();
                                  AuditRecord r = withIndex(AuditRecord.from(row), index);
                                  byte[] leaf = r.leafHash();
                                  frontier.append(leaf, tiles);
                                  updates.add(
                                      Tuple.of(index, Buffer.buffer(leaf), row.getLong("seq")));
                                }
                                if (updates.isEmpty()) {
                                  return Future.succeededFuture(0);
                                }
                                Buffer[] edge =
                                    frontier.hashes().stream()
                                        .map(Buffer::buffer)
                                        .toArray(Buffer[]::new);
                                return conn.preparedQuery(
                                        "UPDATE audit_event SET leaf_index = $1, leaf_hash = $2"
                                            + " WHERE seq = $3")
                                    .executeBatch(updates)
                                    .compose(x -> AuditTiles.write(conn, tiles))
                                    .compose(
                                        x ->
                                            conn.preparedQuery(UPDATE_TREE)
                                                .execute(
                                                    Tuple.tuple()
                                                        .addLong(frontier.size())
                                                        .addArrayOfBuffer(edge)))
                                    .map(updates.size());
                              });
                    }));
  }

  private static AuditRecord withIndex(AuditRecord r, long index) {
    return new AuditRecord(
        index,
        r.eventId(),
        r.recordedAt(),
        r.requestId(),
        r.action(),
        r.outcome(),
        r.httpStatus(),
        r.nhsNumber(),
        r.organisation(),
        r.clientId(),
        r.userId(),
        r.userRole(),
        r.purpose(),
        r.emergency(),
        r.detail());
  }

  static List<byte[]> hashes(Buffer[] buffers) {
    List<byte[]> hashes = new ArrayList<>();
    for (Buffer b : buffers) {
      hashes.add(b.getBytes());
    }
    return hashes;
  }

  private static Tuple tuple(AuditRecord r, byte[] leafHash) {
    return Tuple.tuple()
        .addLong(r.leafIndex())
        .addUUID(UUID.fromString(r.eventId()))
        .addOffsetDateTime(r.recordedAt().atOffset(ZoneOffset.UTC))
        .addString(r.requestId())
        .addString(r.action())
        .addString(r.outcome())
        .addInteger(r.httpStatus())
        .addString(r.nhsNumber())
        .addString(r.organisation())
        .addString(r.clientId())
        .addString(r.userId())
        .addString(r.userRole())
        .addString(r.purpose())
        .addBoolean(r.emergency())
        .addValue(r.detail())
        .addBuffer(Buffer.buffer(leafHash));
  }

  /** The stored form of an event at a leaf index. */
  static AuditRecord record(AuditEvent event, long index) {
    Caller caller = event.caller().orElse(null);
    return new AuditRecord(
        index,
        event.eventId().toString(),
        event.recordedAt(),
        event.requestId(),
        event.action(),
        event.outcome().name().toLowerCase(),
        event.httpStatus(),
        event.patient().map(NhsNumber::toString).orElse(null),
        caller == null ? null : caller.organisation().value(),
        caller == null ? null : caller.clientId(),
        caller == null ? null : caller.userId(),
        caller == null ? null : caller.role(),
        caller == null ? null : caller.purpose().code(),
        event.emergency(),
        detail(event));
  }

  private static JsonObject detail(AuditEvent event) {
    JsonArray decisions = new JsonArray();
    for (AuditEvent.SourceDecision d : event.decisions()) {
      decisions.add(
          new JsonObject()
              .put("source", d.source())
              .put("provider", d.provider())
              .put("effect", d.effect())
              .put("agreement", d.agreement().orElse(null))
              .put("agreementSha256", d.agreementSha256().orElse(null))
              .put("considered", new JsonArray(d.considered()))
              .put("refusals", new JsonArray(d.refusals()))
              .put("monitored", d.monitored())
              .put("reviewRequired", d.reviewRequired())
              .put("codeListVersion", d.codeListVersion().orElse(null))
              .put("consent", d.consent().orElse(null))
              .put("reasons", new JsonArray(d.reasons())));
    }
    JsonObject released = new JsonObject();
    event.released().forEach((source, refs) -> released.put(source, new JsonArray(refs)));
    JsonObject detail = new JsonObject();
    // The token's id (not the token): BALP's agent.policy names the authorization used.
    event.caller().flatMap(Caller::tokenId).ifPresent(id -> detail.put("tokenId", id));
    // Only a release that sent a body has one: older events' detail keeps its keys.
    event.sent().ifPresent(s -> detail.put("sent", digest(new JsonObject(), s)));
    // Only an HTTP request's event has a client: older events' detail keeps its keys, and hashes
    // as it did.
    event.clientAddress().ifPresent(a -> detail.put("clientAddress", a));
    if (!event.files().isEmpty()) {
      JsonArray files = new JsonArray();
      for (ExportedFile f : event.files()) {
        files.add(
            digest(
                new JsonObject()
                    .put("name", f.name())
                    .put("type", f.type())
                    .put("count", f.count()),
                f.digest()));
      }
      detail.put("files", files);
    }
    return detail
        .put("decisions", decisions)
        .put("released", released)
        .put("releasedCount", event.released().values().stream().mapToInt(List::size).sum())
        .put("sourceProblems", new JsonArray(event.sourceProblems()))
        .put("emergencyReason", event.emergencyReason().orElse(null))
        .put("relationshipClaim", event.relationshipClaim().orElse(null))
        .put("detail", event.detail())
        .put("latencyMillis", event.latencyMillis());
  }

  /** What was sent, in the keys and order the leaf hashes have always bound. */
  private static JsonObject digest(JsonObject o, SentDigest d) {
    return o.put("sha256", d.sha256()).put("bytes", d.bytes()).put("mediaType", d.mediaType());
  }
}
