package org.placeshare.gateway.notify;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.placeshare.gateway.observability.Metrics;

/**
 * The gauges of deliveries waiting ({@code placeshare.notifications.pending}) and dead-lettered
 * ({@code placeshare.notifications.dead}), counted in {@code notification_delivery} when {@code
 * /metrics} is scraped, so every gateway instance on one database reports the same figures. A
 * scrape sooner than {@link #REFRESH_AT_MOST_EVERY} after the last count serves that count: the
 * management listener asks no credentials, and a busy scraper must not become a load on the
 * database.
 */
public final class DeliveryBacklog {

  /** The shortest time between two counts. */
  public static final Duration REFRESH_AT_MOST_EVERY = Duration.ofSeconds(5);

  private final DeliveryLedger ledger;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong dead = new AtomicLong();
  private long countedAt = Long.MIN_VALUE;
  private Future<Void> counting = Future.succeededFuture();

  public DeliveryBacklog(DeliveryLedger ledger, Metrics metrics) {
    this.ledger = ledger;
    metrics.gauge(
        "placeshare.notifications.pending",
        "Notification deliveries waiting to be sent or tried again",
        pending::get);
    metrics.gauge(
        "placeshare.notifications.dead",
        "Notification deliveries dead-lettered after their last try",
        dead::get);
  }

  /**
   * Counts again unless counted within {@link #REFRESH_AT_MOST_EVERY}; a failed count keeps the
   * last figures (the scrape goes on: the database's health is {@code /health/ready}'s to report).
   */
  public synchronized Future<Void> refresh() {
    long now = System.nanoTime();
    if (!counting.isComplete()
        || (countedAt != Long.MIN_VALUE && now - countedAt < REFRESH_AT_MOST_EVERY.toNanos())) {
      return counting;
    }
    countedAt = now;
    counting =
        ledger
            .counts()
            .<Void>map(
                counts -> {
                  pending.set(counts.get("pending"));
                  dead.set(counts.get("dead"));
                  return null;
                })
            .otherwiseEmpty();
    return counting;
  }
}
