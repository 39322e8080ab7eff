package org.placeshare.policy.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Tokens whose signatures have already been verified, so a client that sends the same token with
 * every request does not pay for an ECDSA verification each time. Only the signature work is saved:
 * a hit is still refused after the token's expiry (the caller checks withdrawal and binding on
 * every use too). Bounded, least recently used first out; keyed by the whole token, so a token
 * differing in one byte is a miss and is verified in full.
 */
final class VerifiedCache<T> {

  static final int DEFAULT_CAPACITY = 10_000;

  private record Held<T>(T value, Instant usableUntil) {}

  private final Map<String, Held<T>> entries;

  VerifiedCache(int capacity) {
    this.entries =
        new LinkedHashMap<>(64, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Held<T>> eldest) {
            return size() > capacity;
          }
        };
  }

  /** The verified value for this exact token, if held and still usable at {@code now}. */
  Optional<T> get(String token, Instant now) {
    String key = digest(token);
    synchronized (this) {
      Held<T> held = entries.get(key);
      if (held == null) {
        return Optional.empty();
      }
      if (!now.isBefore(held.usableUntil())) {
        entries.remove(key);
        return Optional.empty();
      }
      return Optional.of(held.value());
    }
  }

  void put(String token, T value, Instant usableUntil) {
    String key = digest(token);
    synchronized (this) {
      entries.put(key, new Held<>(value, usableUntil));
    }
  }

  private static String digest(String token) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
