package org.placeshare.gateway.witness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.NoteVerifierKey;

/** {@code witness.yaml} read strictly: each mistake refused with what was expected. */
class WitnessConfigTest {

  static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;
  NoteSigner cosigner = NoteSigner.generateCosigner("witness.gpfed.example/w1", RANDOM);
  NoteSigner log = NoteSigner.generate("gw.example/coventry/audit", RANDOM);

  @BeforeEach
  void keys() throws Exception {
    Files.createDirectories(dir.resolve("keys"));
    Files.writeString(dir.resolve("keys/witness.key"), cosigner.encoded() + "\n");
    Files.writeString(dir.resolve("keys/log.key"), log.encoded() + "\n");
    Files.writeString(dir.resolve("keys/log.vkey"), log.verifierKey().encoded() + "\n");
  }

  Path write(String yaml) throws Exception {
    Path file = dir.resolve("witness.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @Test
  void load_aWholeFile_readsKeysRelativeToItsFolder() throws Exception {
    WitnessConfig config =
        WitnessConfig.load(
            write(
                "host: 127.0.0.1\nport: 7380\nkey: keys/witness.key\nlogs:\n"
                    + "  - vkeyFile: keys/log.vkey\n"
                    + "  - {vkey: \""
                    + log.verifierKey().encoded()
                    + "\", origin: gw.example/coventry/audit-old}\n"));

    assertThat(config.port()).isEqualTo(7380);
    assertThat(config.cosigner().verifierKey()).isEqualTo(cosigner.verifierKey());
    assertThat(config.keysFor("gw.example/coventry/audit")).containsExactly(log.verifierKey());
    assertThat(config.keysFor("gw.example/coventry/audit-old")).containsExactly(log.verifierKey());
    assertThat(config.keysFor("elsewhere")).isEmpty();
    assertThat(config.databaseUrl()).isEmpty();
    assertThat(config.dataDir()).isEqualTo(dir.toAbsolutePath().resolve("data"));
  }

  @Test
  void load_unknownKey_isRefused() throws Exception {
    Path file =
        write(
            "host: 127.0.0.1\nport: 0\nkey: keys/witness.key\nlogs: [{vkeyFile: keys/log.vkey}]\n"
                + "databaseUrl: postgres://x\n");

    assertThatThrownBy(() -> WitnessConfig.load(file))
        .hasMessage(file + ": unknown key 'databaseUrl'");
  }

  @Test
  void load_aLogWithBothVkeyAndVkeyFile_isRefused() throws Exception {
    Path file =
        write(
            "host: 127.0.0.1\nport: 0\nkey: keys/witness.key\nlogs: [{vkeyFile: keys/log.vkey,"
                + " vkey: x}]\n");

    assertThatThrownBy(() -> WitnessConfig.load(file))
        .hasMessage(file + ": logs[0]: expected one of vkey or vkeyFile");
  }

  @Test
  void load_theLogsKeyAsTheWitnessKey_isRefused() throws Exception {
    Path file =
        write("host: 127.0.0.1\nport: 0\nkey: keys/log.key\nlogs: [{vkeyFile: keys/log.vkey}]\n");

    assertThatThrownBy(() -> WitnessConfig.load(file))
        .hasMessageContaining("the witness key is not a cosigner's key (type 0x04)");
  }

  @Test
  void load_aWitnessKeyAsALogsKey_isRefused() throws Exception {
    Path file =
        write(
            "host: 127.0.0.1\nport: 0\nkey: keys/witness.key\nlogs: [{vkey: \""
                + cosigner.verifierKey().encoded()
                + "\"}]\n");

    assertThatThrownBy(() -> WitnessConfig.load(file))
        .hasMessageContaining("is not a log's checkpoint key (type 0x01)");
  }

  @Test
  void new_aLogKeyWithTheWitnessKeysPublicKey_isRefused() {
    // The same Ed25519 key as a log's (0x01): not equal as verifier keys, the same key in fact.
    NoteVerifierKey asLog =
        NoteVerifierKey.of("gw.example/coventry/audit", cosigner.verifierKey().publicKey());

    assertThatThrownBy(
            () ->
                new WitnessConfig(
                    "127.0.0.1",
                    0,
                    cosigner,
                    List.of(WitnessConfig.WitnessedLog.of(asLog)),
                    Optional.empty(),
                    dir))
        .hasMessage("the witness key cannot be a log's key");
  }

  @Test
  void load_noLogs_isRefused() throws Exception {
    Path file = write("host: 127.0.0.1\nport: 0\nkey: keys/witness.key\n");

    assertThatThrownBy(() -> WitnessConfig.load(file))
        .hasMessage(file + ": missing required key 'logs'");
  }
}
