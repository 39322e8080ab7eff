package org.placeshare.gateway.http.edge;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * Strict readers for the JSON bodies of the gateway's own APIs: every key known, every value of the
 * right type and size, each problem a 400 naming the key.
 */
public final class StrictJson {

  /** A stated reason is a sentence for the IG reviewer, not a document. */
  public static final int MAX_STATED_REASON = 500;

  private StrictJson() {}

  public static void unknownKeys(JsonObject json, Set<String> allowed, String prefix) {
    for (String key : json.fieldNames()) {
      if (!allowed.contains(key)) {
        throw invalid(
            prefix
                + key
                + ": unknown key, expected one of "
                + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
  }

  public static String text(JsonObject json, String key, boolean required) {
    return text(json, key, required, 200);
  }

  public static String text(JsonObject json, String key, boolean required, int maxLength) {
    Object value = json.getValue(key);
    if (value == null) {
      if (required) {
        throw invalid(key + ": expected a value, got nothing");
      }
      return null;
    }
    if (!(value instanceof String s) || s.isBlank() || s.length() > maxLength) {
      throw invalid(key + ": expected a string of 1 to " + maxLength + " characters");
    }
    return s.strip();
  }

  public static String reason(JsonObject json, String key) {
    String text = text(json, key, false);
    if (text != null && text.length() > MAX_STATED_REASON) {
      throw invalid(key + ": expected at most " + MAX_STATED_REASON + " characters");
    }
    return text;
  }

  public static boolean bool(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value != null && !(value instanceof Boolean)) {
      throw invalid(key + ": expected true or false");
    }
    return Boolean.TRUE.equals(value);
  }

  public static Optional<Instant> instant(JsonObject json, String key) {
    String text = text(json, key, false);
    try {
      return Optional.ofNullable(text).map(Instant::parse);
    } catch (DateTimeParseException e) {
      throw invalid(key + ": expected an instant such as 2026-11-22T10:00:00Z, got '" + text + "'");
    }
  }

  public static JsonObject object(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value != null && !(value instanceof JsonObject)) {
      throw invalid(key + ": expected an object");
    }
    return (JsonObject) value;
  }

  public static JsonArray array(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value != null && (!(value instanceof JsonArray a) || a.size() > 50)) {
      throw invalid(key + ": expected a list of at most 50 entries");
    }
    return (JsonArray) value;
  }

  public static List<String> strings(JsonObject json, String key) {
    JsonArray list = array(json, key);
    if (list == null || list.isEmpty()) {
      throw invalid(key + ": expected at least one entry");
    }
    return list.stream()
        .map(
            v -> {
              if (!(v instanceof String s)) {
                throw invalid(key + ": expected strings");
              }
              return s;
            })
        .toList();
  }

  public static GatewayException invalid(String message) {
    return new GatewayException(IssueType.INVALID, message);
  }

  /** Answers with a JSON body, never cached. */
  public static void json(RoutingContext ctx, int status, JsonObject body) {
    Outcomes.noStore(ctx.response())
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encode());
  }
}
