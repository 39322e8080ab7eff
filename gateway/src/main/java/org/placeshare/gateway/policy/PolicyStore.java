package org.placeshare.gateway.policy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import org.placeshare.gateway.storage.FilePoll;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.PolicyFolder;
import org.placeshare.policy.PolicySet;

/**
 * The agreements in force, swapped whole. A request takes {@link #current()} once and decides every
 * source with that snapshot, so nothing in flight sees a half-loaded set. The folder is polled; a
 * valid new set replaces the old one atomically, an invalid one leaves the running set in force and
 * is reported in {@link #status()}.
 */
public final class PolicyStore {

  private static final Logger LOG = Logger.getLogger(PolicyStore.class.getName());

  /**
   * What an operator or IG lead sees of the loading.
   *
   * @param lastError every problem of the last refused reload; empty once a reload succeeds
   */
  public record Status(
      String fingerprint,
      int agreements,
      Instant loadedAt,
      Instant checkedAt,
      long reloads,
      long refusedReloads,
      Optional<String> lastError,
      Optional<Instant> lastErrorAt,
      List<String> warnings) {}

  private final Path folder;
  private final PolicyFolder.Options options;
  private final Clock clock;
  private final AtomicReference<PolicyFolder.Loaded> current = new AtomicReference<>();
  private final AtomicReference<Status> status = new AtomicReference<>();
  private final FilePoll poll;

  private PolicyStore(Path folder, PolicyFolder.Options options, Clock clock) {
    this.folder = folder;
    this.options = options;
    this.clock = clock;
    this.poll = new FilePoll("agreements", () -> FilePoll.stampOfFolder(folder), this::reloadNow);
  }

  /**
   * Loads the folder for start-up.
   *
   * @throws PolicyException when the set cannot be loaded; the gateway does not start
   */
  public static PolicyStore load(Path folder, PolicyFolder.Options options, Clock clock) {
    PolicyStore store = new PolicyStore(folder, options, clock);
    PolicyFolder.Loaded loaded = PolicyFolder.load(folder, options, LocalDate.now(clock));
    store.current.set(loaded);
    Instant now = clock.instant();
    store.status.set(
        new Status(
            loaded.fingerprint(),
            loaded.set().agreements().size(),
            now,
            now,
            0,
            0,
            Optional.empty(),
            Optional.empty(),
            loaded.warnings()));
    return store;
  }

  /** The set in force now. */
  public PolicySet current() {
    return current.get().set();
  }

  public Status status() {
    return status.get();
  }

  /** Checks the folder every {@code every} and reloads when a file changed. */
  public void watch(Vertx vertx, Duration every) {
    poll.watch(vertx, every);
  }

  public void stop(Vertx vertx) {
    poll.stop(vertx);
  }

  /** Reloads now (off the event loop); the status says whether the new set took over. */
  public Future<Status> reload(Vertx vertx) {
    return poll.reloadNow(vertx).map(v -> status());
  }

  // One reload at a time; a poll and a reload request that overlap both load, in turn, so a
  // change made while the first was reading is never skipped.
  private synchronized void reloadNow() {
    Instant now = clock.instant();
    Status before = status.get();
    try {
      // Unchanged files (the same bytes and signature) keep what they gave; changed ones are
      // verified and parsed again. A refused reload leaves current as it was.
      PolicyFolder.Loaded loaded =
          PolicyFolder.reload(folder, options, LocalDate.now(clock), current.get());
      boolean changed = !loaded.fingerprint().equals(current.get().fingerprint());
      if (changed) {
        current.set(loaded);
        LOG.info(
            "agreements reloaded: "
                + loaded.set().agreements().size()
                + " in force, fingerprint "
                + loaded.fingerprint().substring(0, 12));
      }
      status.set(
          new Status(
              loaded.fingerprint(),
              loaded.set().agreements().size(),
              changed ? now : before.loadedAt(),
              now,
              before.reloads() + (changed ? 1 : 0),
              before.refusedReloads(),
              Optional.empty(),
              Optional.empty(),
              loaded.warnings()));
    } catch (PolicyException e) {
      // The messages can quote file content, so the log gives a count; the status has them.
      long problems = e.getMessage().lines().count();
      LOG.warning(
          "agreements reload refused ("
              + problems
              + " problems); the previous set stays in force, see GET /policy/status");
      status.set(
          new Status(
              before.fingerprint(),
              before.agreements(),
              before.loadedAt(),
              now,
              before.reloads(),
              before.refusedReloads() + 1,
              Optional.of(e.getMessage()),
              Optional.of(now),
              before.warnings()));
    }
  }
}
