package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import java.text.ParseException;
import java.util.List;
import org.placeshare.policy.PolicyException;

/**
 * Detached JWS signatures over agreement files (RFC 7515 Appendix F): the {@code .jws} file beside
 * {@code name.yaml} holds {@code header..signature}, the payload being the YAML bytes exactly. An
 * IG lead signs a file when it is approved; with signatures required, the gateway loads only files
 * whose signature verifies under one of the configured IG keys.
 */
public final class AgreementSignatures {

  /** The JWS {@code typ} of an agreement signature, so no other signed thing can pass as one. */
  public static final JOSEObjectType TYPE = new JOSEObjectType("agreement+jws");

  /** A detached signature is a header and a signature; anything larger is not one. */
  public static final int MAX_SIGNATURE_BYTES = 2 * 1024;

  private AgreementSignatures() {}

  /** Signs a file's bytes, returning the detached compact JWS to store beside it. */
  public static String sign(byte[] file, SigningKey key) {
    JWSHeader header =
        new JWSHeader.Builder(SigningKey.ALGORITHM).type(TYPE).keyID(key.keyId()).build();
    JWSObject jws = new JWSObject(header, new Payload(file));
    try {
      jws.sign(new ECDSASigner(key.privateJwk()));
    } catch (JOSEException e) {
      throw new PolicyException("cannot sign: " + e.getMessage(), e);
    }
    return jws.serialize(true);
  }

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
    if (!SigningKey.ALGORITHM.equals(header.getAlgorithm())) {
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
