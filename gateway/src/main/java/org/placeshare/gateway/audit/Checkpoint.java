package org.placeshare.gateway.audit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.SigningKey;

/**
 * A signed tree head: the log's origin, its size and root hash at a moment, signed with the
 * gateway's audit key as a JWS ({@code typ} {@value #TYPE}). Anyone with the public key can check
 * it, and with a consistency proof, that a later head extends it.
 */
public record Checkpoint(String origin, long size, byte[] root, Instant time, String signed) {

  public static final String TYPE = "audit-checkpoint+jwt";

  /** Signs a tree head. */
  public static Checkpoint sign(SigningKey key, String origin, long size, byte[] root, Instant t) {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(origin)
            .issueTime(Date.from(t))
            .claim("size", size)
            .claim("root", Base64.getEncoder().encodeToString(root))
            .build();
    return new Checkpoint(
        origin, size, root, t, AccessTokens.sign(key, new JOSEObjectType(TYPE), claims));
  }

  /**
   * Checks a signed head with only the public key: signature, type, and that the signed fields are
   * what they claim.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Checkpoint verify(String signed, ECKey publicKey) {
    try {
      SignedJWT jwt = SignedJWT.parse(signed);
      if (!new JOSEObjectType(TYPE).equals(jwt.getHeader().getType())) {
        throw new IllegalArgumentException("not an audit checkpoint (typ)");
      }
      JWSVerifier verifier = new ECDSAVerifier(publicKey);
      if (!SigningKey.ALGORITHM.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
        throw new IllegalArgumentException("the checkpoint's signature does not verify");
      }
      return of(jwt.getJWTClaimsSet(), signed);
    } catch (ParseException | JOSEException | NullPointerException e) {
      throw new IllegalArgumentException("the checkpoint is not a well-formed signed JWT", e);
    }
  }

  /** Reads a head's fields without checking the signature: for its own signer only. */
  public static Checkpoint readUnverified(String signed) {
    try {
      return of(SignedJWT.parse(signed).getJWTClaimsSet(), signed);
    } catch (ParseException e) {
      throw new IllegalStateException("a checkpoint the gateway stored is not a JWT", e);
    }
  }

  private static Checkpoint of(JWTClaimsSet claims, String signed) throws ParseException {
    return new Checkpoint(
        claims.getIssuer(),
        claims.getLongClaim("size"),
        Base64.getDecoder().decode(claims.getStringClaim("root")),
        claims.getIssueTime().toInstant(),
        signed);
  }

  public String rootBase64() {
    return Base64.getEncoder().encodeToString(root);
  }
}
