package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Forged variants of a good token, one per known attack on JWS verifiers. Each must be refused by
 * whoever accepts the good one. Shared by the policy tests and the gateway's attack suite.
 */
public final class HostileTokens {

  private HostileTokens() {}

  /** Signs claims as the holder of {@code key} would, with any header it likes. */
  public static String sign(SigningKey key, JWSHeader.Builder header, JWTClaimsSet claims) {
    ECKey jwk = key.privateJwk();
    SignedJWT jwt = new SignedJWT(header.build(), claims);
    try {
      jwt.sign(new ECDSASigner(jwk));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  /** A correct header for a token of this type signed by this key. */
  public static JWSHeader.Builder header(SigningKey key, String type) {
    return new JWSHeader.Builder(JWSAlgorithm.ES256)
        .type(new JOSEObjectType(type))
        .keyID(key.keyId());
  }

  /**
   * Every structural attack on a token of {@code type} whose claims are otherwise good, signed by
   * the genuine {@code key} where the attack needs it.
   */
  public static Map<String, String> forgeries(SigningKey key, String type, JWTClaimsSet claims) {
    SigningKey attacker = SigningKey.generate();
    Map<String, String> forged = new LinkedHashMap<>();
    forged.put("alg none", unsigned(type, claims));
    forged.put("HS256 keyed with the issuer's public key", hmacWithPublicKey(key, type, claims));
    forged.put(
        "embedded jwk header",
        sign(attacker, header(attacker, type).jwk(attacker.publicJwk()), claims));
    forged.put(
        "jku pointing elsewhere",
        sign(
            attacker,
            header(attacker, type).jwkURL(URI.create("https://evil.example/jwks")),
            claims));
    forged.put(
        "x5u pointing elsewhere",
        sign(
            attacker,
            header(attacker, type).x509CertURL(URI.create("https://evil.example/cert.pem")),
            claims));
    forged.put(
        "kid with path traversal",
        sign(key, header(key, type).keyID("../../../../etc/passwd"), claims));
    forged.put("kid with SQL", sign(key, header(key, type).keyID("x' OR '1'='1"), claims));
    forged.put(
        "unknown crit header",
        sign(
            key,
            header(key, type)
                .criticalParams(Set.of("placeshare-ext"))
                .customParam("placeshare-ext", true),
            claims));
    forged.put(
        "signed by another key under the right kid", sign(attacker, header(key, type), claims));
    String good = sign(key, header(key, type), claims);
    forged.put("signature r = s = 0 (CVE-2022-21449)", withSignature(good, new byte[64]));
    forged.put("payload altered after signing", alteredPayload(good));
    forged.put(
        "bad base64",
        good.substring(0, good.indexOf('.') + 1) + "!!!" + good.substring(good.indexOf('.') + 4));
    forged.put(
        // Over the 8 KiB cap, under the 16 KiB of headers the server reads at all.
        "over 8 KiB",
        sign(
            key,
            header(key, type),
            new JWTClaimsSet.Builder(claims).claim("pad", "x".repeat(6500)).build()));
    forged.put(
        "deeply nested claims",
        sign(
            key,
            header(key, type),
            new JWTClaimsSet.Builder(claims).claim("nest", nested(40)).build()));
    return forged;
  }

  private static Object nested(int depth) {
    Object value = "bottom";
    for (int i = 0; i < depth; i++) {
      value = java.util.List.of(value);
    }
    return value;
  }

  private static String unsigned(String type, JWTClaimsSet claims) {
    String header = "{\"alg\":\"none\",\"typ\":\"" + type + "\"}";
    return Base64URL.encode(header.getBytes(StandardCharsets.UTF_8))
        + "."
        + Base64URL.encode(claims.toString().getBytes(StandardCharsets.UTF_8))
        + ".";
  }

  private static String hmacWithPublicKey(SigningKey key, String type, JWTClaimsSet claims) {
    try {
      byte[] secret = key.publicJwk().toECPublicKey().getEncoded();
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.HS256)
                  .type(new JOSEObjectType(type))
                  .keyID(key.keyId())
                  .build(),
              claims);
      jwt.sign(new MACSigner(secret));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String withSignature(String token, byte[] signature) {
    return token.substring(0, token.lastIndexOf('.') + 1) + Base64URL.encode(signature);
  }

  private static String alteredPayload(String token) {
    String[] parts = token.split("\\.");
    String json = new Base64URL(parts[1]).decodeToString();
    String altered = json.replaceFirst("\\{", "{\"x\":1,");
    return parts[0] + "." + Base64URL.encode(altered) + "." + parts[2];
  }
}
