package org.placeshare.gateway.cohort;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * A job's files in PostgreSQL, as rows of bytes (table {@code export_file_part}), so that every
 * instance on the database serves any job's files. Each append is one transaction of parts of at
 * most {@link #PART_BYTES}; a read or a download holds one part at a time, so memory stays flat
 * whatever the file's size. The parts go with their job's row (ON DELETE CASCADE): an expired,
 * cancelled or deleted job leaves no bytes behind.
 *
 * <p>Rows of bytea rather than large objects: a part is deleted with its job by the foreign key (a
 * large object needs its own unlink, and one missed is an orphan that only vacuumlo finds), cutting
 * back is one DELETE, the table's grants and logical replication cover it as any table (neither
 * covers pg_largeobject), and the reactive client reads and writes it with plain statements (large
 * objects need a descriptor held open in a transaction).
 */
public final class DatabaseExportStore implements ExportStore {

  /**
   * The most bytes in one part: what a read or a download holds at once, and small enough that
   * PostgreSQL keeps it out of line (TOAST) without a second thought.
   */
  public static final int PART_BYTES = 256 * 1024;

  private static final String INSERT =
      "INSERT INTO export_file_part (job_id, type, start_at, bytes) VALUES ($1, $2, $3, $4)";
  private static final String LENGTH =
      "SELECT coalesce(max(start_at + octet_length(bytes)), 0) FROM export_file_part WHERE job_id ="
          + " $1 AND type = $2";
  // The parts a checkpoint does not count: past a file's recorded length, or of a file it does not
  // know at all.
  private static final String CUT_BACK =
      "DELETE FROM export_file_part WHERE job_id = $1 AND start_at >= coalesce(($2::jsonb ->>"
          + " type)::bigint, 0)";
  private static final String LENGTHS =
      "SELECT type, coalesce(sum(octet_length(bytes)), 0) AS stored, max(start_at +"
          + " octet_length(bytes)) AS ends FROM export_file_part WHERE job_id = $1 GROUP BY type";
  private static final String NEXT =
      "SELECT start_at, bytes FROM export_file_part WHERE job_id = $1 AND type = $2 AND start_at >="
          + " $3 ORDER BY start_at LIMIT 1";
  private static final String FIND =
      "SELECT count(*), coalesce(sum(octet_length(bytes)), 0) FROM export_file_part WHERE job_id ="
          + " $1 AND type = $2";
  private static final String DELETE = "DELETE FROM export_file_part WHERE job_id = $1";

  private final Pool pool;

  public DatabaseExportStore(Pool pool) {
    this.pool = pool;
  }

  @Override
  public void append(UUID job, String type, long offset, byte[] bytes) {
    Buffer all = Buffer.buffer(bytes);
    List<Tuple> parts = new ArrayList<>();
    for (int at = 0; at < bytes.length; at += PART_BYTES) {
      parts.add(
          Tuple.of(job, type, offset + at, all.slice(at, Math.min(bytes.length, at + PART_BYTES))));
    }
    if (parts.isEmpty()) {
      return;
    }
    long stored =
        await(
            pool.withTransaction(
                conn ->
                    conn.preparedQuery(LENGTH)
                        .execute(Tuple.of(job, type))
                        .map(rows -> rows.iterator().next().getLong(0))
                        .compose(
                            length ->
                                length != offset
                                    ? Future.succeededFuture(length)
                                    : conn.preparedQuery(INSERT).executeBatch(parts).map(length))));
    if (stored != offset) {
      // Cut back or deleted under the writer (a cancel, a lease lost): the write's failure.
      throw new ExportStoreException(
          "the export's " + type + " file is not the length its progress recorded", null);
    }
  }

  @Override
  public void resume(UUID job, Map<String, Long> lengths) {
    JsonObject recorded = new JsonObject();
    lengths.forEach(recorded::put);
    RowSet<Row> left =
        await(
            pool.withTransaction(
                conn ->
                    conn.preparedQuery(CUT_BACK)
                        .execute(Tuple.of(job, recorded))
                        .compose(v -> conn.preparedQuery(LENGTHS).execute(Tuple.of(job)))));
    Map<String, long[]> stored = new HashMap<>();
    left.forEach(
        r -> stored.put(r.getString("type"), new long[] {r.getLong("stored"), r.getLong("ends")}));
    for (Map.Entry<String, Long> file : lengths.entrySet()) {
      long[] s = stored.getOrDefault(file.getKey(), new long[] {0, 0});
      // Parts that add up and end where the checkpoint says: no gap, no overlap.
      if (s[0] != file.getValue() || s[1] != file.getValue()) {
        throw new IllegalStateException(
            "the export's " + file.getKey() + " file is missing or shorter than its checkpoint");
      }
    }
  }

  @Override
  public long read(UUID job, String type, Consumer<ByteBuffer> into) {
    long at = 0;
    while (true) {
      RowSet<Row> rows = await(pool.preparedQuery(NEXT).execute(Tuple.of(job, type, at)));
      if (rows.size() == 0) {
        return at;
      }
      Buffer part = part(rows.iterator().next(), type, at);
      into.accept(ByteBuffer.wrap(part.getBytes()));
      at += part.length();
    }
  }

  @Override
  public void delete(UUID job) {
    await(pool.preparedQuery(DELETE).execute(Tuple.of(job)));
  }

  @Override
  public Future<Optional<StoredFile>> find(UUID job, String type) {
    return pool.preparedQuery(FIND)
        .execute(Tuple.of(job, type))
        .map(
            rows -> {
              Row r = rows.iterator().next();
              return r.getLong(0) == 0
                  ? Optional.empty()
                  : Optional.of(new Parts(job, type, r.getLong(1)));
            });
  }

  /** The part starting at {@code at}, or the store's error for a gap. */
  private static Buffer part(Row row, String type, long at) {
    if (row.getLong("start_at") != at) {
      throw new IllegalStateException(
          "the export's " + type + " file has a gap at byte " + at + " in the database");
    }
    return row.getBuffer("bytes");
  }

  /** A file as its parts, sent one part at a time, each written out before the next is read. */
  private final class Parts implements StoredFile {
    private final UUID job;
    private final String type;
    private final long length;

    Parts(UUID job, String type, long length) {
      this.job = job;
      this.type = type;
      this.length = length;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public Future<Void> send(HttpServerResponse response) {
      response.putHeader("Content-Length", Long.toString(length));
      Promise<Void> sent = Promise.promise();
      from(0, response, sent);
      return sent.future()
          .onFailure(
              e -> {
                // A short body under a Content-Length is an error to every client: never a whole
                // file. Reset so the connection says so at once.
                response.reset();
              });
    }

    /**
     * Sends the part at {@code at}, then the next, each step started afresh when the last is
     * written: not a chain of futures each holding its part, which would keep the whole file.
     */
    private void from(long at, HttpServerResponse response, Promise<Void> sent) {
      if (at == length) {
        response.end().onComplete(sent);
        return;
      }
      pool.preparedQuery(NEXT)
          .execute(Tuple.of(job, type, at))
          .compose(rows -> write(rows, at, response))
          .onSuccess(next -> from(next, response, sent))
          .onFailure(sent::fail);
    }

    /** Writes the part at {@code at}; the offset after it once it is written out. */
    private Future<Long> write(RowSet<Row> rows, long at, HttpServerResponse response) {
      if (rows.size() == 0) {
        return Future.failedFuture(
            new IllegalStateException("the export's " + type + " file ends early in the database"));
      }
      Buffer part = part(rows.iterator().next(), type, at);
      long next = at + part.length();
      if (next > length) {
        return Future.failedFuture(
            new IllegalStateException("the export's " + type + " file grew while it was sent"));
      }
      return response.write(part).map(next);
    }
  }

  /**
   * Waits for the database on a worker thread (the writing side blocks, as a disk does); a server
   * that refuses the statement is the store refusing the bytes, anything else (the database
   * unreachable) passes as it came, and pauses the job.
   */
  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof PgException pg) {
        throw new ExportStoreException(
            "the database refused the export's bytes (SQLSTATE " + pg.getSqlState() + ")", pg);
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(cause);
    }
  }
}
