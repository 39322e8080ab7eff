package org.placeshare.gateway.audit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * C2SP tlog-cosignature {@code cosignature/v1}: a witness's statement that, as of a time, the
 * checkpoint is the largest consistent tree head it has seen for the log. Its note signature is
 * {@code base64(keyHash || u64 timestamp || Ed25519 signature)} over {@code "cosignature/v1\ntime
 * T\n"} followed by the checkpoint text, by a key of type 0x04 ({@link
 * NoteVerifierKey.Type#COSIGNATURE_V1}). {@link SignedNote#open} verifies cosignatures by the
 * witness keys it is given, like any other signature.
 */
public final class Cosignature {

  /** The big-endian u64 POSIX time that starts a cosignature, before the Ed25519 signature. */
  static final int TIMESTAMP_BYTES = 8;

  private static final String HEADER = "cosignature/v1\n";

  private Cosignature() {}

  /**
   * The signature line of {@code cosigner} over a checkpoint's note text (without its signatures),
   * timestamped {@code time} to the second.
   *
   * @throws IllegalArgumentException if the key is not a cosigner's or the text not a note text
   */
  public static String line(NoteSigner cosigner, String checkpointText, Instant time) {
    if (cosigner.verifierKey().type() != NoteVerifierKey.Type.COSIGNATURE_V1) {
      throw new IllegalArgumentException("only a cosigner's key (type 0x04) makes cosignatures");
    }
    if (!SignedNote.validText(checkpointText) || time.getEpochSecond() < 0) {
      throw new IllegalArgumentException("not a checkpoint text and a time after 1970");
    }
    long timestamp = time.getEpochSecond();
    byte[] sig = cosigner.sign(message(checkpointText, timestamp));
    byte[] timed =
        ByteBuffer.allocate(TIMESTAMP_BYTES + sig.length).putLong(timestamp).put(sig).array();
    return SignedNote.line(cosigner.verifierKey(), timed);
  }

  /**
   * The time a cosignature states, from its signature bytes (after the key hash). A timestamp above
   * 2^63 - 1, which the spec forbids, reads as negative and never verifies.
   */
  public static long timestamp(byte[] signature) {
    if (signature.length < TIMESTAMP_BYTES) {
      return -1;
    }
    return ByteBuffer.wrap(signature, 0, TIMESTAMP_BYTES).getLong();
  }

  /** The signed message: the header line, the time line, then the checkpoint text. */
  static byte[] message(String checkpointText, long timestamp) {
    if (timestamp < 0) {
      throw new IllegalArgumentException("a cosignature's time is 0 to 2^63 - 1");
    }
    return (HEADER + "time " + timestamp + "\n" + checkpointText).getBytes(StandardCharsets.UTF_8);
  }
}
