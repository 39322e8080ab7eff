package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.NhsNumber;

/**
 * SMART Backend Services and the NHS signed-JWT pattern against a real gateway: the well-known
 * metadata, clients registered with a JWKS (file or URL), system clients, SMART v2 scopes granted
 * against the agreements and enforced, and the hostile assertions each refused.
 */
class SmartBackendServicesTest {

  static final String BI = "council-bi"; // system, ES384 key in a JWKS file
  static final String RS = "council-rs"; // system, RS384 key in a JWKS file
  static final String NHS = "council-nhs"; // user-facing, RS512 key in a JWKS file
  static final String URL_CLIENT = "council-url"; // system, ES384 key at a jwksUrl
  static final String HUGE = "council-huge";
  static final String SLOW = "council-slow";
  static final String GARBAGE = "council-garbage";

  static final String TOKEN_URL = GatewayFixture.PUBLIC_URL + "/oauth2/token";

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static Vertx keyServerVertx;
  static HttpServer keyServer;
  static ECKey biKey;
  static RSAKey rsKey;
  static RSAKey nhsKey;
  static final AtomicReference<JWKSet> published = new AtomicReference<>();
  static ECKey urlKey;

  @BeforeAll
  static void start() throws Exception {
    biKey = new ECKeyGenerator(Curve.P_384).keyID("bi-1").algorithm(JWSAlgorithm.ES384).generate();
    rsKey = new RSAKeyGenerator(2048).keyID("rs-1").algorithm(JWSAlgorithm.RS384).generate();
    nhsKey = new RSAKeyGenerator(2048).keyID("nhs-1").algorithm(JWSAlgorithm.RS512).generate();
    urlKey =
        new ECKeyGenerator(Curve.P_384).keyID("url-1").algorithm(JWSAlgorithm.ES384).generate();
    published.set(new JWKSet(urlKey.toPublicJWK()));
    Files.writeString(dir.resolve("bi.jwks.json"), new JWKSet(biKey.toPublicJWK()).toString());
    Files.writeString(dir.resolve("rs.jwks.json"), new JWKSet(rsKey.toPublicJWK()).toString());
    Files.writeString(dir.resolve("nhs.jwks.json"), new JWKSet(nhsKey.toPublicJWK()).toString());

    keyServerVertx = Vertx.vertx();
    keyServer =
        keyServerVertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  switch (req.path()) {
                    case "/jwks" -> req.response().end(published.get().toString());
                    case "/huge" ->
                        req.response().end("{\"keys\":[" + " ".repeat(200 * 1024) + "]}");
                    case "/garbage" -> req.response().end("<html>not a key set</html>");
                    case "/slow" -> {
                      // Never answers: the fetch's deadline must end it.
                    }
                    default -> req.response().setStatusCode(404).end();
                  }
                })
            .listen(0, "127.0.0.1")
            .await();
    String base = "http://127.0.0.1:" + keyServer.actualPort();
    fixture =
        GatewayFixture.start(
            dir,
            TestPostgres.freshDatabase(),
            org.placeshare.policy.identity.SigningKey.generate(),
            c -> {
              List<GatewayConfig.Client> clients = new ArrayList<>(c.clients());
              clients.add(system(BI, Optional.of(dir.resolve("bi.jwks.json")), Optional.empty()));
              clients.add(system(RS, Optional.of(dir.resolve("rs.jwks.json")), Optional.empty()));
              clients.add(
                  new GatewayConfig.Client(
                      NHS,
                      "E08000026",
                      null,
                      Set.of("HOPERAT"),
                      Set.of("analyst"),
                      GatewayConfig.Client.ACTIVE,
                      Set.of(),
                      Optional.of(dir.resolve("nhs.jwks.json")),
                      Optional.empty(),
                      GatewayConfig.Client.USER));
              clients.add(system(URL_CLIENT, Optional.empty(), Optional.of(base + "/jwks")));
              clients.add(system(HUGE, Optional.empty(), Optional.of(base + "/huge")));
              clients.add(system(SLOW, Optional.empty(), Optional.of(base + "/slow")));
              clients.add(system(GARBAGE, Optional.empty(), Optional.of(base + "/garbage")));
              return GatewayFixture.withClients(c, clients);
            });
  }

  private static GatewayConfig.Client system(String id, Optional<Path> jwks, Optional<String> url) {
    return new GatewayConfig.Client(
        id,
        "E08000026",
        null,
        Set.of("HOPERAT"),
        Set.of("analyst"),
        GatewayConfig.Client.ACTIVE,
        Set.of(),
        jwks,
        url.map(java.net.URI::create),
        GatewayConfig.Client.SYSTEM);
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    if (keyServerVertx != null) {
      keyServerVertx.close().await();
    }
  }

  // ---- metadata ----

  @Test
  void wellKnown_smartConfiguration_describesTheTokenEndpointUnauthenticatedAndCacheable()
      throws Exception {
    HttpResponse<String> response = fixture.get("/.well-known/smart-configuration");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Cache-Control")).contains("public, max-age=3600");
    JsonObject smart = new JsonObject(response.body());
    assertThat(smart.getString("token_endpoint")).isEqualTo(TOKEN_URL);
    assertThat(smart.getJsonArray("grant_types_supported").getList())
        .containsExactly("client_credentials");
    assertThat(smart.getJsonArray("token_endpoint_auth_methods_supported").getList())
        .containsExactly("private_key_jwt");
    assertThat(smart.getJsonArray("token_endpoint_auth_signing_alg_values_supported").getList())
        .containsExactlyInAnyOrder("ES256", "ES384", "RS384", "RS512");
    assertThat(smart.getJsonArray("capabilities").getList())
        .contains("client-confidential-asymmetric");
    assertThat(smart.getJsonArray("scopes_supported").getList()).contains("system/*.rs");
    assertThat(smart.getString("jwks_uri"))
        .isEqualTo(GatewayFixture.PUBLIC_URL + "/.well-known/jwks.json");
  }

  @Test
  void wellKnown_oauthAuthorizationServer_isRfc8414Metadata() throws Exception {
    HttpResponse<String> response = fixture.get("/.well-known/oauth-authorization-server");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject meta = new JsonObject(response.body());
    assertThat(meta.getString("issuer")).isEqualTo(GatewayFixture.PUBLIC_URL);
    assertThat(meta.getString("token_endpoint")).isEqualTo(TOKEN_URL);
    assertThat(meta.getJsonArray("token_endpoint_auth_methods_supported").getList())
        .containsExactly("private_key_jwt");
  }

  // ---- the SMART way and the NHS way ----

  @Test
  void token_systemClientEs384JwksTypJwt_isIssuedWithTheGrantedScope() throws Exception {
    HttpResponse<String> response =
        request(smart(biKey, JWSAlgorithm.ES384, BI), "system/Patient.rs system/Condition.rs");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonObject body = new JsonObject(response.body());
    assertThat(body.getString("scope")).isEqualTo("system/Condition.rs system/Patient.rs");
    assertThat(body.getString("token_type")).isEqualToIgnoringCase("bearer");
    JWTClaimsSet claims = SignedJWT.parse(body.getString("access_token")).getJWTClaimsSet();
    assertThat(claims.getStringClaim("scope")).isEqualTo("system/Condition.rs system/Patient.rs");
    assertThat(claims.getClaim("user_id")).isNull();
    assertThat(claims.getStringClaim("user_role")).isEqualTo("analyst");
    assertThat(claims.getStringClaim("purpose_of_use")).isEqualTo("HOPERAT");
  }

  @Test
  void token_systemClientRs384AndV1WildcardScope_isGrantedTheWildcardInTheFormAsked()
      throws Exception {
    HttpResponse<String> response = request(smart(rsKey, JWSAlgorithm.RS384, RS), "system/*.read");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    // As asked, so a SMART client finds what it asked for granted; read only, as v1 "*" too.
    assertThat(new JsonObject(response.body()).getString("scope")).isEqualTo("system/*.read");
    HttpResponse<String> all = request(smart(rsKey, JWSAlgorithm.RS384, RS), "system/*.*");
    assertThat(new JsonObject(all.body()).getString("scope")).isEqualTo("system/*.read");
    HttpResponse<String> v2 =
        request(smart(rsKey, JWSAlgorithm.RS384, RS), "system/*.cruds system/Patient.read");
    assertThat(new JsonObject(v2.body()).getString("scope"))
        .isEqualTo("system/*.rs system/Patient.read");
  }

  @Test
  void token_onlyMutationScopes_isInvalidScope() throws Exception {
    for (String scope : List.of("system/Patient.c", "system/Patient.cud", "system/*.write")) {
      assertOAuthError(request(smart(biKey, JWSAlgorithm.ES384, BI), scope), 400, "invalid_scope");
    }
  }

  @Test
  void view_wildcardScope_releasesOnlyWhatTheAgreementsRelease() throws Exception {
    String token = accessToken(BI, "system/*.rs");
    NhsNumber person = fixture.firstPerson().nhsNumber();

    List<String> types = resourceTypes(fixture.everything(person.toString(), token).body());

    // The wildcard narrows nothing; the agreement releases no medication or allergy to the council.
    assertThat(types)
        .contains("Patient")
        .doesNotContain("MedicationStatement", "AllergyIntolerance");
  }

  @Test
  void token_nhsPatternRs512UserClientWithoutScope_getsTheAgreementsTypes() throws Exception {
    String assertion =
        sign(
            nhsKey,
            new JWSHeader.Builder(JWSAlgorithm.RS512).keyID("nhs-1").build(),
            claims(NHS, TOKEN_URL)
                .claim("user_id", "analyst-7")
                .claim("user_role", "analyst")
                .claim("purpose_of_use", "HOPERAT")
                .build());

    HttpResponse<String> response = fixture.tokenRequest(assertion);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(new JsonObject(response.body()).getString("scope")).contains("system/Patient.rs");
  }

  // ---- scopes ----

  @Test
  void token_scopeEscalation_grantsOnlyWhatTheAgreementsAllow() throws Exception {
    HttpResponse<String> response =
        request(
            smart(biKey, JWSAlgorithm.ES384, BI),
            "system/Patient.rs system/MedicationStatement.rs");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(new JsonObject(response.body()).getString("scope")).isEqualTo("system/Patient.rs");
  }

  @Test
  void token_scopeOnlyForWhatNoAgreementReleases_isInvalidScope() throws Exception {
    HttpResponse<String> response =
        request(smart(biKey, JWSAlgorithm.ES384, BI), "system/MedicationStatement.rs");

    assertOAuthError(response, 400, "invalid_scope");
  }

  @Test
  void token_scopeOf10000Characters_isInvalidScope() throws Exception {
    HttpResponse<String> response =
        request(smart(biKey, JWSAlgorithm.ES384, BI), "system/Patient.rs ".repeat(556));

    assertOAuthError(response, 400, "invalid_scope");
    assertThat(new JsonObject(response.body()).getString("error_description"))
        .contains("at most 2048 characters");
  }

  @Test
  void view_typeNotGranted_isNeverReleased() throws Exception {
    String token = accessToken(BI, "system/Patient.rs");
    NhsNumber person = fixture.firstPerson().nhsNumber();

    HttpResponse<String> response = fixture.everything(person.toString(), token);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<String> types = resourceTypes(response.body());
    assertThat(types).contains("Patient").doesNotContain("Condition", "Encounter");
    // With the types granted, the same person's Conditions are released: the scope narrowed it.
    String wider = accessToken(BI, "system/Patient.rs system/Condition.rs system/Encounter.rs");
    assertThat(resourceTypes(fixture.everything(person.toString(), wider).body()))
        .containsAnyOf("Condition", "Encounter");
  }

  @Test
  void view_patientNotGranted_is403WithAnOperationOutcome() throws Exception {
    String token = accessToken(BI, "system/Group.rs");

    HttpResponse<String> response =
        fixture.everything(fixture.firstPerson().nhsNumber().toString(), token);

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(response.body()).getString("resourceType"))
        .isEqualTo("OperationOutcome");
    assertThat(response.body()).contains("does not grant Patient");
  }

  @Test
  void view_systemClient_auditNamesTheClientAsTheActor() throws Exception {
    NhsNumber person = fixture.people.get(3).nhsNumber();
    fixture.everything(person.toString(), accessToken(BI, "system/Patient.rs"));

    var rows =
        fixture
            .gateway
            .database()
            .pool()
            .preparedQuery("SELECT client_id, user_id FROM audit_event WHERE nhs_number = $1")
            .execute(io.vertx.sqlclient.Tuple.of(person.toString()))
            .await();
    assertThat(rows.size()).isPositive();
    rows.forEach(
        r -> {
          assertThat(r.getString("client_id")).isEqualTo(BI);
          assertThat(r.getString("user_id")).isEqualTo(BI);
        });
  }

  // ---- hostile assertions ----

  @Test
  void token_systemClientClaimingAUser_isRefused() throws Exception {
    String assertion =
        sign(
            biKey,
            header(JWSAlgorithm.ES384, "bi-1"),
            claims(BI, TOKEN_URL)
                .claim("user_id", "dr.who")
                .claim("user_role", "ig-lead")
                .claim("purpose_of_use", "HOPERAT")
                .build());

    HttpResponse<String> response = request(assertion, null);

    assertOAuthError(response, 401, "invalid_client");
    assertThat(response.body()).contains("cannot vouch for a user");
  }

  @Test
  void token_hmacKeyedWithThePublicKey_isRefused() throws Exception {
    byte[] secret = rsKey.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8);
    SignedJWT jwt =
        new SignedJWT(header(JWSAlgorithm.HS256, "rs-1"), claims(RS, TOKEN_URL).build());
    jwt.sign(new MACSigner(secret));

    assertOAuthError(request(jwt.serialize(), null), 401, "invalid_client");
  }

  @Test
  void token_rs384KeyUsedWithRs256OrPs384_isRefused() throws Exception {
    for (JWSAlgorithm alg : List.of(JWSAlgorithm.RS256, JWSAlgorithm.PS384, JWSAlgorithm.RS512)) {
      String assertion = sign(rsKey, header(alg, "rs-1"), claims(RS, TOKEN_URL).build());

      HttpResponse<String> response = request(assertion, null);

      assertOAuthError(response, 401, "invalid_client");
      assertThat(response.body()).contains("client assertion refused: alg " + alg + " is not");
    }
  }

  @Test
  void token_kidOfAnotherClientsKey_isRefused() throws Exception {
    // Signed by the RS client's key and naming it, but claiming to be the BI client.
    String assertion =
        sign(rsKey, header(JWSAlgorithm.RS384, "rs-1"), claims(BI, TOKEN_URL).build());

    HttpResponse<String> response = request(assertion, null);

    assertOAuthError(response, 401, "invalid_client");
    assertThat(response.body()).contains("kid is not among the client's keys");
  }

  @Test
  void token_otherClientsKeyUnderOwnKid_isRefused() throws Exception {
    String assertion =
        sign(
            new ECKeyGenerator(Curve.P_384).keyID("bi-1").generate(),
            header(JWSAlgorithm.ES384, "bi-1"),
            claims(BI, TOKEN_URL).build());

    assertOAuthError(request(assertion, null), 401, "invalid_client");
  }

  @Test
  void token_expiredAssertion_isRefused() throws Exception {
    Instant past = GatewayFixture.CLOCK.instant().minus(Duration.ofMinutes(10));
    String assertion =
        sign(
            biKey,
            header(JWSAlgorithm.ES384, "bi-1"),
            claims(BI, TOKEN_URL).expirationTime(Date.from(past)).build());

    HttpResponse<String> response = request(assertion, null);

    assertOAuthError(response, 401, "invalid_client");
    assertThat(response.body()).contains("Expired");
  }

  @Test
  void token_wrongAudience_isRefused() throws Exception {
    String assertion =
        sign(
            biKey,
            header(JWSAlgorithm.ES384, "bi-1"),
            claims(BI, "https://elsewhere.example/token").build());

    assertOAuthError(request(assertion, null), 401, "invalid_client");
  }

  @Test
  void token_replayedJti_isRefused() throws Exception {
    String assertion = smart(biKey, JWSAlgorithm.ES384, BI);
    assertThat(request(assertion, null).statusCode()).isEqualTo(200);

    HttpResponse<String> again = request(assertion, null);

    assertOAuthError(again, 401, "invalid_client");
    assertThat(again.body()).contains("jti has been used before");
  }

  @Test
  void token_accessTokenReusedAsAssertion_isRefused() throws Exception {
    String access = accessToken(BI, "system/Patient.rs");

    assertOAuthError(request(access, null), 401, "invalid_client");
  }

  @Test
  void token_consentTokenAsAssertion_isRefused() throws Exception {
    String consent = fixture.gpConsent("c-1", fixture.firstPerson().nhsNumber(), "TREAT");

    assertOAuthError(request(consent, null), 401, "invalid_client");
  }

  @Test
  void token_jwtOfAnotherTyp_isRefused() throws Exception {
    String assertion =
        sign(
            biKey,
            new JWSHeader.Builder(JWSAlgorithm.ES384)
                .type(new JOSEObjectType("consent+jwt"))
                .keyID("bi-1")
                .build(),
            claims(BI, TOKEN_URL).build());

    assertOAuthError(request(assertion, null), 401, "invalid_client");
  }

  @Test
  void token_typAbsent_isAccepted() throws Exception {
    String assertion =
        sign(
            biKey,
            new JWSHeader.Builder(JWSAlgorithm.ES384).keyID("bi-1").build(),
            claims(BI, TOKEN_URL).build());

    assertThat(request(assertion, null).statusCode()).isEqualTo(200);
  }

  // ---- jwksUrl ----

  @Test
  void token_jwksUrlClient_isVerifiedAgainstTheFetchedSetAndFollowsARotation() throws Exception {
    assertThat(request(smart(urlKey, JWSAlgorithm.ES384, URL_CLIENT), null).statusCode())
        .isEqualTo(200);

    ECKey rotated =
        new ECKeyGenerator(Curve.P_384).keyID("url-2").algorithm(JWSAlgorithm.ES384).generate();
    published.set(new JWKSet(rotated.toPublicJWK()));

    HttpResponse<String> response = request(smart(rotated, JWSAlgorithm.ES384, URL_CLIENT), null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  @Test
  void token_jwksUrlAnsweringHugeSlowOrGarbage_isRefusedNot500() throws Exception {
    ECKey any =
        new ECKeyGenerator(Curve.P_384).keyID("x-1").algorithm(JWSAlgorithm.ES384).generate();
    for (String client : List.of(HUGE, GARBAGE, SLOW)) {
      long started = System.nanoTime();
      HttpResponse<String> response = request(smart(any, JWSAlgorithm.ES384, client), null);

      assertOAuthError(response, 401, "invalid_client");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
    }
  }

  // ---- helpers ----

  private static String accessToken(String client, String scope) throws Exception {
    JWK key = client.equals(BI) ? biKey : rsKey;
    JWSAlgorithm alg = client.equals(BI) ? JWSAlgorithm.ES384 : JWSAlgorithm.RS384;
    HttpResponse<String> response = request(smart(key, alg, client), scope);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new JsonObject(response.body()).getString("access_token");
  }

  private static String smart(JWK key, JWSAlgorithm alg, String client) throws Exception {
    return sign(key, header(alg, key.getKeyID()), claims(client, TOKEN_URL).build());
  }

  private static JWSHeader header(JWSAlgorithm alg, String kid) {
    return new JWSHeader.Builder(alg).type(JOSEObjectType.JWT).keyID(kid).build();
  }

  private static JWTClaimsSet.Builder claims(String client, String audience) {
    Instant now = GatewayFixture.CLOCK.instant();
    return new JWTClaimsSet.Builder()
        .issuer(client)
        .subject(client)
        .audience(audience)
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(4))))
        .jwtID(UUID.randomUUID().toString());
  }

  private static String sign(JWK key, JWSHeader header, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(header, claims);
    jwt.sign(key instanceof RSAKey rsa ? new RSASSASigner(rsa) : new ECDSASigner((ECKey) key));
    return jwt.serialize();
  }

  private static HttpResponse<String> request(String assertion, String scope) throws Exception {
    String form =
        "grant_type=client_credentials&client_assertion_type="
            + URLEncoder.encode(
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", StandardCharsets.UTF_8)
            + "&client_assertion="
            + assertion
            + (scope == null ? "" : "&scope=" + URLEncoder.encode(scope, StandardCharsets.UTF_8));
    return fixture.tokenForm(form);
  }

  private static List<String> resourceTypes(String bundle) {
    List<String> types = new ArrayList<>();
    JsonArray entries = new JsonObject(bundle).getJsonArray("entry", new JsonArray());
    for (int i = 0; i < entries.size(); i++) {
      types.add(entries.getJsonObject(i).getJsonObject("resource").getString("resourceType"));
    }
    return types;
  }

  private static void assertOAuthError(HttpResponse<String> response, int status, String error) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(new JsonObject(response.body()).getString("error")).isEqualTo(error);
  }
}
