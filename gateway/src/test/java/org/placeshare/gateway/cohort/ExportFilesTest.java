package org.placeshare.gateway.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportFilesTest {

  @TempDir Path dir;

  private static List<Resource> member(String id) {
    Patient p = new Patient();
    p.setId(id);
    Condition c = new Condition().setSubject(new Reference("urn:uuid:" + id));
    c.setId("Condition/c-" + id);
    return List.of(p, c);
  }

  @Test
  void append_writesOneLinePerResource_withPlainPatientReferences() throws Exception {
    ExportFiles files = new ExportFiles(dir);
    UUID job = UUID.randomUUID();
    JsonObject recorded = new JsonObject();
    files.resume(job, recorded);

    files.append(job, List.of(member("p1"), member("p2")), recorded);

    String conditions = Files.readString(files.file(job, "Condition").orElseThrow());
    assertThat(conditions.lines()).hasSize(2);
    assertThat(conditions).contains("\"reference\":\"Patient/p1\"").doesNotContain("urn:uuid");
    assertThat(recorded.getJsonObject("Patient").getInteger("count")).isEqualTo(2);
    assertThat(recorded.getJsonObject("Patient").getLong("bytes"))
        .isEqualTo(Files.size(files.file(job, "Patient").orElseThrow()));
  }

  @Test
  void resume_cutsBackWhatWasWrittenAfterTheCheckpoint_andRemovesUnknownFiles() throws Exception {
    ExportFiles files = new ExportFiles(dir);
    UUID job = UUID.randomUUID();
    JsonObject checkpoint = new JsonObject();
    files.resume(job, checkpoint);
    files.append(job, List.of(member("p1")), checkpoint);
    JsonObject atCheckpoint = checkpoint.copy();
    // A crash after the next chunk was written but before its checkpoint.
    files.append(job, List.of(member("p2")), checkpoint);
    Files.writeString(files.folder(job).resolve("Encounter.ndjson"), "{}\n");

    files.resume(job, atCheckpoint);
    files.append(job, List.of(member("p2")), atCheckpoint);

    assertThat(Files.readString(files.file(job, "Patient").orElseThrow()).lines())
        .hasSize(2)
        .doesNotHaveDuplicates();
    assertThat(files.file(job, "Encounter")).isEmpty();
  }

  @Test
  void resume_refusesFilesShorterThanTheirCheckpoint() throws Exception {
    ExportFiles files = new ExportFiles(dir);
    UUID job = UUID.randomUUID();
    JsonObject checkpoint = new JsonObject();
    files.resume(job, checkpoint);
    files.append(job, List.of(member("p1")), checkpoint);
    Files.write(
        files.file(job, "Patient").orElseThrow(),
        new byte[0],
        StandardOpenOption.TRUNCATE_EXISTING);

    assertThatThrownBy(() -> files.resume(job, checkpoint))
        .hasMessage("the export's Patient file is missing or shorter than its checkpoint");
  }

  @Test
  void file_namesThatAreNotResourceTypes_findNothing() {
    ExportFiles files = new ExportFiles(dir);

    assertThat(files.file(UUID.randomUUID(), "../../etc/passwd")).isEmpty();
    assertThat(files.file(UUID.randomUUID(), "patient")).isEmpty();
  }
}
