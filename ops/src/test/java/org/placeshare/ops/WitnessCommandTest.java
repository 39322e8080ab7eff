package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.Gateway;
import org.placeshare.gateway.audit.NoteCheckpoint;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.gateway.audit.SignedNote;
import picocli.CommandLine;

/**
 * {@code placeshare keygen witness} and {@code placeshare witness --config}, as a partner agency
 * sets a witness up from the sample {@code ops/config/witness.yaml}: a real process on its embedded
 * PostgreSQL, cosigning a checkpoint of the gateway's log over HTTP.
 */
class WitnessCommandTest {

  @TempDir Path keysDir;

  private final HttpClient http = HttpClient.newHttpClient();

  private static int run(String... args) {
    CommandLine cli = new CommandLine(new Ops());
    cli.setErr(new PrintWriter(new StringWriter()));
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setExecutionExceptionHandler((e, command, parsed) -> 1);
    return cli.execute(args);
  }

  @Test
  void keygen_witness_writesACosignerKeyOwnerOnly_andItsVerifierKey_andNeverOverwrites()
      throws Exception {
    String out = keysDir.toString();
    assertThat(run("keygen", "witness", "--name", "witness.gpfed.example/w1", "--out", out))
        .isZero();

    NoteSigner key = NoteSigner.parse(Files.readString(keysDir.resolve("witness.key")));
    NoteVerifierKey vkey =
        NoteVerifierKey.parse(Files.readString(keysDir.resolve("witness.vkey")).strip());
    assertThat(vkey).isEqualTo(key.verifierKey());
    assertThat(vkey.name()).isEqualTo("witness.gpfed.example/w1");
    assertThat(vkey.type()).isEqualTo(NoteVerifierKey.Type.COSIGNATURE_V1);
    assertThat(Files.getPosixFilePermissions(keysDir.resolve("witness.key")))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    String before = Files.readString(keysDir.resolve("witness.key"));
    assertThat(run("keygen", "witness", "--name", "witness.gpfed.example/w2", "--out", out))
        .isEqualTo(1);
    assertThat(Files.readString(keysDir.resolve("witness.key"))).isEqualTo(before);
  }

  @Test
  void witness_fromTheSampleConfig_cosignsACheckpointOverHttp_andStopsOnSigterm() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "witness-" + System.nanoTime()));
    Path keys = dir.resolve("keys");
    assertThat(
            run(
                "keygen",
                "witness",
                "--name",
                "witness.gpfed.example/w1",
                "--out",
                keys.toString()))
        .isZero();
    assertThat(
            run(
                "keygen",
                "note",
                "--name",
                "coventry-audit",
                "--origin",
                "gw.example/coventry/audit",
                "--out",
                keys.toString()))
        .isZero();
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String sample = Files.readString(Path.of("config", "witness.yaml"));
    assertThat(sample).contains("host: 0.0.0.0 ").contains("port: 7380 ");
    Path config = dir.resolve("witness.yaml");
    Files.writeString(
        config,
        sample
            .replace("host: 0.0.0.0 ", "host: 127.0.0.1 ")
            .replace("port: 7380 ", "port: " + port + " "));
    Path log = dir.resolve("witness.log");
    Process witness = launch(config, log);
    try {
      awaitListening(port, log);
      NoteSigner logKey = NoteSigner.parse(Files.readString(keys.resolve("coventry-audit.key")));
      String checkpoint = NoteCheckpoint.sign(logKey, 3, new byte[32]).note();

      Files.writeString(dir.resolve("checkpoint"), checkpoint);

      // The line docs/audit.md gives ("Running a witness"), on this witness's port.
      Process curl =
          new ProcessBuilder(
                  "sh",
                  "-c",
                  "{ printf 'old 0\\n\\n'; cat checkpoint; } | curl -s --data-binary @-"
                      + " http://127.0.0.1:"
                      + port
                      + "/add-checkpoint")
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .start();
      String cosignature = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(curl.waitFor()).isZero();
      HttpResponse<String> retry =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/add-checkpoint"))
                  .POST(HttpRequest.BodyPublishers.ofString("old 3\n\n" + checkpoint))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(retry.statusCode()).as(Files.readString(log)).isEqualTo(200);
      NoteVerifierKey witnessKey =
          NoteVerifierKey.parse(Files.readString(keys.resolve("witness.vkey")).strip());
      SignedNote.Opened opened =
          SignedNote.open(
              (checkpoint + cosignature).getBytes(StandardCharsets.UTF_8),
              List.of(logKey.verifierKey(), witnessKey));
      assertThat(opened.signedBy(witnessKey)).isTrue();

      witness.destroy(); // SIGTERM
      boolean exited = witness.waitFor(Gateway.STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      String output = Files.readString(log);
      assertThat(exited).as(output).isTrue();
      assertThat(witness.exitValue()).as(output).isZero();
      assertThat(output)
          .contains("cosigned gw.example/coventry/audit at size 3")
          .contains("witness shutdown complete")
          // The witness logs origins and sizes, never a checkpoint's body.
          .doesNotContain(checkpoint.substring(checkpoint.indexOf('\n')));
      assertThat(dir.resolve("data/postgres/data/postmaster.pid")).doesNotExist();
    } finally {
      witness.destroyForcibly().waitFor();
    }
  }

  @Test
  void witness_anUnreadableDatabaseUrl_failsNamingTheSettingNeverThePassword() throws Exception {
    Path keys = keysDir.resolve("keys");
    assertThat(run("keygen", "witness", "--name", "witness.gpfed.example/w1", "--out", "" + keys))
        .isZero();
    assertThat(
            run(
                "keygen",
                "note",
                "--name",
                "coventry-audit",
                "--origin",
                "gw.example/coventry/audit",
                "--out",
                keys.toString()))
        .isZero();
    Files.writeString(
        keysDir.resolve("database-url"),
        "postgresql://witness:S3cret@db.gpfed.example:port/witness\n");
    Path config = keysDir.resolve("witness.yaml");
    Files.writeString(
        config,
        "host: 127.0.0.1\nport: 0\nkey: keys/witness.key\n"
            + "logs: [{vkeyFile: keys/coventry-audit.vkey}]\ndatabaseUrlFile: database-url\n");
    Path log = keysDir.resolve("witness.log");

    Process witness = launch(config, log);
    try {
      assertThat(witness.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String output = Files.readString(log);
      assertThat(witness.exitValue()).as(output).isEqualTo(1);
      assertThat(output)
          .contains(
              "witness did not start: databaseUrlFile: the database URL is not a PostgreSQL URL")
          .doesNotContain("S3cret");
    } finally {
      witness.destroyForcibly().waitFor();
    }
  }

  private static Process launch(Path config, Path log) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            Ops.class.getName(),
            "witness",
            "--config",
            config.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static void awaitListening(int port, Path log) throws Exception {
    Instant deadline = Instant.now().plusSeconds(90);
    while (Instant.now().isBefore(deadline)) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(100); // not listening yet
      }
    }
    throw new AssertionError("the witness did not start:\n" + Files.readString(log));
  }
}
