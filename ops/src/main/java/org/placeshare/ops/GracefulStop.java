package org.placeshare.ops;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.placeshare.gateway.Gateway;
import sun.misc.Signal;

/**
 * Stops a running gateway (or the demo) on SIGTERM (systemd, {@code Process.destroy()}) or SIGINT
 * (Ctrl-C): logs that the stop started, runs it, logs that it ended, and exits 0. A stop that
 * overruns {@link Gateway#STOP_DEADLINE} is abandoned with a warning and the process exits 1, so a
 * supervisor never has to send SIGKILL; a second signal exits at once.
 *
 * <p>The signals are handled here rather than in a JVM shutdown hook: once the JVM is shutting
 * down, the JDK's own hook resets {@code java.util.logging} (closing standard error with it), so
 * the lines saying how the stop went would be lost.
 */
final class GracefulStop {

  private static final Logger LOG = Logger.getLogger(GracefulStop.class.getName());

  /** The stop itself; it may block, and should finish well inside the deadline. */
  interface Action {
    void run() throws Exception;
  }

  private final String what;
  private final Action action;
  private final AtomicBoolean stopping = new AtomicBoolean();

  private GracefulStop(String what, Action action) {
    this.what = what;
    this.action = action;
  }

  /** Runs {@code action} on the first SIGTERM or SIGINT, then exits. */
  static void install(String what, Action action) {
    GracefulStop stop = new GracefulStop(what, action);
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), stop::signalled);
      } catch (IllegalArgumentException e) {
        // The JVM keeps this signal (-Xrs, or a debugger): fall back to a shutdown hook, which
        // still stops the gateway but may lose the closing log line.
        Runtime.getRuntime()
            .addShutdownHook(new Thread(() -> stop.run("shutdown of the JVM"), "graceful-stop"));
      }
    }
  }

  private void signalled(Signal signal) {
    if (!stopping.compareAndSet(false, true)) {
      LOG.warning("second SIG" + signal.getName() + " during shutdown: exiting at once");
      System.exit(1);
    }
    // Not on the signal's own thread, so a second signal is still heard while this one stops.
    Thread thread =
        new Thread(
            () -> System.exit(run("SIG" + signal.getName()) ? 0 : 1), "graceful-stop-" + what);
    thread.setDaemon(false);
    thread.start();
  }

  /** Stops within the deadline; true when the stop finished cleanly. */
  private boolean run(String cause) {
    long started = System.nanoTime();
    LOG.info(
        what
            + " shutdown started ("
            + cause
            + "): requests in flight have "
            + Gateway.SHUTDOWN_GRACE.toSeconds()
            + " s, the process exits within "
            + Gateway.STOP_DEADLINE.toSeconds()
            + " s");
    Thread worker =
        new Thread(
            () -> {
              try {
                action.run();
              } catch (Exception e) {
                LOG.log(Level.WARNING, what + " did not stop cleanly", e);
                throw new IllegalStateException(e);
              }
            },
            "graceful-stop-worker");
    worker.setDaemon(true);
    boolean[] failed = {false};
    worker.setUncaughtExceptionHandler((t, e) -> failed[0] = true);
    worker.start();
    try {
      worker.join(Gateway.STOP_DEADLINE.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
    if (worker.isAlive()) {
      LOG.warning(
          what
              + " shutdown did not finish within "
              + Gateway.STOP_DEADLINE.toSeconds()
              + " s: exiting anyway (every answered request is already in the audit log)");
      return false;
    }
    LOG.info(what + " shutdown complete in " + millis + " ms");
    return !failed[0];
  }
}
