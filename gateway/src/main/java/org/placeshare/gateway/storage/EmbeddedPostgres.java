package org.placeshare.gateway.storage;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * A real PostgreSQL server run by the gateway in its own data folder, from the binaries published
 * on Maven Central, so the demo and tests need nothing installed. Data persists across restarts. It
 * listens on 127.0.0.1 only, with a password (SCRAM) kept in an owner-only file.
 *
 * <p>PostgreSQL refuses to run as root, so when the gateway runs as root the server runs as the
 * unprivileged user {@value #UNPRIVILEGED_USER} (through util-linux {@code setpriv}).
 */
public final class EmbeddedPostgres implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(EmbeddedPostgres.class.getName());

  static final String UNPRIVILEGED_USER = "nobody";
  private static final String ARCHIVE = "postgres-linux-x86_64.txz";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final String READY = "database system is ready to accept connections";

  private final Process process;
  private final int port;
  private final String password;
  private final Path log;

  private EmbeddedPostgres(Process process, int port, String password, Path log) {
    this.process = process;
    this.port = port;
    this.password = password;
    this.log = log;
  }

  /**
   * Starts PostgreSQL with its data in {@code folder/data}, creating the cluster on first use.
   * Blocking: call it off the event loop.
   */
  public static EmbeddedPostgres start(Path folder) throws IOException {
    folder = folder.toAbsolutePath();
    Files.createDirectories(folder);
    Path binaries = unpackBinaries();
    Path data = folder.resolve("data");
    Path passwordFile = folder.resolve("password");
    RunAs runAs = RunAs.forFolder(folder);

    if (!Files.exists(data.resolve("PG_VERSION"))) {
      initdb(binaries, data, passwordFile, runAs);
    }
    String password = Files.readString(passwordFile, StandardCharsets.US_ASCII).strip();
    if (Files.exists(data.resolve("postmaster.pid"))) {
      // A previous gateway died without stopping its server: stop it so this one can start.
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
          folder.resolve("pg_ctl.log"),
          true);
    }
    int port = freePort();
    Path log = folder.resolve("server.log");
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
    EmbeddedPostgres server = new EmbeddedPostgres(launch(command, log), port, password, log);
    server.awaitReady();
    LOG.info("embedded PostgreSQL ready on 127.0.0.1:" + port);
    return server;
  }

  /** A connection URI for the vert.x PostgreSQL client, to the default database. */
  public String url() {
    return url("postgres");
  }

  /** A connection URI to one database of this server. */
  public String url(String database) {
    return "postgresql://postgres:" + password + "@127.0.0.1:" + port + "/" + database;
  }

  private void awaitReady() throws IOException {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IOException("embedded PostgreSQL exited at start: " + tail(log));
      }
      if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(READY)) {
        return;
      }
      sleep(50);
    }
    process.destroyForcibly();
    throw new IOException(
        "embedded PostgreSQL not ready within " + START_TIMEOUT.toSeconds() + " s: " + tail(log));
  }

  /** Stops the server cleanly (SIGTERM, then waits), forcibly after 30 seconds. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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

  /** Starts a command with its output, stdout and stderr together, in a log file. */
  private static Process launch(List<String> command, Path log) throws IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
        .start();
  }

  /** Runs one of the server's programs to its end; its failure names it and quotes its log. */
  private static void run(String program, List<String> command, Path log, boolean mayFail)
      throws IOException {
    Process process = launch(command, log);
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
   * Unpacks the binaries once per version into the temp folder, shared by every gateway on the
   * machine; a half-unpacked copy is never used (unpacked beside, then renamed).
   */
  private static Path unpackBinaries() throws IOException {
    String version = archiveVersion();
    Path target = Path.of(System.getProperty("java.io.tmpdir"), "placeshare-postgres-" + version);
    if (Files.exists(target.resolve("bin/postgres"))) {
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
    return target;
  }

  /** The archive's SHA-256 prefix: a new binaries version unpacks beside the old one. */
  private static String archiveVersion() throws IOException {
    try (InputStream in = archive()) {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
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
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
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
  private record RunAs(UserPrincipal user, Integer uid, Integer gid) {

    static RunAs forFolder(Path folder) throws IOException {
      Path probe = Files.createTempFile(folder, "whoami", ".tmp");
      try {
        int me = (Integer) Files.getAttribute(probe, "unix:uid");
        if (me != 0) {
          return new RunAs(null, null, null);
        }
        UserPrincipal user =
            folder
                .getFileSystem()
                .getUserPrincipalLookupService()
                .lookupPrincipalByName(UNPRIVILEGED_USER);
        Files.setOwner(probe, user);
        int uid = (Integer) Files.getAttribute(probe, "unix:uid");
        int gid = (Integer) Files.getAttribute(probe, "unix:gid");
        checkReachable(folder, uid);
        return new RunAs(user, uid, gid);
      } finally {
        Files.deleteIfExists(probe);
      }
    }

    /** Every folder above the data must let the unprivileged user pass. */
    private static void checkReachable(Path folder, int uid) throws IOException {
      for (Path p = folder; p != null; p = p.getParent()) {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
          throw new AccessDeniedException(
              p.toString(),
              null,
              "running as root, the embedded PostgreSQL runs as '"
                  + UNPRIVILEGED_USER
                  + "', which cannot enter this folder; put the data folder elsewhere or run as another user");
        }
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
}
