package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The audit log as a verifier reads it: each event's exact leaf bytes and stored leaf hash in index
 * order, and the signed checkpoints; from the database, or from an export file (JSON lines) that
 * can be checked offline anywhere.
 */
public final class AuditExport {

  /**
   * What a verifier needs.
   *
   * @param notes the checkpoints signed as C2SP notes, oldest first, each with the witnesses'
   *     cosignature lines it has after the log's signature (none in exports made before the gateway
   *     signed notes)
   */
  public record Contents(
      List<AuditVerifier.StoredLeaf> leaves, List<String> checkpoints, List<String> notes) {}

  private AuditExport() {}

  /** Reads every event and checkpoint from the database. */
  public static Future<Contents> read(Pool pool) {
    Future<List<AuditVerifier.StoredLeaf>> leaves =
        pool.query(
                "SELECT "
                    + AuditRecord.COLUMNS
                    + ", leaf_hash, redacted_at FROM audit_event WHERE leaf_index IS NOT NULL"
                    + " ORDER BY leaf_index")
            .execute()
            .map(
                rows -> {
                  List<AuditVerifier.StoredLeaf> out = new ArrayList<>();
                  for (Row row : rows) {
                    AuditRecord r = AuditRecord.from(row);
                    Buffer hash = row.getBuffer("leaf_hash");
                    boolean redacted = row.getOffsetDateTime("redacted_at") != null;
                    out.add(
                        new AuditVerifier.StoredLeaf(
                            r.leafIndex(),
                            redacted ? null : r.leafData(),
                            hash == null ? null : hash.getBytes(),
                            (redacted ? "redacted event " : "event ")
                                + r.eventId()
                                + " at "
                                + r.recordedAt()));
                  }
                  return out;
                });
    Future<List<String>> checkpoints =
        pool.query("SELECT signed FROM audit_checkpoint ORDER BY size")
            .execute()
            .map(
                rows -> {
                  List<String> out = new ArrayList<>();
                  rows.forEach(r -> out.add(r.getString("signed")));
                  return out;
                });
    Future<List<String>> notes =
        // Each note with the witnesses' cosignature lines after the log's signature, as served.
        pool.query(
                "SELECT c.note || coalesce((SELECT string_agg(s.line, '' ORDER BY s.witness)"
                    + " FROM audit_cosignature s WHERE s.size = c.size), '') AS note"
                    + " FROM audit_checkpoint c WHERE c.note IS NOT NULL ORDER BY c.size")
            .execute()
            .map(
                rows -> {
                  List<String> out = new ArrayList<>();
                  rows.forEach(r -> out.add(r.getString("note")));
                  return out;
                });
    return Future.all(leaves, checkpoints, notes)
        .map(x -> new Contents(leaves.result(), checkpoints.result(), notes.result()));
  }

  /**
   * Writes the contents as JSON lines: checkpoints first, then checkpoint notes ({@code {"note":
   * ...}}; an export without notes is exactly what it was before notes existed), then one line per
   * event.
   */
  public static void write(Contents contents, Writer out) throws IOException {
    for (String c : contents.checkpoints()) {
      out.write(new JsonObject().put("checkpoint", c).encode());
      out.write('\n');
    }
    for (String n : contents.notes()) {
      out.write(new JsonObject().put("note", n).encode());
      out.write('\n');
    }
    Base64.Encoder b64 = Base64.getEncoder();
    for (AuditVerifier.StoredLeaf leaf : contents.leaves()) {
      out.write(
          new JsonObject()
              .put("index", leaf.index())
              .put(
                  "data",
                  leaf.data() == null ? null : new String(leaf.data(), StandardCharsets.UTF_8))
              .put(
                  "leafHash",
                  leaf.storedHash() == null ? null : b64.encodeToString(leaf.storedHash()))
              .put("label", leaf.label())
              .encode());
      out.write('\n');
    }
  }

  /** Reads an export file back. */
  public static Contents read(Path file) throws IOException {
    List<AuditVerifier.StoredLeaf> leaves = new ArrayList<>();
    List<String> checkpoints = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Base64.Decoder b64 = Base64.getDecoder();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        JsonObject json;
        try {
          json = new JsonObject(line);
        } catch (RuntimeException e) {
          throw new IOException(file + ":" + number + ": not a JSON object");
        }
        if (json.containsKey("checkpoint")) {
          checkpoints.add(json.getString("checkpoint"));
        } else if (json.containsKey("note")) {
          notes.add(json.getString("note"));
        } else {
          String hash = json.getString("leafHash");
          leaves.add(
              new AuditVerifier.StoredLeaf(
                  json.getLong("index"),
                  json.getString("data") == null
                      ? null
                      : json.getString("data").getBytes(StandardCharsets.UTF_8),
                  hash == null ? null : b64.decode(hash),
                  json.getString("label", "line " + number)));
        }
      }
    }
    return new Contents(leaves, checkpoints, notes);
  }
}
