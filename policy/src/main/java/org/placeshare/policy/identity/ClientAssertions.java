package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;
import org.placeshare.policy.PurposeOfUse;

/** Makes client assertions, as a client system would: for the ops CLI, the demo and tests. */
public final class ClientAssertions {

  private ClientAssertions() {}

  public static String sign(
      SigningKey clientKey,
      String clientId,
      String tokenUrl,
      String userId,
      String role,
      PurposeOfUse purpose,
      Clock clock) {
    Instant now = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(clientId)
            .subject(clientId)
            .audience(tokenUrl)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(Duration.ofMinutes(1))))
            .jwtID(UUID.randomUUID().toString())
            .claim(ClientAssertionVerifier.USER_CLAIM, userId)
            .claim(ClientAssertionVerifier.ROLE_CLAIM, role)
            .claim(ClientAssertionVerifier.PURPOSE_CLAIM, purpose.code())
            .build();
    return AccessTokens.sign(clientKey, new JOSEObjectType(ClientAssertionVerifier.TYPE), claims);
  }

  /**
   * A SMART Backend Services assertion (RFC 7523; {@code typ: JWT}): {@code iss} = {@code sub} =
   * the client, {@code aud} the token URL, five minutes at most, a fresh {@code jti}, and no user
   * claims, signed under a key of the client's JWKS with that key's algorithm and {@code kid}.
   */
  public static String signSmart(
      JWK privateKey, JWSAlgorithm algorithm, String clientId, String tokenUrl, Clock clock) {
    Instant now = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(clientId)
            .subject(clientId)
            .audience(tokenUrl)
            .expirationTime(Date.from(now.plus(Duration.ofMinutes(4))))
            .jwtID(UUID.randomUUID().toString())
            .build();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(algorithm)
                .type(JOSEObjectType.JWT)
                .keyID(privateKey.getKeyID())
                .build(),
            claims);
    try {
      jwt.sign(
          privateKey instanceof RSAKey rsa
              ? new RSASSASigner(rsa)
              : new ECDSASigner((ECKey) privateKey));
    } catch (JOSEException e) {
      throw new IllegalStateException(algorithm + " signing failed", e);
    }
    return jwt.serialize();
  }
}
