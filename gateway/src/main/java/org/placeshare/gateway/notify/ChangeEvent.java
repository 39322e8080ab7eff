package org.placeshare.gateway.notify;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.placeshare.policy.EventKind;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;

/**
 * A change about a person that a source reported (issue 19, "tell us once"): what kind, about whom,
 * from which source, when it happened, and a small structured statement of what changed. Only
 * {@link #parse} makes one, from the documented JSON event (see {@code docs/notifications.md}); it
 * refuses unknown keys, a change whose shape is not its kind's, and any text beyond the named caps:
 * an event carries facts, never free text.
 *
 * @param id the source's id of the event, unique per reporting organisation
 * @param change the change's fields, values strings or lists of strings, unmodifiable
 */
public record ChangeEvent(
    String id,
    EventKind kind,
    NhsNumber nhsNumber,
    String source,
    Instant occurredAt,
    Map<String, Object> change) {

  /** The whole event is a line of JSON; a bigger body is refused before it is read (413). */
  public static final int MAX_BODY_BYTES = 4 * 1024;

  /** The change's canonical JSON, at most this (also a CHECK on the table). */
  public static final int MAX_CHANGE_BYTES = 2 * 1024;

  /** A clock a little ahead at the source is tolerated; an event from further ahead is refused. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

  /**
   * A change is news for a few years at most: an event that happened longer ago than this is
   * refused (a year such as -5000 would otherwise be stored as 4714 BC).
   */
  public static final Duration MAX_EVENT_AGE = Duration.ofDays(10 * 366);

  /** No death reported here is dated before this day. */
  public static final LocalDate EARLIEST_DEATH_DATE = LocalDate.of(1900, 1, 1);

  /**
   * The longest run of digits an event id may hold: an id of 10 digits in a row may be an NHS
   * number, and event ids are shown on the console and by the operator's command, which name no
   * person.
   */
  public static final int MAX_ID_DIGIT_RUN = 9;

  /** An address has at most this many lines of at most {@link #MAX_LINE_LENGTH} characters. */
  public static final int MAX_ADDRESS_LINES = 5;

  public static final int MAX_LINE_LENGTH = 100;

  /** An event id, a source id and an episode's or concern's id: 1 to 64 safe characters. */
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

  /** A UK postcode, outward and inward parts (BS 7666), upper case. */
  private static final Pattern POSTCODE =
      Pattern.compile("[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}");

  private static final Pattern UPRN = Pattern.compile("[0-9]{1,12}");

  private static final Pattern DIGIT_RUN = Pattern.compile("[0-9]{" + (MAX_ID_DIGIT_RUN + 1) + "}");

  private static final Set<String> EVENT_KEYS =
      Set.of("id", "kind", "nhsNumber", "source", "occurredAt", "change");

  public ChangeEvent {
    // Lists are copied too (a stored change reads back as JSON arrays), so the value stays
    // immutable.
    Map<String, Object> copy = new TreeMap<>();
    change.forEach(
        (k, v) ->
            copy.put(
                k,
                v instanceof JsonArray a
                    ? List.copyOf(a.getList())
                    : v instanceof List<?> l ? List.copyOf(l) : v));
    change = Collections.unmodifiableMap(copy);
  }

  /**
   * Reads the documented JSON event, refusing anything it does not know; {@code now} is the clock.
   */
  public static ChangeEvent parse(JsonObject json, Instant now) {
    unknownKeys(json, EVENT_KEYS, "");
    String id = safeId(json, "id");
    if (DIGIT_RUN.matcher(id).find()) {
      throw new InvalidChangeEvent(
          "id: expected at most "
              + MAX_ID_DIGIT_RUN
              + " digits in a row (an id must not carry an NHS number)");
    }
    String kindCode = text(json, "kind", 32);
    EventKind kind =
        EventKind.of(kindCode)
            .orElseThrow(
                () ->
                    new InvalidChangeEvent(
                        "kind: expected one of "
                            + String.join(
                                ", ",
                                Arrays.stream(EventKind.values()).map(EventKind::code).toList())
                            + ", got '"
                            + kindCode
                            + "'"));
    NhsNumber nhsNumber;
    try {
      nhsNumber = NhsNumber.parse(text(json, "nhsNumber", NhsNumber.MAX_INPUT_LENGTH));
    } catch (InvalidNhsNumberException e) {
      throw new InvalidChangeEvent("nhsNumber: " + e.getMessage());
    }
    String source = safeId(json, "source");
    String occurredText = text(json, "occurredAt", 40);
    Instant occurredAt;
    try {
      // To PostgreSQL's precision, so the event stored is the event compared and given back.
      occurredAt = Instant.parse(occurredText).truncatedTo(ChronoUnit.MICROS);
    } catch (DateTimeParseException e) {
      throw new InvalidChangeEvent(
          "occurredAt: expected an instant such as 2026-11-22T10:00:00Z, got '"
              + occurredText
              + "'");
    }
    if (occurredAt.isAfter(now.plus(MAX_CLOCK_SKEW))) {
      throw new InvalidChangeEvent(
          "occurredAt: expected no later than now (allowing "
              + MAX_CLOCK_SKEW.toMinutes()
              + " minutes of clock skew), got "
              + occurredAt);
    }
    Instant earliest = now.minus(MAX_EVENT_AGE);
    if (occurredAt.isBefore(earliest)) {
      throw new InvalidChangeEvent(
          "occurredAt: expected no earlier than " + earliest + ", got " + occurredAt);
    }
    Object changeValue = json.getValue("change");
    if (!(changeValue instanceof JsonObject changeJson)) {
      throw new InvalidChangeEvent("change: expected an object");
    }
    Map<String, Object> change = change(kind, changeJson, occurredAt);
    ChangeEvent event = new ChangeEvent(id, kind, nhsNumber, source, occurredAt, change);
    int size = event.changeJson().getBytes(StandardCharsets.UTF_8).length;
    if (size > MAX_CHANGE_BYTES) {
      throw new InvalidChangeEvent(
          "change: expected at most " + MAX_CHANGE_BYTES + " bytes, got " + size);
    }
    return event;
  }

  /** The change checked against its kind's shape: each kind's keys, each value its form. */
  private static Map<String, Object> change(EventKind kind, JsonObject json, Instant occurredAt) {
    Map<String, Object> out = new TreeMap<>();
    switch (kind) {
      case ADDRESS_CHANGED -> {
        unknownKeys(json, Set.of("postcode", "lines", "uprn"), "change.");
        String postcode = text(json, "postcode", 8, "change.").toUpperCase(Locale.ROOT);
        if (!POSTCODE.matcher(postcode).matches()) {
          throw new InvalidChangeEvent("change.postcode: expected a UK postcode");
        }
        out.put("postcode", postcode);
        out.put("lines", lines(json));
        if (json.containsKey("uprn")) {
          String uprn = text(json, "uprn", 12, "change.");
          if (!UPRN.matcher(uprn).matches()) {
            throw new InvalidChangeEvent("change.uprn: expected 1 to 12 digits");
          }
          out.put("uprn", uprn);
        }
      }
      case DIED -> {
        unknownKeys(json, Set.of("date"), "change.");
        String text = text(json, "date", 10, "change.");
        LocalDate date;
        try {
          date = LocalDate.parse(text);
        } catch (DateTimeParseException e) {
          throw new InvalidChangeEvent("change.date: expected a date such as 2026-11-22");
        }
        if (date.isAfter(occurredAt.atZone(ZoneOffset.UTC).toLocalDate().plusDays(1))) {
          throw new InvalidChangeEvent("change.date: expected no later than the event's day");
        }
        if (date.isBefore(EARLIEST_DEATH_DATE)) {
          throw new InvalidChangeEvent(
              "change.date: expected no earlier than " + EARLIEST_DEATH_DATE + ", got " + date);
        }
        out.put("date", date.toString());
      }
      case GP_CHANGED -> {
        unknownKeys(json, Set.of("practice"), "change.");
        String practice = text(json, "practice", 10, "change.");
        try {
          out.put("practice", OdsCode.of(practice).value());
        } catch (PolicyException e) {
          throw new InvalidChangeEvent("change.practice: expected an ODS code");
        }
      }
      case CARE_EPISODE_OPENED, CARE_EPISODE_CLOSED -> {
        unknownKeys(json, Set.of("episode", "service"), "change.");
        out.put("episode", safeId(json, "episode", "change."));
        if (json.containsKey("service")) {
          out.put("service", safeId(json, "service", "change."));
        }
      }
      case SAFEGUARDING_CONCERN -> {
        // The concern's id only: what it is about stays with the source, asked for under agreement.
        unknownKeys(json, Set.of("concern"), "change.");
        out.put("concern", safeId(json, "concern", "change."));
      }
    }
    return out;
  }

  private static List<String> lines(JsonObject json) {
    Object value = json.getValue("lines");
    if (!(value instanceof JsonArray array)
        || array.isEmpty()
        || array.size() > MAX_ADDRESS_LINES) {
      throw new InvalidChangeEvent(
          "change.lines: expected a list of 1 to " + MAX_ADDRESS_LINES + " address lines");
    }
    List<String> lines = new ArrayList<>();
    for (Object line : array) {
      if (!(line instanceof String s)
          || s.isBlank()
          || s.length() > MAX_LINE_LENGTH
          || s.codePoints().anyMatch(ChangeEvent::unprintable)) {
        throw new InvalidChangeEvent(
            "change.lines: expected lines of 1 to "
                + MAX_LINE_LENGTH
                + " printable characters (no control or format characters)");
      }
      lines.add(s.strip());
    }
    return List.copyOf(lines);
  }

  /**
   * A control character, or a format character (Unicode category Cf: bidi overrides such as U+202E,
   * zero-width spaces and joiners), which would let a line read otherwise than it is.
   */
  private static boolean unprintable(int codePoint) {
    return Character.isISOControl(codePoint) || Character.getType(codePoint) == Character.FORMAT;
  }

  /** The event as the documented JSON, keys in a fixed order: what is stored and compared. */
  public JsonObject json() {
    return new JsonObject()
        .put("id", id)
        .put("kind", kind.code())
        .put("nhsNumber", nhsNumber.toString())
        .put("source", source)
        .put("occurredAt", occurredAt.toString())
        .put("change", new JsonObject(new TreeMap<>(change)));
  }

  /** The change's canonical JSON (keys sorted). */
  public String changeJson() {
    return new JsonObject(new TreeMap<>(change)).encode();
  }

  /**
   * A digest of everything the event states, to tell a resend of the same event (same digest) from
   * a different event under an id already used (another digest).
   */
  public String fingerprint() {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(json().encode().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
    }
  }

  private static void unknownKeys(JsonObject json, Set<String> allowed, String prefix) {
    for (String key : json.fieldNames()) {
      if (!allowed.contains(key)) {
        throw new InvalidChangeEvent(
            prefix
                + key
                + ": unknown key, expected one of "
                + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
  }

  private static String text(JsonObject json, String key, int maxLength) {
    return text(json, key, maxLength, "");
  }

  private static String text(JsonObject json, String key, int maxLength, String prefix) {
    Object value = json.getValue(key);
    if (!(value instanceof String s) || s.isBlank() || s.length() > maxLength) {
      throw new InvalidChangeEvent(
          prefix + key + ": expected a string of 1 to " + maxLength + " characters");
    }
    return s.strip();
  }

  private static String safeId(JsonObject json, String key) {
    return safeId(json, key, "");
  }

  private static String safeId(JsonObject json, String key, String prefix) {
    String value = text(json, key, 64, prefix);
    if (!SAFE_ID.matcher(value).matches()) {
      throw new InvalidChangeEvent(
          prefix + key + ": expected 1 to 64 letters, digits, '.', '_', ':' or '-'");
    }
    return value;
  }
}
