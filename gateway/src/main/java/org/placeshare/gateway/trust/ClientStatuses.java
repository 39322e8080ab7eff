package org.placeshare.gateway.trust;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.placeshare.policy.identity.ClientRegistry;
import org.placeshare.policy.identity.RegisteredClient;

/**
 * Each client's status as the fleet last saw it, in PostgreSQL: {@code active}, {@code suspended}
 * or {@code removed}. An instance that loads a registry records where it differs; the comparison
 * and the writes hold one lock, so when every instance reloads the same file, exactly one of them
 * records (and audits) each change.
 */
final class ClientStatuses {

  static final String ACTIVE = "active";
  static final String SUSPENDED = "suspended";
  static final String REMOVED = "removed";

  /** Taken for the comparison and writes: instances record one after another. */
  private static final long LOCK = 0x706c6163_65736801L;

  /** One change of a client's status. */
  record Change(String clientId, String organisation, String from, String to) {

    /** True for a change that takes trust away (suspended or removed). */
    boolean revoking() {
      return !to.equals(ACTIVE);
    }
  }

  private final Pool pool;

  ClientStatuses(Pool pool) {
    this.pool = pool;
  }

  /**
   * Records the registry's statuses where the table differs, and returns the changes recorded. A
   * client first seen active is recorded without a change (its registration is the file's history);
   * one first seen suspended is a suspension.
   */
  Future<List<Change>> record(ClientRegistry registry, Instant now) {
    return pool.withTransaction(
        conn ->
            conn.query("SELECT pg_advisory_xact_lock(" + LOCK + ")")
                .execute()
                .compose(
                    v ->
                        conn.query("SELECT client_id, organisation, status FROM client_status")
                            .execute())
                .compose(
                    rows -> {
                      Map<String, Row> known = new HashMap<>();
                      rows.forEach(r -> known.put(r.getString("client_id"), r));
                      List<Change> changes = new ArrayList<>();
                      List<Tuple> writes = new ArrayList<>();
                      for (RegisteredClient c : registry.clients().values()) {
                        String to = c.active() ? ACTIVE : SUSPENDED;
                        Row was = known.get(c.id());
                        String from = was == null ? null : was.getString("status");
                        if (to.equals(from)) {
                          continue;
                        }
                        writes.add(row(c.id(), c.organisation().value(), to, now));
                        if (from != null || !to.equals(ACTIVE)) {
                          changes.add(
                              new Change(
                                  c.id(),
                                  c.organisation().value(),
                                  from == null ? "unknown" : from,
                                  to));
                        }
                      }
                      for (Row r : known.values()) {
                        String id = r.getString("client_id");
                        if (registry.find(id).isEmpty() && !REMOVED.equals(r.getString("status"))) {
                          writes.add(row(id, r.getString("organisation"), REMOVED, now));
                          changes.add(
                              new Change(
                                  id, r.getString("organisation"), r.getString("status"), REMOVED));
                        }
                      }
                      return write(conn, writes).map(changes);
                    }));
  }

  private static Tuple row(String id, String organisation, String status, Instant now) {
    return Tuple.of(id, organisation, status, now.atOffset(ZoneOffset.UTC));
  }

  private static Future<Void> write(SqlConnection conn, List<Tuple> writes) {
    if (writes.isEmpty()) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(
            "INSERT INTO client_status (client_id, organisation, status, changed_at)"
                + " VALUES ($1, $2, $3, $4) ON CONFLICT (client_id) DO UPDATE SET"
                + " organisation = EXCLUDED.organisation, status = EXCLUDED.status,"
                + " changed_at = EXCLUDED.changed_at")
        .executeBatch(writes)
        .mapEmpty();
  }
}
