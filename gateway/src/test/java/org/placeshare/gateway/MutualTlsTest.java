package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.Certificates;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.SigningKey;

/**
 * The gateway over https with mutual TLS from a private CA made by {@link Certificates}: tokens are
 * bound to the client certificate they were issued on (RFC 8705), a certificate must be the
 * client's own, and clients without one, or with one from another CA, do not get in. Also a consent
 * issuer whose keys are fetched over https: rotation is picked up on an unknown kid, and refetches
 * are rate-limited.
 */
class MutualTlsTest {

  @TempDir static Path dir;
  static Vertx vertx;
  static GatewayFixture fixture;
  static HttpServer issuerServer;
  static final AtomicReference<String> published = new AtomicReference<>();
  static final AtomicInteger fetches = new AtomicInteger();
  static SigningKey remoteIssuerKey = SigningKey.generate();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    Duration year = Duration.ofDays(365);
    Certificates.Issued ca = Certificates.authority("Placeshare test CA", year);
    ca.writePem(dir.resolve("ca.crt.pem"), dir.resolve("ca.key.pem"));
    Certificates.server(ca, "gateway", List.of("localhost", "127.0.0.1"), year)
        .writePem(dir.resolve("server.crt.pem"), dir.resolve("server.key.pem"));
    for (String client :
        List.of(
            GatewayFixture.AE_CLIENT, GatewayFixture.COUNCIL_CLIENT, GatewayFixture.IG_CLIENT)) {
      Certificates.client(ca, client, year)
          .writePem(dir.resolve(client + ".crt.pem"), dir.resolve(client + ".key.pem"));
    }
    Certificates.Issued rogue = Certificates.authority("Someone else's CA", year);
    Certificates.client(rogue, GatewayFixture.AE_CLIENT, year)
        .writePem(dir.resolve("rogue.crt.pem"), dir.resolve("rogue.key.pem"));

    published.set(new JWKSet(remoteIssuerKey.publicJwk()).toString());
    issuerServer =
        vertx
            .createHttpServer(
                new HttpServerOptions()
                    .setSsl(true)
                    .setKeyCertOptions(pem("server"))
                    .setHost("127.0.0.1")
                    .setPort(0))
            .requestHandler(
                req -> {
                  fetches.incrementAndGet();
                  req.response()
                      .putHeader("Content-Type", "application/jwk-set+json")
                      .end(published.get());
                })
            .listen()
            .await();

    fixture =
        GatewayFixture.start(
            dir.resolve("gateway"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            config ->
                GatewayFixture.with(
                    config,
                    List.of(
                        new GatewayConfig.ConsentIssuer(
                            "Y90001",
                            Optional.empty(),
                            Optional.of(
                                URI.create(
                                    "https://localhost:" + issuerServer.actualPort() + "/jwks")),
                            Set.of("ES256"),
                            false)),
                    Optional.of(dir.resolve("ca.crt.pem")),
                    Optional.empty(),
                    Optional.of(
                        new GatewayConfig.Tls(
                            dir.resolve("server.crt.pem"),
                            dir.resolve("server.key.pem"),
                            Optional.of(dir.resolve("ca.crt.pem"))))));
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

  private static PemKeyCertOptions pem(String name) {
    return new PemKeyCertOptions()
        .setCertPath(dir.resolve(name + ".crt.pem").toString())
        .setKeyPath(dir.resolve(name + ".key.pem").toString());
  }

  /** A client that trusts the private CA and presents this certificate, or none. */
  private static WebClient client(String certificate) {
    WebClientOptions options =
        new WebClientOptions()
            .setSsl(true)
            .setTrustOptions(
                new PemTrustOptions().addCertPath(dir.resolve("ca.crt.pem").toString()))
            .setVerifyHost(true);
    if (certificate != null) {
      options.setKeyCertOptions(pem(certificate));
    }
    return WebClient.create(vertx, options);
  }

  private static String base() {
    return "https://localhost:" + fixture.gateway.port();
  }

  private static HttpResponse<Buffer> token(WebClient client, String clientId, String purpose) {
    return token(client, clientId, "clinician", purpose);
  }

  private static HttpResponse<Buffer> token(
      WebClient client, String clientId, String role, String purpose) {
    String assertion = fixture.assertion(clientId, fixture.clientKeys.get(clientId), role, purpose);
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

  private static HttpResponse<Buffer> everything(
      WebClient client, String token, Map<String, String> headers) {
    var request =
        client
            .getAbs(base() + "/fhir/Patient/" + fixture.firstPerson().nhsNumber() + "/$everything")
            .putHeader("Authorization", "Bearer " + token);
    headers.forEach(request::putHeader);
    return request.send().await();
  }

  @Test
  void tokenIsBoundToTheCertificate_andWorksOnlyWithIt() throws Exception {
    WebClient ae = client(GatewayFixture.AE_CLIENT);
    WebClient council = client(GatewayFixture.COUNCIL_CLIENT);

    HttpResponse<Buffer> issued = token(ae, GatewayFixture.AE_CLIENT, "ETREAT");
    assertThat(issued.statusCode()).as(issued.bodyAsString()).isEqualTo(200);
    String token = issued.bodyAsJsonObject().getString("access_token");
    @SuppressWarnings("unchecked")
    Map<String, Object> cnf =
        (Map<String, Object>) SignedJWT.parse(token).getJWTClaimsSet().getClaim("cnf");
    assertThat(cnf).containsKey("x5t#S256");

    Map<String, String> emergency = Map.of("X-Emergency-Reason", "collapsed in clinic");
    assertThat(everything(ae, token, emergency).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> stolen = everything(council, token, emergency);
    assertThat(stolen.statusCode()).isEqualTo(401);
    assertThat(stolen.bodyAsString()).contains("the access token was refused");
  }

  @Test
  void consoleSignIn_withAnIgTokenBoundToAnotherCertificate_isRefusedAndAudited() {
    HttpResponse<Buffer> issued =
        token(client(GatewayFixture.IG_CLIENT), GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    assertThat(issued.statusCode()).as(issued.bodyAsString()).isEqualTo(200);
    String igToken = issued.bodyAsJsonObject().getString("access_token");

    // The IG team's token, leaked to the council, used from the council's own certificate.
    HttpResponse<Buffer> stolen = signIn(client(GatewayFixture.COUNCIL_CLIENT), igToken);
    HttpResponse<Buffer> own = signIn(client(GatewayFixture.IG_CLIENT), igToken);

    assertThat(stolen.statusCode()).as(stolen.bodyAsString()).isEqualTo(401);
    assertThat(stolen.getHeader("Set-Cookie")).isNull();
    assertThat(stolen.bodyAsString()).contains("That token was refused");
    assertThat(
            fixture
                .gateway
                .database()
                .pool()
                .preparedQuery(
                    "SELECT count(*) FROM audit_event WHERE action = 'console-sign-in'"
                        + " AND outcome = 'refused' AND detail->>'detail' = $1")
                .execute(
                    io.vertx.sqlclient.Tuple.of(
                        "console sign-in refused: access token refused: bound to a client"
                            + " certificate this connection lacks"))
                .await()
                .iterator()
                .next()
                .getLong(0))
        .isEqualTo(1);
    assertThat(own.statusCode()).as(own.bodyAsString()).isEqualTo(303);
  }

  private static HttpResponse<Buffer> signIn(WebClient client, String token) {
    return client
        .postAbs(base() + "/console/session")
        .followRedirects(false)
        .putHeader("Content-Type", "application/x-www-form-urlencoded")
        .sendBuffer(Buffer.buffer("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)))
        .await();
  }

  @Test
  void assertionOverAnotherClientsCertificate_isRefused() {
    HttpResponse<Buffer> r =
        token(client(GatewayFixture.COUNCIL_CLIENT), GatewayFixture.AE_CLIENT, "TREAT");

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.bodyAsJsonObject().getString("error_description"))
        .isEqualTo("client assertion refused: the client certificate is not coventry-ae's");
  }

  @Test
  void noCertificate_orOneFromAnotherCa_cannotConnect() {
    assertThatThrownBy(() -> token(client(null), GatewayFixture.AE_CLIENT, "TREAT"))
        .isInstanceOf(Exception.class);
    assertThatThrownBy(() -> token(client("rogue"), GatewayFixture.AE_CLIENT, "TREAT"))
        .isInstanceOf(Exception.class);
  }

  @Test
  void remoteIssuerKeys_areRefetchedOnAnUnknownKid_butNotMoreThanOnceIn30Seconds()
      throws Exception {
    WebClient ae = client(GatewayFixture.AE_CLIENT);
    String token =
        token(ae, GatewayFixture.AE_CLIENT, "TREAT").bodyAsJsonObject().getString("access_token");
    int fetchedAtStart = fetches.get();
    assertThat(fetchedAtStart).isEqualTo(1);

    assertThat(
            everything(ae, token, Map.of("X-Consent-Token", consent("remote-1", remoteIssuerKey)))
                .statusCode())
        .isEqualTo(200);
    assertThat(fetches.get()).isEqualTo(fetchedAtStart);

    // The issuer rotates its key: the first token under the new key makes the gateway refetch.
    SigningKey rotated = SigningKey.generate();
    published.set(new JWKSet(rotated.publicJwk()).toString());
    assertThat(
            everything(ae, token, Map.of("X-Consent-Token", consent("remote-2", rotated)))
                .statusCode())
        .isEqualTo(200);
    assertThat(fetches.get()).isEqualTo(fetchedAtStart + 1);

    // A flood of made-up key ids does not make it fetch again within the minimum interval.
    for (int i = 0; i < 5; i++) {
      assertThat(
              everything(
                      ae,
                      token,
                      Map.of("X-Consent-Token", consent("remote-x" + i, SigningKey.generate())))
                  .statusCode())
          .isEqualTo(403);
    }
    assertThat(fetches.get()).isEqualTo(fetchedAtStart + 1);
  }

  private static String consent(String id, SigningKey key) {
    Instant now = GatewayFixture.CLOCK.instant();
    return ConsentTokens.sign(
        key,
        new Consent(
            id,
            OdsCode.of("Y90001"),
            fixture.firstPerson().nhsNumber(),
            Set.of(OdsCode.of("R9A")),
            Set.of(PurposeOfUse.TREAT),
            Set.of(Consent.ALL_DATA),
            ConsentMethod.DIGITAL,
            "nhs-app",
            now.minusSeconds(60),
            now.plusSeconds(3600)),
        now);
  }

  @Test
  void jwksIsServedOverTls() {
    HttpResponse<Buffer> r =
        client(GatewayFixture.AE_CLIENT).getAbs(base() + "/.well-known/jwks.json").send().await();

    assertThat(new JsonObject(r.bodyAsString()).getJsonArray("keys")).hasSize(2);
  }
}
