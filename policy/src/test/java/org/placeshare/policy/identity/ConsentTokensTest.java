package org.placeshare.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.PurposeOfUse;

class ConsentTokensTest {

  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final OdsCode GP = OdsCode.of("Y90001");
  private static final OdsCode AE = OdsCode.of("R9A");
  private static final NhsNumber PERSON = NhsNumber.parse("9990000018");

  private final SigningKey gpKey = SigningKey.generate();
  private final TrustedIssuer gp =
      TrustedIssuer.of(GP, Set.of(JWSAlgorithm.ES256), new JWKSet(gpKey.publicJwk()));
  private final ConsentTokens tokens =
      new ConsentTokens(code -> code.equals(GP) ? Optional.of(gp) : Optional.empty(), CLOCK);

  static Consent consent(String id, Instant notBefore, Instant expires) {
    return new Consent(
        id,
        GP,
        PERSON,
        Set.of(AE),
        Set.of(PurposeOfUse.TREAT),
        Set.of("Condition", "Observation"),
        ConsentMethod.VERBAL,
        "gp-reception-1",
        notBefore,
        expires);
  }

  private static Consent current() {
    return consent("c-1", NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(365)));
  }

  private static JWTClaimsSet claims(Consent c) {
    String token = ConsentTokens.sign(SigningKey.generate(), c, NOW);
    try {
      return com.nimbusds.jwt.SignedJWT.parse(token).getJWTClaimsSet();
    } catch (java.text.ParseException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void signThenVerify_givesBackTheConsent() {
    VerifiedConsent verified = tokens.verify(ConsentTokens.sign(gpKey, current(), NOW));

    assertThat(verified.consent()).isEqualTo(current());
  }

  @TestFactory
  List<DynamicTest> verify_forgedTokens_areRefused() {
    return HostileTokens.forgeries(gpKey, ConsentTokens.TYPE, claims(current())).entrySet().stream()
        .map(
            forged ->
                DynamicTest.dynamicTest(
                    forged.getKey(),
                    () ->
                        assertThatThrownBy(() -> tokens.verify(forged.getValue()))
                            .isInstanceOf(TokenException.class)
                            .hasMessageStartingWith("consent token")))
        .toList();
  }

  @Test
  void verify_accessTokenTypeInstead_isRefused() {
    String wrongType =
        HostileTokens.sign(
            gpKey, HostileTokens.header(gpKey, AccessTokens.TYPE), claims(current()));

    assertThatThrownBy(() -> tokens.verify(wrongType))
        .hasMessageContaining("consent token refused")
        .hasMessageContaining("type");
  }

  @Test
  void verify_expired_notYetValid_orIssuedInTheFuture_isRefused() {
    Consent expired = consent("c-2", NOW.minus(Duration.ofDays(30)), NOW.minus(Duration.ofDays(1)));
    Consent notYet = consent("c-3", NOW.plus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)));

    assertThatThrownBy(() -> tokens.verify(ConsentTokens.sign(gpKey, expired, NOW)))
        .hasMessage("consent token refused: Expired JWT");
    assertThatThrownBy(() -> tokens.verify(ConsentTokens.sign(gpKey, notYet, NOW)))
        .hasMessage("consent token refused: JWT before use time");
    assertThatThrownBy(
            () -> tokens.verify(ConsentTokens.sign(gpKey, current(), NOW.plusSeconds(3600))))
        .hasMessage("consent token refused: iat is in the future");
  }

  @Test
  void verify_untrustedIssuer_isRefused() {
    Consent fromElsewhere =
        new Consent(
            "c-4",
            OdsCode.of("Y99999"),
            PERSON,
            Set.of(AE),
            Set.of(PurposeOfUse.TREAT),
            Set.of("*"),
            ConsentMethod.WRITTEN,
            "someone",
            NOW.minusSeconds(60),
            NOW.plusSeconds(3600));

    assertThatThrownBy(() -> tokens.verify(ConsentTokens.sign(gpKey, fromElsewhere, NOW)))
        .hasMessage("consent token refused: the issuer is not trusted");
  }

  @Test
  void verify_unknownKidOfTrustedIssuer_saysWhoseKeysToRefresh() {
    SigningKey rotated = SigningKey.generate();

    assertThatThrownBy(() -> tokens.verify(ConsentTokens.sign(rotated, current(), NOW)))
        .isInstanceOfSatisfying(
            UnknownKeyException.class, e -> assertThat(e.issuer()).isEqualTo(GP));
  }

  @Test
  void verify_badClaims_areRefusedByName() {
    JWTClaimsSet good = claims(current());
    Map<String, JWTClaimsSet> bad =
        Map.of(
            "sub",
            new JWTClaimsSet.Builder(good).subject("9990000019").build(),
            "scopes",
            new JWTClaimsSet.Builder(good).claim("scopes", List.of("Nonsense")).build(),
            "recipients",
            new JWTClaimsSet.Builder(good).claim("recipients", List.of()).build(),
            "method",
            new JWTClaimsSet.Builder(good).claim("method", "telepathic").build(),
            "exp",
            new JWTClaimsSet.Builder(good).expirationTime(null).build());
    bad.forEach(
        (claim, claims) ->
            assertThatThrownBy(
                    () ->
                        tokens.verify(
                            HostileTokens.sign(
                                gpKey, HostileTokens.header(gpKey, ConsentTokens.TYPE), claims)))
                .as(claim)
                .isInstanceOf(TokenException.class)
                .hasMessageContaining(claim.equals("sub") ? "NHS number" : claim));
  }

  @Test
  void verify_keyBoundToAnotherAlgorithm_isRefused() throws Exception {
    ECKey p384 =
        new ECKeyGenerator(Curve.P_384).keyID("k384").algorithm(JWSAlgorithm.ES384).generate();
    TrustedIssuer both =
        TrustedIssuer.of(
            GP,
            Set.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384),
            new JWKSet(List.of(gpKey.publicJwk(), p384.toPublicJWK())));
    ConsentTokens twoAlgorithms = new ConsentTokens(code -> Optional.of(both), CLOCK);
    var header =
        new com.nimbusds.jose.JWSHeader.Builder(JWSAlgorithm.ES384)
            .type(new com.nimbusds.jose.JOSEObjectType(ConsentTokens.TYPE))
            .keyID("k384");
    var jwt = new com.nimbusds.jwt.SignedJWT(header.build(), claims(current()));
    jwt.sign(new com.nimbusds.jose.crypto.ECDSASigner(p384));

    assertThat(twoAlgorithms.verify(jwt.serialize()).consent().id()).isEqualTo("c-1");
    // The P-256 key is bound to ES256: naming it with ES384 is refused before any signature check.
    var misbound =
        new com.nimbusds.jwt.SignedJWT(header.keyID(gpKey.keyId()).build(), claims(current()));
    misbound.sign(new com.nimbusds.jose.crypto.ECDSASigner(p384));
    assertThatThrownBy(() -> twoAlgorithms.verify(misbound.serialize()))
        .hasMessage(
            "consent token refused: alg ES384 is not the algorithm of key " + gpKey.keyId());
  }

  @Test
  void trustedIssuer_refusesUnusableKeys_listingEach() throws Exception {
    ECKey noKid = new ECKeyGenerator(Curve.P_256).generate();
    ECKey priv = new ECKeyGenerator(Curve.P_256).keyID("priv").generate();
    var smallRsa = new RSAKeyGenerator(2048).keyID("rsa").algorithm(JWSAlgorithm.RS256).generate();
    ECKey wrongCurve = new ECKeyGenerator(Curve.P_384).keyID("p384").generate();

    assertThatThrownBy(
            () ->
                TrustedIssuer.of(
                    GP,
                    Set.of(JWSAlgorithm.ES256),
                    new JWKSet(
                        List.of(
                            noKid.toPublicJWK(),
                            priv,
                            smallRsa.toPublicJWK(),
                            wrongCurve.toPublicJWK()))))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("a key without kid: every key needs a kid")
        .hasMessageContaining("key priv: a private key in a trust list")
        .hasMessageContaining("key rsa: alg RS256 is not among the issuer's [ES256]")
        .hasMessageContaining("key p384: a EC key cannot verify ES256");
    assertThatThrownBy(() -> TrustedIssuer.of(GP, Set.of(JWSAlgorithm.HS256), new JWKSet()))
        .hasMessageContaining("algorithm HS256 is not accepted");
  }

  @Test
  void verify_cachedToken_stopsWorkingWhenTheIssuerDropsItsKey() {
    java.util.concurrent.atomic.AtomicReference<TrustedIssuer> current =
        new java.util.concurrent.atomic.AtomicReference<>(gp);
    ConsentTokens cached = new ConsentTokens(code -> Optional.ofNullable(current.get()), CLOCK);
    String token = ConsentTokens.sign(gpKey, current(), NOW);
    assertThat(cached.verify(token).consent().id()).isEqualTo("c-1");

    SigningKey replacement = SigningKey.generate();
    current.set(
        TrustedIssuer.of(GP, Set.of(JWSAlgorithm.ES256), new JWKSet(replacement.publicJwk())));

    assertThatThrownBy(() -> cached.verify(token)).isInstanceOf(UnknownKeyException.class);
  }
}
