package org.placeshare.gateway.witness;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.logging.Logger;
import org.placeshare.gateway.audit.NoteCheckpoint;

/**
 * The witness's state in PostgreSQL: per log, the latest checkpoint it cosigned, moved forward only
 * by a compare-and-set on the size the request started from; and the evidence it keeps of refused
 * requests, capped per log.
 */
final class WitnessState {

  private static final Logger LOG = Logger.getLogger(WitnessState.class.getName());

  // An arbitrary constant naming the witness's schema lock among the server's advisory locks
  // (apart from the gateway's migration lock, so a shared test database works).
  private static final long SCHEMA_LOCK = 0x7769746e657373L;

  // The class of the per-origin evidence locks (two-int advisory locks: this class, the origin).
  private static final int EVIDENCE_LOCK = 0x77657669;

  private static final String SCHEMA = "witness/schema.sql";

  /** The latest cosigned tree head of a log. */
  record Cosigned(long size, byte[] root) {}

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
                                ? conn.query(resource(SCHEMA))
                                    .execute()
                                    .onSuccess(x -> LOG.info("created the witness's tables"))
                                    .mapEmpty()
                                : Future.succeededFuture()))
        .map(v -> new WitnessState(pool, witness));
  }

  /** The latest checkpoint cosigned for {@code origin}, if any. */
  Future<Optional<Cosigned>> latest(String origin) {
    return pool.preparedQuery(
            "SELECT size, root FROM witness_checkpoint WHERE witness = $1 AND origin = $2")
        .execute(Tuple.of(witness, origin))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return Optional.empty();
              }
              Row row = rows.iterator().next();
              return Optional.of(new Cosigned(row.getLong(0), row.getBuffer(1).getBytes()));
            });
  }

  /**
   * Records {@code next} as the latest cosigned checkpoint of its log if the stored one is still
   * {@code previous} (none: the log was never cosigned). One statement each way, so checking the
   * old size and persisting the new are atomic: a request that lost a race changes nothing and
   * answers false, and the stored size never goes down.
   */
  Future<Boolean> advance(Optional<Cosigned> previous, NoteCheckpoint next, Instant now) {
    OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
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

  /**
   * Keeps a refused request as evidence, unless {@code cap} requests are already kept for its log
   * (the first ones are the proof; later ones are only counted in the log). A per-origin advisory
   * lock makes the count and the insert one step, so the cap holds under concurrent requests.
   *
   * @return whether it was kept
   */
  Future<Boolean> keepEvidence(String origin, byte[] body, Instant now, String reason, int cap) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .execute(Tuple.of(EVIDENCE_LOCK, witness + "\n" + origin))
                .compose(
                    v ->
                        conn.preparedQuery(
                                "INSERT INTO witness_evidence"
                                    + " (origin, body, received_at, reason, witness)"
                                    + " SELECT $1, $2, $3, $4, $6 WHERE (SELECT count(*) FROM"
                                    + " witness_evidence WHERE origin = $1 AND witness = $6) < $5")
                            .execute(
                                Tuple.of(
                                    origin,
                                    Buffer.buffer(body),
                                    OffsetDateTime.ofInstant(now, ZoneOffset.UTC),
                                    reason,
                                    cap,
                                    witness)))
                .map(rows -> rows.rowCount() == 1));
  }

  private static String resource(String name) {
    try (InputStream in = WitnessState.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read resource " + name, e);
    }
  }
}
