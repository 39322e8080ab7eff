package org.placeshare.policy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import java.text.ParseException;
import java.util.List;

/**
 * Detached JWS signatures over agreement files (RFC 7515 Appendix F): the {@code .jws} file beside
 * {@code name.yaml} holds {@code header..signature}, the payload being the YAML bytes exactly. An
 * IG lead signs a file when it is approved; with signatures required, the gateway loads only files
 * whose signature verifies under one of the configured IG keys. Signing is the key's own act
 * ({@code SigningKey.signDetached(TYPE, bytes)} in {@code policy.identity}), so the private key
 * never leaves its class and the agreements package needs nothing of identity.
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
   * Checks a detached signature over a file's bytes.
   *
   * @param trusted the IG signing keys; the signature's {@code kid} must name one of them
   * @throws PolicyException saying what was expected and what came
   */
  public static void verify(String name, byte[] file, String signature, List<ECKey> trusted) {
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
    ECKey key =
        trusted.stream()
            .filter(k -> k.getKeyID().equals(header.getKeyID()))
            .findFirst()
            .orElseThrow(
                () ->
                    new PolicyException(
                        name
                            + ": expected a signature by a trusted IG key, got key id "
                            + header.getKeyID()));
    try {
      if (!jws.verify(new ECDSAVerifier(key))) {
        throw new PolicyException(
            name + ": the signature does not match the file (changed since it was signed?)");
      }
    } catch (JOSEException e) {
      throw new PolicyException(name + ": the signature cannot be checked: " + e.getMessage(), e);
    }
  }
}
