package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Tuple;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.trust.CrlStore;
import org.placeshare.policy.identity.Certificates;
import org.placeshare.policy.identity.SigningKey;

/**
 * Client certificates under mutual TLS are checked against the client CA's revocation list, which
 * is reloaded when its file changes (a list the CA did not sign is refused and the one in force
 * stays), and are matched to the client by their {@code urn:placeshare:client:} subject alternative
 * name as well as the CN.
 */
class ClientCertificateRevocationTest {

  @TempDir static Path dir;
  static Vertx vertx;
  static GatewayFixture fixture;
  static Certificates.Issued ca;
  static Certificates.Issued ae;
  static Certificates.Issued revokedAtStart;
  static final Duration YEAR = Duration.ofDays(365);

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    ca = Certificates.authority("Placeshare test CA", YEAR);
    ca.writePem(dir.resolve("ca.crt.pem"), dir.resolve("ca.key.pem"));
    Certificates.server(ca, "gateway", List.of("localhost", "127.0.0.1"), YEAR)
        .writePem(dir.resolve("server.crt.pem"), dir.resolve("server.key.pem"));
    ae = write("ae", Certificates.client(ca, GatewayFixture.AE_CLIENT, YEAR));
    revokedAtStart =
        write("council-old", Certificates.client(ca, GatewayFixture.COUNCIL_CLIENT, YEAR));
    write(
        "ae-display-name",
        Certificates.client(
            ca, "Coventry A&E triage desk", Optional.of(GatewayFixture.AE_CLIENT), YEAR));
    write(
        "two-clients",
        Certificates.client(
            ca, GatewayFixture.COUNCIL_CLIENT, Optional.of(GatewayFixture.AE_CLIENT), YEAR));
    Files.writeString(
        dir.resolve("client-ca.crl.pem"),
        Certificates.revocationList(
            ca,
            List.of(revokedAtStart.certificate()),
            Instant.now().minus(Duration.ofHours(1)),
            Duration.ofDays(7)));

    fixture =
        GatewayFixture.start(
            dir.resolve("gateway"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            config ->
                GatewayFixture.with(
                    config,
                    config.consentIssuers(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.of(
                        new GatewayConfig.Tls(
                            dir.resolve("server.crt.pem"),
                            dir.resolve("server.key.pem"),
                            Optional.of(dir.resolve("ca.crt.pem")),
                            Optional.of(dir.resolve("client-ca.crl.pem"))))));
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  private static Certificates.Issued write(String name, Certificates.Issued issued) {
    issued.writePem(dir.resolve(name + ".crt.pem"), dir.resolve(name + ".key.pem"));
    return issued;
  }

  /** A client that trusts the private CA and presents this certificate. */
  private static WebClient client(String certificate) {
    return WebClient.create(
        vertx,
        new WebClientOptions()
            .setSsl(true)
            .setTrustOptions(
                new PemTrustOptions().addCertPath(dir.resolve("ca.crt.pem").toString()))
            .setVerifyHost(true)
            .setKeyCertOptions(
                new PemKeyCertOptions()
                    .setCertPath(dir.resolve(certificate + ".crt.pem").toString())
                    .setKeyPath(dir.resolve(certificate + ".key.pem").toString())));
  }

  private static String base() {
    return "https://localhost:" + fixture.gateway.port();
  }

  private static HttpResponse<Buffer> token(WebClient client, String clientId) {
    String assertion =
        fixture.assertion(
            clientId,
            fixture.clientKeys.get(clientId),
            clientId.equals(GatewayFixture.COUNCIL_CLIENT) ? "analyst" : "clinician",
            clientId.equals(GatewayFixture.COUNCIL_CLIENT) ? "HOPERAT" : "TREAT");
    String form =
        "grant_type=client_credentials&client_assertion_type="
            + URLEncoder.encode(
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", StandardCharsets.UTF_8)
            + "&client_assertion="
            + assertion;
    return client
        .postAbs(base() + "/oauth2/token")
        .putHeader("Content-Type", "application/x-www-form-urlencoded")
        .sendBuffer(Buffer.buffer(form))
        .await();
  }

  private static HttpResponse<Buffer> agreements(WebClient client, String token) {
    return client
        .getAbs(base() + "/agreements")
        .putHeader("Authorization", "Bearer " + token)
        .send()
        .await();
  }

  private static CrlStore.Status crl() {
    return fixture.gateway.revocationList().orElseThrow().status();
  }

  /** Waits for the file watch to see a change: the gateway is not told. */
  private static void await(Supplier<Boolean> seen) throws InterruptedException {
    for (int i = 0; i < 100 && !seen.get(); i++) {
      Thread.sleep(50);
    }
    assertThat(seen.get()).as("the CRL file change was picked up").isTrue();
  }

  private static long audited(String detail) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery(
            "SELECT count(*) FROM audit_event WHERE outcome = 'refused' AND detail->>'detail' LIKE $1")
        .execute(Tuple.of(detail))
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  @Test
  void aCertificateRevokedInTheCrlOnDisk_isRefusedForTokensAndRequests_andAudited()
      throws Exception {
    WebClient client = client("ae");
    HttpResponse<Buffer> issued = token(client, GatewayFixture.AE_CLIENT);
    assertThat(issued.statusCode()).as(issued.bodyAsString()).isEqualTo(200);
    String token = issued.bodyAsJsonObject().getString("access_token");
    assertThat(agreements(client, token).statusCode()).isEqualTo(200);

    long reloads = crl().reloads();
    Files.writeString(
        dir.resolve("client-ca.crl.pem"),
        Certificates.revocationList(
            ca,
            List.of(revokedAtStart.certificate(), ae.certificate()),
            Instant.now(),
            Duration.ofDays(7)));
    await(() -> crl().reloads() > reloads);

    HttpResponse<Buffer> refused = token(client, GatewayFixture.AE_CLIENT);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.bodyAsJsonObject().getString("error_description"))
        .startsWith(
            "client assertion refused: the client certificate (serial "
                + ae.certificate().getSerialNumber().toString(16)
                + ") was revoked by its CA at ");
    HttpResponse<Buffer> request = agreements(client, token);
    assertThat(request.statusCode()).isEqualTo(401);
    assertThat(request.bodyAsString()).contains("the access token was refused");
    assertThat(audited("client assertion refused: the client certificate (serial % was revoked%"))
        .isGreaterThanOrEqualTo(1);
    assertThat(audited("client certificate refused: the client certificate (serial % was revoked%"))
        .isEqualTo(1);
  }

  @Test
  void aCrlNotSignedByTheCa_isRefused_andTheListInForceStays() throws Exception {
    HttpResponse<Buffer> before = token(client("council-old"), GatewayFixture.COUNCIL_CLIENT);
    assertThat(before.statusCode()).isEqualTo(401);
    assertThat(before.bodyAsJsonObject().getString("error_description")).contains("was revoked");

    // A CA of the same name but another key "un-revokes" everything: its list is not the CA's.
    Certificates.Issued impostor = Certificates.authority("Placeshare test CA", YEAR);
    long refused = crl().refusedReloads();
    Files.writeString(
        dir.resolve("client-ca.crl.pem"),
        Certificates.revocationList(
            impostor, List.of(), Instant.now().plusSeconds(60), Duration.ofDays(7)));
    await(() -> crl().refusedReloads() > refused);
    assertThat(crl().lastError())
        .hasValueSatisfying(
            e -> assertThat(e).contains("the CRL's signature is not the client CA's"));

    HttpResponse<Buffer> after = token(client("council-old"), GatewayFixture.COUNCIL_CLIENT);
    assertThat(after.statusCode()).isEqualTo(401);
    assertThat(after.bodyAsJsonObject().getString("error_description")).contains("was revoked");
  }

  @Test
  void aCertificateWhoseSanNamesTheClientButNotItsCn_isAccepted() {
    WebClient client = client("ae-display-name");
    HttpResponse<Buffer> issued = token(client, GatewayFixture.AE_CLIENT);

    assertThat(issued.statusCode()).as(issued.bodyAsString()).isEqualTo(200);
    String token = issued.bodyAsJsonObject().getString("access_token");
    assertThat(agreements(client, token).statusCode()).isEqualTo(200);
  }

  @Test
  void aCertificateWhoseCnAndSanNameDifferentClients_isRefusedForBoth() {
    WebClient client = client("two-clients");

    HttpResponse<Buffer> asAe = token(client, GatewayFixture.AE_CLIENT);
    HttpResponse<Buffer> asCouncil = token(client, GatewayFixture.COUNCIL_CLIENT);

    assertThat(asAe.statusCode()).isEqualTo(401);
    assertThat(asAe.bodyAsJsonObject().getString("error_description"))
        .isEqualTo(
            "client assertion refused: the client certificate's CN names client council-intel"
                + " but its subject alternative name names coventry-ae");
    assertThat(asCouncil.statusCode()).isEqualTo(401);
    assertThat(asCouncil.bodyAsJsonObject().getString("error_description"))
        .isEqualTo("client assertion refused: the client certificate is not council-intel's");
  }
}
