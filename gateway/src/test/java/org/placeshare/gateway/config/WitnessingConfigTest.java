package org.placeshare.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.gateway.audit.WitnessingConfig;

/** The {@code witnessing} section: read, defaulted, bounded, and strict about the key type. */
class WitnessingConfigTest {

  @TempDir Path dir;

  private static final String BASE =
      """
      host: 127.0.0.1
      port: 0
      dataDir: data
      signingKey: keys/gateway.key.pem
      agreements: agreements
      organisations:
        - {code: Y90001, name: GP}
      """;

  private static final String NOTE_KEY = "auditNoteKey: keys/audit-note.key\n";

  @BeforeEach
  void keys() throws Exception {
    Files.createDirectories(dir.resolve("keys"));
    SecureRandom random = new SecureRandom();
    Files.writeString(
        dir.resolve("keys/gpfed.vkey"),
        NoteSigner.generateCosigner("witness.gpfed.example", random).verifierKey().encoded());
    Files.writeString(
        dir.resolve("keys/council.vkey"),
        NoteSigner.generateCosigner("witness.council.example", random).verifierKey().encoded());
    Files.writeString(
        dir.resolve("keys/log.vkey"),
        NoteSigner.generate("audit.placeshare.example", random).verifierKey().encoded());
  }

  private Path write(String extra) throws Exception {
    Path file = dir.resolve("gateway.yaml");
    Files.writeString(file, BASE + extra);
    return file;
  }

  @Test
  void witnessing_absent_isNone() throws Exception {
    GatewayConfig config = GatewayConfig.load(write(NOTE_KEY));

    assertThat(config.witnessing()).isEqualTo(WitnessingConfig.NONE);
    assertThat(config.witnessing().configured()).isFalse();
  }

  @Test
  void witnessing_readWithKeysQuorumLagAndFailClosed() throws Exception {
    GatewayConfig config =
        GatewayConfig.load(
            write(
                NOTE_KEY
                    + """
                    witnessing:
                      witnesses:
                        - {url: http://127.0.0.1:7380/, key: keys/gpfed.vkey}
                        - {url: https://witness.council.example/w, key: keys/council.vkey}
                      quorum: 1
                      maxLag: PT5M
                      failClosed: true
                    """));

    WitnessingConfig w = config.witnessing();
    assertThat(w.witnesses()).hasSize(2);
    assertThat(w.witnesses().get(0).url().toString()).isEqualTo("http://127.0.0.1:7380");
    assertThat(w.witnesses().get(0).name()).isEqualTo("witness.gpfed.example");
    assertThat(w.witnesses().get(1).name()).isEqualTo("witness.council.example");
    assertThat(w.quorum()).isEqualTo(1);
    assertThat(w.maxLag()).isEqualTo(Duration.ofMinutes(5));
    assertThat(w.failClosed()).isTrue();
  }

  @Test
  void witnessing_quorumDefaultsToEveryWitness_lagToTwoMinutes_openByDefault() throws Exception {
    WitnessingConfig w =
        GatewayConfig.load(
                write(
                    NOTE_KEY
                        + """
                        witnessing:
                          witnesses:
                            - {url: http://127.0.0.1:7380, key: keys/gpfed.vkey}
                            - {url: http://127.0.0.1:7381, key: keys/council.vkey}
                        """))
            .witnessing();

    assertThat(w.quorum()).isEqualTo(2);
    assertThat(w.maxLag()).isEqualTo(WitnessingConfig.DEFAULT_MAX_LAG);
    assertThat(w.failClosed()).isFalse();
  }

  @Test
  void witnessing_withoutAnAuditNoteKey_isRefused() throws Exception {
    Path file =
        write(
            """
            witnessing:
              witnesses:
                - {url: http://127.0.0.1:7380, key: keys/gpfed.vkey}
            """);

    assertThatThrownBy(() -> GatewayConfig.load(file))
        .isInstanceOf(GatewayConfig.ConfigException.class)
        .hasMessage(
            file
                + ":\nwitnessing: expected an auditNoteKey, got none (witnesses cosign the"
                + " checkpoints signed as notes with it)");
  }

  @Test
  void witnessing_aLogKeyForAWitness_isRefusedSayingItsType() throws Exception {
    Path file =
        write(
            NOTE_KEY
                + """
                witnessing:
                  witnesses:
                    - {url: http://127.0.0.1:7380, key: keys/log.vkey}
                """);

    assertThatThrownBy(() -> GatewayConfig.load(file))
        .isInstanceOf(GatewayConfig.ConfigException.class)
        .hasMessage(
            file
                + ":\nwitnessing.witnesses[0].key: "
                + dir.resolve("keys/log.vkey")
                + " is a log's note key (type 0x01), expected a witness's cosigner key (type"
                + " 0x04)");
  }

  @Test
  void witnessing_badValues_areEachRefused() throws Exception {
    Files.writeString(dir.resolve("keys/garbage.vkey"), "not a key");
    Path file =
        write(
            NOTE_KEY
                + """
                witnessing:
                  witnesses:
                    - {url: ftp://127.0.0.1:7380, key: keys/gpfed.vkey}
                    - {url: http://127.0.0.1:7381, key: keys/garbage.vkey}
                    - {url: http://127.0.0.1:7382, key: keys/missing.vkey}
                    - {url: http://127.0.0.1:7383, key: keys/gpfed.vkey}
                  quorum: 5
                  maxLag: PT1S
                """);

    assertThatThrownBy(() -> GatewayConfig.load(file))
        .isInstanceOf(GatewayConfig.ConfigException.class)
        .hasMessageContaining(
            "witnessing.witnesses[0].url: expected an https URL (http only on loopback) without"
                + " query or fragment, got ftp://127.0.0.1:7380")
        .hasMessageContaining(
            "witnessing.witnesses[1].key: "
                + dir.resolve("keys/garbage.vkey")
                + ": a note verifier key is name+hash+key")
        .hasMessageContaining(
            "witnessing.witnesses[2].key: " + dir.resolve("keys/missing.vkey") + " cannot be read")
        .hasMessageContaining(
            "witnessing.witnesses[3].key: expected each witness once, got witness.gpfed.example"
                + " again")
        .hasMessageContaining("witnessing.quorum: expected 1 to 4, got 5")
        .hasMessageContaining("witnessing.maxLag: expected PT2S to PT24H, got PT1S");
  }

  @Test
  void witnessing_aKeyFileTooLargeForAVkey_isRefusedUnread() throws Exception {
    // A key that parses after 4 KiB of padding is still another file named by mistake.
    Files.writeString(
        dir.resolve("keys/padded.vkey"),
        " ".repeat(5000) + Files.readString(dir.resolve("keys/gpfed.vkey")));
    Path file =
        write(
            NOTE_KEY
                + """
                witnessing:
                  witnesses:
                    - {url: http://127.0.0.1:7380, key: keys/padded.vkey}
                """);

    assertThatThrownBy(() -> GatewayConfig.load(file))
        .isInstanceOf(GatewayConfig.ConfigException.class)
        .hasMessageContaining(
            "witnessing.witnesses[0].key: "
                + dir.resolve("keys/padded.vkey")
                + ": not a note verifier key (larger than 4096 bytes)");
  }

  @Test
  void witnessing_plainHttpOffLoopback_isRefused() throws Exception {
    // Anyone on the path could answer a 409 naming a larger tree: a false fork alert.
    Path file =
        write(
            NOTE_KEY
                + """
                witnessing:
                  witnesses:
                    - {url: http://witness.gpfed.example.nhs.uk, key: keys/gpfed.vkey}
                    - {url: http://203.0.113.7:8080, key: keys/council.vkey}
                """);

    assertThatThrownBy(() -> GatewayConfig.load(file))
        .isInstanceOf(GatewayConfig.ConfigException.class)
        .hasMessageContaining(
            "witnessing.witnesses[0].url: expected an https URL (http only on loopback)")
        .hasMessageContaining(
            "witnessing.witnesses[1].url: expected an https URL (http only on loopback)");
  }

  @Test
  void witnessing_oneKeyUnderTwoNames_isRefused() throws Exception {
    // A cosignature/v1 does not commit to the name: one key under two names is one witness.
    NoteVerifierKey gpfed =
        NoteVerifierKey.parse(Files.readString(dir.resolve("keys/gpfed.vkey")).strip());
    Files.writeString(
        dir.resolve("keys/alias.vkey"),
        NoteVerifierKey.of(
                "witness.alias.example", NoteVerifierKey.Type.COSIGNATURE_V1, gpfed.publicKey())
            .encoded());
    Path file =
        write(
            NOTE_KEY
                + """
                witnessing:
                  witnesses:
                    - {url: http://127.0.0.1:7380, key: keys/gpfed.vkey}
                    - {url: http://127.0.0.1:7381, key: keys/alias.vkey}
                  quorum: 2
                """);

    assertThatThrownBy(() -> GatewayConfig.load(file))
        .isInstanceOf(GatewayConfig.ConfigException.class)
        .hasMessageContaining(
            "witnessing.witnesses[1].key: expected each witness's own key, got"
                + " witness.alias.example's key again");
  }

  @Test
  void witnessing_unknownKey_isRefused() throws Exception {
    Path file =
        write(
            NOTE_KEY
                + """
                witnessing:
                  witnesses:
                    - {url: http://127.0.0.1:7380, key: keys/gpfed.vkey}
                  quorom: 1
                """);

    assertThatThrownBy(() -> GatewayConfig.load(file))
        .isInstanceOf(GatewayConfig.ConfigException.class)
        .hasMessageContaining("unknown key 'quorom'");
  }
}
