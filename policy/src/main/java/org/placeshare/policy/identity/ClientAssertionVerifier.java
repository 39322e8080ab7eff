package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Verifies a client assertion: a JWT a client signs with its registered key to obtain an access
 * token (RFC 7523 section 2.2, the NHS "signed JWT" pattern). It must carry {@code typ} {@value
 * #TYPE}, {@code iss} = {@code sub} = the client id, {@code aud} exactly the token URL, an {@code
 * exp} at most {@link #MAX_LIFETIME} ahead, a {@code jti}, and the user, role and purpose of use
 * the client vouches for. The purpose must be one the client is registered for, and so must the
 * role: a client cannot make itself, say, an IG lead by asking.
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

    JWTClaimsSet exact =
        new JWTClaimsSet.Builder()
            .issuer(client.id())
            .subject(client.id())
            .audience(tokenUrl)
            .build();
    JWTClaimsSet claims =
        Jwts.verify(
            jwt,
            KIND,
            new JOSEObjectType(TYPE),
            Jwts.es256(client.publicKey()),
            exact,
            REQUIRED,
            clock);
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
        client, Jwts.id(claims, USER_CLAIM), role, purpose, Jwts.id(claims, "jti"), expires);
  }
}
