package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.KeyConverter;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.Key;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.FhirResourceTypes;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.PurposeOfUse;

/**
 * Consent tokens: JWS-signed statements by a consent recorder (a GP practice, trust or consent
 * service, named by ODS code in {@code iss}) that the person whose NHS number is {@code sub} agreed
 * that the named recipients may see the named kinds of record for the named purposes. {@code typ}
 * is {@value #TYPE}, so no other token can pass for one.
 */
public final class ConsentTokens {

  public static final String TYPE = "consent+jwt";

  static final String RECIPIENTS = "recipients";
  static final String PURPOSES = "purposes";
  static final String SCOPES = "scopes";
  static final String METHOD = "method";
  static final String RECORDED_BY = "recorded_by";

  private static final String KIND = "consent token";
  private static final int MAX_RECIPIENTS = 50;
  private static final int MAX_PURPOSES = 20;
  private static final int MAX_SCOPES = 160;
  private static final Set<String> REQUIRED =
      Set.of(
          "iss",
          "sub",
          "iat",
          "nbf",
          "exp",
          "jti",
          RECIPIENTS,
          PURPOSES,
          SCOPES,
          METHOD,
          RECORDED_BY);

  private final ConsentIssuers issuers;
  private final Clock clock;
  private final VerifiedCache<VerifiedConsent> verified;

  public ConsentTokens(ConsentIssuers issuers, Clock clock) {
    this(issuers, clock, VerifiedCache.DEFAULT_CAPACITY);
  }

  /**
   * @param cacheCapacity how many verified tokens to remember; 0 verifies every time
   */
  public ConsentTokens(ConsentIssuers issuers, Clock clock, int cacheCapacity) {
    this.issuers = issuers;
    this.clock = clock;
    this.verified = new VerifiedCache<>(cacheCapacity);
  }

  /**
   * Verifies a consent token: the header first (nothing from it is followed), then the issuer by
   * its ODS code, the key by {@code kid} among that issuer's keys, the algorithm the key is bound
   * to, the signature, then every claim.
   *
   * @throws UnknownKeyException when a trusted issuer's token names a key not (yet) held
   * @throws TokenException for everything else
   */
  public VerifiedConsent verify(String token) {
    Jwts.checkLength(token, KIND);
    Instant now = clock.instant();
    var held = verified.get(token, now);
    if (held.isPresent() && stillTrusted(held.get())) {
      return held.get();
    }
    VerifiedConsent consent = verifyInFull(token);
    verified.put(
        token, consent, consent.consent().expires().plusSeconds(Jwts.MAX_CLOCK_SKEW_SECONDS));
    return consent;
  }

  /** A cached token holds only while its issuer is trusted and still publishes its key. */
  private boolean stillTrusted(VerifiedConsent held) {
    return issuers
        .find(held.consent().issuer())
        .flatMap(issuer -> issuer.key(held.keyId()))
        .isPresent();
  }

  private VerifiedConsent verifyInFull(String token) {
    SignedJWT jwt = Jwts.parse(token, KIND);
    String kid = jwt.getHeader().getKeyID();
    if (kid == null) {
      throw new TokenException(KIND + " refused: kid is missing");
    }
    OdsCode issuerCode = issuer(Jwts.unverifiedClaims(jwt, KIND).getIssuer());
    TrustedIssuer issuer =
        issuers
            .find(issuerCode)
            .orElseThrow(() -> new TokenException(KIND + " refused: the issuer is not trusted"));
    TrustedIssuer.Bound bound =
        issuer
            .key(kid)
            .orElseThrow(() -> new UnknownKeyException(KIND + " refused: unknown kid", issuerCode));
    JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
    if (!algorithm.equals(bound.algorithm())) {
      throw new TokenException(
          KIND + " refused: alg " + algorithm + " is not the algorithm of key " + kid);
    }
    List<Key> keys;
    try {
      keys = List.copyOf(KeyConverter.toJavaKeys(List.of(bound.key())));
    } catch (RuntimeException e) {
      throw new TokenException(KIND + " refused: key " + kid + " is unusable", e);
    }
    JWSKeySelector<SecurityContext> selector =
        (header, context) -> header.getAlgorithm().equals(bound.algorithm()) ? keys : List.of();
    JWTClaimsSet claims =
        Jwts.verify(
            jwt,
            KIND,
            new JOSEObjectType(TYPE),
            selector,
            new JWTClaimsSet.Builder().issuer(issuerCode.value()).build(),
            REQUIRED,
            clock);
    return new VerifiedConsent(consent(claims, issuerCode), token, kid);
  }

  private static OdsCode issuer(String iss) {
    if (iss == null) {
      throw new TokenException(KIND + " refused: iss is missing");
    }
    try {
      return OdsCode.of(iss);
    } catch (PolicyException e) {
      throw new TokenException(KIND + " refused: iss is not an ODS code", e);
    }
  }

  private static Consent consent(JWTClaimsSet claims, OdsCode issuer) {
    try {
      Set<OdsCode> recipients = new LinkedHashSet<>();
      Jwts.strings(claims, RECIPIENTS, MAX_RECIPIENTS).forEach(r -> recipients.add(OdsCode.of(r)));
      Set<PurposeOfUse> purposes = new LinkedHashSet<>();
      Jwts.strings(claims, PURPOSES, MAX_PURPOSES).forEach(p -> purposes.add(PurposeOfUse.of(p)));
      Set<String> scopes = new LinkedHashSet<>(Jwts.strings(claims, SCOPES, MAX_SCOPES));
      for (String scope : scopes) {
        if (!scope.equals(Consent.ALL_DATA) && !FhirResourceTypes.R4.contains(scope)) {
          throw new TokenException(
              "claim scopes: expected FHIR R4 resource types or " + Consent.ALL_DATA);
        }
      }
      String method = Jwts.text(claims, METHOD);
      Instant notBefore = claims.getNotBeforeTime().toInstant();
      Instant expires = claims.getExpirationTime().toInstant();
      if (!expires.isAfter(notBefore)) {
        throw new TokenException(KIND + " refused: exp is not after nbf");
      }
      return new Consent(
          Jwts.id(claims, "jti"),
          issuer,
          NhsNumber.parse(Jwts.text(claims, "sub")),
          recipients,
          purposes,
          scopes,
          ConsentMethod.of(method)
              .orElseThrow(
                  () -> new TokenException("claim method: expected written, verbal or digital")),
          Jwts.id(claims, RECORDED_BY),
          notBefore,
          expires);
    } catch (TokenException e) {
      throw e;
    } catch (PolicyException e) {
      throw new TokenException(KIND + " refused: " + e.getMessage(), e);
    }
  }

  /** Signs a consent as its issuer (or the gateway on the issuer's behalf) records it. */
  public static String sign(SigningKey key, Consent consent, Instant issuedAt) {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(consent.issuer().value())
            .subject(consent.patient().toString())
            .issueTime(Date.from(issuedAt))
            .notBeforeTime(Date.from(consent.notBefore()))
            .expirationTime(Date.from(consent.expires()))
            .jwtID(consent.id())
            .claim(RECIPIENTS, consent.recipients().stream().map(OdsCode::value).sorted().toList())
            .claim(PURPOSES, consent.purposes().stream().map(PurposeOfUse::code).sorted().toList())
            .claim(SCOPES, consent.scopes().stream().sorted().toList())
            .claim(METHOD, consent.method().code())
            .claim(RECORDED_BY, consent.recordedBy())
            .build();
    return AccessTokens.sign(key, new JOSEObjectType(TYPE), claims);
  }
}
