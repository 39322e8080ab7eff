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
import java.util.function.Supplier;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;

/**
 * Issues and verifies the gateway's access tokens: JWTs with {@code typ} {@value #TYPE} (RFC 9068),
 * signed with the gateway key, naming the client's organisation, the end user (none for a system
 * client, which is itself the actor), role and purpose of use, and the granted SMART scopes.
 */
public final class AccessTokens {

  public static final String TYPE = "at+jwt";
  public static final Duration LIFETIME = Duration.ofMinutes(5);

  static final String ORGANISATION_CLAIM = "organisation";
  static final String CLIENT_CLAIM = "client_id";

  /** The granted SMART scopes, space-separated (RFC 9068 section 2.2.3). */
  static final String SCOPE_CLAIM = "scope";

  /**
   * Present, {@code system}, on the token of a system client: it names no user, and the client is
   * the actor the audit names.
   */
  static final String KIND_CLAIM = "client_kind";

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
          SCOPE_CLAIM,
          ClientAssertionVerifier.ROLE_CLAIM,
          ClientAssertionVerifier.PURPOSE_CLAIM);

  /** RFC 8705 section 3.1: the confirmation claim binding a token to a client certificate. */
  static final String CONFIRMATION_CLAIM = "cnf";

  static final String CERTIFICATE_THUMBPRINT = "x5t#S256";

  private final SigningKey key;
  private final String issuer;
  private final Supplier<ClientRegistry> clients;
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
    this(key, issuer, fixed(clients), clock, cacheCapacity);
  }

  /** Tokens whose clients are those of the registry in force at each verification. */
  public AccessTokens(
      SigningKey key, String issuer, Supplier<ClientRegistry> clients, Clock clock) {
    this(key, issuer, clients, clock, VerifiedCache.DEFAULT_CAPACITY);
  }

  /**
   * @param clients the registry in force now, asked at every verification: a client suspended or
   *     removed while the gateway runs loses its tokens at once
   */
  public AccessTokens(
      SigningKey key,
      String issuer,
      Supplier<ClientRegistry> clients,
      Clock clock,
      int cacheCapacity) {
    this.key = key;
    this.issuer = issuer;
    this.clients = clients;
    this.clock = clock;
    this.verified = new VerifiedCache<>(cacheCapacity);
    // The gateway builds this at start: load the signature provider now (about 0.15 s on a
    // 2-core VM) rather than in the first request that presents a token.
    JwsVerifiers.load();
  }

  private static Supplier<ClientRegistry> fixed(Map<String, RegisteredClient> clients) {
    ClientRegistry registry = ClientRegistry.of(clients);
    return () -> registry;
  }

  /**
   * An access token issued to a client on a verified assertion.
   *
   * @param id its {@code jti}, by which an IG lead may revoke it
   */
  public record Issued(String token, Duration lifetime, String id) {}

  /**
   * Issues a token on a verified assertion; bound to the client certificate whose SHA-256
   * thumbprint (base64url) is given, when the client connected with mutual TLS.
   */
  public Issued issue(
      VerifiedClientAssertion assertion,
      Optional<String> certificateThumbprint,
      GrantedScopes scopes) {
    if (scopes == GrantedScopes.UNRESTRICTED) {
      throw new IllegalArgumentException("a token is issued for the scopes granted, never a job's");
    }
    Instant now = clock.instant();
    String jti = UUID.randomUUID().toString();
    JWTClaimsSet.Builder builder =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience(issuer)
            .subject(assertion.client().id())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(LIFETIME)))
            .jwtID(jti)
            .claim(CLIENT_CLAIM, assertion.client().id())
            .claim(ORGANISATION_CLAIM, assertion.client().organisation().value())
            .claim(ClientAssertionVerifier.ROLE_CLAIM, assertion.role())
            .claim(ClientAssertionVerifier.PURPOSE_CLAIM, assertion.purpose().code())
            .claim(SCOPE_CLAIM, scopes.scope());
    if (assertion.client().system()) {
      builder.claim(KIND_CLAIM, RegisteredClient.Kind.SYSTEM.code());
    } else {
      builder.claim(ClientAssertionVerifier.USER_CLAIM, assertion.userId());
    }
    certificateThumbprint.ifPresent(
        t -> builder.claim(CONFIRMATION_CLAIM, Map.of(CERTIFICATE_THUMBPRINT, t)));
    return new Issued(sign(key, new JOSEObjectType(TYPE), builder.build()), LIFETIME, jti);
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
    Optional<String> refusal = refusal(caller);
    if (refusal.isPresent()) {
      throw new TokenException("access token refused: " + refusal.get());
    }
    return caller;
  }

  /**
   * The right to rebuild the callers of background jobs from what each job kept: given by the
   * verifier that proved them, for the gateway to hand to its jobs store and no one else.
   */
  public JobCallers jobCallers() {
    return new JobCallers();
  }

  /**
   * Why the registry in force no longer stands behind this caller, if it does not: the client is
   * registered now as it was when the caller was verified (active, for the same organisation, the
   * purpose and the role still among those it may claim), or it loses its tokens, sessions and
   * background jobs at once.
   */
  public Optional<String> refusal(Caller caller) {
    Optional<RegisteredClient> client = registration(caller.clientId());
    if (client.isPresent() && !client.get().active()) {
      return Optional.of("client " + caller.clientId() + " is suspended");
    }
    if (client.isEmpty()
        || !client.get().organisation().equals(caller.organisation())
        || !client.get().purposes().contains(caller.purpose())
        || !client.get().roles().contains(caller.role())) {
      return Optional.of("its client is not registered for this organisation, purpose and role");
    }
    return Optional.empty();
  }

  /**
   * The client's registration as the gateway holds it now: the lookup ({@link ClientRegistrations})
   * for checks made at request time, such as whether a client may still vouch for an IG lead.
   */
  public Optional<RegisteredClient> registration(String clientId) {
    return clientId == null ? Optional.empty() : clients.get().find(clientId);
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
    String client = Jwts.id(claims, CLIENT_CLAIM);
    boolean system = claims.getClaim(KIND_CLAIM) != null;
    if (system && !RegisteredClient.Kind.SYSTEM.code().equals(claims.getClaim(KIND_CLAIM))) {
      throw new TokenException("claim client_kind: expected system");
    }
    if (system && claims.getClaim(ClientAssertionVerifier.USER_CLAIM) != null) {
      throw new TokenException("access token refused: a system client's token names no user");
    }
    return new Caller(
        organisation,
        client,
        // A system client acts for no user: it is the actor the audit names.
        system ? client : Jwts.id(claims, ClientAssertionVerifier.USER_CLAIM),
        Jwts.role(claims, ClientAssertionVerifier.ROLE_CLAIM),
        Jwts.purpose(claims, ClientAssertionVerifier.PURPOSE_CLAIM),
        claims.getExpirationTime().toInstant(),
        certificateThumbprint(claims),
        Optional.of(Jwts.id(claims, "jti")),
        GrantedScopes.fromClaim(Jwts.text(claims, SCOPE_CLAIM)),
        system);
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
