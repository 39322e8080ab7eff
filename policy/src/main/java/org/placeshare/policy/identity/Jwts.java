package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.proc.SingleKeyJWSKeySelector;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.time.Clock;
import java.util.Date;
import java.util.List;
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

  static final Pattern ROLE_FORM = Pattern.compile("[a-z][a-z0-9-]{1,63}");
  private static final Pattern ID_FORM = Pattern.compile("[A-Za-z0-9._@:-]{1,128}");

  private Jwts() {}

  /** Claims nest no deeper than this; deeper JSON is refused before it is parsed. */
  static final int MAX_JSON_DEPTH = 8;

  private static final Pattern KEY_ID_FORM = Pattern.compile("[A-Za-z0-9_-]{1,128}");

  /**
   * Parses a compact JWS and checks its header before anything trusts it: no key material or key
   * pointers ({@code jwk}, {@code jku}, {@code x5u}, {@code x5c}; keys come only from the gateway's
   * configuration), no {@code crit} (we understand no extension), a {@code kid} of a safe form, the
   * payload JSON nested no deeper than {@link #MAX_JSON_DEPTH}.
   */
  static SignedJWT parse(String token, String kind) {
    checkLength(token, kind);
    SignedJWT jwt;
    try {
      jwt = SignedJWT.parse(token);
    } catch (ParseException | IllegalArgumentException e) {
      throw new TokenException(kind + " is not a well-formed signed JWT", e);
    }
    JWSHeader header = jwt.getHeader();
    if (header.getJWK() != null
        || header.getJWKURL() != null
        || header.getX509CertURL() != null
        || header.getX509CertChain() != null) {
      throw new TokenException(
          kind
              + " refused: its header carries or points to keys; keys come only from configuration");
    }
    if (header.getCriticalParams() != null) {
      throw new TokenException(kind + " refused: crit header parameters are not supported");
    }
    if (header.getKeyID() != null && !KEY_ID_FORM.matcher(header.getKeyID()).matches()) {
      throw new TokenException(kind + " refused: kid is not a key id of letters, digits, - and _");
    }
    if (depth(jwt.getPayload().toString()) > MAX_JSON_DEPTH) {
      throw new TokenException(
          kind + " refused: claims nest deeper than " + MAX_JSON_DEPTH + " levels");
    }
    return jwt;
  }

  /**
   * Verifies a parsed JWT of one kind: the signature under the key the selector gives, exactly one
   * {@code typ}, the given claims matching exactly, the required ones present, times checked
   * against the clock, and no {@code iat} in the future.
   *
   * @param kind names the token in messages, e.g. "access token"
   */
  static JWTClaimsSet verify(
      SignedJWT jwt,
      String kind,
      JOSEObjectType type,
      JWSKeySelector<SecurityContext> keys,
      JWTClaimsSet exactMatch,
      Set<String> requiredClaims,
      Clock clock) {
    return verify(
        jwt,
        kind,
        new DefaultJOSEObjectTypeVerifier<>(type),
        keys,
        exactMatch,
        requiredClaims,
        clock);
  }

  /** As above, with the {@code typ} values accepted given by a verifier (null there: absent). */
  static JWTClaimsSet verify(
      SignedJWT jwt,
      String kind,
      DefaultJOSEObjectTypeVerifier<SecurityContext> types,
      JWSKeySelector<SecurityContext> keys,
      JWTClaimsSet exactMatch,
      Set<String> requiredClaims,
      Clock clock) {
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSTypeVerifier(types);
    processor.setJWSVerifierFactory(JwsVerifiers.INSTANCE);
    DefaultJWTClaimsVerifier<SecurityContext> claims =
        new DefaultJWTClaimsVerifier<>(exactMatch, requiredClaims) {
          @Override
          protected Date currentTime() {
            return Date.from(clock.instant());
          }
        };
    claims.setMaxClockSkew(MAX_CLOCK_SKEW_SECONDS);
    processor.setJWTClaimsSetVerifier(claims);
    processor.setJWSKeySelector(keys);
    JWTClaimsSet verified;
    try {
      verified = processor.process(jwt, null);
    } catch (BadJOSEException e) {
      throw new TokenException(kind + " refused: " + e.getMessage(), e);
    } catch (JOSEException e) {
      throw new TokenException(kind + " could not be verified: " + e.getMessage(), e);
    }
    Date issued = verified.getIssueTime();
    if (issued != null
        && issued.toInstant().isAfter(clock.instant().plusSeconds(MAX_CLOCK_SKEW_SECONDS))) {
      throw new TokenException(kind + " refused: iat is in the future");
    }
    return verified;
  }

  /** Verifies a JWT of one kind signed ES256 under one known key. */
  static JWTClaimsSet verify(
      String token,
      String kind,
      JOSEObjectType type,
      ECKey key,
      JWTClaimsSet exactMatch,
      Set<String> requiredClaims,
      Clock clock) {
    return verify(parse(token, kind), kind, type, es256(key), exactMatch, requiredClaims, clock);
  }

  /** Selects one EC key for ES256 and nothing else. */
  static JWSKeySelector<SecurityContext> es256(ECKey key) {
    try {
      return new SingleKeyJWSKeySelector<>(SigningKey.ALGORITHM, key.toECPublicKey());
    } catch (JOSEException e) {
      throw new IllegalStateException("a configured EC key has no public point", e);
    }
  }

  /** The claims of a parsed JWT, read before verification only to choose its key. */
  static JWTClaimsSet unverifiedClaims(SignedJWT jwt, String kind) {
    try {
      return jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new TokenException(kind + " is not a well-formed signed JWT", e);
    }
  }

  /** A claim holding a list of up to {@code max} strings, at least one. */
  static List<String> strings(JWTClaimsSet claims, String claim, int max) {
    List<String> values;
    try {
      values = claims.getStringListClaim(claim);
    } catch (ParseException e) {
      throw new TokenException("claim " + claim + ": expected a list of strings", e);
    }
    if (values == null || values.isEmpty() || values.size() > max) {
      throw new TokenException("claim " + claim + ": expected 1 to " + max + " values");
    }
    return values;
  }

  /** A string claim; missing or of another type is refused. */
  static String text(JWTClaimsSet claims, String claim) {
    return string(claims, claim);
  }

  /** How deeply JSON text nests arrays and objects, strings skipped; cheap, and never recursive. */
  static int depth(String json) {
    int depth = 0;
    int deepest = 0;
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        deepest = Math.max(deepest, ++depth);
      } else if (c == '}' || c == ']') {
        depth--;
      }
    }
    return deepest;
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
