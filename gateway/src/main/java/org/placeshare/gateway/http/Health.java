package org.placeshare.gateway.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.util.List;
import org.placeshare.fhir.RecordSource;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.gateway.policy.PolicyStore;

/**
 * For load balancers and orchestrators, no token needed: {@code /health/live} answers while the
 * process serves; {@code /health/ready} only when the agreements are loaded and the database (the
 * audit tree) can be written. Sources are reported but do not make the gateway unready: a view
 * without one source is still a view.
 *
 * <p>On the public listener the answer is the status alone; what is loaded, writable or left alone
 * (which sources exist and which are down) is told only on the management listener.
 */
final class Health {

  private final PolicyStore policy;
  private final Pool pool;
  private final List<RecordSource> sources;
  private final boolean detailed;

  Health(PolicyStore policy, Pool pool, List<RecordSource> sources, boolean detailed) {
    this.policy = policy;
    this.pool = pool;
    this.sources = List.copyOf(sources);
    this.detailed = detailed;
  }

  void live(RoutingContext ctx) {
    StrictJson.json(ctx, 200, new JsonObject().put("status", "up"));
  }

  void ready(RoutingContext ctx) {
    boolean agreements = policy.current() != null;
    JsonObject sourceStates = new JsonObject();
    sources.forEach(
        s ->
            sourceStates.put(
                s.descriptor().id(), s.unavailable().isPresent() ? "left alone" : "up"));
    // Writable, not just reachable: a primary (not a replica in recovery) on which this role may
    // append events and advance the tree.
    pool.query(
            "SELECT has_table_privilege('audit_event', 'INSERT')"
                + " AND has_table_privilege('audit_tree', 'UPDATE') AND NOT pg_is_in_recovery()")
        .execute()
        .onComplete(
            db -> {
              boolean database = db.succeeded() && db.result().iterator().next().getBoolean(0);
              boolean ready = agreements && database;
              JsonObject answer = new JsonObject().put("status", ready ? "ready" : "not ready");
              if (detailed) {
                answer
                    .put("agreements", agreements ? "loaded" : "none")
                    .put("audit", database ? "writable" : "unavailable")
                    .put("keys", "loaded")
                    .put("sources", sourceStates);
              }
              StrictJson.json(ctx, ready ? 200 : 503, answer);
            });
  }
}
