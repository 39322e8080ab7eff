package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.JWTClaimsSet;
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
}
