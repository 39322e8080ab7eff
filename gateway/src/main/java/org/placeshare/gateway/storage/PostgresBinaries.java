package org.placeshare.gateway.storage;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/** The PostgreSQL programs, unpacked from the archive on the class path and checked before use. */
final class PostgresBinaries {

  private static final String ARCHIVE = "postgres-linux-x86_64.txz";

  private PostgresBinaries() {}

  /**
   * Unpacks the binaries once per version, shared by every gateway on the machine: under root in
   * {@link EmbeddedPostgres#ROOT_BASE}, otherwise in the temp folder (checked to be this user's
   * own, so no one can plant a program there to be run). A half-unpacked copy is never used
   * (unpacked beside, then renamed).
   */
  static Path unpack(RunAs runAs) throws IOException {
    String version = archiveVersion();
    Path target;
    if (runAs.isRoot()) {
      target = RootOwned.directory(EmbeddedPostgres.ROOT_BASE).resolve("binaries-" + version);
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

  static String sha256(byte[] bytes) {
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
    InputStream in = PostgresBinaries.class.getClassLoader().getResourceAsStream(ARCHIVE);
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
}
