package org.placeshare.gateway.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;

/** C2SP tlog-cosignature {@code cosignature/v1}, checked against the spec's own definitions. */
class CosignatureTest {

  static final SecureRandom RANDOM = new SecureRandom();
  static final Instant TIME = Instant.ofEpochSecond(1_679_315_147L);

  final NoteSigner log = NoteSigner.generate("audit.placeshare.example/coventry", RANDOM);
  final NoteSigner witness = NoteSigner.generateCosigner("witness.gpfed.example/w1", RANDOM);
  final String checkpoint = NoteCheckpoint.sign(log, 20852163, new byte[32]).note();
  final String text = checkpoint.substring(0, checkpoint.lastIndexOf("\n\n") + 1);

  @Test
  void line_isTheSpecsBytes_keyIdWith0x04_timestampThenSignatureOverTheHeaderAndTime()
      throws Exception {
    String line = Cosignature.line(witness, text, TIME);

    assertTrue(line.startsWith("\u2014 witness.gpfed.example/w1 ") && line.endsWith("\n"));
    byte[] raw = Base64.getDecoder().decode(line.substring(line.lastIndexOf(' ') + 1).strip());
    assertEquals(4 + 8 + 64, raw.length);
    byte[] pub = witness.verifierKey().publicKey();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update("witness.gpfed.example/w1\n".getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0x04);
    sha.update(pub);
    assertEquals(ByteBuffer.wrap(sha.digest()).getInt(), ByteBuffer.wrap(raw).getInt());
    assertEquals(TIME.getEpochSecond(), ByteBuffer.wrap(raw, 4, 8).getLong());
    Ed25519Signer ed = new Ed25519Signer();
    ed.init(false, new Ed25519PublicKeyParameters(pub, 0));
    byte[] message = ("cosignature/v1\ntime 1679315147\n" + text).getBytes(StandardCharsets.UTF_8);
    ed.update(message, 0, message.length);
    assertTrue(ed.verifySignature(Arrays.copyOfRange(raw, 12, raw.length)));
  }

  @Test
  void open_withTheWitnessKey_verifiesTheCosignatureAndReadsItsTime() {
    String cosigned = checkpoint + Cosignature.line(witness, text, TIME);

    SignedNote.Opened opened =
        SignedNote.open(
            cosigned.getBytes(StandardCharsets.UTF_8),
            List.of(log.verifierKey(), witness.verifierKey()));

    assertTrue(opened.signedBy(log.verifierKey()));
    assertTrue(opened.signedBy(witness.verifierKey()));
    SignedNote.Signature cosignature =
        opened.verified().stream()
            .filter(s -> s.name().equals(witness.name()))
            .findFirst()
            .orElseThrow();
    assertEquals(TIME.getEpochSecond(), Cosignature.timestamp(cosignature.signature()));
  }

  @Test
  void open_withOnlyTheLogKey_leavesTheCosignatureUnverified() {
    String cosigned = checkpoint + Cosignature.line(witness, text, TIME);

    SignedNote.Opened opened =
        SignedNote.open(cosigned.getBytes(StandardCharsets.UTF_8), List.of(log.verifierKey()));

    assertFalse(opened.signedBy(witness.verifierKey()));
    assertEquals(1, opened.unverified().size());
  }

  @Test
  void open_aChangedTimestamp_isAnInvalidSignature() {
    String line = Cosignature.line(witness, text, TIME);
    String name = line.substring(0, line.lastIndexOf(' ') + 1);
    byte[] raw = Base64.getDecoder().decode(line.substring(name.length()).strip());
    raw[11] ^= 1; // the last byte of the timestamp: a witness's words moved to another time
    String forged = checkpoint + name + Base64.getEncoder().encodeToString(raw) + "\n";

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SignedNote.open(
                    forged.getBytes(StandardCharsets.UTF_8),
                    List.of(log.verifierKey(), witness.verifierKey())));
    assertTrue(e.getMessage().startsWith("invalid signature for key witness.gpfed.example/w1+"));
  }

  @Test
  void open_aCosignatureOfAnotherCheckpoint_isAnInvalidSignature() {
    String other = NoteCheckpoint.sign(log, 20852164, new byte[32]).note();
    String line =
        Cosignature.line(witness, other.substring(0, other.lastIndexOf("\n\n") + 1), TIME);

    assertThrows(
        IllegalArgumentException.class,
        () ->
            SignedNote.open(
                (checkpoint + line).getBytes(StandardCharsets.UTF_8),
                List.of(log.verifierKey(), witness.verifierKey())));
  }

  @Test
  void open_aPlainSignatureByTheWitnessesKey_isNotACosignature() {
    // The same Ed25519 key as a plain note key (type 0x01) has another key hash, so its plain
    // signature over the checkpoint can never pass for a cosignature (which commits to a time).
    NoteVerifierKey asNoteKey =
        NoteVerifierKey.of(witness.name(), witness.verifierKey().publicKey());
    assertNotEquals(asNoteKey.keyHash(), witness.verifierKey().keyHash());
    String plain =
        checkpoint
            + SignedNote.line(
                witness.verifierKey(), witness.sign(text.getBytes(StandardCharsets.UTF_8)));

    assertThrows(
        IllegalArgumentException.class,
        () ->
            SignedNote.open(
                plain.getBytes(StandardCharsets.UTF_8),
                List.of(log.verifierKey(), witness.verifierKey())));
  }

  @Test
  void keys_ofTheWrongKind_areRefused() {
    assertThrows(IllegalArgumentException.class, () -> SignedNote.sign(text, witness));
    assertThrows(IllegalArgumentException.class, () -> Cosignature.line(log, text, TIME));
  }

  @Test
  void witnessKey_textForm_roundTripsWithItsType() {
    String vkey = witness.verifierKey().encoded();
    NoteVerifierKey parsed = NoteVerifierKey.parse(vkey);

    assertEquals(NoteVerifierKey.Type.COSIGNATURE_V1, parsed.type());
    assertEquals(witness.verifierKey(), parsed);
    // name+hash+key: the key's base64 may itself hold '+', so split at the first two only.
    String[] parts = vkey.split("\\+", 3);
    assertEquals(4, Base64.getDecoder().decode(parts[2])[0]);
    NoteSigner again = NoteSigner.parse(witness.encoded());
    assertEquals(witness.verifierKey(), again.verifierKey());
    byte[] typed = Base64.getDecoder().decode(parts[2]);
    typed[0] = 0x02;
    String unknownType =
        parts[0] + "+" + parts[1] + "+" + Base64.getEncoder().encodeToString(typed);
    assertThrows(IllegalArgumentException.class, () -> NoteVerifierKey.parse(unknownType));
  }
}
