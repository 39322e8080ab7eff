package org.placeshare.fhir;

import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Pseudonyms keyed per agreement: HMAC-SHA-256 under the gateway's pseudonym key of the agreement
 * id, the identifier's system and its value. The same person gets the same pseudonym under one
 * agreement (so a council can link its own requests) and unrelated ones under two (so recipients
 * under different agreements cannot link theirs). Without the key, nobody can go back.
 */
public final class Pseudonyms {

  /** The identifier system of pseudonyms made under an agreement: this, then its id. */
  public static final String SYSTEM_PREFIX = "urn:placeshare:pseudonym:";

  static final int MIN_KEY_BYTES = 32;

  private final byte[] key;

  public Pseudonyms(byte[] key) {
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException(
          "a pseudonym key needs at least " + MIN_KEY_BYTES + " bytes, got " + key.length);
    }
    this.key = Arrays.copyOf(key, key.length);
  }

  /** The pseudonym of one identifier under one agreement: 128 bits, base64url. */
  public String of(String agreementId, String system, String value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      // Lengths first, so that no two different inputs run together into the same bytes.
      for (String part : new String[] {agreementId, system == null ? "" : system, value}) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        mac.update(new byte[] {(byte) (bytes.length >>> 8), (byte) bytes.length});
        mac.update(bytes);
      }
      return Base64URL.encode(Arrays.copyOf(mac.doFinal(), 16)).toString();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is required of every Java platform", e);
    }
  }

  @Override
  public String toString() {
    return "Pseudonyms[key withheld]";
  }
}
