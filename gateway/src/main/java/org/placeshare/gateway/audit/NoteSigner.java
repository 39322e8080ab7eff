package org.placeshare.gateway.audit;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * An Ed25519 signed-note signing key: a log's (type 0x01) or a witness's cosigning key (type 0x04,
 * C2SP tlog-cosignature). Its file form is Go's {@code PRIVATE+KEY+name+hash+base64(type||seed)}
 * ({@code note.NewSigner} reads a log's), so an operator can sign or check with either tool. Holds
 * the secret: never logged, never in {@link #toString}.
 */
public final class NoteSigner {

  private static final String PREFIX = "PRIVATE+KEY+";

  private final NoteVerifierKey verifierKey;
  private final Ed25519PrivateKeyParameters key;

  private NoteSigner(String name, NoteVerifierKey.Type type, byte[] seed) {
    if (seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
      throw new IllegalArgumentException("an Ed25519 seed is 32 bytes");
    }
    this.key = new Ed25519PrivateKeyParameters(seed, 0);
    this.verifierKey = NoteVerifierKey.of(name, type, key.generatePublicKey().getEncoded());
  }

  /** A new random log key named {@code name} (the log's origin, by convention). */
  public static NoteSigner generate(String name, SecureRandom random) {
    return generate(name, NoteVerifierKey.Type.ED25519, random);
  }

  /** A new random witness cosigning key named {@code name} (a schema-less URL, by convention). */
  public static NoteSigner generateCosigner(String name, SecureRandom random) {
    return generate(name, NoteVerifierKey.Type.COSIGNATURE_V1, random);
  }

  private static NoteSigner generate(String name, NoteVerifierKey.Type type, SecureRandom random) {
    byte[] seed = new byte[Ed25519PrivateKeyParameters.KEY_SIZE];
    random.nextBytes(seed);
    return new NoteSigner(name, type, seed);
  }

  /**
   * Reads {@code PRIVATE+KEY+name+hash+key} strictly (the hash must match the key it names).
   *
   * @throws IllegalArgumentException saying what is wrong, never quoting the key
   */
  public static NoteSigner parse(String text) {
    String s = text == null ? "" : text.strip();
    if (!s.startsWith(PREFIX) || s.length() > NoteVerifierKey.MAX_TEXT) {
      throw new IllegalArgumentException("not a note signing key (PRIVATE+KEY+name+hash+key)");
    }
    String[] parts = s.substring(PREFIX.length()).split("\\+", 3);
    if (parts.length != 3 || !parts[1].matches("[0-9a-f]{8}")) {
      throw new IllegalArgumentException("a note signing key is PRIVATE+KEY+name+hash+key");
    }
    byte[] typed;
    try {
      typed = Base64.getDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the note signing key is not base64");
    }
    if (typed.length != 1 + Ed25519PrivateKeyParameters.KEY_SIZE) {
      throw new IllegalArgumentException("the note signing key is not an Ed25519 key");
    }
    NoteSigner signer =
        new NoteSigner(
            parts[0],
            NoteVerifierKey.Type.of(typed[0]),
            Arrays.copyOfRange(typed, 1, typed.length));
    if (signer.verifierKey.keyHash() != Integer.parseUnsignedInt(parts[1], 16)) {
      throw new IllegalArgumentException("the note signing key's hash does not match its key");
    }
    return signer;
  }

  /** The file form, {@code PRIVATE+KEY+name+hash+base64(type||seed)}: secret. */
  public String encoded() {
    byte[] typed = new byte[1 + Ed25519PrivateKeyParameters.KEY_SIZE];
    typed[0] = verifierKey.type().id;
    key.encode(typed, 1);
    return PREFIX
        + verifierKey.name()
        + "+"
        + String.format("%08x", verifierKey.keyHash())
        + "+"
        + Base64.getEncoder().encodeToString(typed);
  }

  public NoteVerifierKey verifierKey() {
    return verifierKey;
  }

  public String name() {
    return verifierKey.name();
  }

  /** The 64-byte Ed25519 signature of {@code message}. */
  byte[] sign(byte[] message) {
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, key);
    signer.update(message, 0, message.length);
    return signer.generateSignature();
  }

  @Override
  public String toString() {
    return "NoteSigner[" + verifierKey.encoded() + "]";
  }
}
