package org.placeshare.gateway.http.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.placeshare.gateway.audit.AuditRecord;

/**
 * An audit record as the audit API and the console show it: JSON, CSV, its agreements and
 * categories.
 */
public final class AuditRecordViews {

  private AuditRecordViews() {}

  static JsonObject json(AuditRecord r) {
    return new JsonObject()
        .put("index", r.leafIndex())
        .put("eventId", r.eventId())
        .put("recordedAt", r.recordedAt().toString())
        .put("requestId", r.requestId())
        .put("action", r.action())
        .put("outcome", r.outcome())
        .put("httpStatus", r.httpStatus())
        .put("patient", r.nhsNumber())
        .put("organisation", r.organisation())
        .put("client", r.clientId())
        .put("user", r.userId())
        .put("role", r.userRole())
        .put("purpose", r.purpose())
        .put("emergency", r.emergency())
        .put("detail", r.detail());
  }

  public static List<String> agreements(AuditRecord r) {
    Set<String> out = new LinkedHashSet<>();
    for (Object d : r.detail().getJsonArray("decisions", new JsonArray())) {
      if (d instanceof JsonObject decision && decision.getString("agreement") != null) {
        out.add(decision.getString("agreement"));
      }
    }
    return new ArrayList<>(out);
  }

  public static List<String> categories(JsonObject released) {
    Set<String> types = new TreeSet<>();
    for (String source : released.fieldNames()) {
      for (Object ref : released.getJsonArray(source)) {
        String s = String.valueOf(ref);
        types.add(s.contains("/") ? s.substring(0, s.indexOf('/')) : s);
      }
    }
    return new ArrayList<>(types);
  }

  static final List<String> CSV_COLUMNS =
      List.of(
          "index",
          "recordedAt",
          "action",
          "outcome",
          "httpStatus",
          "nhsNumber",
          "organisation",
          "client",
          "user",
          "role",
          "purpose",
          "emergency",
          "agreements",
          "refusals",
          "releasedCount",
          "emergencyReason",
          "detail");

  public static String csv(List<AuditRecord> records) {
    StringBuilder out = new StringBuilder(String.join(",", CSV_COLUMNS)).append("\r\n");
    for (AuditRecord r : records) {
      Set<String> refusals = new TreeSet<>();
      for (Object d : r.detail().getJsonArray("decisions", new JsonArray())) {
        if (d instanceof JsonObject decision) {
          decision
              .getJsonArray("refusals", new JsonArray())
              .forEach(x -> refusals.add(String.valueOf(x)));
        }
      }
      List<Object> cells =
          List.of(
              r.leafIndex(),
              r.recordedAt().toString(),
              r.action(),
              r.outcome(),
              r.httpStatus(),
              String.valueOf(r.nhsNumber()),
              String.valueOf(r.organisation()),
              String.valueOf(r.clientId()),
              String.valueOf(r.userId()),
              String.valueOf(r.userRole()),
              String.valueOf(r.purpose()),
              r.emergency(),
              String.join(";", agreements(r)),
              String.join(";", refusals),
              r.detail().getInteger("releasedCount", 0),
              String.valueOf(r.detail().getString("emergencyReason", "")),
              String.valueOf(r.detail().getString("detail", "")));
      List<String> escaped = new ArrayList<>();
      cells.forEach(c -> escaped.add(cell(c.toString().equals("null") ? "" : c.toString())));
      out.append(String.join(",", escaped)).append("\r\n");
    }
    return out.toString();
  }

  /**
   * One CSV cell, quoted; a leading = + - @ is defused so a spreadsheet never runs it as a formula
   * (a stated reason is free text from a caller).
   */
  static String cell(String value) {
    String v = value;
    if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0) {
      v = "'" + v;
    }
    return "\"" + v.replace("\"", "\"\"") + "\"";
  }
}
