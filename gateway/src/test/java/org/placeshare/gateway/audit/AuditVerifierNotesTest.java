package org.placeshare.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.identity.SigningKey;

/**
 * The verifier checks checkpoints signed as C2SP notes with the note verifier key: signature by
 * that key, and the root at each note's size recomputed from the events, as for JWS checkpoints.
 */
class AuditVerifierNotesTest {

  private static final String ORIGIN = "audit.placeshare.example/test";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SigningKey auditKey = SigningKey.generate();
  private final NoteSigner noteKey = NoteSigner.generate(ORIGIN, RANDOM);

  /** Ten synthetic events, as a verifier reads them. */
  private static List<AuditVerifier.StoredLeaf> leaves(int n) {
    List<AuditVerifier.StoredLeaf> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] data = ("{\"event\":" + i + "}").getBytes(StandardCharsets.UTF_8);
      out.add(new AuditVerifier.StoredLeaf(i, data, Merkle.leafHash(data), "event " + i));
    }
    return out;
  }

  private static byte[] rootAt(List<AuditVerifier.StoredLeaf> leaves, int size) {
    return Merkle.root(leaves.subList(0, size).stream().map(l -> l.storedHash()).toList());
  }

  private String jws(List<AuditVerifier.StoredLeaf> leaves, int size) {
    return Checkpoint.sign(auditKey, ORIGIN, size, rootAt(leaves, size), Instant.EPOCH).signed();
  }

  private AuditVerifier.Report verify(
      List<AuditVerifier.StoredLeaf> leaves, List<String> notes, Optional<NoteVerifierKey> key) {
    return AuditVerifier.verify(
        leaves.iterator(),
        List.of(jws(leaves, 4), jws(leaves, 10)),
        auditKey.publicJwk(),
        notes,
        key);
  }

  @Test
  void verify_logWithNotesSignedByTheNoteKey_passesAndCountsThem() {
    List<AuditVerifier.StoredLeaf> leaves = leaves(10);
    List<String> notes =
        List.of(
            NoteCheckpoint.sign(noteKey, 4, rootAt(leaves, 4)).note(),
            NoteCheckpoint.sign(noteKey, 7, rootAt(leaves, 7)).note(),
            NoteCheckpoint.sign(noteKey, 10, rootAt(leaves, 10)).note());

    AuditVerifier.Report report = verify(leaves, notes, Optional.of(noteKey.verifierKey()));

    assertThat(report.intact()).as(report.summary()).isTrue();
    assertThat(report.notesVerified()).isEqualTo(3);
    assertThat(report.summary()).contains("3 checkpoint notes verified with the note key");
  }

  @Test
  void verify_noteSignedByAnotherKey_failsNamingTheSigner() {
    List<AuditVerifier.StoredLeaf> leaves = leaves(10);
    NoteSigner other = NoteSigner.generate(ORIGIN, RANDOM);
    NoteVerifierKey otherKey = other.verifierKey();
    List<String> notes =
        List.of(
            NoteCheckpoint.sign(noteKey, 4, rootAt(leaves, 4)).note(),
            NoteCheckpoint.sign(other, 10, rootAt(leaves, 10)).note());

    AuditVerifier.Report report = verify(leaves, notes, Optional.of(noteKey.verifierKey()));

    assertThat(report.intact()).isFalse();
    assertThat(report.summary())
        .startsWith("the checkpoint note of size 10 does not verify with the note key " + ORIGIN)
        .contains(String.format("%08x", noteKey.verifierKey().keyHash()))
        .endsWith("it is signed by " + ORIGIN + "+" + String.format("%08x", otherKey.keyHash()));
  }

  @Test
  void verify_noteWhoseRootDiffersFromTheEvents_failsNamingTheNote() {
    List<AuditVerifier.StoredLeaf> leaves = leaves(10);
    // Signed by the right key, but over a root the events at size 7 do not give.
    List<String> notes =
        List.of(
            NoteCheckpoint.sign(noteKey, 4, rootAt(leaves, 4)).note(),
            NoteCheckpoint.sign(noteKey, 7, rootAt(leaves, 6)).note());

    AuditVerifier.Report report = verify(leaves, notes, Optional.of(noteKey.verifierKey()));

    assertThat(report.summary())
        .isEqualTo(
            "the log does not match the checkpoint note of size 7: an event from index 4 to 6"
                + " was altered, removed or reordered");
  }

  @Test
  void verify_noteKeyAndNoNotes_failsSayingSo() {
    AuditVerifier.Report report = verify(leaves(10), List.of(), Optional.of(noteKey.verifierKey()));

    assertThat(report.intact()).isFalse();
    assertThat(report.summary())
        .startsWith("no checkpoint notes to check with the note key " + ORIGIN);
  }

  @Test
  void verify_noteBeyondTheEvents_failsNamingTheMissingEvents() {
    List<AuditVerifier.StoredLeaf> leaves = leaves(10);
    List<String> notes = List.of(NoteCheckpoint.sign(noteKey, 12, new byte[32]).note());

    AuditVerifier.Report report = verify(leaves, notes, Optional.of(noteKey.verifierKey()));

    assertThat(report.summary())
        .isEqualTo(
            "the log ends after 10 events, but a checkpoint note of size 12 was signed:"
                + " events from index 10 are missing");
  }

  @Test
  void verify_withoutNoteKey_ignoresNotesAsBefore() {
    List<AuditVerifier.StoredLeaf> leaves = leaves(10);
    List<String> notes = List.of(NoteCheckpoint.sign(noteKey, 7, new byte[32]).note());

    AuditVerifier.Report report = verify(leaves, notes, Optional.empty());

    assertThat(report.intact()).as(report.summary()).isTrue();
    assertThat(report.notesVerified()).isZero();
  }

  private final NoteSigner gpfed = NoteSigner.generateCosigner("witness.gpfed.example", RANDOM);
  private final NoteSigner council = NoteSigner.generateCosigner("witness.council.example", RANDOM);

  /** The note with each cosigner's line appended, as the gateway exports it. */
  private static String cosigned(String note, NoteSigner... cosigners) {
    String text = note.substring(0, note.indexOf("\n\n") + 1);
    StringBuilder out = new StringBuilder(note);
    for (NoteSigner c : cosigners) {
      out.append(Cosignature.line(c, text, Instant.parse("2026-11-22T10:00:00Z")));
    }
    return out.toString();
  }

  private AuditVerifier.Report verifyWitnessed(
      List<AuditVerifier.StoredLeaf> leaves, List<String> notes, int quorum) {
    return AuditVerifier.verify(
        leaves.iterator(),
        List.of(jws(leaves, 10)),
        auditKey.publicJwk(),
        notes,
        Optional.of(noteKey.verifierKey()),
        new AuditVerifier.Witnesses(List.of(gpfed.verifierKey(), council.verifierKey()), quorum));
  }

  @Test
  void verify_cosignaturesByTheWitnessKeys_passAndReportEachWitnesssLargestSize() {
    List<AuditVerifier.StoredLeaf> leaves = leaves(10);
    List<String> notes =
        List.of(
            cosigned(NoteCheckpoint.sign(noteKey, 4, rootAt(leaves, 4)).note(), gpfed, council),
            cosigned(NoteCheckpoint.sign(noteKey, 10, rootAt(leaves, 10)).note(), gpfed));

    AuditVerifier.Report report = verifyWitnessed(leaves, notes, 1);

    assertThat(report.intact()).as(report.summary()).isTrue();
    assertThat(report.witnessed().orElseThrow().witnesses())
        .containsExactly(
            new AuditVerifier.WitnessTally("witness.gpfed.example", 10),
            new AuditVerifier.WitnessTally("witness.council.example", 4));
    assertThat(report.summary())
        .endsWith(
            "witnesses: witness.gpfed.example cosigned up to size 10,"
                + " witness.council.example cosigned up to size 4");
  }

  @Test
  void verify_cosignatureThatDoesNotVerify_failsNamingTheWitnessAndTheSize() {
    List<AuditVerifier.StoredLeaf> leaves = leaves(10);
    String good = cosigned(NoteCheckpoint.sign(noteKey, 10, rootAt(leaves, 10)).note(), gpfed);
    // The cosignature of another checkpoint (size 4) moved onto the note of size 10.
    String other = cosigned(NoteCheckpoint.sign(noteKey, 4, rootAt(leaves, 4)).note(), council);
    String moved = good + other.substring(other.lastIndexOf("\u2014 witness.council.example"));

    AuditVerifier.Report report = verifyWitnessed(leaves, List.of(moved), 1);

    assertThat(report.intact()).isFalse();
    assertThat(report.summary())
        .startsWith("a witness's cosignature on the checkpoint note of size 10 does not verify")
        .contains(
            "invalid signature for key witness.council.example+"
                + String.format("%08x", council.verifierKey().keyHash()));
  }

  @Test
  void verify_newestNoteBelowTheQuorum_passesSayingUpToWhichSizeTheLogIsWitnessed() {
    // A live log's newest note waits a second or two for its cosignatures: the log is witnessed
    // up to the older note both cosigned, and the events after it are said to be not yet.
    List<AuditVerifier.StoredLeaf> leaves = leaves(10);
    List<String> notes =
        List.of(
            cosigned(NoteCheckpoint.sign(noteKey, 4, rootAt(leaves, 4)).note(), gpfed, council),
            cosigned(NoteCheckpoint.sign(noteKey, 10, rootAt(leaves, 10)).note(), gpfed));

    AuditVerifier.Report report = verifyWitnessed(leaves, notes, 2);

    assertThat(report.intact()).as(report.summary()).isTrue();
    assertThat(report.witnessed().orElseThrow().size()).isEqualTo(4);
    assertThat(report.summary())
        .endsWith(
            "witnessed by 2 of 2 up to size 4; the 6 events after it are not yet witnessed;"
                + " witnesses: witness.gpfed.example cosigned up to size 10,"
                + " witness.council.example cosigned up to size 4");
  }

  @Test
  void verify_noNoteReachesTheQuorum_failsSayingHowFarEachWitnessCosigned() {
    List<AuditVerifier.StoredLeaf> leaves = leaves(10);
    List<String> notes =
        List.of(
            cosigned(NoteCheckpoint.sign(noteKey, 4, rootAt(leaves, 4)).note(), council),
            cosigned(NoteCheckpoint.sign(noteKey, 10, rootAt(leaves, 10)).note(), gpfed));

    AuditVerifier.Report report = verifyWitnessed(leaves, notes, 2);

    assertThat(report.summary())
        .isEqualTo(
            "no checkpoint note is witnessed: none is cosigned by 2 of the 2 witnesses given;"
                + " witnesses: witness.gpfed.example cosigned up to size 10,"
                + " witness.council.example cosigned up to size 4");
  }

  @Test
  void witnesses_oneKeyTwiceOrUnderTwoNames_refused() {
    // Else one witness's cosignature would make "2 of 2": a cosignature does not commit to a name.
    NoteVerifierKey alias =
        NoteVerifierKey.of(
            "witness.alias.example",
            NoteVerifierKey.Type.COSIGNATURE_V1,
            gpfed.verifierKey().publicKey());
    assertThatThrownBy(
            () -> new AuditVerifier.Witnesses(List.of(gpfed.verifierKey(), gpfed.verifierKey()), 2))
        .hasMessageContaining("is given twice (or under two names)");
    assertThatThrownBy(() -> new AuditVerifier.Witnesses(List.of(gpfed.verifierKey(), alias), 2))
        .hasMessageContaining("is given twice (or under two names)");
  }

  @Test
  void witnesses_logKeyOrQuorumOutOfRange_refused() {
    assertThatThrownBy(() -> new AuditVerifier.Witnesses(List.of(noteKey.verifierKey()), 1))
        .hasMessageContaining("is not a witness's key");
    assertThatThrownBy(() -> new AuditVerifier.Witnesses(List.of(gpfed.verifierKey()), 2))
        .hasMessageContaining("quorum is 1 to the number of witness keys (1)");
  }
}
