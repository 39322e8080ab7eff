package org.placeshare.fhir.previous;

import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * PseudonymsBefore22 keyed per agreement: HMAC-SHA-256 under the gateway's pseudonym key of the
 * agreement id, the identifier's system and its value. The same person gets the same pseudonym
 * under one agreement (so a council can link its own requests) and unrelated ones under two (so
 * recipients under different agreements cannot link theirs). Without the key, nobody can go back.
 */
public final class PseudonymsBefore22 {

  /** The identifier system of pseudonyms made under an agreement: this, then its id. */
  public static final String SYSTEM_PREFIX = "urn:placeshare:pseudonym:";

  static final int MIN_KEY_BYTES = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;

  public PseudonymsBefore22(byte[] key) {
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException(
          "a pseudonym key needs at least " + MIN_KEY_BYTES + " bytes, got " + key.length);
    }
    this.key = Arrays.copyOf(key, key.length);
  }

  /**
   * PseudonymsBefore22 under a fresh random key, for one release only: where there is no pseudonym
   * key, ids still need consistent stand-ins within a release, and none that lasts beyond it.
   */
  public static PseudonymsBefore22 forOneRelease() {
    byte[] key = new byte[MIN_KEY_BYTES];
    RANDOM.nextBytes(key);
    return new PseudonymsBefore22(key);
  }

  /** The pseudonym of one identifier under one agreement: 128 bits, base64url. */
  public String of(String agreementId, String system, String value) {
    return Base64URL.encode(mac(agreementId, system, value)).toString();
  }

  /**
   * The pseudonym of a resource's id under one agreement, {@code system} naming where the id is
   * unique (the source and the type): the same 128 bits in hex, as a FHIR id allows no '_'.
   */
  public String id(String agreementId, String system, String value) {
    return HexFormat.of().formatHex(mac(agreementId, system, value));
  }

  private byte[] mac(String agreementId, String system, String value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      // Lengths first, so that no two different inputs run together into the same bytes.
      for (String part : new String[] {agreementId, system == null ? "" : system, value}) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        mac.update(new byte[] {(byte) (bytes.length >>> 8), (byte) bytes.length});
        mac.update(bytes);
      }
      return Arrays.copyOf(mac.doFinal(), 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is required of every Java platform", e);
    }
  }

  @Override
  public String toString() {
    return "PseudonymsBefore22[key withheld]";
  }
}
