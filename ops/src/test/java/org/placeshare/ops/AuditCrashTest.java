package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.gateway.storage.EmbeddedPostgres;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.ClientAssertions;
import org.placeshare.policy.identity.SigningKey;

/**
 * The gateway killed with SIGKILL in the middle of a load, three times over, as a real process on a
 * real PostgreSQL: after each restart, every request that received a response is in the audit log,
 * and the log verifies with only the audit public key.
 */
class AuditCrashTest {

  static final int ROUNDS = 3;

  static Path dir;
  static EmbeddedPostgres postgres;
  static FhirSourceServer gp;
  static List<SyntheticPerson> people = SyntheticPopulation.generate(10, 5);
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    // Under target/ (not @TempDir): the folders must be enterable by the server user under root.
    dir = Files.createDirectories(Path.of("target", "crash-" + System.nanoTime()));
    postgres = EmbeddedPostgres.start(dir.resolve("postgres"));
    gp =
        FhirSourceServer.start(
            0, SyntheticRecords.forSource(SyntheticRecords.Kind.GP, "gp", people));
  }

  @AfterAll
  static void stop() throws Exception {
    if (gp != null) {
      gp.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void killedMidLoad_everyAnsweredRequestIsInTheLog_andTheLogVerifies() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = writeConfig(port);
    Set<String> answered = ConcurrentHashMap.newKeySet();
    for (int round = 0; round < ROUNDS; round++) {
      Process gateway = launch(config);
      try {
        String base = "http://127.0.0.1:" + port;
        awaitListening(base);
        String token = token(base);
        // A first request warms the process (HAPI's FHIR context, the JIT) before the load.
        http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            base + "/fhir/Patient/" + people.get(0).nhsNumber() + "/$everything"))
                    .header("Authorization", "Bearer " + token)
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .headers()
            .firstValue("X-Request-ID")
            .ifPresent(answered::add);
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService load = Executors.newFixedThreadPool(6);
        for (int t = 0; t < 6; t++) {
          int offset = t;
          load.submit(
              () -> {
                int i = offset;
                while (running.get()) {
                  String nhs = people.get(i++ % people.size()).nhsNumber().toString();
                  try {
                    HttpResponse<String> r =
                        http.send(
                            HttpRequest.newBuilder(
                                    URI.create(base + "/fhir/Patient/" + nhs + "/$everything"))
                                .header("Authorization", "Bearer " + token)
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                            HttpResponse.BodyHandlers.ofString());
                    r.headers().firstValue("X-Request-ID").ifPresent(answered::add);
                  } catch (Exception e) {
                    // the gateway was killed under this request: it got no answer
                  }
                }
                return null;
              });
        }
        Thread.sleep(2000);
        gateway.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
        gateway.waitFor();
        running.set(false);
        load.shutdown();
        load.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        gateway.destroyForcibly();
      }
    }
    // One more start: it must come up on the log as the kills left it, and sign a checkpoint.
    Process last = launch(config);
    try {
      awaitListening("http://127.0.0.1:" + port);
      Thread.sleep(1500);
    } finally {
      last.destroyForcibly();
      last.waitFor();
    }

    Vertx vertx = Vertx.vertx();
    Pool pool =
        PgBuilder.pool()
            .connectingTo(PgConnectOptions.fromUri(postgres.url("crash")))
            .using(vertx)
            .build();
    try {
      Set<String> logged = new HashSet<>();
      pool.query("SELECT request_id FROM audit_event")
          .execute()
          .await()
          .forEach(r -> logged.add(r.getString(0)));
      AuditExport.Contents contents = AuditExport.read(pool).await();
      AuditVerifier.Report report =
          AuditVerifier.verify(
              contents.leaves().iterator(),
              contents.checkpoints(),
              SigningKey.readPublicPem(dir.resolve("audit.pub.pem")));

      assertThat(answered).hasSizeGreaterThan(20 * ROUNDS);
      assertThat(logged).containsAll(answered);
      assertThat(report.intact()).as(report.summary()).isTrue();
      assertThat(report.latest()).isPresent();
      // The tiles were written in each batch's transaction: after the kills they still hold
      // exactly the leaf hashes of the log, none lost and none beyond it.
      java.io.ByteArrayOutputStream leafHashes = new java.io.ByteArrayOutputStream();
      contents.leaves().forEach(l -> leafHashes.writeBytes(l.storedHash()));
      byte[] tiled =
          pool.query(
                  "SELECT string_agg(hashes, ''::bytea ORDER BY idx) FROM audit_tile"
                      + " WHERE level = 0")
              .execute()
              .await()
              .iterator()
              .next()
              .getBuffer(0)
              .getBytes();
      assertThat(tiled).isEqualTo(leafHashes.toByteArray());

      // Alter one row directly in the database: ops audit verify names it and fails.
      pool.query("UPDATE audit_event SET purpose = 'PUBHLTH' WHERE leaf_index = 10")
          .execute()
          .await();
      java.io.StringWriter err = new java.io.StringWriter();
      picocli.CommandLine cli = new picocli.CommandLine(new Ops());
      cli.setErr(new java.io.PrintWriter(err));
      int code =
          cli.execute(
              "audit",
              "verify",
              "--key",
              dir.resolve("audit.pub.pem").toString(),
              "--database",
              postgres.url("crash"));
      assertThat(code).isEqualTo(1);
      assertThat(err.toString()).startsWith("the event at index 10 (event ");
    } finally {
      pool.close().await();
      vertx.close().await();
    }
  }

  private Process launch(Path config) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            Ops.class.getName(),
            "gateway",
            config.toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("gateway.log").toFile())
        .start();
  }

  private void awaitListening(String base) throws Exception {
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)) {
      try {
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json")).build(),
            HttpResponse.BodyHandlers.discarding());
        return;
      } catch (java.io.IOException e) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("the gateway did not start; see " + dir.resolve("gateway.log"));
  }

  private String token(String base) throws Exception {
    String assertion =
        ClientAssertions.sign(
            SigningKey.readPrivatePem(dir.resolve("council.key.pem")),
            "council-intel",
            base + "/oauth2/token",
            "a.analyst",
            "analyst",
            PurposeOfUse.of("HOPERAT"),
            Clock.systemUTC());
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "grant_type=client_credentials&client_assertion_type="
                            + URLEncoder.encode(
                                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                StandardCharsets.UTF_8)
                            + "&client_assertion="
                            + assertion))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  private Path writeConfig(int port) throws Exception {
    SigningKey.generate().writePem(dir.resolve("gateway.key.pem"), dir.resolve("gateway.pub.pem"));
    SigningKey.generate().writePem(dir.resolve("audit.key.pem"), dir.resolve("audit.pub.pem"));
    SigningKey.generate().writePem(dir.resolve("council.key.pem"), dir.resolve("council.pub.pem"));
    Path agreements = Files.createDirectories(dir.resolve("agreements"));
    try (var in =
        getClass().getResourceAsStream("/agreements/gm-connect-council-intelligence.yaml")) {
      Files.copy(in, agreements.resolve("gm-connect-council-intelligence.yaml"));
    }
    Vertx vertx = Vertx.vertx();
    try {
      var client =
          PgBuilder.client()
              .connectingTo(PgConnectOptions.fromUri(postgres.url()))
              .using(vertx)
              .build();
      client.query("CREATE DATABASE crash").execute().await();
      client.close().await();
    } finally {
      vertx.close().await();
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("host", "127.0.0.1");
    config.put("port", port);
    config.put("dataDir", "data");
    config.put("databaseUrl", postgres.url("crash"));
    config.put("signingKey", "gateway.key.pem");
    config.put("auditKey", "audit.key.pem");
    config.put("agreements", "agreements");
    config.put(
        "organisations",
        List.of(
            Map.of("code", "Y90001", "name", "GP"),
            Map.of("code", "R9A", "name", "Trust"),
            Map.of("code", "E08000026", "name", "Council")));
    config.put(
        "clients",
        List.of(
            Map.of(
                "id", "council-intel",
                "organisation", "E08000026",
                "publicKey", "council.pub.pem",
                "purposes", List.of("HOPERAT"),
                "roles", List.of("analyst"))));
    List<Map<String, Object>> sources = new ArrayList<>();
    sources.add(
        Map.of(
            "id",
            "gp-y90001",
            "organisation",
            "Y90001",
            "baseUrl",
            gp.baseUrl().toString(),
            "resourceTypes",
            List.of("Patient", "Condition")));
    config.put("sources", sources);
    Path file = dir.resolve("gateway.yaml");
    new ObjectMapper(new YAMLFactory()).writeValue(file.toFile(), config);
    return file;
  }
}
