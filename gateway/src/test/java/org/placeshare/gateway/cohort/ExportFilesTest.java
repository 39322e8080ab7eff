package org.placeshare.gateway.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.placeshare.gateway.TestPostgres;
import org.placeshare.gateway.storage.Database;

/** The export's files, alike in both stores: the local folder and the database. */
class ExportFilesTest {

  @TempDir static Path dir;
  static Vertx vertx;
  static Database database;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    database = Database.open(vertx, TestPostgres.freshDatabase(), dir).await();
  }

  @AfterAll
  static void stop() {
    database.close().await();
    vertx.close().await();
  }

  private static ExportStore store(String kind) {
    return kind.equals("folder")
        ? new FolderExportStore(dir.resolve("exports"))
        : new DatabaseExportStore(database.pool());
  }

  /** A job the database knows (its files' rows belong to a job row), with no files yet. */
  static UUID job() {
    UUID cohort = UUID.randomUUID();
    UUID job = UUID.randomUUID();
    database
        .pool()
        .preparedQuery(
            "INSERT INTO cohort (id, organisation, client_id, members, created_at) VALUES ($1,"
                + " 'E08000026', 'council-intel', 0, now())")
        .execute(Tuple.of(cohort))
        .await();
    database
        .pool()
        .preparedQuery(
            "INSERT INTO export_job (id, kind, cohort_id, organisation, client_id, user_id, role,"
                + " purpose, request, status, created_at) VALUES ($1, 'export', $2, 'E08000026',"
                + " 'council-intel', 'u', 'analyst', 'PUBHLTH', 'r', 'running', now())")
        .execute(Tuple.of(job, cohort))
        .await();
    return job;
  }

  static String read(ExportStore store, UUID job, String type) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    store.read(
        job,
        type,
        b -> {
          byte[] bytes = new byte[b.remaining()];
          b.get(bytes);
          out.writeBytes(bytes);
        });
    return out.toString(StandardCharsets.UTF_8);
  }

  private static List<Resource> member(String id) {
    Patient p = new Patient();
    p.setId(id);
    Condition c = new Condition().setSubject(new Reference("urn:uuid:" + id));
    c.setId("Condition/c-" + id);
    return List.of(p, c);
  }

  @ParameterizedTest
  @ValueSource(strings = {"folder", "database"})
  void append_writesOneLinePerResource_withPlainPatientReferences(String kind) {
    ExportStore store = store(kind);
    ExportFiles files = new ExportFiles(store);
    UUID job = job();
    JsonObject recorded = new JsonObject();
    files.resume(job, recorded);

    files.append(job, List.of(member("p1"), member("p2")), recorded);

    String conditions = read(store, job, "Condition");
    assertThat(conditions.lines()).hasSize(2);
    assertThat(conditions).contains("\"reference\":\"Patient/p1\"").doesNotContain("urn:uuid");
    assertThat(recorded.getJsonObject("Patient").getInteger("count")).isEqualTo(2);
    assertThat(recorded.getJsonObject("Patient").getLong("bytes"))
        .isEqualTo(read(store, job, "Patient").getBytes(StandardCharsets.UTF_8).length)
        .isEqualTo(files.file(job, "Patient").await().orElseThrow().length());
  }

  @ParameterizedTest
  @ValueSource(strings = {"folder", "database"})
  void resume_cutsBackWhatWasWrittenAfterTheCheckpoint_andRemovesUnknownFiles(String kind) {
    ExportStore store = store(kind);
    ExportFiles files = new ExportFiles(store);
    UUID job = job();
    JsonObject checkpoint = new JsonObject();
    files.resume(job, checkpoint);
    files.append(job, List.of(member("p1")), checkpoint);
    JsonObject atCheckpoint = checkpoint.copy();
    // A crash after the next chunk was written but before its checkpoint.
    files.append(job, List.of(member("p2")), checkpoint);
    store.append(job, "Encounter", 0, "{}\n".getBytes(StandardCharsets.UTF_8));

    files.resume(job, atCheckpoint);
    files.append(job, List.of(member("p2")), atCheckpoint);

    assertThat(read(store, job, "Patient").lines()).hasSize(2).doesNotHaveDuplicates();
    assertThat(files.file(job, "Encounter").await()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"folder", "database"})
  void resume_refusesFilesShorterThanTheirCheckpoint(String kind) throws Exception {
    ExportStore store = store(kind);
    ExportFiles files = new ExportFiles(store);
    UUID job = job();
    JsonObject checkpoint = new JsonObject();
    files.resume(job, checkpoint);
    files.append(job, List.of(member("p1")), checkpoint);
    if (store instanceof FolderExportStore folder) {
      Files.write(
          folder.folder(job).resolve("Patient.ndjson"),
          new byte[0],
          StandardOpenOption.TRUNCATE_EXISTING);
    } else {
      database
          .pool()
          .preparedQuery("DELETE FROM export_file_part WHERE job_id = $1 AND type = 'Patient'")
          .execute(Tuple.of(job))
          .await();
    }

    assertThatThrownBy(() -> files.resume(job, checkpoint))
        .hasMessage("the export's Patient file is missing or shorter than its checkpoint");
  }

  @ParameterizedTest
  @ValueSource(strings = {"folder", "database"})
  void append_atAnOffsetThatIsNotTheFilesLength_isRefused(String kind) {
    ExportStore store = store(kind);
    UUID job = job();
    store.resume(job, Map.of());
    store.append(job, "Patient", 0, "{}\n".getBytes(StandardCharsets.UTF_8));

    // Two writers of one file (a lease lost under a slow append) cannot interleave lines.
    assertThatThrownBy(
            () -> store.append(job, "Patient", 0, "{}\n".getBytes(StandardCharsets.UTF_8)))
        .hasMessage("the export's Patient file is not the length its progress recorded");
    assertThat(read(store, job, "Patient")).isEqualTo("{}\n");
  }

  @Test
  void database_aFileLargerThanAPart_isStoredInPartsAndReadBackWhole() {
    ExportStore store = store("database");
    UUID job = job();
    store.resume(job, Map.of());
    byte[] big = new byte[DatabaseExportStore.PART_BYTES * 2 + 17];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) ('a' + i % 26);
    }

    store.append(job, "Observation", 0, big);

    long parts =
        database
            .pool()
            .preparedQuery("SELECT count(*) FROM export_file_part WHERE job_id = $1")
            .execute(Tuple.of(job))
            .await()
            .iterator()
            .next()
            .getLong(0);
    assertThat(parts).isEqualTo(3);
    assertThat(read(store, job, "Observation").getBytes(StandardCharsets.US_ASCII)).isEqualTo(big);
  }

  @Test
  void file_namesThatAreNotResourceTypes_findNothing() {
    ExportFiles files = new ExportFiles(store("folder"));

    assertThat(files.file(UUID.randomUUID(), "../../etc/passwd").await()).isEmpty();
    assertThat(files.file(UUID.randomUUID(), "patient").await()).isEmpty();
  }
}
