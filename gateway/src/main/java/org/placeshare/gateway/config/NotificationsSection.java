package org.placeshare.gateway.config;

import static org.placeshare.gateway.config.ConfigChecks.within;

import java.time.Duration;
import java.util.List;
import org.placeshare.gateway.config.RawConfig.RawNotifications;
import org.placeshare.gateway.notify.DeliveryWorker.Settings;

/** The delivery worker's timings, each defaulted and bounded. */
final class NotificationsSection {

  /** A day: a receiver retried less often than that has, in practice, been given up on. */
  static final long MAX_WAIT_MILLIS = Duration.ofDays(1).toMillis();

  private NotificationsSection() {}

  static Settings notifications(List<String> problems, RawNotifications raw) {
    Settings d = Settings.DEFAULTS;
    if (raw == null) {
      return d;
    }
    long poll = or(raw.pollMillis(), d.pollEvery());
    int batch = raw.batch() == null ? d.batch() : raw.batch();
    long lease = or(raw.leaseMillis(), d.lease());
    long deadline = or(raw.deadlineMillis(), d.deadline());
    long base = or(raw.retryBaseMillis(), d.retryBase());
    long cap = or(raw.retryCapMillis(), d.retryCap());
    int tries = raw.maxAttempts() == null ? d.maxAttempts() : raw.maxAttempts();
    int before = problems.size();
    within(problems, "notifications.pollMillis", poll, 10, 60_000);
    within(problems, "notifications.batch", batch, 1, 500);
    within(problems, "notifications.deadlineMillis", deadline, 100, 120_000);
    within(problems, "notifications.leaseMillis", lease, 2 * deadline, MAX_WAIT_MILLIS);
    within(problems, "notifications.retryBaseMillis", base, 10, MAX_WAIT_MILLIS);
    within(problems, "notifications.retryCapMillis", cap, base, MAX_WAIT_MILLIS);
    within(problems, "notifications.maxAttempts", tries, 1, 100);
    if (problems.size() > before) {
      return d;
    }
    return new Settings(
        Duration.ofMillis(poll),
        batch,
        Duration.ofMillis(lease),
        Duration.ofMillis(deadline),
        Duration.ofMillis(base),
        Duration.ofMillis(cap),
        tries);
  }

  private static long or(Long millis, Duration otherwise) {
    return millis == null ? otherwise.toMillis() : millis;
  }
}
