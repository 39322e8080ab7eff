package org.placeshare.gateway.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Watches what an operator edits while the gateway runs (the agreements folder, the clients file, a
 * CRL): every period it compares a stamp of the files (names, sizes, modification times) with the
 * one last seen, and reloads off the event loop when it changed. The reload owns its own
 * consistency (one at a time, a broken file refused); this only says when.
 */
public final class FilePoll {

  private static final Logger LOG = Logger.getLogger(FilePoll.class.getName());

  private final String what;
  private final Supplier<String> stamp;
  private final Runnable reload;
  private volatile String seen;
  private long timer = -1;

  /**
   * Takes the stamp now: call it before the first load, so a change made during that load is
   * reloaded at the first check.
   *
   * @param what names the files in the log line of a failed check
   */
  public FilePoll(String what, Supplier<String> stamp, Runnable reload) {
    this.what = what;
    this.stamp = stamp;
    this.reload = reload;
    this.seen = stamp.get();
  }

  /** Checks every {@code every}; {@code then} runs after each check, told whether it reloaded. */
  public void watch(Vertx vertx, Duration every, Function<Boolean, Future<Void>> then) {
    timer =
        vertx.setPeriodic(
            every.toMillis(),
            id ->
                check(vertx)
                    .compose(then)
                    .onFailure(e -> LOG.warning(what + " check failed: " + e)));
  }

  /** Checks every {@code every}. */
  public void watch(Vertx vertx, Duration every) {
    watch(vertx, every, changed -> Future.succeededFuture());
  }

  public void stop(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Reloads now, changed or not (off the event loop). */
  public Future<Void> reloadNow(Vertx vertx) {
    return vertx.executeBlocking(
        () -> {
          seen = stamp.get();
          reload.run();
          return null;
        },
        false);
  }

  private Future<Boolean> check(Vertx vertx) {
    return vertx.executeBlocking(
        () -> {
          String now = stamp.get();
          boolean changed = !now.equals(seen);
          if (changed) {
            seen = now;
            reload.run();
          }
          return changed;
        },
        false);
  }

  /** A file's size and modification time: a change means a reload. */
  public static String stampOf(Path file) {
    try {
      return Files.size(file) + ":" + Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return "unreadable: " + e.getMessage();
    }
  }

  /** Names, sizes and modification times of a folder's files: a change means a reload. */
  public static String stampOfFolder(Path folder) {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path p : files.sorted().toList()) {
        sb.append(p.getFileName()).append(':').append(stampOf(p)).append('\n');
      }
    } catch (IOException e) {
      sb.append("unreadable: ").append(e.getMessage());
    }
    return sb.toString();
  }
}
