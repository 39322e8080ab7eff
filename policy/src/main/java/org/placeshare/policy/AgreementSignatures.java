package org.placeshare.policy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Detached JWS signatures over agreement files (RFC 7515 Appendix F): the {@code .jws} file beside
 * {@code name.yaml} holds {@code header..signature}, the payload being the YAML bytes exactly. An
 * IG lead signs a file when it is approved; with signatures required, the gateway loads only files
 * whose signature verifies under one of the configured IG keys. Signing is the key's own act
 * ({@code SigningKey.signDetached(TYPE, bytes)} in {@code policy.identity}), so the private key
 * never leaves its class and the agreements package needs nothing of identity; checking is done by
 * the verifiers the loader is given ({@code JwsVerifiers.factory()} in the gateway and the CLI), so
 * the provider is chosen in one place for every signature.
 */
public final class AgreementSignatures {

  /** The JWS {@code typ} of an agreement signature, so no other signed thing can pass as one. */
  public static final JOSEObjectType TYPE = new JOSEObjectType("agreement+jws");

  /** The one algorithm an agreement signature may use, as every Placeshare key signs. */
  static final JWSAlgorithm ALGORITHM = JWSAlgorithm.ES256;

  /** A detached signature is a header and a signature; anything larger is not one. */
  public static final int MAX_SIGNATURE_BYTES = 2 * 1024;

  private AgreementSignatures() {}

  /**
   * The verifiers of the trusted IG keys by key id, each built once for a whole load and shared by
   * the threads that check the files (a verifier keeps no state between calls).
   *
   * @param factory where verifiers come from: {@code JwsVerifiers.factory()}, which chooses the
   *     provider for every signature the gateway checks
   * @throws PolicyException when a key cannot be made into a verifier
   */
  static Map<String, JWSVerifier> verifiers(List<ECKey> trusted, JWSVerifierFactory factory) {
    Map<String, JWSVerifier> byKeyId = new LinkedHashMap<>();
    JWSHeader header = new JWSHeader(ALGORITHM);
    for (ECKey key : trusted) {
      if (key.getKeyID() == null || byKeyId.containsKey(key.getKeyID())) {
        continue; // a key without an id names no signature; the first of two with one id wins
      }
      try {
        byKeyId.put(key.getKeyID(), factory.createJWSVerifier(header, key.toECPublicKey()));
      } catch (JOSEException e) {
        throw new PolicyException(
            "IG key " + key.getKeyID() + ": cannot check signatures with it: " + e.getMessage(), e);
      }
    }
    return Map.copyOf(byKeyId);
  }

  /**
   * Checks a detached signature over a file's bytes.
   *
   * @param trusted the IG signing keys' verifiers by key id ({@link #verifiers}); the signature's
   *     {@code kid} must name one of them
   * @throws PolicyException saying what was expected and what came
   */
  static void verify(String name, byte[] file, String signature, Map<String, JWSVerifier> trusted) {
    String compact = signature.strip();
    if (compact.length() > MAX_SIGNATURE_BYTES) {
      throw new PolicyException(
          name + ": expected a signature of at most " + MAX_SIGNATURE_BYTES + " characters");
    }
    JWSObject jws;
    try {
      jws = JWSObject.parse(compact, new Payload(file));
    } catch (ParseException e) {
      throw new PolicyException(
          name + ": expected a detached compact JWS, got one that does not parse", e);
    }
    JWSHeader header = jws.getHeader();
    if (!ALGORITHM.equals(header.getAlgorithm())) {
      throw new PolicyException(
          name + ": expected a signature with alg ES256, got " + header.getAlgorithm());
    }
    if (!TYPE.equals(header.getType())) {
      throw new PolicyException(name + ": expected typ " + TYPE + ", got " + header.getType());
    }
    if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
      throw new PolicyException(
          name + ": expected no critical header parameters, got " + header.getCriticalParams());
    }
    JWSVerifier verifier = header.getKeyID() == null ? null : trusted.get(header.getKeyID());
    if (verifier == null) {
      throw new PolicyException(
          name + ": expected a signature by a trusted IG key, got key id " + header.getKeyID());
    }
    try {
      if (!jws.verify(verifier)) {
        throw new PolicyException(
            name + ": the signature does not match the file (changed since it was signed?)");
      }
    } catch (JOSEException e) {
      throw new PolicyException(name + ": the signature cannot be checked: " + e.getMessage(), e);
    }
  }
}
