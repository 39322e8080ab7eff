package org.placeshare.gateway.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Where the embedded server's files live. A newcomer may clone the repository anywhere, as root
 * too: into root's home folder (mode 0700) or a {@code mktemp -d} folder, which the server's user
 * ({@code nobody} under root) cannot enter. Its cluster then lives in a folder of root's that only
 * root and that user can reach; a folder planted there by anyone else is refused.
 */
class EmbeddedPostgresTest {

  private static final boolean ROOT = isRoot();

  private Path folder;
  private Path base;

  @BeforeEach
  void privateFolders() throws IOException {
    // As mktemp -d makes it: mode 0700, in /tmp.
    folder = Files.createTempDirectory("placeshare-private-clone");
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
    // A root-owned base for displaced clusters (as ROOT_BASE is), under the sticky /tmp.
    base = Files.createTempDirectory("placeshare-root-base");
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
  }

  @AfterEach
  void removeFolders() throws IOException {
    for (Path p : new Path[] {folder, base}) {
      if (p != null && Files.exists(p)) {
        try (Stream<Path> all = Files.walk(p)) {
          for (Path each : all.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(each);
          }
        }
      }
    }
  }

  @Test
  void start_inAFolderOthersCannotEnter_runsWithItsClusterWhereOnlyRootAndTheServerReach()
      throws Exception {
    Path postgres = folder.resolve("data/postgres");
    try (EmbeddedPostgres server = EmbeddedPostgres.start(postgres, base)) {
      assertThat(query(server.url(), "SELECT 6 * 7")).isEqualTo(42);

      Path data = server.dataFolder();
      if (ROOT) {
        Path home = base.resolve(ClusterHome.folderKey(postgres));
        assertThat(data).isEqualTo(home.resolve("data"));
        assertThat(uid(home)).isZero();
        assertThat(mode(home)).isEqualTo("rwx--x--x");
        assertThat(uid(data)).isEqualTo(uidOf("nobody"));
        assertThat(mode(data)).isEqualTo("rwx------");
        assertThat(mode(home.resolve("password"))).isEqualTo("rw-------");
        assertThat(mode(home.resolve("server.log"))).isEqualTo("rw-------");
        assertThat(Files.readString(postgres.resolve(EmbeddedPostgres.LOCATION_FILE)))
            .startsWith(home + "\n")
            .contains("cannot enter " + folder);
      } else {
        // Not root: the server runs as this user, and the folder is its own to use.
        assertThat(data).isEqualTo(postgres.resolve("data"));
        assertThat(postgres.resolve(EmbeddedPostgres.LOCATION_FILE)).doesNotExist();
      }
    }
    // Started again for the same folder, it finds the same cluster (and its password).
    try (EmbeddedPostgres again = EmbeddedPostgres.start(postgres, base)) {
      assertThat(query(again.url(), "SELECT 1")).isEqualTo(1);
    }
  }

  @Test
  void start_asRoot_whenTheClustersFolderIsALinkPlantedInAdvance_isRefused() throws Exception {
    Path postgres = Files.createDirectories(folder.resolve("postgres"));
    Path planted = Files.createDirectories(folder.resolve("attacker"));
    Path home = base.resolve(ClusterHome.folderKey(postgres));
    Files.createSymbolicLink(home, planted);
    if (!ROOT) {
      assertRunsInItsOwnFolder(postgres);
      return;
    }

    assertThatThrownBy(() -> EmbeddedPostgres.start(postgres, base))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessage(
            home
                + ": refusing to keep the embedded PostgreSQL's files here: is a symbolic"
                + " link; expected folders only root can change");
    assertThat(planted).isEmptyDirectory();
  }

  @Test
  void start_asRoot_whenTheClustersFolderWasMadeByAnotherUser_isRefused() throws Exception {
    Path postgres = Files.createDirectories(folder.resolve("postgres"));
    Path home = Files.createDirectory(base.resolve(ClusterHome.folderKey(postgres)));
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx--x--x"));
    if (!ROOT) {
      assertRunsInItsOwnFolder(postgres);
      return;
    }
    Files.setOwner(
        home, home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));

    assertThatThrownBy(() -> EmbeddedPostgres.start(postgres, base))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessage(
            home
                + ": refusing to keep the embedded PostgreSQL's files here: is owned by uid "
                + uid(home)
                + ", not root; expected folders only root can change");
  }

  @Test
  void start_asRoot_whenTheBaseIsWritableByOthers_isRefused() throws Exception {
    Path postgres = Files.createDirectories(folder.resolve("postgres"));
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxrwxrwx"));
    if (!ROOT) {
      assertRunsInItsOwnFolder(postgres);
      return;
    }

    assertThatThrownBy(() -> EmbeddedPostgres.start(postgres, base))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessage(
            base
                + ": refusing to keep the embedded PostgreSQL's files here: is writable by others"
                + " (mode 0777); expected folders only root can change");
  }

  /** Not root: the server runs as this user, in the folder it was given; the base is not used. */
  private static void assertRunsInItsOwnFolder(Path postgres) throws Exception {
    try (EmbeddedPostgres server = EmbeddedPostgres.start(postgres, Path.of("/nonexistent"))) {
      assertThat(server.dataFolder()).isEqualTo(postgres.resolve("data"));
      assertThat(query(server.url(), "SELECT 1")).isEqualTo(1);
    }
  }

  private static int query(String url, String sql) {
    Vertx vertx = Vertx.vertx();
    try {
      var client =
          PgBuilder.client().connectingTo(PgConnectOptions.fromUri(url)).using(vertx).build();
      int value = client.query(sql).execute().await().iterator().next().getInteger(0);
      client.close().await();
      return value;
    } finally {
      vertx.close().await();
    }
  }

  private static int uid(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  private static int uidOf(String user) throws IOException {
    Path probe = Files.createTempFile("placeshare-uid", ".tmp");
    try {
      Files.setOwner(
          probe, probe.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user));
      return uid(probe);
    } finally {
      Files.deleteIfExists(probe);
    }
  }

  private static boolean isRoot() {
    try {
      Path probe = Files.createTempFile("placeshare-whoami", ".tmp");
      try {
        return uid(probe) == 0;
      } finally {
        Files.deleteIfExists(probe);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
