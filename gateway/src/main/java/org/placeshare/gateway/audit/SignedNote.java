package org.placeshare.gateway.audit;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * C2SP signed-note: a UTF-8 text ending in a newline, a blank line, then signature lines {@code —
 * name base64(keyHash||signature)}. Signing and opening follow Go's {@code
 * golang.org/x/mod/sumdb/note} byte for byte (its test vectors pass here), so any transparency-log
 * tool can check the notes the gateway signs, and the gateway can check theirs.
 */
public final class SignedNote {

  /** A note is small (a checkpoint is ~100 bytes, cosignatures add ~100 each): the cap on input. */
  public static final int MAX_NOTE_BYTES = 64 * 1024;

  /** Go's cap on the signature lines it reads, so a note cannot make a verifier spin. */
  public static final int MAX_SIGNATURES = 100;

  /** Each signature line starts with an em dash and a space. */
  static final String SIG_PREFIX = "\u2014 ";

  /** One signature line as read: name, key hash, the signature without the hash. */
  public record Signature(String name, int keyHash, byte[] signature) {}

  /**
   * A note whose signatures by the known keys all verified (at least one did).
   *
   * @param verified the signatures by known keys, each checked
   * @param unverified the signatures by keys not known here (for example a witness's), unchecked
   */
  public record Opened(String text, List<Signature> verified, List<Signature> unverified) {
    public Opened {
      verified = List.copyOf(verified);
      unverified = List.copyOf(unverified);
    }

    public boolean signedBy(NoteVerifierKey key) {
      return verified.stream()
          .anyMatch(s -> s.name().equals(key.name()) && s.keyHash() == key.keyHash());
    }
  }

  private SignedNote() {}

  /**
   * Signs {@code text} with each signer in turn.
   *
   * @throws IllegalArgumentException if the text is not a valid note text
   */
  public static String sign(String text, NoteSigner... signers) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (!validText(text) || bytes.length > MAX_NOTE_BYTES) {
      throw new IllegalArgumentException("malformed note text");
    }
    StringBuilder out = new StringBuilder(text).append('\n');
    for (NoteSigner signer : signers) {
      if (signer.verifierKey().type() != NoteVerifierKey.Type.ED25519) {
        throw new IllegalArgumentException("a cosigner signs with a time: Cosignature.line");
      }
      out.append(line(signer.verifierKey(), signer.sign(bytes)));
    }
    return out.toString();
  }

  /** A signature line: {@code — name base64(keyHash||signature)} and a newline. */
  static String line(NoteVerifierKey key, byte[] signature) {
    byte[] raw =
        ByteBuffer.allocate(4 + signature.length).putInt(key.keyHash()).put(signature).array();
    return SIG_PREFIX + key.name() + ' ' + Base64.getEncoder().encodeToString(raw) + '\n';
  }

  /**
   * Opens a signed note: checks every signature by a known key (any that fails rejects the whole
   * note, as in Go), keeps the others as unverified, and requires at least one verified. Known keys
   * may be witnesses' cosigner keys: their signatures are checked as {@code cosignature/v1}.
   *
   * @throws IllegalArgumentException saying what is wrong (malformed, a bad signature, or no
   *     signature by a known key)
   */
  public static Opened open(byte[] note, List<NoteVerifierKey> known) {
    if (note.length > MAX_NOTE_BYTES) {
      throw new IllegalArgumentException("the note is longer than " + MAX_NOTE_BYTES + " bytes");
    }
    String msg;
    try {
      msg =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(note))
              .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("malformed note: not UTF-8");
    }
    if (msg.chars().anyMatch(c -> c < 0x20 && c != '\n')) {
      throw new IllegalArgumentException("malformed note: a control character");
    }
    int split = msg.lastIndexOf("\n\n");
    if (split < 0) {
      throw new IllegalArgumentException("malformed note: no blank line before the signatures");
    }
    String text = msg.substring(0, split + 1);
    String sigs = msg.substring(split + 2);
    if (sigs.isEmpty() || !sigs.endsWith("\n")) {
      throw new IllegalArgumentException("malformed note: no signature lines");
    }
    List<Signature> verified = new ArrayList<>();
    List<Signature> unverified = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    int count = 0;
    for (String line : sigs.substring(0, sigs.length() - 1).split("\n", -1)) {
      if (!line.startsWith(SIG_PREFIX)) {
        throw new IllegalArgumentException("malformed note: a signature line without '\u2014 '");
      }
      String rest = line.substring(SIG_PREFIX.length());
      int space = rest.indexOf(' ');
      String name = space < 0 ? rest : rest.substring(0, space);
      String b64 = space < 0 ? "" : rest.substring(space + 1);
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(b64);
      } catch (IllegalArgumentException e) {
        raw = new byte[0];
      }
      if (!Base64.getEncoder().encodeToString(raw).equals(b64)) {
        raw = new byte[0]; // padded and canonical only, as Go's note reads them
      }
      if (!NoteVerifierKey.validName(name) || raw.length < 5) {
        throw new IllegalArgumentException("malformed note: a signature line");
      }
      if (++count > MAX_SIGNATURES) {
        throw new IllegalArgumentException(
            "malformed note: more than " + MAX_SIGNATURES + " signatures");
      }
      int hash = ByteBuffer.wrap(raw).getInt();
      byte[] sig = Arrays.copyOfRange(raw, 4, raw.length);
      Signature signature = new Signature(name, hash, sig);
      List<NoteVerifierKey> keys =
          known.stream().filter(k -> k.name().equals(name) && k.keyHash() == hash).toList();
      if (keys.isEmpty()) {
        if (seen.add("?" + rest)) {
          unverified.add(signature);
        }
        continue;
      }
      if (keys.stream().distinct().count() > 1) {
        throw new IllegalArgumentException("ambiguous key " + name + "+" + hex(hash));
      }
      if (!seen.add(name + "+" + hex(hash))) {
        continue; // Go drops repeated signatures by one key, after the first
      }
      if (!verifies(keys.get(0), text, sig)) {
        throw new IllegalArgumentException("invalid signature for key " + name + "+" + hex(hash));
      }
      verified.add(signature);
    }
    if (verified.isEmpty()) {
      throw new IllegalArgumentException("the note has no signature by a known key");
    }
    return new Opened(text, verified, unverified);
  }

  /** Whether {@code sig} by {@code key} signs {@code text}, in the way the key's type signs. */
  private static boolean verifies(NoteVerifierKey key, String text, byte[] sig) {
    return switch (key.type()) {
      case ED25519 -> key.verifies(text.getBytes(StandardCharsets.UTF_8), sig);
      case COSIGNATURE_V1 ->
          sig.length == Cosignature.TIMESTAMP_BYTES + NoteVerifierKey.SIGNATURE_BYTES
              && Cosignature.timestamp(sig) >= 0
              && key.verifies(
                  Cosignature.message(text, Cosignature.timestamp(sig)),
                  Arrays.copyOfRange(sig, Cosignature.TIMESTAMP_BYTES, sig.length));
    };
  }

  /** Text as signed-note allows it: ends in a newline, no other control characters. */
  static boolean validText(String text) {
    return text.endsWith("\n")
        && text.chars().noneMatch(c -> c < 0x20 && c != '\n')
        && StandardCharsets.UTF_8.newEncoder().canEncode(CharBuffer.wrap(text));
  }

  private static String hex(int hash) {
    return String.format("%08x", hash);
  }
}
