package org.placeshare.gateway.audit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * The log's side of C2SP tlog-witness {@code add-checkpoint}, as pure functions: the request body
 * ({@code old N}, the consistency proof, a blank line, the checkpoint note), the 409 answer's size,
 * and the witness's 200 answer opened to the one cosignature its key made.
 */
public final class AddCheckpoint {

  /** The spec's cap on consistency proof lines; a proof in a log of 2^63 entries fits. */
  public static final int MAX_PROOF_LINES = 63;

  /** The media type of a 409's body: the witness's size in decimal and a newline. */
  public static final String SIZE_TYPE = "text/x.tlog.size";

  /** A 409's body is a decimal u64 and a newline: 21 bytes at most. */
  public static final int MAX_SIZE_BYTES = 21;

  /**
   * A cosignature dated later than now by more than this is refused: the witness's clock is far
   * off, and a verifier judging freshness by the cosignature's time would think the checkpoint
   * newer than it is. Generous on purpose: a witness's clock minutes apart from the gateway's is an
   * operator's slip to mend, not a reason to stop witnessing (with failClosed it would stop every
   * release).
   */
  public static final Duration FUTURE_SKEW = Duration.ofMinutes(10);

  /** A witness's cosignature, verified: its signature line and the time it states. */
  public record Cosigned(String line, Instant time) {}

  private AddCheckpoint() {}

  /**
   * The request body: {@code old <size>}, one base64 hash per proof line, a blank line, the note.
   *
   * @throws IllegalArgumentException if the proof is not as the spec allows for this old size
   */
  public static String body(long old, List<byte[]> proof, String note) {
    if (old < 0) {
      throw new IllegalArgumentException("the old size is 0 or more");
    }
    if (old == 0 && !proof.isEmpty()) {
      throw new IllegalArgumentException("the proof from size 0 is empty");
    }
    if (proof.size() > MAX_PROOF_LINES) {
      throw new IllegalArgumentException("more than " + MAX_PROOF_LINES + " proof lines");
    }
    StringBuilder out = new StringBuilder("old ").append(old).append('\n');
    for (byte[] hash : proof) {
      if (hash.length != Merkle.HASH_BYTES) {
        throw new IllegalArgumentException("a proof line is a 32-byte hash");
      }
      out.append(Base64.getEncoder().encodeToString(hash)).append('\n');
    }
    return out.append('\n').append(note).toString();
  }

  /**
   * The size a 409 names: the tree size the witness last cosigned for this log.
   *
   * @throws IllegalArgumentException if the answer is not {@code text/x.tlog.size} holding a plain
   *     decimal and a newline
   */
  public static long conflictSize(String contentType, byte[] body) {
    String type = contentType == null ? "" : contentType.split(";", 2)[0].strip();
    if (!SIZE_TYPE.equalsIgnoreCase(type)) {
      throw new IllegalArgumentException(
          "a 409 without Content-Type " + SIZE_TYPE + " (got " + abbreviated(type) + ")");
    }
    if (body.length > MAX_SIZE_BYTES) {
      throw new IllegalArgumentException("a 409 whose body is longer than a size");
    }
    String text = new String(body, StandardCharsets.US_ASCII);
    if (!text.matches("(0|[1-9][0-9]{0,18})\n")) {
      throw new IllegalArgumentException("a 409 whose body is not a size and a newline");
    }
    return Long.parseLong(text.strip());
  }

  /**
   * The witness's cosignature from its 200 answer: the answer appended to the note and opened with
   * the log's and the witness's keys; lines by other keys are ignored, a line by the witness's key
   * that does not verify refuses the whole answer, as does one dated in the future.
   *
   * @throws IllegalArgumentException saying what is wrong with the answer
   */
  public static Cosigned cosignature(
      String note, byte[] answer, NoteVerifierKey logKey, NoteVerifierKey witness, Instant now) {
    if (answer.length > SignedNote.MAX_NOTE_BYTES) {
      throw new IllegalArgumentException("the answer is longer than a note");
    }
    byte[] noteBytes = note.getBytes(StandardCharsets.UTF_8);
    byte[] whole = new byte[noteBytes.length + answer.length];
    System.arraycopy(noteBytes, 0, whole, 0, noteBytes.length);
    System.arraycopy(answer, 0, whole, noteBytes.length, answer.length);
    SignedNote.Opened opened = SignedNote.open(whole, List.of(logKey, witness));
    if (!opened.signedBy(logKey)) {
      throw new IllegalArgumentException("the note the witness answered is not the log's");
    }
    SignedNote.Signature cosigned =
        opened.verified().stream()
            .filter(s -> s.name().equals(witness.name()) && s.keyHash() == witness.keyHash())
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "the answer holds no cosignature by " + witness.name()));
    Instant time = Instant.ofEpochSecond(Cosignature.timestamp(cosigned.signature()));
    if (time.isAfter(now.plus(FUTURE_SKEW))) {
      throw new IllegalArgumentException(
          "the cosignature by " + witness.name() + " is dated " + time + ", in the future");
    }
    return new Cosigned(SignedNote.line(witness, cosigned.signature()), time);
  }

  private static String abbreviated(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s.isEmpty() ? "none" : s;
  }
}
