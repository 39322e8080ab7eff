package org.placeshare.gateway.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The evidence of what left in a release: the SHA-256 of the body exactly as sent (the Bundle or
 * resource in the negotiated format, UTF-8), its length and media type. Kept in the release's audit
 * event, so the Merkle leaf binds it: a disclosure can later be proven by showing the bytes that
 * hash to it, while the log holds no clinical content.
 *
 * @param sha256 lower-case hex of the SHA-256 of the body's bytes
 * @param bytes the body's length in bytes
 * @param mediaType the body's media type, without parameters (e.g. {@code application/fhir+json})
 */
public record SentDigest(String sha256, long bytes, String mediaType) {

  private static final Pattern HEX_SHA256 = Pattern.compile("[0-9a-f]{64}");

  public SentDigest {
    Objects.requireNonNull(mediaType, "mediaType");
    if (!HEX_SHA256.matcher(sha256).matches()) {
      throw new IllegalArgumentException("expected 64 lower-case hex digits, got " + sha256);
    }
    if (bytes < 0) {
      throw new IllegalArgumentException("expected a length of at least 0, got " + bytes);
    }
  }

  /** The digest of a body sent as UTF-8 text, as the gateway's FHIR answers are. */
  public static SentDigest of(String body, String mediaType) {
    byte[] sent = body.getBytes(StandardCharsets.UTF_8);
    return new SentDigest(HexFormat.of().formatHex(sha256(sent)), sent.length, mediaType);
  }

  public static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
