package org.placeshare.gateway.witness;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.logging.Logger;
import org.placeshare.gateway.audit.NoteCheckpoint;
import org.placeshare.gateway.storage.Database;

/**
 * The witness's state in PostgreSQL: per log, the latest checkpoint it cosigned, moved forward only
 * by a compare-and-set on the size the request started from; and the split views it keeps as
 * evidence, both halves, capped per log.
 */
final class WitnessState {

  private static final Logger LOG = Logger.getLogger(WitnessState.class.getName());

  // An arbitrary constant naming the witness's schema lock among the server's advisory locks
  // (apart from the gateway's migration lock, so a shared test database works).
  private static final long SCHEMA_LOCK = 0x7769746e657373L;

  // The class of the per-origin evidence locks (two-int advisory locks: this class, the origin).
  private static final int EVIDENCE_LOCK = 0x77657669;

  private static final String SCHEMA = "witness/schema.sql";

  /** The latest cosigned tree head of a log, and its checkpoint note as the log signed it. */
  record Cosigned(long size, byte[] root, String note) {}

  private final Pool pool;

  /** The witness's name: its rows are its own, whoever else shares the database. */
  private final String witness;

  private WitnessState(Pool pool, String witness) {
    this.pool = pool;
    this.witness = witness;
  }

  /**
   * Creates the witness's tables when missing, under an advisory lock so two witnesses starting on
   * one database do not both create them.
   */
  static Future<WitnessState> open(Pool pool, String witness) {
    return pool.withTransaction(
            conn ->
                conn.query("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")")
                    .execute()
                    // Looked for first: CREATE TABLE IF NOT EXISTS sends a notice at every start.
                    .compose(
                        v ->
                            conn.query("SELECT to_regclass('witness_checkpoint') IS NULL")
                                .execute())
                    .compose(
                        missing ->
                            missing.iterator().next().getBoolean(0)
                                ? conn.query(Database.resource(SCHEMA))
                                    .execute()
                                    .onSuccess(x -> LOG.info("created the witness's tables"))
                                    .mapEmpty()
                                : Future.succeededFuture()))
        .map(v -> new WitnessState(pool, witness));
  }

  /** The latest checkpoint cosigned for {@code origin}, if any. */
  Future<Optional<Cosigned>> latest(String origin) {
    return pool.preparedQuery(
            "SELECT size, root, note FROM witness_checkpoint WHERE witness = $1 AND origin = $2")
        .execute(Tuple.of(witness, origin))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return Optional.empty();
              }
              Row row = rows.iterator().next();
              return Optional.of(
                  new Cosigned(row.getLong(0), row.getBuffer(1).getBytes(), row.getString(2)));
            });
  }

  /**
   * Records {@code next} as the latest cosigned checkpoint of its log if the stored one is still
   * {@code previous} (none: the log was never cosigned). One statement each way, so checking the
   * old size and persisting the new are atomic: a request that lost a race changes nothing and
   * answers false, and the stored size never goes down. When {@code next} has the size and root of
   * {@code previous} (a retry, which anyone can replay) nothing is written: it is only checked that
   * the log is still there, so a retry cannot make the witness write.
   */
  Future<Boolean> advance(Optional<Cosigned> previous, NoteCheckpoint next, Instant now) {
    OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
    if (previous.isPresent() && sameTreeHead(previous.get(), next)) {
      return pool.preparedQuery(
              "SELECT 1 FROM witness_checkpoint WHERE origin = $1 AND size = $2 AND root = $3"
                  + " AND witness = $4")
          .execute(Tuple.of(next.origin(), next.size(), Buffer.buffer(next.root()), witness))
          .map(rows -> rows.size() == 1);
    }
    Future<RowSet<Row>> write =
        previous.isEmpty()
            ? pool.preparedQuery(
                    "INSERT INTO witness_checkpoint (origin, size, root, note, cosigned_at, witness)"
                        + " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (witness, origin) DO NOTHING")
                .execute(
                    Tuple.of(
                        next.origin(),
                        next.size(),
                        Buffer.buffer(next.root()),
                        next.note(),
                        at,
                        witness))
            : pool.preparedQuery(
                    "UPDATE witness_checkpoint SET size = $2, root = $3, note = $4,"
                        + " cosigned_at = $5 WHERE origin = $1 AND size = $6 AND root = $7"
                        + " AND witness = $8")
                .execute(
                    Tuple.from(
                        new Object[] {
                          next.origin(),
                          next.size(),
                          Buffer.buffer(next.root()),
                          next.note(),
                          at,
                          previous.get().size(),
                          Buffer.buffer(previous.get().root()),
                          witness
                        }));
    return write.map(rows -> rows.rowCount() == 1);
  }

  static boolean sameTreeHead(Cosigned cosigned, NoteCheckpoint next) {
    return cosigned.size() == next.size() && MessageDigest.isEqual(cosigned.root(), next.root());
  }

  /**
   * Keeps a split view: {@code second}, signed by the log with another root for the size of {@code
   * cosigned}, beside the note the witness had cosigned for that size. Once per (origin, size,
   * root), so a replay adds nothing; at most {@code cap} per log (only the log can sign new roots,
   * so only a misbehaving log reaches it). A per-origin advisory lock makes the count and the
   * insert one step, so the cap holds under concurrent requests.
   *
   * @return whether it was kept now (false: already kept, or the cap reached)
   */
  Future<Boolean> keepSplitView(Cosigned cosigned, NoteCheckpoint second, Instant now, int cap) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .execute(Tuple.of(EVIDENCE_LOCK, witness + "\n" + second.origin()))
                .compose(
                    v ->
                        conn.preparedQuery(
                                "INSERT INTO witness_evidence (witness, origin, size, root, note,"
                                    + " cosigned_root, cosigned_note, received_at)"
                                    + " SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE (SELECT"
                                    + " count(*) FROM witness_evidence WHERE witness = $1"
                                    + " AND origin = $2) < $9"
                                    + " ON CONFLICT (witness, origin, size, root) DO NOTHING")
                            .execute(
                                Tuple.from(
                                    new Object[] {
                                      witness,
                                      second.origin(),
                                      second.size(),
                                      Buffer.buffer(second.root()),
                                      second.note(),
                                      Buffer.buffer(cosigned.root()),
                                      cosigned.note(),
                                      OffsetDateTime.ofInstant(now, ZoneOffset.UTC),
                                      cap
                                    })))
                .map(rows -> rows.rowCount() == 1));
  }
}
