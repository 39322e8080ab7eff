package org.placeshare.gateway.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The log's side of C2SP tlog-witness add-checkpoint: request body, 409 size, 200 answer. */
class AddCheckpointTest {

  static final SecureRandom RANDOM = new SecureRandom();
  static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L);

  final NoteSigner log = NoteSigner.generate("audit.placeshare.example/coventry", RANDOM);
  final NoteSigner witness = NoteSigner.generateCosigner("witness.gpfed.example/w1", RANDOM);
  final NoteSigner other = NoteSigner.generateCosigner("witness.council.example/w1", RANDOM);
  final String note = NoteCheckpoint.sign(log, 20852163, filled(7)).note();
  final String text = note.substring(0, note.lastIndexOf("\n\n") + 1);

  static byte[] filled(int b) {
    byte[] h = new byte[32];
    Arrays.fill(h, (byte) b);
    return h;
  }

  @Test
  void body_fromAnOldSize_isOldLineProofLinesBlankLineThenTheNote() {
    String body = AddCheckpoint.body(20852014, List.of(filled(1), filled(2)), note);

    String b64 = Base64.getEncoder().encodeToString(filled(1));
    String b64b = Base64.getEncoder().encodeToString(filled(2));
    assertEquals("old 20852014\n" + b64 + "\n" + b64b + "\n\n" + note, body);
  }

  @Test
  void body_fromZero_hasNoProofLines_andRefusesOne() {
    assertEquals("old 0\n\n" + note, AddCheckpoint.body(0, List.of(), note));
    assertThrows(
        IllegalArgumentException.class, () -> AddCheckpoint.body(0, List.of(filled(1)), note));
  }

  @Test
  void body_moreThan63ProofLines_orAShortHash_isRefused() {
    List<byte[]> long64 = java.util.Collections.nCopies(64, filled(1));
    assertThrows(IllegalArgumentException.class, () -> AddCheckpoint.body(5, long64, note));
    assertThrows(
        IllegalArgumentException.class, () -> AddCheckpoint.body(5, List.of(new byte[31]), note));
  }

  @Test
  void conflictSize_readsTheTlogSizeBody() {
    assertEquals(20852014L, AddCheckpoint.conflictSize("text/x.tlog.size", bytes("20852014\n")));
    assertEquals(0L, AddCheckpoint.conflictSize("text/x.tlog.size; charset=utf-8", bytes("0\n")));
  }

  @Test
  void conflictSize_otherTypeOrMalformedOrLongBody_isRefused() {
    IllegalArgumentException type =
        assertThrows(
            IllegalArgumentException.class,
            () -> AddCheckpoint.conflictSize("text/plain", bytes("5\n")));
    assertEquals("a 409 without Content-Type text/x.tlog.size (got text/plain)", type.getMessage());
    for (String bad : List.of("5", "05\n", "-1\n", "5\n\n", " 5\n", "99999999999999999999\n")) {
      assertThrows(
          IllegalArgumentException.class,
          () -> AddCheckpoint.conflictSize("text/x.tlog.size", bytes(bad)),
          bad);
    }
    IllegalArgumentException big =
        assertThrows(
            IllegalArgumentException.class,
            () -> AddCheckpoint.conflictSize("text/x.tlog.size", new byte[1 << 20]));
    assertEquals("a 409 whose body is longer than a size", big.getMessage());
  }

  @Test
  void cosignature_keepsOnlyTheWitnesssLine_ignoringOtherKeys() {
    String mine = Cosignature.line(witness, text, NOW);
    String theirs = Cosignature.line(other, text, NOW);

    AddCheckpoint.Cosigned c =
        AddCheckpoint.cosignature(
            note, bytes(theirs + mine), log.verifierKey(), witness.verifierKey(), NOW);

    assertEquals(mine, c.line());
    assertEquals(NOW, c.time());
  }

  @Test
  void cosignature_noLineByTheWitness_isRefused() {
    String theirs = Cosignature.line(other, text, NOW);

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AddCheckpoint.cosignature(
                    note, bytes(theirs), log.verifierKey(), witness.verifierKey(), NOW));
    assertEquals("the answer holds no cosignature by witness.gpfed.example/w1", e.getMessage());
  }

  @Test
  void cosignature_overAnotherCheckpoint_isRefused() {
    String otherText = NoteCheckpoint.text(log.name(), 20852164, filled(7));
    String wrong = Cosignature.line(witness, otherText, NOW);

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AddCheckpoint.cosignature(
                    note, bytes(wrong), log.verifierKey(), witness.verifierKey(), NOW));
    assertEquals(
        "invalid signature for key witness.gpfed.example/w1+"
            + String.format("%08x", witness.verifierKey().keyHash()),
        e.getMessage());
  }

  @Test
  void cosignature_datedInTheFutureBeyondTheSkew_isRefused_withinIt_isKept() {
    String soon = Cosignature.line(witness, text, NOW.plus(AddCheckpoint.FUTURE_SKEW));
    assertEquals(
        soon,
        AddCheckpoint.cosignature(note, bytes(soon), log.verifierKey(), witness.verifierKey(), NOW)
            .line());

    Instant later = NOW.plus(AddCheckpoint.FUTURE_SKEW).plusSeconds(1);
    String late = Cosignature.line(witness, text, later);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AddCheckpoint.cosignature(
                    note, bytes(late), log.verifierKey(), witness.verifierKey(), NOW));
    assertEquals(
        "the cosignature by witness.gpfed.example/w1 is dated " + later + ", in the future",
        e.getMessage());
  }

  @Test
  void cosignature_garbageOrOversizedAnswer_isRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            AddCheckpoint.cosignature(
                note, bytes("hello\n"), log.verifierKey(), witness.verifierKey(), NOW));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            AddCheckpoint.cosignature(
                note,
                new byte[SignedNote.MAX_NOTE_BYTES + 1],
                log.verifierKey(),
                witness.verifierKey(),
                NOW));
  }

  @Test
  void backoff_doublesFromASecond_cappedAtAMinute() {
    assertEquals(WitnessSubmitter.BACKOFF_BASE, WitnessSubmitter.backoff(1));
    assertEquals(WitnessSubmitter.BACKOFF_BASE.multipliedBy(4), WitnessSubmitter.backoff(3));
    assertEquals(WitnessSubmitter.BACKOFF_CAP, WitnessSubmitter.backoff(40));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
