package org.placeshare.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFileTest {

  @TempDir Path dir;

  @Test
  void write_newFile_isOwnerOnlyWithTheText_andLeavesNoPart() throws Exception {
    Path key = dir.resolve("keys/witness.key");

    SecretFile.write(key, "PRIVATE+KEY+w+00000000+AQ==\n");

    assertThat(Files.readString(key)).isEqualTo("PRIVATE+KEY+w+00000000+AQ==\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    try (var files = Files.list(key.getParent())) {
      assertThat(files).containsExactly(key);
    }
  }

  @Test
  void write_overAReadableFile_aHandleOpenedBeforeNeverSeesTheSecret() throws Exception {
    // A local user who opened the file while it was readable (the window the old way of writing
    // left: create with the umask, then narrow) keeps that handle: it must not reach the secret.
    Path key = dir.resolve("audit-note.key");
    Files.writeString(key, "old\n");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    try (InputStream snooper = Files.newInputStream(key)) {

      SecretFile.write(key, "secret\n");

      assertThat(new String(snooper.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("old\n");
    }
    assertThat(Files.readString(key)).isEqualTo("secret\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
  }
}
