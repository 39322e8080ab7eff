package org.placeshare.fhir.index;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.Level;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.fhir.synthetic.ReferenceIndexServer;
import org.placeshare.fhir.synthetic.TracingPopulation;
import org.placeshare.fhir.synthetic.TracingPopulation.AgencyRecord;

/**
 * Tracing a seeded population through the synthetic index over HTTP gives, record by record, the
 * very candidates recorded before issue 22 made tracing faster (the index's blocking, the client's
 * parse, the matcher): the same people in the same order, each with the same demographics as read,
 * the same level for every field, the same score to the last bit and the same grade. The record was
 * made by {@link #main} on the code before the change.
 *
 * <p>The index holds {@value #PEOPLE} people, so that its blocks hold more than the {@value
 * FhirReferenceIndex#INDEX_RESULTS} candidates it returns and its ordering and cut matter; every
 * {@value #STRIDE}th agency record is traced (outsiders, twins and namesakes included).
 */
class TracedPopulationTest {

  static final int PEOPLE = 50_000;
  static final long SEED = 17L;
  static final int STRIDE = 50;
  static final String RECORDED = "traces-50000-17.txt";

  @Test
  void trace_seededPopulation_givesTheRecordedCandidatesScoresAndGrades() throws Exception {
    List<String> recorded = recorded();

    List<String> now = traceLines();

    assertThat(now).hasSameSizeAs(recorded);
    for (int i = 0; i < now.size(); i++) {
      assertThat(now.get(i)).as("record %d traced as before", i).isEqualTo(recorded.get(i));
    }
  }

  /** Writes the record: run on the code before a change, with the file's path as argument. */
  public static void main(String[] args) throws Exception {
    Files.write(Path.of(args[0]), traceLines(), StandardCharsets.UTF_8);
  }

  /**
   * One line per traced record: its id, how many candidates, the best one's NHS number and grade,
   * and a digest of every candidate's full description ({@link #describe}), which the line's
   * readable part would not catch.
   */
  static List<String> traceLines() throws Exception {
    TracingPopulation population = TracingPopulation.generate(PEOPLE, SEED);
    List<AgencyRecord> records = population.agencyRecords();
    List<String> lines = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    try (ReferenceIndexServer server = ReferenceIndexServer.start(0, population.index())) {
      FhirReferenceIndex index =
          new FhirReferenceIndex(
              vertx, server.baseUrl(), Duration.ofSeconds(30), SourceAccess.NONE);
      for (int i = 0; i < records.size(); i += STRIDE) {
        AgencyRecord record = records.get(i);
        List<Candidate> candidates =
            index.search(demographics(record), ReferenceIndex.MAX_CANDIDATES).await();
        String best =
            candidates.isEmpty()
                ? "none"
                : candidates.get(0).entry().nhsNumber() + " " + candidates.get(0).grade();
        lines.add(
            record.localId()
                + " "
                + candidates.size()
                + " "
                + best
                + " "
                + digest(describe(candidates)));
      }
      index.close().await();
    } finally {
      vertx.close().await();
    }
    return lines;
  }

  private static String describe(List<Candidate> candidates) {
    StringJoiner all = new StringJoiner("\n");
    for (Candidate c : candidates) {
      StringJoiner levels = new StringJoiner(",");
      for (Map.Entry<String, Level> level :
          c.score().levels().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
        levels.add(level.getKey() + "=" + level.getValue().name());
      }
      all.add(
          c.entry().nhsNumber()
              + " "
              + c.entry().demographics().storedForm().encode()
              + " "
              + Double.toString(c.score().total())
              + " "
              + c.grade()
              + " "
              + levels);
    }
    return all.toString();
  }

  private static String digest(String text) throws NoSuchAlgorithmException {
    byte[] hash =
        MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(hash, 0, 12);
  }

  private static List<String> recorded() throws IOException {
    try (InputStream in = TracedPopulationTest.class.getResourceAsStream(RECORDED)) {
      assertThat(in).as("the recorded traces " + RECORDED).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  private static Demographics demographics(AgencyRecord r) {
    return new Demographics(
        r.family(),
        r.given(),
        List.of(),
        r.birthDate(),
        r.gender(),
        r.postcode(),
        List.of(),
        r.addressLine(),
        Optional.empty());
  }
}
