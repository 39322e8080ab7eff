package org.placeshare.gateway.http.console;

import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.notify.DeliveryLedger;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.gateway.notify.Subscription;
import org.placeshare.policy.EventKind;

/**
 * The console's Notifications page (issue 19): the outbox's deliveries by status, the dead letters
 * and the pending, and the subscriptions, read from {@link DeliveryLedger}. The read is audited as
 * every console page is.
 */
public final class ConsoleNotificationPages {

  /** Most rows each list on the page shows. */
  static final int PAGE_ROWS = 100;

  private final Console console;
  private final DeliveryLedger ledger;

  public ConsoleNotificationPages(Console console, DeliveryLedger ledger) {
    this.console = console;
    this.ledger = ledger;
  }

  public void notifications(RoutingContext ctx) {
    Console.session(ctx, "notifications");
    Future<Map<String, Long>> counts = ledger.counts();
    Future<List<DeliveryLedger.Delivery>> dead = ledger.deliveries("dead", PAGE_ROWS);
    Future<List<DeliveryLedger.Delivery>> pending = ledger.deliveries("pending", PAGE_ROWS);
    Future<List<Subscription>> subscriptions = ledger.subscriptions(PAGE_ROWS);
    Future.all(counts, dead, pending, subscriptions)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            x -> {
              Map<String, Long> n = counts.result();
              List<NotificationsPage.Count> byStatus = new ArrayList<>();
              n.forEach(
                  (status, count) -> byStatus.add(new NotificationsPage.Count(status, count)));
              NotificationsPage page =
                  new NotificationsPage(
                      Console.chrome(ctx, "Notifications"),
                      byStatus,
                      n.get("dead"),
                      dead.result().stream().map(d -> row(d, true)).toList(),
                      n.get("pending"),
                      pending.result().stream().map(d -> row(d, false)).toList(),
                      subscriptions.result().stream().map(ConsoleNotificationPages::row).toList(),
                      PAGE_ROWS);
              console.show(
                  ctx,
                  page,
                  "console notifications: "
                      + n.get("pending")
                      + " pending, "
                      + n.get("dead")
                      + " dead, "
                      + page.subscriptions().size()
                      + " subscriptions shown");
            });
  }

  private static NotificationsPage.Delivery row(DeliveryLedger.Delivery d, boolean dead) {
    return new NotificationsPage.Delivery(
        d.idempotencyKey(),
        d.kind().code(),
        d.eventId() + " (" + d.source() + ")",
        d.subscription().toString(),
        d.clientId() + " (" + d.subscriber() + ")",
        d.attempts(),
        d.lastError().orElse(""),
        (dead ? d.updated() : d.nextAttemptAt()).toString(),
        // The worker audits each outcome under the request id delivery-{id}.
        "/console/audit?action="
            + DeliveryWorker.ACTION
            + "&request="
            + URLEncoder.encode("delivery-" + d.id(), StandardCharsets.UTF_8));
  }

  private static NotificationsPage.Subscribed row(Subscription s) {
    return new NotificationsPage.Subscribed(
        s.id().toString(),
        s.clientId(),
        s.organisation().toString(),
        s.kinds().stream().map(EventKind::code).sorted().collect(Collectors.joining(", ")),
        s.cohort().map(c -> "Group/" + c).orElse("care relationships"),
        s.endpoint().getHost(),
        s.status().code(),
        s.created().toString());
  }
}
