package org.placeshare.gateway.http;

import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import java.util.List;
import org.placeshare.fhir.RecordSource;
import org.placeshare.gateway.notify.DeliveryBacklog;
import org.placeshare.gateway.notify.DeliveryLedger;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.policy.PolicyStore;

/**
 * The management listener's API, for Prometheus and the operator, never for clients: {@code
 * /metrics} (Prometheus text) and {@code /health/live} and {@code /health/ready} with their
 * details. It asks no credentials, so it listens on loopback unless an operator chooses a private
 * network; the public listener serves neither the metrics nor the details.
 */
public final class ManagementRoutes {

  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private ManagementRoutes() {}

  public static Router create(
      Vertx vertx, PolicyStore policy, Pool pool, List<RecordSource> sources, Metrics metrics) {
    Router router = Router.router(vertx);
    // Labels hold no person, user or token; a flagged refusal is counted as "not held".
    // The outbox's pending and dead deliveries are counted in the database as the scrape comes.
    DeliveryBacklog backlog = new DeliveryBacklog(new DeliveryLedger(pool), metrics);
    router
        .get("/metrics")
        .handler(
            ctx ->
                backlog
                    .refresh()
                    .onComplete(
                        x ->
                            ctx.response()
                                .putHeader("Content-Type", PROMETHEUS_TEXT)
                                .end(metrics.scrape())));
    Health health = new Health(policy, pool, sources, true);
    router.get("/health/live").handler(health::live);
    router.get("/health/ready").handler(health::ready);
    router.route().last().handler(ctx -> ctx.response().setStatusCode(404).end());
    return router;
  }
}
