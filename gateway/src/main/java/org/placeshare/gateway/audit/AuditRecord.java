package org.placeshare.gateway.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One audit event as it is stored, and as it is hashed into the Merkle tree: the leaf data is a
 * canonical JSON of every stored column (keys sorted, no spaces), so changing any column of a row
 * changes its leaf hash. The same bytes come from the event when it is written and from the row
 * when the log is verified.
 */
public record AuditRecord(
    long leafIndex,
    String eventId,
    Instant recordedAt,
    String requestId,
    String action,
    String outcome,
    int httpStatus,
    String nhsNumber,
    String organisation,
    String clientId,
    String userId,
    String userRole,
    String purpose,
    boolean emergency,
    JsonObject detail) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Columns in the order of {@link #from(Row)} and the insert. */
  static final String COLUMNS =
      "leaf_index, event_id, recorded_at, request_id, action, outcome, http_status, nhs_number,"
          + " organisation, client_id, user_id, user_role, purpose, emergency, detail";

  public AuditRecord {
    // PostgreSQL keeps microseconds: the hashed time must be the stored time.
    recordedAt = recordedAt.truncatedTo(ChronoUnit.MICROS);
  }

  public static AuditRecord from(Row row) {
    return new AuditRecord(
        row.getLong("leaf_index") == null ? -1 : row.getLong("leaf_index"),
        row.getUUID("event_id").toString(),
        row.getOffsetDateTime("recorded_at").toInstant(),
        row.getString("request_id"),
        row.getString("action"),
        row.getString("outcome"),
        row.getInteger("http_status"),
        row.getString("nhs_number"),
        row.getString("organisation"),
        row.getString("client_id"),
        row.getString("user_id"),
        row.getString("user_role"),
        row.getString("purpose"),
        row.getBoolean("emergency"),
        (JsonObject) row.getValue("detail"));
  }

  /** The canonical bytes hashed as this event's leaf. */
  public byte[] leafData() {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("action", action);
    fields.put("clientId", clientId);
    fields.put("detail", canonical(detail.getMap()));
    fields.put("emergency", emergency);
    fields.put("eventId", eventId);
    fields.put("httpStatus", httpStatus);
    fields.put("leafIndex", leafIndex);
    fields.put("nhsNumber", nhsNumber);
    fields.put("organisation", organisation);
    fields.put("outcome", outcome);
    fields.put("purpose", purpose);
    fields.put("recordedAt", recordedAt.atOffset(ZoneOffset.UTC).toString());
    fields.put("requestId", requestId);
    fields.put("userId", userId);
    fields.put("userRole", userRole);
    try {
      return JSON.writeValueAsBytes(fields);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an audit event cannot be written as JSON", e);
    }
  }

  public byte[] leafHash() {
    return Merkle.leafHash(leafData());
  }

  /** Maps with sorted keys, all the way down; JSON numbers as longs where they are whole. */
  private static Object canonical(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> sorted = new TreeMap<>();
      map.forEach((k, v) -> sorted.put(String.valueOf(k), canonical(v)));
      return sorted;
    }
    if (value instanceof JsonObject o) {
      return canonical(o.getMap());
    }
    if (value instanceof JsonArray a) {
      return canonical(a.getList());
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(canonical(v)));
      return out;
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    return value;
  }
}
