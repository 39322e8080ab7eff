package org.placeshare.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;

class AccessTokensTest {

  private static final String GATEWAY = "https://gateway.test";
  private static final String TOKEN_URL = GATEWAY + "/oauth2/token";
  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final GrantedScopes PATIENT_ONLY =
      SmartScopes.grant(Optional.empty(), java.util.Set.of("Patient"));

  private final SigningKey gatewayKey = SigningKey.generate();
  private final SigningKey clientKey = SigningKey.generate();
  private final RegisteredClient client =
      new RegisteredClient(
          "council-intel",
          OdsCode.of("E08000026"),
          clientKey.publicJwk(),
          Set.of(PurposeOfUse.of("HOPERAT")),
          Set.of("analyst"));
  private final Map<String, RegisteredClient> registered = Map.of(client.id(), client);
  private final ClientAssertionVerifier assertions =
      new ClientAssertionVerifier(registered, TOKEN_URL, CLOCK);
  private final AccessTokens tokens = new AccessTokens(gatewayKey, GATEWAY, registered, CLOCK);

  private String assertion(Clock clock) {
    return ClientAssertions.sign(
        clientKey,
        client.id(),
        TOKEN_URL,
        "a.analyst",
        "analyst",
        PurposeOfUse.of("HOPERAT"),
        clock);
  }

  private String token() {
    return tokens
        .issue(assertions.verify(assertion(CLOCK)), Optional.empty(), PATIENT_ONLY)
        .token();
  }

  @Test
  void issueThenVerify_givesTheCallerTheClientVouchedFor() {
    Caller caller = tokens.verify(token());

    assertThat(caller.organisation()).isEqualTo(OdsCode.of("E08000026"));
    assertThat(caller.clientId()).isEqualTo("council-intel");
    assertThat(caller.userId()).isEqualTo("a.analyst");
    assertThat(caller.role()).isEqualTo("analyst");
    assertThat(caller.purpose()).isEqualTo(PurposeOfUse.of("HOPERAT"));
  }

  @Test
  void verify_afterExpiryPlusSkew_isRejected() {
    String token = token();
    AccessTokens later =
        new AccessTokens(
            gatewayKey,
            GATEWAY,
            registered,
            Clock.offset(CLOCK, AccessTokens.LIFETIME.plusSeconds(31)));

    assertThatThrownBy(() -> later.verify(token))
        .isInstanceOf(TokenException.class)
        .hasMessage("access token refused: Expired JWT");
  }

  @Test
  void verify_aTokenWhoseClientIsNoLongerRegisteredAsItWas_isRejected() {
    String token = token();
    Map<String, Map<String, RegisteredClient>> since =
        Map.of(
            "removed",
            Map.of(),
            "narrowed to another purpose",
            Map.of(client.id(), registeredAs(client.organisation(), "PUBHLTH")),
            "moved to another organisation",
            Map.of(client.id(), registeredAs(OdsCode.of("E08000003"), "HOPERAT")),
            "no longer allowed the role",
            Map.of(
                client.id(),
                new RegisteredClient(
                    client.id(),
                    client.organisation(),
                    clientKey.publicJwk(),
                    client.purposes(),
                    Set.of("clinician"))));

    since.forEach(
        (change, clients) ->
            assertThatThrownBy(
                    () -> new AccessTokens(gatewayKey, GATEWAY, clients, CLOCK).verify(token))
                .as(change)
                .isInstanceOf(TokenException.class)
                .hasMessage(
                    "access token refused: its client is not registered for this organisation,"
                        + " purpose and role"));
    assertThat(tokens.verify(token).clientId()).isEqualTo(client.id());
  }

  private RegisteredClient registeredAs(OdsCode organisation, String purpose) {
    return new RegisteredClient(
        client.id(),
        organisation,
        clientKey.publicJwk(),
        Set.of(PurposeOfUse.of(purpose)),
        client.roles());
  }

  @Test
  void verify_psychicSignature_isRejected() {
    // CVE-2022-21449: an ECDSA signature with r = s = 0 (Wycheproof ecdsa_secp256r1_sha256_p1363 tc
    // 11).
    String[] parts = token().split("\\.");
    String forged = parts[0] + "." + parts[1] + "." + Base64URL.encode(new byte[64]);

    assertThatThrownBy(() -> tokens.verify(forged))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining("Invalid signature");
  }

  @Test
  void verify_algNone_isRejected() {
    String[] parts = token().split("\\.");
    String header = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"at+jwt\"}").toString();

    assertThatThrownBy(() -> tokens.verify(header + "." + parts[1] + "."))
        .isInstanceOf(TokenException.class);
  }

  @Test
  void verify_hmacWithThePublicKeyAsSecret_isRejected() throws Exception {
    // Algorithm confusion: HS256 "signed" with the published key's bytes.
    JWTClaimsSet claims = SignedJWT.parse(token()).getJWTClaimsSet();
    SignedJWT confused =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).type(new JOSEObjectType("at+jwt")).build(),
            claims);
    byte[] secret =
        gatewayKey.publicJwk().toJSONString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    confused.sign(new MACSigner(secret));

    assertThatThrownBy(() -> tokens.verify(confused.serialize()))
        .isInstanceOf(TokenException.class);
  }

  @Test
  void verify_clientAssertionPresentedAsAccessToken_isRejectedByType() {
    // Right key cannot be had by an attacker, so sign with the gateway key to isolate the typ
    // check.
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(GATEWAY)
            .audience(GATEWAY)
            .subject("x")
            .expirationTime(Date.from(NOW.plusSeconds(60)))
            .build();
    String wrongType =
        AccessTokens.sign(gatewayKey, new JOSEObjectType(ClientAssertionVerifier.TYPE), claims);

    assertThatThrownBy(() -> tokens.verify(wrongType))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining("typ");
  }

  @Test
  void verify_tokenFromAnotherGateway_isRejected() {
    AccessTokens other = new AccessTokens(gatewayKey, "https://other.test", registered, CLOCK);
    String token =
        other.issue(assertions.verify(assertion(CLOCK)), Optional.empty(), PATIENT_ONLY).token();

    assertThatThrownBy(() -> tokens.verify(token))
        .isInstanceOf(TokenException.class)
        .hasMessage("access token refused: JWT iss claim value rejected");
  }

  @Test
  void verify_oversizedToken_isRejectedBeforeParsing() {
    assertThatThrownBy(() -> tokens.verify("a".repeat(9000)))
        .hasMessage("access token must be at most 8192 characters, got 9000");
  }

  @Test
  void assertion_expiringTooFarAhead_isRejected() {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(client.id())
            .subject(client.id())
            .audience(TOKEN_URL)
            .expirationTime(Date.from(NOW.plus(Duration.ofMinutes(10))))
            .jwtID("j1")
            .claim("user_id", "u")
            .claim("user_role", "analyst")
            .claim("purpose_of_use", "HOPERAT")
            .build();
    String longLived =
        AccessTokens.sign(clientKey, new JOSEObjectType(ClientAssertionVerifier.TYPE), claims);

    assertThatThrownBy(() -> assertions.verify(longLived))
        .hasMessage("client assertion refused: exp must be at most 5 minutes ahead");
  }

  @Test
  void assertion_forAnotherTokenUrl_isRejected() {
    ClientAssertionVerifier elsewhere =
        new ClientAssertionVerifier(
            Map.of(client.id(), client), "https://elsewhere.test/token", CLOCK);

    assertThatThrownBy(() -> elsewhere.verify(assertion(CLOCK)))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining("aud");
  }

  @Test
  void assertion_fromUnregisteredClient_isRejected() {
    ClientAssertionVerifier nobody = new ClientAssertionVerifier(Map.of(), TOKEN_URL, CLOCK);

    assertThatThrownBy(() -> nobody.verify(assertion(CLOCK)))
        .hasMessage("client assertion refused: issuer is not a registered client");
  }

  @Test
  void assertion_expired_isRejected() {
    String old = assertion(Clock.offset(CLOCK, Duration.ofMinutes(-10)));

    assertThatThrownBy(() -> assertions.verify(old))
        .hasMessage("client assertion refused: Expired JWT");
  }

  @Test
  void signingKey_writtenAndReadBack_keepsItsId(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    gatewayKey.writePem(dir.resolve("k.pem"), dir.resolve("k.pub.pem"));

    assertThat(SigningKey.readPrivatePem(dir.resolve("k.pem")).keyId())
        .isEqualTo(gatewayKey.keyId());
    assertThat(SigningKey.readPublicPem(dir.resolve("k.pub.pem")).getKeyID())
        .isEqualTo(gatewayKey.keyId());
  }

  /** A clock a test moves by hand. */
  static final class MovableClock extends Clock {
    Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void verify_tokenSeenBefore_isStillRefusedOnceExpired() {
    MovableClock clock = new MovableClock(NOW);
    AccessTokens cached = new AccessTokens(gatewayKey, GATEWAY, registered, clock);
    String token =
        cached.issue(assertions.verify(assertion(CLOCK)), Optional.empty(), PATIENT_ONLY).token();

    assertThat(cached.verify(token).clientId()).isEqualTo("council-intel");
    assertThat(cached.verify(token).clientId()).isEqualTo("council-intel");
    clock.now = NOW.plus(AccessTokens.LIFETIME).plusSeconds(31);

    assertThatThrownBy(() -> cached.verify(token))
        .isInstanceOf(TokenException.class)
        .hasMessage("access token refused: Expired JWT");
  }
}
