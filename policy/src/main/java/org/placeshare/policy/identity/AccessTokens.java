package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;

/**
 * Issues and verifies the gateway's access tokens: JWTs with {@code typ} {@value #TYPE} (RFC 9068),
 * signed with the gateway key, naming the client's organisation, the end user, role and purpose of
 * use.
 */
public final class AccessTokens {

  public static final String TYPE = "at+jwt";
  public static final Duration LIFETIME = Duration.ofMinutes(5);

  static final String ORGANISATION_CLAIM = "organisation";
  static final String CLIENT_CLAIM = "client_id";

  private static final Set<String> REQUIRED =
      Set.of(
          "iss",
          "sub",
          "aud",
          "exp",
          "iat",
          "jti",
          ORGANISATION_CLAIM,
          CLIENT_CLAIM,
          ClientAssertionVerifier.USER_CLAIM,
          ClientAssertionVerifier.ROLE_CLAIM,
          ClientAssertionVerifier.PURPOSE_CLAIM);

  /** RFC 8705 section 3.1: the confirmation claim binding a token to a client certificate. */
  static final String CONFIRMATION_CLAIM = "cnf";

  static final String CERTIFICATE_THUMBPRINT = "x5t#S256";

  private final SigningKey key;
  private final String issuer;
  private final Map<String, RegisteredClient> clients;
  private final Clock clock;
  private final VerifiedCache<Caller> verified;

  /**
   * @param issuer the gateway's base URL, which is also the tokens' audience
   * @param clients the registered clients, by id: a token is good only while its client is
   *     registered as it was when the token was issued
   */
  public AccessTokens(
      SigningKey key, String issuer, Map<String, RegisteredClient> clients, Clock clock) {
    this(key, issuer, clients, clock, VerifiedCache.DEFAULT_CAPACITY);
  }

  /**
   * @param cacheCapacity how many verified tokens to remember; 0 verifies every time
   */
  public AccessTokens(
      SigningKey key,
      String issuer,
      Map<String, RegisteredClient> clients,
      Clock clock,
      int cacheCapacity) {
    this.key = key;
    this.issuer = issuer;
    this.clients = Map.copyOf(clients);
    this.clock = clock;
    this.verified = new VerifiedCache<>(cacheCapacity);
  }

  /** An access token issued to a client on a verified assertion. */
  public record Issued(String token, Duration lifetime) {}

  /**
   * Issues a token on a verified assertion; bound to the client certificate whose SHA-256
   * thumbprint (base64url) is given, when the client connected with mutual TLS.
   */
  public Issued issue(VerifiedClientAssertion assertion, Optional<String> certificateThumbprint) {
    Instant now = clock.instant();
    JWTClaimsSet.Builder builder =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience(issuer)
            .subject(assertion.client().id())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(LIFETIME)))
            .jwtID(UUID.randomUUID().toString())
            .claim(CLIENT_CLAIM, assertion.client().id())
            .claim(ORGANISATION_CLAIM, assertion.client().organisation().value())
            .claim(ClientAssertionVerifier.USER_CLAIM, assertion.userId())
            .claim(ClientAssertionVerifier.ROLE_CLAIM, assertion.role())
            .claim(ClientAssertionVerifier.PURPOSE_CLAIM, assertion.purpose().code());
    certificateThumbprint.ifPresent(
        t -> builder.claim(CONFIRMATION_CLAIM, Map.of(CERTIFICATE_THUMBPRINT, t)));
    return new Issued(sign(key, new JOSEObjectType(TYPE), builder.build()), LIFETIME);
  }

  /**
   * Verifies a bearer access token and returns who it proves the caller to be. The signature of a
   * token seen before is not checked again; its expiry is, every time.
   */
  public Caller verify(String token) {
    Jwts.checkLength(token, "access token");
    Optional<Caller> held = verified.get(token, clock.instant());
    Caller caller = held.orElseGet(() -> verifyInFull(token));
    if (held.isEmpty()) {
      verified.put(token, caller, caller.expires().plusSeconds(Jwts.MAX_CLOCK_SKEW_SECONDS));
    }
    if (!registered(caller)) {
      throw new TokenException(
          "access token refused: its client is not registered for this organisation, purpose and"
              + " role");
    }
    return caller;
  }

  /**
   * Whether the caller's client is registered as it was when the caller was verified: for the same
   * organisation, the purpose and the role still among those it may claim. A client removed or
   * narrowed in the configuration loses its tokens, and its background jobs, at the next restart.
   */
  public boolean registered(Caller caller) {
    return registration(caller.clientId())
        .filter(c -> c.organisation().equals(caller.organisation()))
        .filter(c -> c.purposes().contains(caller.purpose()))
        .filter(c -> c.roles().contains(caller.role()))
        .isPresent();
  }

  /**
   * The client's registration as the gateway holds it now: the lookup ({@link ClientRegistrations})
   * for checks made at request time, such as whether a client may still vouch for an IG lead.
   */
  public Optional<RegisteredClient> registration(String clientId) {
    return Optional.ofNullable(clientId == null ? null : clients.get(clientId));
  }

  private Caller verifyInFull(String token) {
    JWTClaimsSet exact = new JWTClaimsSet.Builder().issuer(issuer).audience(issuer).build();
    JWTClaimsSet claims =
        Jwts.verify(
            token,
            "access token",
            new JOSEObjectType(TYPE),
            key.publicJwk(),
            exact,
            REQUIRED,
            clock);
    OdsCode organisation;
    try {
      organisation = OdsCode.of((String) claims.getClaim(ORGANISATION_CLAIM));
    } catch (PolicyException | ClassCastException e) {
      throw new TokenException("claim organisation: expected an ODS code", e);
    }
    return new Caller(
        organisation,
        Jwts.id(claims, CLIENT_CLAIM),
        Jwts.id(claims, ClientAssertionVerifier.USER_CLAIM),
        Jwts.role(claims, ClientAssertionVerifier.ROLE_CLAIM),
        Jwts.purpose(claims, ClientAssertionVerifier.PURPOSE_CLAIM),
        claims.getExpirationTime().toInstant(),
        certificateThumbprint(claims));
  }

  private static Optional<String> certificateThumbprint(JWTClaimsSet claims) {
    Object cnf = claims.getClaim(CONFIRMATION_CLAIM);
    if (cnf == null) {
      return Optional.empty();
    }
    if (cnf instanceof Map<?, ?> map && map.get(CERTIFICATE_THUMBPRINT) instanceof String t) {
      return Optional.of(t);
    }
    throw new TokenException("claim cnf: expected an x5t#S256 certificate thumbprint");
  }

  /** Signs claims with ES256 under a key, naming the key by its id. */
  public static String sign(SigningKey key, JOSEObjectType type, JWTClaimsSet claims) {
    ECKey jwk = key.privateJwk();
    JWSHeader header =
        new JWSHeader.Builder(SigningKey.ALGORITHM).type(type).keyID(jwk.getKeyID()).build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(new ECDSASigner(jwk));
    } catch (JOSEException e) {
      throw new IllegalStateException("ES256 signing failed", e);
    }
    return jwt.serialize();
  }
}
