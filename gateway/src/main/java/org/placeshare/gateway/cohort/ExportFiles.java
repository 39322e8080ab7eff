package org.placeshare.gateway.cohort;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.gateway.audit.ExportedFile;
import org.placeshare.gateway.audit.SentDigest;

/**
 * A job's NDJSON files, one per resource type, under its own folder. Lines are appended a chunk of
 * members at a time and forced to disk before the checkpoint that counts them; a resumed job first
 * cuts each file back to the length its last checkpoint recorded, so a member whose chunk was
 * interrupted is written once, not twice. Blocking: called off the event loop.
 */
final class ExportFiles {

  static final String ERRORS = "OperationOutcome";

  /** The media type the files are served as (BulkJobEndpoints). */
  static final String MEDIA_TYPE = "application/fhir+ndjson";

  private static final int DIGEST_BUFFER_BYTES = 64 * 1024;

  /** File names are resource types: letters only, so no name can leave the job's folder. */
  private static final Pattern TYPE = Pattern.compile("[A-Z][A-Za-z]{1,63}");

  private final Path root;

  ExportFiles(Path root) {
    this.root = root;
  }

  Path folder(UUID job) {
    return root.resolve(job.toString());
  }

  /** The file of one type, if the name is a type and the file exists. */
  Optional<Path> file(UUID job, String type) {
    if (!TYPE.matcher(type).matches()) {
      return Optional.empty();
    }
    Path file = folder(job).resolve(type + ".ndjson");
    return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
  }

  /**
   * Makes the folder ready to continue from a checkpoint: each file cut back to its recorded
   * length, files the checkpoint does not know removed.
   */
  void resume(UUID job, JsonObject files) {
    try {
      Path folder = Files.createDirectories(folder(job));
      for (String type : files.fieldNames()) {
        Path f = folder.resolve(type + ".ndjson");
        long recorded = files.getJsonObject(type).getLong("bytes");
        if (!Files.isRegularFile(f) || Files.size(f) < recorded) {
          throw new IllegalStateException(
              "the export's " + type + " file is missing or shorter than its checkpoint");
        }
      }
      try (Stream<Path> present = Files.list(folder)) {
        for (Path f : present.toList()) {
          String type = f.getFileName().toString().replace(".ndjson", "");
          JsonObject recorded = files.getJsonObject(type);
          if (recorded == null) {
            Files.delete(f);
          } else {
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
              c.truncate(recorded.getLong("bytes"));
              c.force(true);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Appends the members' resources, one JSON object per line, and forces them to disk; {@code
   * files} (type to bytes and count) is updated to match.
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
    Path file = folder(job).resolve(type + ".ndjson");
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    try (FileChannel c =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        c.write(buffer);
      }
      c.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JsonObject recorded =
        files.getJsonObject(type, new JsonObject().put("bytes", 0L).put("count", 0));
    files.put(
        type,
        new JsonObject()
            .put("bytes", recorded.getLong("bytes") + bytes.length)
            .put("count", recorded.getInteger("count") + count));
  }

  /**
   * Each of the job's files with the SHA-256 of its bytes as they are on disk, which are the bytes
   * its download sends; by name. A file whose length is not the one recorded is an error: the
   * digest would bind bytes the job did not account for.
   */
  List<ExportedFile> digests(UUID job, JsonObject files) {
    List<ExportedFile> out = new ArrayList<>();
    for (String type : new TreeSet<>(files.fieldNames())) {
      JsonObject recorded = files.getJsonObject(type);
      Path file = folder(job).resolve(type + ".ndjson");
      try (InputStream in = Files.newInputStream(file)) {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[DIGEST_BUFFER_BYTES];
        long length = 0;
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          sha256.update(buffer, 0, n);
          length += n;
        }
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
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every Java platform has SHA-256", e);
      }
    }
    return out;
  }

  /** Deletes a job's folder and files. */
  void delete(UUID job) {
    Path folder = folder(job);
    if (!Files.exists(folder)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(folder)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
