package org.placeshare.gateway.witness;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The body of a C2SP tlog-witness {@code add-checkpoint} request, read strictly: an {@code old N}
 * line (decimal, no leading zeros), 0 to 63 lines each one base64 32-byte hash, an empty line, then
 * the signed checkpoint note (checked later, by the note's own parser). Every line ends in a
 * newline.
 *
 * @param oldSize the size of the checkpoint the client believes the witness last cosigned
 * @param proof the consistency proof from {@code oldSize} to the checkpoint's size
 * @param note the signed checkpoint note, as sent
 */
record AddCheckpointRequest(long oldSize, List<byte[]> proof, byte[] note) {

  /** The spec's cap: a client MUST NOT send more consistency proof lines. */
  static final int MAX_PROOF_LINES = 63;

  static final int HASH_BYTES = 32;

  // A u64 tree size fits a Java long only up to 2^63 - 1: 19 digits at most, checked on parsing.
  private static final Pattern OLD_LINE = Pattern.compile("old (0|[1-9][0-9]{0,18})");

  private static final Pattern HASH_LINE = Pattern.compile("[A-Za-z0-9+/]{43}=");

  AddCheckpointRequest {
    proof = List.copyOf(proof);
  }

  /**
   * Parses a request body.
   *
   * @throws MalformedRequest saying, in one line, what is wrong
   */
  static AddCheckpointRequest parse(byte[] body) throws MalformedRequest {
    int at = 0;
    int end = lineEnd(body, at);
    if (end < 0) {
      throw new MalformedRequest("the body does not start with a newline-terminated old size line");
    }
    String first = ascii(body, at, end);
    if (!OLD_LINE.matcher(first).matches()) {
      throw new MalformedRequest("the first line is not 'old N' (decimal, no leading zeros)");
    }
    long oldSize;
    try {
      oldSize = Long.parseLong(first.substring(4));
    } catch (NumberFormatException e) {
      throw new MalformedRequest("the old size is larger than 2^63 - 1");
    }
    at = end + 1;
    List<byte[]> proof = new ArrayList<>();
    while (true) {
      end = lineEnd(body, at);
      if (end < 0) {
        throw new MalformedRequest("no empty line before the checkpoint");
      }
      if (end == at) {
        at = end + 1;
        break;
      }
      if (proof.size() == MAX_PROOF_LINES) {
        throw new MalformedRequest("more than " + MAX_PROOF_LINES + " consistency proof lines");
      }
      String line = ascii(body, at, end);
      byte[] hash = HASH_LINE.matcher(line).matches() ? decode(line) : null;
      if (hash == null || hash.length != HASH_BYTES) {
        throw new MalformedRequest(
            "proof line " + (proof.size() + 1) + " is not a base64 32-byte hash");
      }
      proof.add(hash);
      at = end + 1;
    }
    if (at == body.length) {
      throw new MalformedRequest("no checkpoint after the empty line");
    }
    return new AddCheckpointRequest(oldSize, proof, Arrays.copyOfRange(body, at, body.length));
  }

  /** The note's origin: its first line, before any check of the note. */
  String origin() throws MalformedRequest {
    int end = lineEnd(note, 0);
    if (end <= 0) {
      throw new MalformedRequest("the checkpoint has no origin line");
    }
    return new String(note, 0, end, StandardCharsets.UTF_8);
  }

  /** A request the witness cannot read: 400, with the reason as the body's one line. */
  static final class MalformedRequest extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedRequest(String message) {
      super(message);
    }
  }

  private static int lineEnd(byte[] body, int from) {
    for (int i = from; i < body.length; i++) {
      if (body[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static String ascii(byte[] body, int from, int to) {
    return new String(body, from, to - from, StandardCharsets.ISO_8859_1);
  }

  /** Canonical base64 only: what decodes must encode back to the same text. */
  private static byte[] decode(String line) {
    try {
      byte[] hash = Base64.getDecoder().decode(line);
      return Base64.getEncoder().encodeToString(hash).equals(line) ? hash : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
