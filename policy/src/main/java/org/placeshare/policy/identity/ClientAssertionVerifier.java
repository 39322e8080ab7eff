package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Verifies a client assertion: a JWT a client signs with its registered key to obtain an access
 * token (RFC 7523 section 2.2, SMART Backend Services, the NHS "signed JWT" pattern). It must carry
 * {@code typ} {@value #TYPE}, {@code JWT} or none, be signed with the key its {@code kid} names
 * under that key's one algorithm ({@link ClientKeys}), {@code iss} = {@code sub} = the client id,
 * {@code aud} exactly the token URL, an {@code exp} at most {@link #MAX_LIFETIME} ahead, a {@code
 * jti}, and, from a user-facing client, the user, role and purpose of use it vouches for; a system
 * client vouches for no user and its role and purpose are its registered ones. The purpose must be
 * one the client is registered for, and so must the role: a client cannot make itself, say, an IG
 * lead by asking.
 */
public final class ClientAssertionVerifier {

  public static final String TYPE = "client-authentication+jwt";
  public static final Duration MAX_LIFETIME = Duration.ofMinutes(5);

  public static final String USER_CLAIM = "user_id";
  public static final String ROLE_CLAIM = "user_role";
  public static final String PURPOSE_CLAIM = "purpose_of_use";

  private static final String KIND = "client assertion";

  private static final Set<String> REQUIRED =
      Set.of("iss", "sub", "aud", "exp", "jti", USER_CLAIM, ROLE_CLAIM, PURPOSE_CLAIM);

  private static final Set<String> REQUIRED_OF_SYSTEM = Set.of("iss", "sub", "aud", "exp", "jti");

  /**
   * RFC 7523 and SMART send {@code typ: JWT} or none; ours is {@value #TYPE}. An access token
   * ({@code at+jwt}), a consent token or any other typed JWT is never an assertion.
   */
  private static final DefaultJOSEObjectTypeVerifier<SecurityContext> TYPES =
      new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType(TYPE), JOSEObjectType.JWT, null);

  private final Supplier<ClientRegistry> clients;
  private final String tokenUrl;
  private final Clock clock;

  public ClientAssertionVerifier(
      Map<String, RegisteredClient> clients, String tokenUrl, Clock clock) {
    ClientRegistry registry = ClientRegistry.of(clients);
    this.clients = () -> registry;
    this.tokenUrl = tokenUrl;
    this.clock = clock;
  }

  /**
   * @param clients the registry in force now, asked for every assertion: a suspended or removed
   *     client gets no more tokens
   */
  public ClientAssertionVerifier(Supplier<ClientRegistry> clients, String tokenUrl, Clock clock) {
    this.clients = clients;
    this.tokenUrl = tokenUrl;
    this.clock = clock;
  }

  public VerifiedClientAssertion verify(String assertion) {
    SignedJWT jwt = Jwts.parse(assertion, KIND);
    String issuer = Jwts.unverifiedClaims(jwt, KIND).getIssuer();
    RegisteredClient client = clients.get().find(issuer).orElse(null);
    if (client == null) {
      throw new TokenException("client assertion refused: issuer is not a registered client");
    }
    if (!ClientKeys.ALGORITHMS.contains(jwt.getHeader().getAlgorithm())) {
      throw new TokenException(
          "client assertion refused: alg "
              + jwt.getHeader().getAlgorithm()
              + " is not accepted; expected one of "
              + ClientKeys.ALGORITHMS);
    }
    // The key the assertion names, and only for the one algorithm it is registered with.
    var key =
        client
            .keys()
            .select(client.id(), jwt.getHeader().getKeyID(), jwt.getHeader().getAlgorithm());

    JWTClaimsSet exact =
        new JWTClaimsSet.Builder()
            .issuer(client.id())
            .subject(client.id())
            .audience(tokenUrl)
            .build();
    JWTClaimsSet claims =
        Jwts.verify(
            jwt, KIND, TYPES, key, exact, client.system() ? REQUIRED_OF_SYSTEM : REQUIRED, clock);
    // After the signature: only the client itself learns that it is suspended.
    if (!client.active()) {
      throw new TokenException("client assertion refused: client " + client.id() + " is suspended");
    }
    if (claims.getAudience().size() != 1) {
      throw new TokenException("client assertion refused: expected one audience, " + tokenUrl);
    }
    Instant expires = claims.getExpirationTime().toInstant();
    Instant latest = clock.instant().plus(MAX_LIFETIME).plusSeconds(Jwts.MAX_CLOCK_SKEW_SECONDS);
    if (expires.isAfter(latest)) {
      throw new TokenException(
          "client assertion refused: exp must be at most "
              + MAX_LIFETIME.toMinutes()
              + " minutes ahead");
    }
    String jti = Jwts.id(claims, "jti");
    if (client.system()) {
      for (String claim : List.of(USER_CLAIM, ROLE_CLAIM, PURPOSE_CLAIM)) {
        if (claims.getClaim(claim) != null) {
          throw new TokenException(
              "client assertion refused: "
                  + client.id()
                  + " is a system client and cannot vouch for a user; expected no "
                  + claim);
        }
      }
      // The client is the actor; its role and purpose are the ones registered, not asked for.
      return new VerifiedClientAssertion(
          client, client.id(), client.systemRole(), client.systemPurpose(), jti, expires);
    }
    var purpose = Jwts.purpose(claims, PURPOSE_CLAIM);
    if (!client.purposes().contains(purpose)) {
      throw new TokenException(
          "client assertion refused: purpose " + purpose + " is not registered for this client");
    }
    String role = Jwts.role(claims, ROLE_CLAIM);
    if (!client.roles().contains(role)) {
      throw new TokenException(
          "client assertion refused: role " + role + " is not registered for this client");
    }
    return new VerifiedClientAssertion(
        client, Jwts.id(claims, USER_CLAIM), role, purpose, jti, expires);
  }
}
