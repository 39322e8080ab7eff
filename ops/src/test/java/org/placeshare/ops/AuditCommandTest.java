package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.gateway.audit.Checkpoint;
import org.placeshare.gateway.audit.Cosignature;
import org.placeshare.gateway.audit.Merkle;
import org.placeshare.gateway.audit.NoteCheckpoint;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.policy.identity.SigningKey;
import picocli.CommandLine;

/** {@code placeshare audit verify --export} on export files, with and without checkpoint notes. */
class AuditCommandTest {

  private static final String ORIGIN = "audit.placeshare.example/test";
  private static final int EVENTS = 9;

  @TempDir Path dir;

  private final SigningKey auditKey = SigningKey.generate();
  private final NoteSigner noteKey = NoteSigner.generate(ORIGIN, new SecureRandom());
  private final List<AuditVerifier.StoredLeaf> leaves = new ArrayList<>();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void keysAndEvents() throws Exception {
    auditKey.writePem(dir.resolve("audit.pem"), dir.resolve("audit.pub.pem"));
    Files.writeString(dir.resolve("audit-note.vkey"), noteKey.verifierKey().encoded() + "\n");
    for (int i = 0; i < EVENTS; i++) {
      byte[] data = ("{\"event\":" + i + "}").getBytes(StandardCharsets.UTF_8);
      leaves.add(new AuditVerifier.StoredLeaf(i, data, Merkle.leafHash(data), "event " + i));
    }
  }

  private byte[] rootAt(int size) {
    return Merkle.root(leaves.subList(0, size).stream().map(l -> l.storedHash()).toList());
  }

  private Path export(List<String> notes) throws Exception {
    Path file = dir.resolve("audit.jsonl");
    List<String> checkpoints =
        List.of(Checkpoint.sign(auditKey, ORIGIN, EVENTS, rootAt(EVENTS), Instant.EPOCH).signed());
    try (Writer w = Files.newBufferedWriter(file)) {
      AuditExport.write(new AuditExport.Contents(leaves, checkpoints, notes), w);
    }
    return file;
  }

  private int verify(Path export, boolean withNoteKey, String... more) {
    CommandLine cli = new CommandLine(new Ops());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    List<String> args =
        new ArrayList<>(
            List.of(
                "audit",
                "verify",
                "--key",
                dir.resolve("audit.pub.pem").toString(),
                "--export",
                export.toString()));
    if (withNoteKey) {
      args.addAll(List.of("--note-key", dir.resolve("audit-note.vkey").toString()));
    }
    args.addAll(List.of(more));
    return cli.execute(args.toArray(String[]::new));
  }

  @Test
  void verify_exportWithNotesAndNoteKey_passes() throws Exception {
    Path export =
        export(
            List.of(
                NoteCheckpoint.sign(noteKey, 5, rootAt(5)).note(),
                NoteCheckpoint.sign(noteKey, EVENTS, rootAt(EVENTS)).note()));

    assertThat(verify(export, true)).as(err.toString()).isZero();
    assertThat(out.toString())
        .startsWith("the audit log verifies: 9 events")
        .contains("2 checkpoint notes verified with the note key");
  }

  @Test
  void verify_noteSignedByAnotherKey_failsNamingIt() throws Exception {
    NoteSigner other = NoteSigner.generate(ORIGIN, new SecureRandom());
    Path export = export(List.of(NoteCheckpoint.sign(other, EVENTS, rootAt(EVENTS)).note()));

    assertThat(verify(export, true)).isEqualTo(1);
    assertThat(err.toString())
        .startsWith("the checkpoint note of size 9 does not verify with the note key")
        .contains(
            "it is signed by "
                + ORIGIN
                + "+"
                + String.format("%08x", other.verifierKey().keyHash()));
  }

  @Test
  void verify_noteWhoseRootDiffersFromTheEvents_fails() throws Exception {
    Path export = export(List.of(NoteCheckpoint.sign(noteKey, 5, rootAt(4)).note()));

    assertThat(verify(export, true)).isEqualTo(1);
    assertThat(err.toString())
        .startsWith(
            "the log does not match the checkpoint note of size 5: an event from index 0 to 4");
  }

  @Test
  void verify_noteKeyButNoNotes_failsSayingSo() throws Exception {
    assertThat(verify(export(List.of()), true)).isEqualTo(1);
    assertThat(err.toString()).startsWith("no checkpoint notes to check with the note key");
  }

  @Test
  void verify_oldExportWithoutNotes_stillVerifiesWithoutNoteKey() throws Exception {
    Path export = export(List.of());
    // The export as it was before notes: no "note" line at all.
    assertThat(Files.readString(export)).doesNotContain("\"note\"");

    assertThat(verify(export, false)).as(err.toString()).isZero();
    assertThat(out.toString()).startsWith("the audit log verifies: 9 events");
  }

  private final NoteSigner gpfed =
      NoteSigner.generateCosigner("witness.gpfed.example", new SecureRandom());

  /** The note with the witness's cosignature line appended, as the gateway exports it. */
  private static String cosigned(String note, NoteSigner witness) {
    String text = note.substring(0, note.indexOf("\n\n") + 1);
    return note + Cosignature.line(witness, text, Instant.parse("2026-11-22T10:00:00Z"));
  }

  private String witnessKeyFile() throws Exception {
    Path file = dir.resolve("witness-gpfed.vkey");
    Files.writeString(file, gpfed.verifierKey().encoded() + "\n");
    return file.toString();
  }

  @Test
  void verify_witnessKey_checksCosignaturesAndReportsTheLargestSizeEachCosigned() throws Exception {
    Path export =
        export(
            List.of(
                cosigned(NoteCheckpoint.sign(noteKey, 5, rootAt(5)).note(), gpfed),
                cosigned(NoteCheckpoint.sign(noteKey, EVENTS, rootAt(EVENTS)).note(), gpfed)));

    assertThat(verify(export, true, "--witness-key", witnessKeyFile())).as(err.toString()).isZero();
    assertThat(out.toString()).contains("witnesses: witness.gpfed.example cosigned up to size 9");
  }

  @Test
  void verify_newestNoteNotCosigned_passesSayingTheEventsNotYetWitnessed() throws Exception {
    Path export =
        export(
            List.of(
                cosigned(NoteCheckpoint.sign(noteKey, 5, rootAt(5)).note(), gpfed),
                NoteCheckpoint.sign(noteKey, EVENTS, rootAt(EVENTS)).note()));

    assertThat(verify(export, true, "--witness-key", witnessKeyFile())).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains(
            "witnessed by 1 of 1 up to size 5; the 4 events after it are not yet witnessed;"
                + " witnesses: witness.gpfed.example cosigned up to size 5");
  }

  @Test
  void verify_noNoteCosigned_failsBelowTheQuorum() throws Exception {
    Path export =
        export(
            List.of(
                NoteCheckpoint.sign(noteKey, 5, rootAt(5)).note(),
                NoteCheckpoint.sign(noteKey, EVENTS, rootAt(EVENTS)).note()));

    assertThat(verify(export, true, "--witness-key", witnessKeyFile(), "--witness-quorum", "1"))
        .isEqualTo(1);
    assertThat(err.toString())
        .startsWith(
            "no checkpoint note is witnessed: none is cosigned by 1 of the 1 witnesses given;"
                + " witnesses: witness.gpfed.example cosigned none");
  }

  @Test
  void verify_witnessKeyWithoutNoteKey_isAUsageError() throws Exception {
    Path export = export(List.of(NoteCheckpoint.sign(noteKey, EVENTS, rootAt(EVENTS)).note()));

    assertThat(verify(export, false, "--witness-key", witnessKeyFile())).isEqualTo(2);
    assertThat(err.toString()).contains("--witness-key needs --note-key");
  }
}
