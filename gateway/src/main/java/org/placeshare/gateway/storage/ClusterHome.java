package org.placeshare.gateway.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.logging.Logger;

/**
 * Where a gateway folder's cluster lives, and its making: in the folder, or under root in a folder
 * of root's when the server's unprivileged user cannot reach it.
 */
final class ClusterHome {

  // The embedded server's one logger, so operators find all its lines under one name.
  private static final Logger LOG = Logger.getLogger(EmbeddedPostgres.class.getName());

  private ClusterHome() {}

  /**
   * Under root: the folder itself when the server's user can reach it, else a folder of root's
   * under {@code rootBase} named for it (with a note in the folder saying where).
   */
  static Path homeUnderRoot(Path folder, Path rootBase, RunAs runAs) throws IOException {
    Path closedAt = runAs.firstClosed(folder);
    if (closedAt == null) {
      return folder;
    }
    Path home = RootOwned.directory(rootBase.resolve(folderKey(folder)));
    Path note = folder.resolve(EmbeddedPostgres.LOCATION_FILE);
    Files.writeString(
        note,
        home
            + "\n# Running as root, the embedded PostgreSQL runs as '"
            + EmbeddedPostgres.UNPRIVILEGED_USER
            + "', which cannot enter "
            + closedAt
            + ",\n# so its data is kept in the folder above, which only root and it can reach.\n",
        StandardCharsets.UTF_8);
    LOG.info(
        "running as root, the embedded PostgreSQL runs as '"
            + EmbeddedPostgres.UNPRIVILEGED_USER
            + "', which cannot enter "
            + closedAt
            + "; its files are in "
            + home);
    return home;
  }

  /** A short, stable name for a folder: the same clone finds its cluster again. */
  static String folderKey(Path folder) throws IOException {
    return PostgresBinaries.sha256(folder.toRealPath().toString().getBytes(StandardCharsets.UTF_8))
        .substring(0, 24);
  }

  static void initdb(Path binaries, Path data, Path passwordFile, RunAs runAs) throws IOException {
    String password = HexFormat.of().formatHex(random(24));
    Files.writeString(passwordFile, password + "\n", StandardCharsets.US_ASCII);
    ServerCommands.ownerOnly(passwordFile);
    Files.createDirectories(data);
    Path pwfile = Files.createTempFile(data.getParent(), "initdb", ".pw");
    try {
      Files.writeString(pwfile, password + "\n", StandardCharsets.US_ASCII);
      runAs.own(pwfile);
      runAs.own(data);
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
      ServerCommands.run(
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
}
