package org.placeshare.gateway.storage;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * A real PostgreSQL server run by the gateway, from the binaries published on Maven Central, so the
 * demo and tests need nothing installed. Data persists across restarts. It listens on 127.0.0.1
 * only (no Unix socket), with a password (SCRAM) kept in an owner-only file.
 *
 * <p>The server is supervised: if it exits unexpectedly it is started again, after a back-off
 * ({@link #FIRST_RESTART_DELAY} doubling up to {@link #MAX_RESTART_DELAY}), for at most {@link
 * #MAX_RESTART_ATTEMPTS} failed attempts in a row; while it is down the gateway answers 503.
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

  static final Duration FIRST_RESTART_DELAY = Duration.ofSeconds(1);
  static final Duration MAX_RESTART_DELAY = Duration.ofSeconds(30);
  static final int MAX_RESTART_ATTEMPTS = 8;

  private static final String ARCHIVE = "postgres-linux-x86_64.txz";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final String READY = "database system is ready to accept connections";

  private final Path binaries;
  private final Path home;
  private final Path data;
  private final RunAs runAs;
  private final String password;
  private final Path log;
  private final ScheduledExecutorService supervisor;
  private final Thread exitHook;

  private volatile int port;
  private volatile boolean closed;
  private Process process; // guarded by this

  private EmbeddedPostgres(Path binaries, Path home, RunAs runAs, String password, int port) {
    this.binaries = binaries;
    this.home = home;
    this.data = home.resolve("data");
    this.runAs = runAs;
    this.password = password;
    this.log = home.resolve("server.log");
    this.port = port;
    this.supervisor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "embedded-postgres-supervisor");
              t.setDaemon(true);
              return t;
            });
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
    Path binaries = unpackBinaries(runAs);
    Path home = runAs.isRoot() ? homeUnderRoot(folder, rootBase, runAs) : folder;
    Path data = home.resolve("data");
    Path passwordFile = home.resolve("password");

    if (!Files.exists(data.resolve("PG_VERSION"))) {
      initdb(binaries, data, passwordFile, runAs);
    }
    runAs.checkData(data);
    String password = Files.readString(passwordFile, StandardCharsets.US_ASCII).strip();
    EmbeddedPostgres server = new EmbeddedPostgres(binaries, home, runAs, password, freePort());
    try {
      server.stopLeftover();
      server.launchAndAwait(false);
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(server.exitHook);
    LOG.info(
        "embedded PostgreSQL ready on 127.0.0.1:"
            + server.port
            + (home.equals(folder) ? "" : " with its files in " + home));
    return server;
  }

  /** A connection URI for the vert.x PostgreSQL client, to the default database. */
  public String url() {
    return url("postgres");
  }

  /** A connection URI to one database of this server; its port may change at a restart. */
  public String url(String database) {
    return "postgresql://postgres:" + password + "@127.0.0.1:" + port + "/" + database;
  }

  /** The cluster's data folder (owned by the server's user, mode 0700). */
  public Path dataFolder() {
    return data;
  }

  /** The server's process id while it runs (for operators' tools and tests). */
  public synchronized long pid() {
    return process.pid();
  }

  /** A previous gateway died without stopping its server: stop it so this one can start. */
  private void stopLeftover() throws IOException {
    if (Files.exists(data.resolve("postmaster.pid"))) {
      run(
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

  /**
   * Starts the server and waits until it takes connections. A restart appends to the log, so the
   * lines about the crash stay; readiness is read only from what this start wrote.
   */
  private void launchAndAwait(boolean restart) throws IOException {
    List<String> command =
        runAs.command(
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
    Process launched;
    long from;
    synchronized (this) {
      if (closed) {
        throw new IOException("embedded PostgreSQL is closed");
      }
      from = restart && Files.exists(log) ? Files.size(log) : 0;
      launched = launch(command, log, restart);
      process = launched;
    }
    awaitReady(launched, from);
    launched.onExit().thenAccept(this::exited);
  }

  private void awaitReady(Process launched, long from) throws IOException {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!launched.isAlive()) {
        throw new IOException("embedded PostgreSQL exited at start: " + tail(log));
      }
      if (Files.exists(log) && written(log, from).contains(READY)) {
        return;
      }
      sleep(50);
    }
    launched.destroyForcibly();
    throw new IOException(
        "embedded PostgreSQL not ready within " + START_TIMEOUT.toSeconds() + " s: " + tail(log));
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
      supervisor.schedule(() -> restart(attempt), delay, TimeUnit.MILLISECONDS);
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
   * Stops the server: a fast shutdown (SIGINT: sessions end, a checkpoint is written), forcibly
   * after {@link #STOP_TIMEOUT}. Supervision stops first, so this is not taken for a crash.
   */
  @Override
  public void close() {
    Process running;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      running = process;
    }
    supervisor.shutdownNow();
    try {
      Runtime.getRuntime().removeShutdownHook(exitHook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // the JVM is already exiting (this may be the hook itself), or it was never added
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

  /**
   * Under root: the folder itself when the server's user can reach it, else a folder of root's
   * under {@code rootBase} named for it (with a note in the folder saying where).
   */
  private static Path homeUnderRoot(Path folder, Path rootBase, RunAs runAs) throws IOException {
    Path closedAt = runAs.firstClosed(folder);
    if (closedAt == null) {
      return folder;
    }
    Path home = RootOwned.directory(rootBase.resolve(folderKey(folder)));
    Path note = folder.resolve(LOCATION_FILE);
    Files.writeString(
        note,
        home
            + "\n# Running as root, the embedded PostgreSQL runs as '"
            + UNPRIVILEGED_USER
            + "', which cannot enter "
            + closedAt
            + ",\n# so its data is kept in the folder above, which only root and it can reach.\n",
        StandardCharsets.UTF_8);
    LOG.info(
        "running as root, the embedded PostgreSQL runs as '"
            + UNPRIVILEGED_USER
            + "', which cannot enter "
            + closedAt
            + "; its files are in "
            + home);
    return home;
  }

  /** A short, stable name for a folder: the same clone finds its cluster again. */
  static String folderKey(Path folder) throws IOException {
    return sha256(folder.toRealPath().toString().getBytes(StandardCharsets.UTF_8)).substring(0, 24);
  }

  private static void initdb(Path binaries, Path data, Path passwordFile, RunAs runAs)
      throws IOException {
    String password = HexFormat.of().formatHex(random(24));
    Files.writeString(passwordFile, password + "\n", StandardCharsets.US_ASCII);
    ownerOnly(passwordFile);
    Files.createDirectories(data);
    Path pwfile = Files.createTempFile(data.getParent(), "initdb", ".pw");
    try {
      Files.writeString(pwfile, password + "\n", StandardCharsets.US_ASCII);
      runAs.own(pwfile);
      runAs.own(data);
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
      run(
          "initdb",
          runAs.command(
              binaries.resolve("bin/initdb").toString(),
              "-D",
              data.toString(),
              "-U",
              "postgres",
              "--pwfile=" + pwfile,
              "-A",
              "scram-sha-256",
              "-E",
              "UTF8",
              "--locale=C"),
          data.getParent().resolve("initdb.log"),
          false);
    } finally {
      Files.deleteIfExists(pwfile);
    }
  }

  private static byte[] random(int bytes) {
    byte[] out = new byte[bytes];
    new SecureRandom().nextBytes(out);
    return out;
  }

  /**
   * Starts a command with its output, stdout and stderr together, in an owner-only log file (the
   * server's log may quote a failed statement).
   */
  private static Process launch(List<String> command, Path log, boolean append) throws IOException {
    if (!Files.exists(log, LinkOption.NOFOLLOW_LINKS)) {
      Files.createFile(log);
    }
    ownerOnly(log);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(
            append
                ? ProcessBuilder.Redirect.appendTo(log.toFile())
                : ProcessBuilder.Redirect.to(log.toFile()))
        .start();
  }

  /** What a log holds past an offset. */
  private static String written(Path log, long from) throws IOException {
    try (var channel = FileChannel.open(log)) {
      long size = channel.size();
      if (size <= from) {
        return "";
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(size - from, 1 << 20));
      channel.read(buffer, from);
      return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }
  }

  /** Runs one of the server's programs to its end; its failure names it and quotes its log. */
  private static void run(String program, List<String> command, Path log, boolean mayFail)
      throws IOException {
    Process process = launch(command, log, false);
    try {
      int code = process.waitFor();
      if (code != 0 && !mayFail) {
        throw new IOException(program + " failed (exit " + code + "): " + tail(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + program, e);
    }
  }

  /**
   * Unpacks the binaries once per version, shared by every gateway on the machine: under root in
   * {@link #ROOT_BASE}, otherwise in the temp folder (checked to be this user's own, so no one can
   * plant a program there to be run). A half-unpacked copy is never used (unpacked beside, then
   * renamed).
   */
  private static Path unpackBinaries(RunAs runAs) throws IOException {
    String version = archiveVersion();
    Path target;
    if (runAs.isRoot()) {
      target = RootOwned.directory(ROOT_BASE).resolve("binaries-" + version);
    } else {
      target = Path.of(System.getProperty("java.io.tmpdir"), "placeshare-postgres-" + version);
    }
    if (Files.exists(target.resolve("bin/postgres"))) {
      checkOwnBinaries(target, runAs.self());
      return target;
    }
    Path staging = Files.createTempDirectory(target.getParent(), "placeshare-postgres-unpack");
    try (InputStream raw = archive();
        TarArchiveInputStream tar =
            new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(raw)))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Path out = staging.resolve(entry.getName()).normalize();
        if (!out.startsWith(staging)) {
          throw new IOException("archive entry escapes its folder: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(out);
        } else if (entry.isSymbolicLink()) {
          Files.createDirectories(out.getParent());
          Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
        } else {
          Files.createDirectories(out.getParent());
          Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
          Files.setPosixFilePermissions(out, permissions(entry.getMode()));
        }
      }
    }
    try (var dirs = Files.walk(staging)) {
      for (Path dir : dirs.filter(Files::isDirectory).toList()) {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
    try {
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (!Files.exists(target.resolve("bin/postgres"))) {
        throw e;
      }
      // Another gateway unpacked the same version first; use theirs.
    }
    checkOwnBinaries(target, runAs.self());
    return target;
  }

  /** The programs to run must be this user's own and writable by no one else. */
  private static void checkOwnBinaries(Path target, int me) throws IOException {
    for (Path p : List.of(target, target.resolve("bin"), target.resolve("bin/postgres"))) {
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      int owner = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      if (Files.isSymbolicLink(p) || owner != me || (mode & 0022) != 0) {
        throw new AccessDeniedException(
            p.toString(),
            null,
            "the PostgreSQL binaries must be this user's own (uid "
                + me
                + ") and writable by no one else; remove this folder and start again");
      }
    }
  }

  /** The archive's SHA-256 prefix: a new binaries version unpacks beside the old one. */
  private static String archiveVersion() throws IOException {
    try (InputStream in = archive()) {
      MessageDigest sha = sha256();
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    }
  }

  private static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  private static InputStream archive() throws IOException {
    InputStream in = EmbeddedPostgres.class.getClassLoader().getResourceAsStream(ARCHIVE);
    if (in == null) {
      throw new IOException("PostgreSQL binaries " + ARCHIVE + " are not on the class path");
    }
    return in;
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    // Everyone may read and run the binaries (the server may run as another user); only the
    // owner writes.
    return PosixFilePermissions.fromString((mode & 0100) != 0 ? "rwxr-xr-x" : "rw-r--r--");
  }

  private static void ownerOnly(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  private static int freePort() throws IOException {
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

  /** Runs the server's commands as this process's user, or as an unprivileged one under root. */
  private record RunAs(int self, UserPrincipal user, Integer uid, Integer gid) {

    static RunAs forFolder(Path folder) throws IOException {
      Path probe = Files.createTempFile(folder, "whoami", ".tmp");
      try {
        int me = (Integer) Files.getAttribute(probe, "unix:uid");
        if (me != 0) {
          return new RunAs(me, null, null, null);
        }
        UserPrincipal user =
            folder
                .getFileSystem()
                .getUserPrincipalLookupService()
                .lookupPrincipalByName(UNPRIVILEGED_USER);
        Files.setOwner(probe, user);
        int uid = (Integer) Files.getAttribute(probe, "unix:uid");
        int gid = (Integer) Files.getAttribute(probe, "unix:gid");
        return new RunAs(me, user, uid, gid);
      } finally {
        Files.deleteIfExists(probe);
      }
    }

    boolean isRoot() {
      return uid != null;
    }

    /** The first folder from the top that the unprivileged user cannot pass, or null. */
    Path firstClosed(Path folder) throws IOException {
      Path closedAt = null;
      for (Path p = folder; p != null; p = p.getParent()) {
        if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          closedAt = p;
        }
      }
      return closedAt;
    }

    /**
     * The cluster must be the server user's alone: its own, mode 0700, not a link (PostgreSQL
     * checks the mode too, but not who put the folder there).
     */
    void checkData(Path data) throws IOException {
      int owner = (Integer) Files.getAttribute(data, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) Files.getAttribute(data, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      int expected = uid != null ? uid : self;
      if (Files.isSymbolicLink(data) || owner != expected || (mode & 0077) != 0) {
        throw new AccessDeniedException(
            data.toString(),
            null,
            "expected the PostgreSQL data folder to be a folder owned by uid "
                + expected
                + " with mode 0700, got owner "
                + owner
                + " and mode 0"
                + Integer.toOctalString(mode & 0777)
                + (Files.isSymbolicLink(data) ? " (a symbolic link)" : ""));
      }
    }

    void own(Path path) throws IOException {
      if (user != null) {
        Files.setOwner(path, user);
      }
    }

    List<String> command(String... args) {
      List<String> out = new ArrayList<>();
      if (uid != null) {
        out.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"));
      }
      out.addAll(List.of(args));
      return out;
    }
  }

  /**
   * Folders only root can change, made or checked from the top: every folder on the way is root's
   * and writable by no one else (or, like {@code /tmp}, sticky, so no one else can replace what
   * root put there); the folders made here are root's, mode 0711 (others may pass, not list), and
   * none is a symbolic link. Anything else is refused, not repaired: it may be an attacker's.
   */
  static final class RootOwned {

    private static final int STICKY = 01000;

    private RootOwned() {}

    static Path directory(Path dir) throws IOException {
      dir = dir.toAbsolutePath().normalize();
      Path at = dir.getRoot();
      check(at, false);
      for (int i = 0; i < dir.getNameCount(); i++) {
        boolean last = i == dir.getNameCount() - 1;
        Path next = at.resolve(dir.getName(i));
        if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
          try {
            Files.createDirectory(next);
            Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rwx--x--x"));
          } catch (FileAlreadyExistsException e) {
            // Made meanwhile (another gateway starting): the check below decides, as for any.
          }
        }
        if (Files.isSymbolicLink(next) && !last) {
          // A link on the way (/var -> /private/var) is followed once checked to be root's.
          check(next, false);
          next = next.toRealPath();
        }
        check(next, last);
        at = next;
      }
      return at;
    }

    private static void check(Path p, boolean last) throws IOException {
      int owner = uid(p);
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      boolean link = Files.isSymbolicLink(p);
      String problem = null;
      if (owner != 0) {
        problem = "is owned by uid " + owner + ", not root";
      } else if (link && last) {
        problem = "is a symbolic link";
      } else if (!link && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        problem = "is not a folder";
      } else if (!link && (mode & 0022) != 0 && (last || (mode & STICKY) == 0)) {
        problem = "is writable by others (mode 0" + Integer.toOctalString(mode & 07777) + ")";
      } else if (!link && (mode & 0001) == 0) {
        problem = "cannot be entered by '" + UNPRIVILEGED_USER + "'";
      }
      if (problem != null) {
        throw new AccessDeniedException(
            p.toString(),
            null,
            "refusing to keep the embedded PostgreSQL's files here: "
                + problem
                + "; expected folders only root can change");
      }
    }

    static int uid(Path p) throws IOException {
      return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }
  }
}
