package org.placeshare.gateway.audit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A C2SP signed-note verifier key for Ed25519, in its text form {@code
 * name+hash+base64(0x01||publicKey)}: what an operator publishes so anyone can check the log's
 * checkpoints (Go's {@code note.NewVerifier} reads the same form). The key hash is the first four
 * bytes of SHA-256(name || 0x0A || 0x01 || publicKey), big-endian.
 */
public record NoteVerifierKey(String name, int keyHash, byte[] publicKey) {

  /** The signed-note signature type of Ed25519. */
  static final byte ALG_ED25519 = 0x01;

  static final int PUBLIC_KEY_BYTES = Ed25519PublicKeyParameters.KEY_SIZE;

  /** An Ed25519 signature is 64 bytes; with its 4-byte key hash, 68. */
  static final int SIGNATURE_BYTES = 64;

  /** A verifier key is short; a longer text is not one, and is not worth parsing. */
  static final int MAX_TEXT = 1024;

  public NoteVerifierKey {
    if (!validName(name)) {
      throw new IllegalArgumentException("a note key name is non-empty, without spaces or '+'");
    }
    if (publicKey.length != PUBLIC_KEY_BYTES) {
      throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
    }
    publicKey = publicKey.clone();
    if (keyHash != keyHash(name, publicKey)) {
      throw new IllegalArgumentException("the key hash does not match the name and key");
    }
  }

  /** The verifier key of a name and an Ed25519 public key. */
  public static NoteVerifierKey of(String name, byte[] publicKey) {
    if (!validName(name) || publicKey.length != PUBLIC_KEY_BYTES) {
      throw new IllegalArgumentException("a note key needs a valid name and a 32-byte key");
    }
    return new NoteVerifierKey(name, keyHash(name, publicKey), publicKey);
  }

  /**
   * Reads {@code name+hash+key} strictly: eight lower-case hex digits of hash, the Ed25519 type
   * byte, a 32-byte key, and a hash that matches.
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
    if (key.length != 1 + PUBLIC_KEY_BYTES || key[0] != ALG_ED25519) {
      throw new IllegalArgumentException("the note verifier key is not an Ed25519 key");
    }
    return new NoteVerifierKey(
        parts[0], Integer.parseUnsignedInt(parts[1], 16), Arrays.copyOfRange(key, 1, key.length));
  }

  /** The text form, {@code name+hash+base64(0x01||key)}. */
  public String encoded() {
    return name + "+" + String.format("%08x", keyHash) + "+" + base64Key(publicKey);
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

  static String base64Key(byte[] publicKey) {
    return Base64.getEncoder().encodeToString(typed(publicKey));
  }

  /** SHA-256(name || '\n' || 0x01 || key), its first four bytes big-endian. */
  static int keyHash(String name, byte[] publicKey) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(name.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) '\n');
      sha.update(typed(publicKey));
      return ByteBuffer.wrap(sha.digest()).getInt();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A name as signed-note allows it: non-empty, no white space, no '+'. */
  static boolean validName(String name) {
    return name != null
        && !name.isEmpty()
        && name.codePoints().noneMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c))
        && !name.contains("+");
  }

  private static byte[] typed(byte[] publicKey) {
    byte[] out = new byte[1 + publicKey.length];
    out[0] = ALG_ED25519;
    System.arraycopy(publicKey, 0, out, 1, publicKey.length);
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NoteVerifierKey k
        && k.name.equals(name)
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
