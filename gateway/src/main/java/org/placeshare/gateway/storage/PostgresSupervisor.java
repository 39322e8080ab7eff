package org.placeshare.gateway.storage;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.logging.Logger;

/**
 * Runs the server process and keeps it running: if it exits unasked it is started again after a
 * back-off ({@link #FIRST_RESTART_DELAY} doubling up to {@link #MAX_RESTART_DELAY}), for at most
 * {@link #MAX_RESTART_ATTEMPTS} failed attempts in a row.
 */
final class PostgresSupervisor {

  // The embedded server's one logger, so operators find all its lines under one name.
  private static final Logger LOG = Logger.getLogger(EmbeddedPostgres.class.getName());

  static final Duration FIRST_RESTART_DELAY = Duration.ofSeconds(1);
  static final Duration MAX_RESTART_DELAY = Duration.ofSeconds(30);
  static final int MAX_RESTART_ATTEMPTS = 8;

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final String READY = "database system is ready to accept connections";

  private final IntFunction<List<String>> serverCommand;
  private final Path log;
  private final ScheduledExecutorService scheduler;

  private volatile int port;
  private volatile boolean closed;
  private Process process; // guarded by this

  /**
   * @param serverCommand the server's command line for a port (the port may change at a restart)
   * @param log the server's log, kept across restarts
   */
  PostgresSupervisor(IntFunction<List<String>> serverCommand, Path log, int port) {
    this.serverCommand = serverCommand;
    this.log = log;
    this.port = port;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "embedded-postgres-supervisor");
              t.setDaemon(true);
              return t;
            });
  }

  int port() {
    return port;
  }

  synchronized long pid() {
    return process.pid();
  }

  /**
   * Starts the server and waits until it takes connections. A restart appends to the log, so the
   * lines about the crash stay; readiness is read only from what this start wrote.
   */
  void launchAndAwait(boolean restart) throws IOException {
    List<String> command = serverCommand.apply(port);
    Process launched;
    long from;
    synchronized (this) {
      if (closed) {
        throw new IOException("embedded PostgreSQL is closed");
      }
      from = restart && Files.exists(log) ? Files.size(log) : 0;
      launched = ServerCommands.launch(command, log, restart);
      process = launched;
    }
    awaitReady(launched, from);
    launched.onExit().thenAccept(this::exited);
  }

  private void awaitReady(Process launched, long from) throws IOException {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!launched.isAlive()) {
        throw new IOException("embedded PostgreSQL exited at start: " + ServerCommands.tail(log));
      }
      if (Files.exists(log) && ServerCommands.written(log, from).contains(READY)) {
        return;
      }
      sleep(50);
    }
    launched.destroyForcibly();
    throw new IOException(
        "embedded PostgreSQL not ready within "
            + START_TIMEOUT.toSeconds()
            + " s: "
            + ServerCommands.tail(log));
  }

  /** The server process ended: unless this was asked for, start it again. */
  private void exited(Process ended) {
    synchronized (this) {
      if (closed || ended != process) {
        return;
      }
    }
    LOG.warning(
        "embedded PostgreSQL exited unexpectedly (exit "
            + ended.exitValue()
            + "); the gateway answers 503 until it is back; restarting in "
            + FIRST_RESTART_DELAY.toMillis()
            + " ms (its log: "
            + log
            + ")");
    schedule(1);
  }

  private void schedule(int attempt) {
    long delay =
        Math.min(
            FIRST_RESTART_DELAY.toMillis() << Math.min(attempt - 1, 16),
            MAX_RESTART_DELAY.toMillis());
    try {
      scheduler.schedule(() -> restart(attempt), delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile: nothing to restart
    }
  }

  private void restart(int attempt) {
    if (closed) {
      return;
    }
    try {
      if (!portFree(port)) {
        // Someone took the port while the server was down; the pool follows url().
        port = freePort();
      }
      launchAndAwait(true);
      LOG.info("embedded PostgreSQL restarted on 127.0.0.1:" + port + " (attempt " + attempt + ")");
    } catch (IOException | RuntimeException e) {
      if (closed) {
        return;
      }
      // Only the kind of failure: the server's log is where its own words are (it may quote SQL).
      if (attempt >= MAX_RESTART_ATTEMPTS) {
        LOG.severe(
            "embedded PostgreSQL did not restart after "
                + attempt
                + " attempts ("
                + e.getClass().getSimpleName()
                + "); the gateway answers 503 until an operator restarts it; see "
                + log);
        return;
      }
      LOG.warning(
          "embedded PostgreSQL restart attempt "
              + attempt
              + " of "
              + MAX_RESTART_ATTEMPTS
              + " failed ("
              + e.getClass().getSimpleName()
              + "); trying again; see "
              + log);
      schedule(attempt + 1);
    }
  }

  /**
   * Ends supervision, so that the server's exit from here on is not taken for a crash.
   *
   * @return false when it had ended already
   */
  boolean endSupervision() {
    synchronized (this) {
      if (closed) {
        return false;
      }
      closed = true;
    }
    scheduler.shutdownNow();
    return true;
  }

  /**
   * Stops the server once supervision has ended: a fast shutdown (SIGINT: sessions end, a
   * checkpoint is written), forcibly after {@link #STOP_TIMEOUT}.
   */
  void stop() {
    Process running;
    synchronized (this) {
      running = process;
    }
    if (running == null || !running.isAlive()) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-INT", Long.toString(running.pid())).start().waitFor();
      if (!running.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warning("embedded PostgreSQL did not stop within " + STOP_TIMEOUT.toSeconds() + " s");
        running.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (IOException e) {
      running.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.destroyForcibly();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static boolean portFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
