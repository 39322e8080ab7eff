package org.placeshare.gateway.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Logger;

/**
 * A real PostgreSQL server run by the gateway, from the binaries published on Maven Central, so the
 * demo and tests need nothing installed. Data persists across restarts. It listens on 127.0.0.1
 * only (no Unix socket), with a password (SCRAM) kept in an owner-only file.
 *
 * <p>The server is supervised: if it exits unexpectedly it is started again, after a back-off (see
 * {@link PostgresSupervisor}), for a bounded number of failed attempts in a row; while it is down
 * the gateway answers 503.
 *
 * <p>PostgreSQL refuses to run as root, so when the gateway runs as root the server runs as the
 * unprivileged user {@value #UNPRIVILEGED_USER} (through util-linux {@code setpriv}), and its files
 * must be where that user can reach them and nobody else can: the binaries always, and the cluster
 * when the gateway's folder is closed to {@value #UNPRIVILEGED_USER} (a clone under {@code /root},
 * a {@code mktemp -d} folder), live under {@link #ROOT_BASE}, which is root's own and checked to be
 * so before use.
 */
public final class EmbeddedPostgres implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(EmbeddedPostgres.class.getName());

  static final String UNPRIVILEGED_USER = "nobody";

  /**
   * Under root, the home of the binaries, and of each cluster whose folder the unprivileged user
   * cannot enter (one sub-folder per folder, named by a hash of its path). Not under {@code /tmp}:
   * only root can create entries in {@code /var/lib}, so no one can plant a folder or a link here
   * in advance.
   */
  public static final Path ROOT_BASE = Path.of("/var/lib/placeshare/embedded-postgres");

  /** The file left in a folder whose cluster lives under {@link #ROOT_BASE}, saying where. */
  public static final String LOCATION_FILE = "location.txt";

  private final Path binaries;
  private final Path home;
  private final Path data;
  private final RunAs runAs;
  private final String password;
  private final PostgresSupervisor supervisor;
  private final Thread exitHook;

  private EmbeddedPostgres(Path binaries, Path home, RunAs runAs, String password, int port) {
    this.binaries = binaries;
    this.home = home;
    this.data = home.resolve("data");
    this.runAs = runAs;
    this.password = password;
    this.supervisor = new PostgresSupervisor(this::serverCommand, home.resolve("server.log"), port);
    // A JVM that exits without closing this (an overrun stop, System.exit) leaves no server behind.
    this.exitHook = new Thread(this::close, "embedded-postgres-stop");
  }

  /**
   * Starts PostgreSQL for the gateway folder {@code folder}, creating the cluster on first use: in
   * {@code folder/data}, or under root when that folder is closed to the server's user, in {@code
   * ROOT_BASE/<hash of folder>/data}. Blocking: call it off the event loop.
   */
  public static EmbeddedPostgres start(Path folder) throws IOException {
    return start(folder, ROOT_BASE);
  }

  /** As {@link #start(Path)}, with the root-owned base for displaced clusters given (tests). */
  static EmbeddedPostgres start(Path folder, Path rootBase) throws IOException {
    folder = folder.toAbsolutePath();
    Files.createDirectories(folder);
    RunAs runAs = RunAs.forFolder(folder);
    Path binaries = PostgresBinaries.unpack(runAs);
    Path home = runAs.isRoot() ? ClusterHome.homeUnderRoot(folder, rootBase, runAs) : folder;
    Path data = home.resolve("data");
    Path passwordFile = home.resolve("password");

    if (!Files.exists(data.resolve("PG_VERSION"))) {
      ClusterHome.initdb(binaries, data, passwordFile, runAs);
    }
    runAs.checkData(data);
    String password = Files.readString(passwordFile, StandardCharsets.US_ASCII).strip();
    EmbeddedPostgres server =
        new EmbeddedPostgres(binaries, home, runAs, password, PostgresSupervisor.freePort());
    try {
      server.stopLeftover();
      server.supervisor.launchAndAwait(false);
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(server.exitHook);
    LOG.info(
        "embedded PostgreSQL ready on 127.0.0.1:"
            + server.supervisor.port()
            + (home.equals(folder) ? "" : " with its files in " + home));
    return server;
  }

  /** A connection URI for the vert.x PostgreSQL client, to the default database. */
  public String url() {
    return url("postgres");
  }

  /** A connection URI to one database of this server; its port may change at a restart. */
  public String url(String database) {
    return "postgresql://postgres:" + password + "@127.0.0.1:" + supervisor.port() + "/" + database;
  }

  /** The cluster's data folder (owned by the server's user, mode 0700). */
  public Path dataFolder() {
    return data;
  }

  /** The server's process id while it runs (for operators' tools and tests). */
  public long pid() {
    return supervisor.pid();
  }

  /** A previous gateway died without stopping its server: stop it so this one can start. */
  private void stopLeftover() throws IOException {
    if (Files.exists(data.resolve("postmaster.pid"))) {
      ServerCommands.run(
          "pg_ctl",
          runAs.command(
              binaries.resolve("bin/pg_ctl").toString(),
              "-D",
              data.toString(),
              "-m",
              "fast",
              "-w",
              "stop"),
          home.resolve("pg_ctl.log"),
          true);
    }
  }

  /** The server's command line: loopback only, no Unix socket. */
  private List<String> serverCommand(int port) {
    return runAs.command(
        binaries.resolve("bin/postgres").toString(),
        "-D",
        data.toString(),
        "-p",
        Integer.toString(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=100");
  }

  /**
   * Stops the server: a fast shutdown (SIGINT: sessions end, a checkpoint is written), forcibly
   * after a timeout. Supervision stops first, so this is not taken for a crash.
   */
  @Override
  public void close() {
    if (!supervisor.endSupervision()) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(exitHook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // the JVM is already exiting (this may be the hook itself), or it was never added
    }
    supervisor.stop();
  }
}
