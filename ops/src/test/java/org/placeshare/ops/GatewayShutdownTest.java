package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.placeshare.gateway.Gateway;
import org.placeshare.policy.identity.SigningKey;

/**
 * {@code placeshare gateway CONFIG} as systemd runs it, a real process on its embedded PostgreSQL:
 * SIGTERM stops it within the documented deadline (the unit's {@code TimeoutStopSec=30} leaves room
 * above it), saying so in its log, and it stops its database server cleanly.
 */
class GatewayShutdownTest {

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void sigterm_idleGateway_exitsWithinTheDocumentedDeadline_andLogsTheStop() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "shutdown-" + System.nanoTime()));
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path config = writeConfig(dir, port);
    Path log = dir.resolve("gateway.log");
    Process gateway = launch(config, log);
    try {
      awaitReady("http://127.0.0.1:" + port, log);
      Path pidFile = dir.resolve("data/postgres/data/postmaster.pid");
      assertThat(pidFile).exists();

      gateway.destroy(); // SIGTERM
      boolean exited = gateway.waitFor(Gateway.STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);

      String output = Files.readString(log);
      assertThat(exited)
          .as("exited within %s after SIGTERM; log:%n%s", Gateway.STOP_DEADLINE, output)
          .isTrue();
      assertThat(gateway.exitValue()).as(output).isZero();
      assertThat(output)
          .contains("gateway shutdown started (SIGTERM)")
          .containsPattern("gateway shutdown complete in \\d+ ms");
      // A clean stop of PostgreSQL removes its lock file; a killed one leaves it behind.
      assertThat(pidFile).doesNotExist();
    } finally {
      gateway.destroyForcibly().waitFor();
    }
  }

  private Process launch(Path config, Path log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            Ops.class.getName(),
            "gateway",
            config.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private void awaitReady(String base, Path log) throws Exception {
    Instant deadline = Instant.now().plusSeconds(90);
    while (Instant.now().isBefore(deadline)) {
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the gateway did not start:\n" + Files.readString(log));
  }

  private Path writeConfig(Path dir, int port) throws Exception {
    SigningKey.generate().writePem(dir.resolve("gateway.key.pem"), dir.resolve("gateway.pub.pem"));
    Path agreements = Files.createDirectories(dir.resolve("agreements"));
    try (var in =
        getClass().getResourceAsStream("/agreements/gm-connect-council-intelligence.yaml")) {
      Files.copy(in, agreements.resolve("gm-connect-council-intelligence.yaml"));
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("host", "127.0.0.1");
    config.put("port", port);
    config.put("publicUrl", "http://127.0.0.1:" + port);
    config.put("dataDir", "data");
    config.put("signingKey", "gateway.key.pem");
    config.put("agreements", "agreements");
    config.put(
        "organisations",
        List.of(
            Map.of("code", "Y90001", "name", "GP"),
            Map.of("code", "R9A", "name", "Trust"),
            Map.of("code", "E08000026", "name", "Council")));
    Path file = dir.resolve("gateway.yaml");
    new ObjectMapper(new YAMLFactory()).writeValue(file.toFile(), config);
    return file;
  }
}
