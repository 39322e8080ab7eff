package org.placeshare.gateway.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A C2SP signed-note verifier key for Ed25519, in its text form {@code
 * name+hash+base64(type||publicKey)}: what an operator publishes so anyone can check the log's
 * checkpoints (Go's {@code note.NewVerifier} reads the same form for type 0x01), or a witness's
 * cosignatures (type 0x04, C2SP tlog-cosignature). The key hash is the first four bytes of
 * SHA-256(name || 0x0A || type || publicKey), big-endian.
 */
public record NoteVerifierKey(String name, Type type, int keyHash, byte[] publicKey) {

  /** What a key's signatures sign, named by the signature type byte of its text form. */
  public enum Type {
    /** A plain signed-note signature over the note text: the log's own key. */
    ED25519((byte) 0x01),
    /**
     * A tlog-cosignature {@code cosignature/v1}: a witness's timestamped signature over {@code
     * "cosignature/v1\ntime T\n"} and the checkpoint text. A distinct type, so a log key cannot be
     * passed off as a witness's, nor the reverse.
     */
    COSIGNATURE_V1((byte) 0x04);

    final byte id;

    Type(byte id) {
      this.id = id;
    }

    static Type of(byte id) {
      for (Type t : values()) {
        if (t.id == id) {
          return t;
        }
      }
      throw new IllegalArgumentException("the key is neither an Ed25519 note key nor a cosigner's");
    }
  }

  static final int PUBLIC_KEY_BYTES = Ed25519PublicKeyParameters.KEY_SIZE;

  /** An Ed25519 signature is 64 bytes; with its 4-byte key hash, 68. */
  static final int SIGNATURE_BYTES = 64;

  /** A verifier key is short; a longer text is not one, and is not worth parsing. */
  static final int MAX_TEXT = 1024;

  /** A vkey file is one line; anything this long is another file named by mistake. */
  static final long MAX_FILE_BYTES = 4096;

  public NoteVerifierKey {
    if (!validName(name)) {
      throw new IllegalArgumentException("a note key name is non-empty, without spaces or '+'");
    }
    if (publicKey.length != PUBLIC_KEY_BYTES) {
      throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
    }
    publicKey = publicKey.clone();
    if (keyHash != keyHash(name, type, publicKey)) {
      throw new IllegalArgumentException("the key hash does not match the name and key");
    }
  }

  /** The verifier key of a name and an Ed25519 public key that signs notes. */
  public static NoteVerifierKey of(String name, byte[] publicKey) {
    return of(name, Type.ED25519, publicKey);
  }

  /** The verifier key of a name and an Ed25519 public key of the given type. */
  public static NoteVerifierKey of(String name, Type type, byte[] publicKey) {
    if (!validName(name) || publicKey.length != PUBLIC_KEY_BYTES) {
      throw new IllegalArgumentException("a note key needs a valid name and a 32-byte key");
    }
    return new NoteVerifierKey(name, type, keyHash(name, type, publicKey), publicKey);
  }

  /**
   * Reads {@code name+hash+key} strictly: eight lower-case hex digits of hash, a known type byte
   * (0x01 or 0x04), a 32-byte key, and a hash that matches.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static NoteVerifierKey parse(String text) {
    if (text == null || text.length() > MAX_TEXT) {
      throw new IllegalArgumentException("not a note verifier key");
    }
    String[] parts = text.split("\\+", 3);
    if (parts.length != 3 || !parts[1].matches("[0-9a-f]{8}")) {
      throw new IllegalArgumentException("a note verifier key is name+hash+key");
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the note verifier key is not base64");
    }
    if (key.length != 1 + PUBLIC_KEY_BYTES) {
      throw new IllegalArgumentException("the note verifier key is not an Ed25519 key");
    }
    return new NoteVerifierKey(
        parts[0],
        Type.of(key[0]),
        Integer.parseUnsignedInt(parts[1], 16),
        Arrays.copyOfRange(key, 1, key.length));
  }

  /**
   * Reads a {@code .vkey} file (one key, surrounding whitespace ignored) under a size cap, for the
   * three places an operator names one: the gateway's witnesses, the witness's logs and {@code
   * audit verify}.
   *
   * @throws IllegalArgumentException naming the file and what is wrong with it
   * @throws IOException when the file cannot be read
   */
  public static NoteVerifierKey read(Path file) throws IOException {
    if (Files.size(file) > MAX_FILE_BYTES) {
      throw new IllegalArgumentException(
          file + ": not a note verifier key (larger than " + MAX_FILE_BYTES + " bytes)");
    }
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8).strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** The text form, {@code name+hash+base64(type||key)}. */
  public String encoded() {
    return name + "+" + String.format("%08x", keyHash) + "+" + base64Key(type, publicKey);
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** Whether {@code signature} (64 bytes, without the key hash) signs {@code message}. */
  boolean verifies(byte[] message, byte[] signature) {
    if (signature.length != SIGNATURE_BYTES) {
      return false;
    }
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
    verifier.update(message, 0, message.length);
    return verifier.verifySignature(signature);
  }

  static String base64Key(Type type, byte[] publicKey) {
    return Base64.getEncoder().encodeToString(typed(type, publicKey));
  }

  /** SHA-256(name || '\n' || type || key), its first four bytes big-endian. */
  static int keyHash(String name, Type type, byte[] publicKey) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(name.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) '\n');
      sha.update(typed(type, publicKey));
      return ByteBuffer.wrap(sha.digest()).getInt();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A name as signed-note allows it: non-empty, no white space, no '+'. */
  static boolean validName(String name) {
    return name != null
        && !name.isEmpty()
        // U+0085 (NEL) is white space to Go's unicode.IsSpace but not to Java's isWhitespace.
        && name.codePoints()
            .noneMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85)
        && !name.contains("+");
  }

  private static byte[] typed(Type type, byte[] publicKey) {
    byte[] out = new byte[1 + publicKey.length];
    out[0] = type.id;
    System.arraycopy(publicKey, 0, out, 1, publicKey.length);
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NoteVerifierKey k
        && k.name.equals(name)
        && k.type == type
        && k.keyHash == keyHash
        && Arrays.equals(k.publicKey, publicKey);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + keyHash;
  }

  @Override
  public String toString() {
    return encoded();
  }
}
