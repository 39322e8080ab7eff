package org.placeshare.gateway.cohort;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.gateway.audit.ExportedFile;
import org.placeshare.gateway.audit.SentDigest;

/**
 * A job's NDJSON files, one per resource type, kept in its {@link ExportStore}. Lines are appended
 * a chunk of members at a time and made durable before the checkpoint that counts them; a resumed
 * job first cuts each file back to the length its last checkpoint recorded, so a member whose chunk
 * was interrupted is written once, not twice. Blocking: called off the event loop.
 */
final class ExportFiles {

  static final String ERRORS = "OperationOutcome";

  /** The media type the files are served as (BulkJobEndpoints). */
  static final String MEDIA_TYPE = "application/fhir+ndjson";

  /** File names are resource types: letters only, so no name can leave the job's files. */
  private static final Pattern TYPE = Pattern.compile("[A-Z][A-Za-z]{1,63}");

  private final ExportStore store;

  ExportFiles(ExportStore store) {
    this.store = store;
  }

  /** The file of one type, if the name is a type and the file exists. */
  Future<Optional<ExportStore.StoredFile>> file(UUID job, String type) {
    if (!TYPE.matcher(type).matches()) {
      return Future.succeededFuture(Optional.empty());
    }
    return store.find(job, type);
  }

  /**
   * Makes the files ready to continue from a checkpoint: each file cut back to its recorded length,
   * files the checkpoint does not know removed.
   */
  void resume(UUID job, JsonObject files) {
    Map<String, Long> lengths = new LinkedHashMap<>();
    for (String type : files.fieldNames()) {
      lengths.put(type, files.getJsonObject(type).getLong("bytes"));
    }
    store.resume(job, lengths);
  }

  /**
   * Appends the members' resources, one JSON object per line, and makes them durable; {@code files}
   * (type to bytes and count) is updated to match.
   */
  void append(UUID job, List<List<Resource>> members, JsonObject files) {
    append(job, members, ExportShape.WHOLE, files);
  }

  /**
   * The same, writing only what the job's {@code shape} asks: its types, its elements. References
   * to the merged Patient are made plain whether or not the Patient itself is written.
   */
  void append(UUID job, List<List<Resource>> members, ExportShape shape, JsonObject files) {
    Map<String, StringBuilder> byType = new LinkedHashMap<>();
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (List<Resource> resources : members) {
      String patientUrl = null;
      for (Resource r : resources) {
        if (r instanceof Patient) {
          patientUrl = "urn:uuid:" + r.getIdElement().getIdPart();
        }
        if (!shape.writes(r.fhirType())) {
          continue;
        }
        String line = shape.encode(r);
        if (patientUrl != null) {
          // The view's references to its merged Patient, made plain for a file without a Bundle.
          line =
              line.replace("\"" + patientUrl + "\"", "\"Patient/" + patientUrl.substring(9) + "\"");
        }
        byType.computeIfAbsent(r.fhirType(), t -> new StringBuilder()).append(line).append('\n');
        counts.merge(r.fhirType(), 1, Integer::sum);
      }
    }
    byType.forEach((type, lines) -> write(job, type, lines.toString(), counts.get(type), files));
  }

  /** Writes the job's error file: OperationOutcomes in general terms, naming no one. */
  void errors(UUID job, List<String> lines, JsonObject files) {
    if (!lines.isEmpty()) {
      write(job, ERRORS, String.join("\n", lines) + "\n", lines.size(), files);
    }
  }

  private void write(UUID job, String type, String text, int count, JsonObject files) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    JsonObject recorded =
        files.getJsonObject(type, new JsonObject().put("bytes", 0L).put("count", 0));
    store.append(job, type, recorded.getLong("bytes"), bytes);
    files.put(
        type,
        new JsonObject()
            .put("bytes", recorded.getLong("bytes") + bytes.length)
            .put("count", recorded.getInteger("count") + count));
  }

  /**
   * Each of the job's files with the SHA-256 of its bytes as they are stored, which are the bytes
   * its download sends; by name. A file whose length is not the one recorded is an error: the
   * digest would bind bytes the job did not account for.
   */
  List<ExportedFile> digests(UUID job, JsonObject files) {
    List<ExportedFile> out = new ArrayList<>();
    for (String type : new TreeSet<>(files.fieldNames())) {
      JsonObject recorded = files.getJsonObject(type);
      MessageDigest sha256 = sha256();
      long length = store.read(job, type, sha256::update);
      if (length != recorded.getLong("bytes")) {
        throw new IllegalStateException(
            "the export's " + type + " file is not the length its progress recorded");
      }
      out.add(
          new ExportedFile(
              type + ".ndjson",
              type,
              recorded.getInteger("count"),
              new SentDigest(HexFormat.of().formatHex(sha256.digest()), length, MEDIA_TYPE)));
    }
    return out;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** Deletes a job's files. */
  void delete(UUID job) {
    store.delete(job);
  }
}
