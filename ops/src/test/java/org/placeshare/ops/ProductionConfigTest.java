package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.gateway.Gateway;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.storage.EmbeddedPostgres;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.ClientAssertions;
import org.placeshare.policy.identity.SigningKey;
import picocli.CommandLine;

/**
 * The gateway from {@code ops/config/production.yaml} as an operator would set it up: every key and
 * certificate from {@code ops keygen}, signed agreements, mutual TLS, an external PostgreSQL and
 * the environment overrides of one host. It is ready over https and serves a view to a client with
 * its certificate; plain HTTP gets nothing.
 */
class ProductionConfigTest {

  private static void ops(String... args) {
    CommandLine cli = new CommandLine(new Ops());
    cli.setExecutionExceptionHandler(
        (e, command, parsed) -> {
          throw e;
        });
    assertThat(cli.execute(args)).as(String.join(" ", args)).isZero();
  }

  @Test
  void productionLayout_startsWithTlsAndAnExternalDatabase_andServes() throws Exception {
    // Under target/ (not @TempDir): the folders must be enterable by the server user under root.
    Path etc = Files.createDirectories(Path.of("target", "production-" + System.nanoTime()));
    String e = etc.toString();
    ops("keygen", "key", "--out", e + "/keys", "--name", "gateway");
    ops("keygen", "key", "--out", e + "/keys", "--name", "audit");
    ops("keygen", "key", "--out", e + "/keys", "--name", "consent");
    ops("keygen", "key", "--out", e + "/keys", "--name", "ig-signer");
    ops("keygen", "key", "--out", e + "/keys/issuers", "--name", "Y90001");
    for (String client : List.of("council-intel", "coventry-ae", "ig-console")) {
      ops("keygen", "key", "--out", e + "/keys/clients", "--name", client);
    }
    // The note key is named for the log's origin: publicUrl's host and path (below) and /audit.
    ops("keygen", "note", "--out", e + "/keys", "--origin", "localhost/audit");
    // The partners' witnesses give their verifier keys; here made as a partner would.
    ops(
        "keygen",
        "witness",
        "--out",
        e + "/keys/witnesses",
        "--name",
        "witness.gpfed.example",
        "--stem",
        "gpfed");
    ops(
        "keygen",
        "witness",
        "--out",
        e + "/keys/witnesses",
        "--name",
        "witness.coventry.example",
        "--stem",
        "council");
    ops("keygen", "secret", "--out", e + "/secrets/pseudonym.key");
    ops("keygen", "ca", "--out", e + "/certs");
    ops(
        "keygen",
        "server",
        "--ca",
        e + "/certs/ca",
        "--out",
        e + "/certs",
        "--host",
        "localhost",
        "--host",
        "127.0.0.1");
    ops(
        "keygen",
        "client",
        "--ca",
        e + "/certs/ca",
        "--out",
        e + "/certs",
        "--client",
        "council-intel");
    ops(
        "keygen",
        "client",
        "--ca",
        e + "/certs/ca",
        "--out",
        e + "/certs",
        "--client",
        "gateway-client");
    Files.writeString(etc.resolve("secrets/database-url"), "postgresql://unused\n");
    Files.writeString(etc.resolve("secrets/acute-token"), "acute-source-token\n");
    Files.createDirectories(etc.resolve("register"));
    Files.writeString(etc.resolve("register/national-opt-outs.txt"), "# none yet\n");
    Path agreements = Files.createDirectories(etc.resolve("agreements"));
    List<String> signed =
        new ArrayList<>(List.of("policy", "sign", "--key", e + "/keys/ig-signer.key.pem"));
    for (String name : DemoFolder.AGREEMENTS) {
      try (InputStream in = getClass().getResourceAsStream("/agreements/" + name)) {
        Files.copy(in, agreements.resolve(name));
      }
      signed.add(agreements.resolve(name).toString());
    }
    ops(signed.toArray(String[]::new));

    var people = SyntheticPopulation.generate(10, 3);
    Vertx vertx = Vertx.vertx();
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(etc.resolve("postgres"));
        FhirSourceServer gp =
            FhirSourceServer.start(
                0, SyntheticRecords.forSource(SyntheticRecords.Kind.GP, "gp", people));
        FhirSourceServer acute =
            FhirSourceServer.start(
                0, SyntheticRecords.forSource(SyntheticRecords.Kind.ACUTE, "acute", people))) {
      String yaml;
      try (InputStream in = Files.newInputStream(Path.of("config", "production.yaml"))) {
        yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      Files.writeString(
          etc.resolve("gateway.yaml"),
          yaml.replace("https://fhir.gp.example.nhs.uk/fhir", gp.baseUrl().toString())
              .replace("https://fhir.acute.example.nhs.uk/fhir", acute.baseUrl().toString()));
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      String base = "https://localhost:" + port;
      Map<String, String> host =
          Map.of(
              "PLACESHARE_PORT", Integer.toString(port),
              "PLACESHARE_PUBLIC_URL", base,
              "PLACESHARE_DATA_DIR", etc.resolve("data").toAbsolutePath().toString(),
              "PLACESHARE_DATABASE_URL", postgres.url(),
              "PLACESHARE_MANAGEMENT_PORT", "0");
      GatewayConfig config = GatewayConfig.load(etc.resolve("gateway.yaml"), host);
      assertThat(config.host()).isEqualTo("0.0.0.0");
      assertThat(config.management().host()).isEqualTo("127.0.0.1");
      assertThat(config.mutualTls()).isTrue();
      // A fleet's export files are where every instance reaches them.
      assertThat(config.cohorts().store()).isEqualTo(GatewayConfig.Cohorts.FileStore.DATABASE);
      Gateway gateway = Gateway.start(vertx, config, Clock.systemUTC()).await();
      try {
        WebClient client =
            WebClient.create(
                vertx,
                new WebClientOptions()
                    .setSsl(true)
                    .setTrustOptions(new PemTrustOptions().addCertPath(e + "/certs/ca.crt.pem"))
                    .setKeyCertOptions(
                        new PemKeyCertOptions()
                            .setCertPath(e + "/certs/council-intel.crt.pem")
                            .setKeyPath(e + "/certs/council-intel.key.pem")));
        HttpResponse<Buffer> ready = client.getAbs(base + "/health/ready").send().await();
        assertThat(ready.statusCode()).as(ready.bodyAsString()).isEqualTo(200);
        assertThat(ready.getHeader("Strict-Transport-Security")).isEqualTo("max-age=31536000");

        String assertion =
            ClientAssertions.sign(
                SigningKey.readPrivatePem(etc.resolve("keys/clients/council-intel.key.pem")),
                "council-intel",
                base + "/oauth2/token",
                "a.analyst",
                "analyst",
                PurposeOfUse.of("HOPERAT"),
                Clock.systemUTC());
        HttpResponse<Buffer> token =
            client
                .postAbs(base + "/oauth2/token")
                .putHeader("Content-Type", "application/x-www-form-urlencoded")
                .sendBuffer(
                    Buffer.buffer(
                        "grant_type=client_credentials&client_assertion_type="
                            + URLEncoder.encode(
                                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                StandardCharsets.UTF_8)
                            + "&client_assertion="
                            + assertion))
                .await();
        assertThat(token.statusCode()).as(token.bodyAsString()).isEqualTo(200);
        HttpResponse<Buffer> view =
            client
                .getAbs(base + "/fhir/Patient/" + people.get(0).nhsNumber() + "/$everything")
                .putHeader(
                    "Authorization", "Bearer " + token.bodyAsJsonObject().getString("access_token"))
                .send()
                .await();
        assertThat(view.statusCode()).as(view.bodyAsString()).isEqualTo(200);

        WebClient plain = WebClient.create(vertx);
        assertThatThrownBy(
                () -> plain.getAbs("http://localhost:" + port + "/health/live").send().await())
            .isInstanceOf(Exception.class);
        // Metrics on the loopback management listener only, for a Prometheus agent on the host.
        assertThat(client.getAbs(base + "/metrics").send().await().statusCode()).isEqualTo(404);
        HttpResponse<Buffer> metrics =
            plain
                .getAbs("http://127.0.0.1:" + gateway.managementPort() + "/metrics")
                .send()
                .await();
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.bodyAsString()).contains("placeshare_decisions_total");
      } finally {
        gateway.stop().await();
      }
    } finally {
      vertx.close().await();
    }
  }
}
