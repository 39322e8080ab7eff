package org.placeshare.gateway.audit;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * A C2SP tlog-checkpoint: the note text {@code origin\nsize\nbase64(root)\n} (extension lines may
 * follow; the gateway writes none), signed as a signed note by the log's key, whose name is the
 * origin. This is the form transparency-log tools and witnesses read.
 *
 * @param note the whole signed note as served, signatures included
 */
public record NoteCheckpoint(String origin, long size, byte[] root, String note) {

  static final int HASH_BYTES = 32;

  /** Signs the checkpoint of a tree head with the log's key; its name is the origin. */
  public static NoteCheckpoint sign(NoteSigner key, long size, byte[] root) {
    String text = text(key.name(), size, root);
    return new NoteCheckpoint(key.name(), size, root.clone(), SignedNote.sign(text, key));
  }

  /** The checkpoint's note text. */
  static String text(String origin, long size, byte[] root) {
    if (origin.isEmpty() || origin.contains("\n") || size < 0 || root.length != HASH_BYTES) {
      throw new IllegalArgumentException("not a tree head");
    }
    return origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(root) + "\n";
  }

  /**
   * Checks a checkpoint note with only the log's verifier key: the log's signature (other
   * signatures, such as witnesses', are left to their own checks), and a well-formed body whose
   * origin is the key's name.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static NoteCheckpoint verify(String note, NoteVerifierKey logKey) {
    if (logKey.type() != NoteVerifierKey.Type.ED25519) {
      throw new IllegalArgumentException(
          logKey.name() + " is a witness's cosigner key (type 0x04), not the log's note key");
    }
    SignedNote.Opened opened =
        SignedNote.open(note.getBytes(StandardCharsets.UTF_8), List.of(logKey));
    NoteCheckpoint c = parse(opened.text(), note);
    if (!c.origin().equals(logKey.name())) {
      throw new IllegalArgumentException(
          "the checkpoint's origin is not the log key's name " + logKey.name());
    }
    return c;
  }

  /** Reads a checkpoint the gateway itself stored, without checking its signature. */
  public static NoteCheckpoint readUnverified(String note) {
    int split = note.lastIndexOf("\n\n");
    if (split < 0) {
      throw new IllegalStateException("a stored checkpoint note has no signatures");
    }
    return parse(note.substring(0, split + 1), note);
  }

  /**
   * Reads the checkpoint of a note already opened (its signatures checked by whoever opened it),
   * from the text the opening split off: the note is not split nor decoded again.
   *
   * @throws IllegalArgumentException if the text is not a checkpoint
   */
  public static NoteCheckpoint read(SignedNote.Opened opened, String note) {
    return parse(opened.text(), note);
  }

  /** The body: origin, size in decimal without leading zeros, a 32-byte base64 root. */
  static NoteCheckpoint parse(String text, String note) {
    String[] lines = text.split("\n", -1);
    if (lines.length < 4 || !lines[lines.length - 1].isEmpty()) {
      throw new IllegalArgumentException("the checkpoint has fewer than three lines");
    }
    String origin = lines[0];
    if (origin.isEmpty()) {
      throw new IllegalArgumentException("the checkpoint has an empty origin");
    }
    long size;
    try {
      size = Long.parseLong(lines[1]);
    } catch (NumberFormatException e) {
      size = -1;
    }
    if (size < 0 || !Long.toString(size).equals(lines[1])) {
      throw new IllegalArgumentException("the checkpoint's size is not a plain decimal number");
    }
    byte[] root;
    try {
      root = Base64.getDecoder().decode(lines[2]);
    } catch (IllegalArgumentException e) {
      root = new byte[0];
    }
    if (root.length != HASH_BYTES || !Base64.getEncoder().encodeToString(root).equals(lines[2])) {
      throw new IllegalArgumentException("the checkpoint's root is not a base64 SHA-256 hash");
    }
    for (int i = 3; i < lines.length - 1; i++) {
      if (lines[i].isEmpty()) {
        throw new IllegalArgumentException("the checkpoint has an empty extension line");
      }
    }
    return new NoteCheckpoint(origin, size, root, note);
  }

  @Override
  public byte[] root() {
    return root.clone();
  }

  public String rootBase64() {
    return Base64.getEncoder().encodeToString(root);
  }
}
