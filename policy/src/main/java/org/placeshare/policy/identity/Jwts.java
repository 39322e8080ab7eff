package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.proc.SingleKeyJWSKeySelector;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.time.Clock;
import java.util.Date;
import java.util.Set;
import java.util.regex.Pattern;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.PurposeOfUse;

/** What every JWT kind here shares: size cap, one algorithm, exact typ, injected clock. */
final class Jwts {

  /** Tokens longer than this are refused before parsing. */
  static final int MAX_TOKEN_LENGTH = 8 * 1024;

  /** Clocks of honest parties agree within this. */
  static final int MAX_CLOCK_SKEW_SECONDS = 30;

  private static final Pattern ROLE_FORM = Pattern.compile("[a-z][a-z0-9-]{1,63}");
  private static final Pattern ID_FORM = Pattern.compile("[A-Za-z0-9._@:-]{1,128}");

  private Jwts() {}

  /**
   * Verifies a signed JWT of one kind: ES256 under one key, exactly one {@code typ}, the given
   * claims matching exactly, the required ones present, times checked against the clock.
   *
   * @param kind names the token in messages, e.g. "access token"
   */
  static JWTClaimsSet verify(
      String token,
      String kind,
      JOSEObjectType type,
      ECKey key,
      JWTClaimsSet exactMatch,
      Set<String> requiredClaims,
      Clock clock) {
    checkLength(token, kind);
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(type));
    DefaultJWTClaimsVerifier<SecurityContext> claims =
        new DefaultJWTClaimsVerifier<>(exactMatch, requiredClaims) {
          @Override
          protected Date currentTime() {
            return Date.from(clock.instant());
          }
        };
    claims.setMaxClockSkew(MAX_CLOCK_SKEW_SECONDS);
    processor.setJWTClaimsSetVerifier(claims);
    try {
      processor.setJWSKeySelector(
          new SingleKeyJWSKeySelector<>(SigningKey.ALGORITHM, key.toECPublicKey()));
      return processor.process(token, null);
    } catch (ParseException e) {
      throw new TokenException(kind + " is not a well-formed signed JWT", e);
    } catch (BadJOSEException e) {
      throw new TokenException(kind + " refused: " + e.getMessage(), e);
    } catch (JOSEException e) {
      throw new TokenException(kind + " could not be verified: " + e.getMessage(), e);
    }
  }

  static void checkLength(String token, String kind) {
    if (token == null || token.isEmpty()) {
      throw new TokenException(kind + " is missing");
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      throw new TokenException(
          kind + " must be at most " + MAX_TOKEN_LENGTH + " characters, got " + token.length());
    }
  }

  static String role(JWTClaimsSet claims, String claim) {
    return matching(claims, claim, ROLE_FORM, "a lower-case role name");
  }

  static String id(JWTClaimsSet claims, String claim) {
    return matching(claims, claim, ID_FORM, "an identifier of letters, digits and ._@:-");
  }

  static PurposeOfUse purpose(JWTClaimsSet claims, String claim) {
    try {
      return PurposeOfUse.of(string(claims, claim));
    } catch (PolicyException e) {
      throw new TokenException("claim " + claim + ": " + e.getMessage(), e);
    }
  }

  private static String matching(JWTClaimsSet claims, String claim, Pattern form, String what) {
    String value = string(claims, claim);
    if (!form.matcher(value).matches()) {
      throw new TokenException("claim " + claim + ": expected " + what);
    }
    return value;
  }

  private static String string(JWTClaimsSet claims, String claim) {
    try {
      String value = claims.getStringClaim(claim);
      if (value == null) {
        throw new TokenException("claim " + claim + " is missing");
      }
      return value;
    } catch (ParseException e) {
      throw new TokenException("claim " + claim + ": expected a string", e);
    }
  }
}
