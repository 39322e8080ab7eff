package org.placeshare.gateway.http.audit;

import io.vertx.core.MultiMap;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;

/**
 * A FHIR search of the audit log ({@code GET /fhir/AuditEvent}), as its query parameters ask for
 * it, strictly: an unknown parameter, a repeated one or a malformed value is a 400 naming it. The
 * parameters are R4's AuditEvent search parameters (<a
 * href="https://hl7.org/fhir/R4/auditevent.html#search">auditevent.html#search</a>): {@code date}
 * with the prefixes {@code eq ge gt le lt}, {@code patient} (a reference, or {@code
 * patient:identifier} / {@code patient.identifier} with the NHS number), {@code agent} (the user's
 * id), {@code outcome}, {@code type} and {@code subtype} (tokens), {@code _count}, and {@code
 * _cursor}, the next link's position in the log.
 *
 * @param outcomes the log's outcomes the FHIR outcome codes asked for stand for (empty: any)
 * @param nothing true when the outcomes asked for are none the log records (major failure: 12)
 */
record AuditEventQuery(
    Optional<Instant> from,
    Optional<Instant> to,
    Optional<NhsNumber> patient,
    Optional<String> agent,
    List<String> outcomes,
    boolean nothing,
    List<Token> types,
    List<Token> subtypes,
    int count,
    OptionalLong cursor) {

  /** Events in one page when the client names no {@code _count}. */
  static final int DEFAULT_COUNT = 50;

  /** The most events one page answers, whatever {@code _count} asks. */
  static final int MAX_COUNT = 200;

  /** The most {@code date} parameters one search takes: a range needs two. */
  static final int MAX_DATES = 2;

  /** The most values one token parameter ({@code type}, {@code subtype}, {@code outcome}) ORs. */
  static final int MAX_TOKENS = 10;

  /** The longest value of any parameter. */
  static final int MAX_VALUE_CHARS = 256;

  static final String CURSOR = "_cursor";

  static final String PATIENT_IDENTIFIER = "patient:identifier";

  /** Every parameter this search takes; {@code _format} is negotiated before it (FhirFormat). */
  static final Set<String> PARAMETERS =
      Set.of(
          "date",
          "patient",
          PATIENT_IDENTIFIER,
          "patient.identifier",
          "agent",
          "outcome",
          "type",
          "subtype",
          "_count",
          CURSOR,
          "_format");

  private static final String OUTCOME_SYSTEM = "http://hl7.org/fhir/audit-event-outcome";

  /** A token search value: a code, with its system when one was named. */
  record Token(Optional<String> system, String code) {

    boolean matches(Coding c) {
      return code.equals(c.getCode()) && system.map(s -> s.equals(c.getSystem())).orElse(true);
    }
  }

  AuditEventQuery {
    outcomes = List.copyOf(outcomes);
    types = List.copyOf(types);
    subtypes = List.copyOf(subtypes);
  }

  /** The search from a request's query parameters; a bad one is a GatewayException naming it. */
  static AuditEventQuery parse(MultiMap params) {
    for (String name : params.names()) {
      if (!PARAMETERS.contains(name)) {
        throw StrictJson.invalid(
            "AuditEvent search: unknown parameter "
                + (name.length() > 40 ? name.substring(0, 40) + "..." : name)
                + "; this search takes "
                + String.join(", ", PARAMETERS.stream().sorted().toList()));
      }
      List<String> values = params.getAll(name);
      if (values.size() > (name.equals("date") ? MAX_DATES : 1)) {
        throw StrictJson.invalid(
            name
                + ": expected at most "
                + (name.equals("date") ? MAX_DATES + " (a range)" : "one"));
      }
      for (String v : values) {
        if (v.isEmpty() || v.length() > MAX_VALUE_CHARS) {
          throw StrictJson.invalid(
              name + ": expected a value of 1 to " + MAX_VALUE_CHARS + " characters");
        }
      }
    }
    Optional<Instant> from = Optional.empty();
    Optional<Instant> to = Optional.empty();
    for (String date : params.getAll("date")) {
      Range r = range(date);
      if (r.from().isPresent() && (from.isEmpty() || r.from().get().isAfter(from.get()))) {
        from = r.from();
      }
      if (r.to().isPresent() && (to.isEmpty() || r.to().get().isBefore(to.get()))) {
        to = r.to();
      }
    }
    List<String> outcomes = new ArrayList<>();
    boolean nothing = false;
    Optional<String> outcome = one(params, "outcome");
    if (outcome.isPresent()) {
      Set<String> logOutcomes = new LinkedHashSet<>();
      for (Token t : tokens("outcome", outcome.get())) {
        if (t.system().isPresent() && !t.system().get().equals(OUTCOME_SYSTEM)) {
          throw StrictJson.invalid(
              "outcome: expected a code of " + OUTCOME_SYSTEM + ", got " + t.system().get());
        }
        switch (t.code()) {
          case "0" -> logOutcomes.addAll(List.of("permitted", "evaluated"));
          case "4" -> logOutcomes.add("refused");
          case "8" -> logOutcomes.add("failed");
          case "12" -> {} // the log records no major failure: it would not be written
          default -> throw StrictJson.invalid("outcome: expected 0, 4, 8 or 12, got " + t.code());
        }
      }
      outcomes.addAll(logOutcomes);
      nothing = logOutcomes.isEmpty();
    }
    int count = DEFAULT_COUNT;
    Optional<String> asked = one(params, "_count");
    if (asked.isPresent()) {
      long n = number("_count", asked.get());
      if (n < 1) {
        throw StrictJson.invalid("_count: expected 1 to " + MAX_COUNT + ", got " + n);
      }
      // FHIR lets a server answer fewer than asked: the cap is a page's size, not an error.
      count = (int) Math.min(n, MAX_COUNT);
    }
    OptionalLong cursor = OptionalLong.empty();
    Optional<String> position = one(params, CURSOR);
    if (position.isPresent()) {
      cursor = OptionalLong.of(number(CURSOR, position.get()));
    }
    return new AuditEventQuery(
        from,
        to,
        patient(params),
        one(params, "agent").map(AuditEventQuery::agent),
        outcomes,
        nothing,
        one(params, "type").map(v -> tokens("type", v)).orElse(List.of()),
        one(params, "subtype").map(v -> tokens("subtype", v)).orElse(List.of()),
        count,
        cursor);
  }

  /** The log records to read for a page: newest first, before the cursor. */
  AuditSearch.Filter filter() {
    return new AuditSearch.Filter(
        patient.map(NhsNumber::toString),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        agent,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        from,
        to,
        cursor.isPresent() ? Optional.of(cursor.getAsLong()) : Optional.empty(),
        count);
  }

  /** True if the event, as the search answers it, is of a type and subtype asked for. */
  boolean matches(AuditEvent e) {
    boolean type = types.isEmpty() || types.stream().anyMatch(t -> t.matches(e.getType()));
    boolean subtype =
        subtypes.isEmpty()
            || e.getSubtype().stream().anyMatch(c -> subtypes.stream().anyMatch(t -> t.matches(c)));
    return type && subtype;
  }

  private static Optional<NhsNumber> patient(MultiMap params) {
    Optional<String> reference = one(params, "patient");
    Optional<String> identifier =
        one(params, PATIENT_IDENTIFIER).or(() -> one(params, "patient.identifier"));
    if (reference.isPresent() && identifier.isPresent()) {
      throw StrictJson.invalid("patient: expected a reference or an identifier, not both");
    }
    if (reference.isPresent()) {
      String value = reference.get();
      String id = value.startsWith("Patient/") ? value.substring("Patient/".length()) : value;
      return Optional.of(nhsNumber("patient", id));
    }
    if (identifier.isPresent()) {
      String value = identifier.get();
      int bar = value.indexOf('|');
      if (bar < 0 || !Fhir.NHS_NUMBER_SYSTEM.equals(value.substring(0, bar))) {
        throw StrictJson.invalid(
            PATIENT_IDENTIFIER
                + ": expected "
                + Fhir.NHS_NUMBER_SYSTEM
                + "|{nhsNumber}, as system|value");
      }
      return Optional.of(nhsNumber(PATIENT_IDENTIFIER, value.substring(bar + 1)));
    }
    return Optional.empty();
  }

  private static NhsNumber nhsNumber(String name, String value) {
    try {
      return NhsNumber.parse(value);
    } catch (InvalidNhsNumberException e) {
      throw new GatewayException(IssueType.VALUE, name + ": " + e.getMessage());
    }
  }

  /** The user's id, as the audit API's {@code user} filter takes it: plain characters only. */
  private static String agent(String value) {
    if (!AuditFilters.PLAIN_VALUE.matcher(value).matches()) {
      throw StrictJson.invalid(
          "agent: expected a user id of 1 to 128 letters, digits, spaces or ._@:-");
    }
    return value;
  }

  private static List<Token> tokens(String name, String value) {
    String[] values = value.split(",", -1);
    if (values.length > MAX_TOKENS) {
      throw StrictJson.invalid(name + ": expected at most " + MAX_TOKENS + " values");
    }
    List<Token> out = new ArrayList<>();
    for (String v : values) {
      int bar = v.indexOf('|');
      String system = bar < 0 ? "" : v.substring(0, bar);
      String code = bar < 0 ? v : v.substring(bar + 1);
      if (code.isEmpty() || code.contains("|")) {
        throw StrictJson.invalid(name + ": expected a code, or system|code");
      }
      out.add(new Token(system.isEmpty() ? Optional.empty() : Optional.of(system), code));
    }
    return out;
  }

  /** The instants a {@code date} value allows: from inclusive, to exclusive. */
  private record Range(Optional<Instant> from, Optional<Instant> to) {}

  /**
   * A date search value as FHIR reads one: the value names a range as wide as its precision (a day,
   * or a second), and the prefix says how the event's time stands to it.
   */
  private static Range range(String value) {
    String prefix = value.length() > 2 ? value.substring(0, 2) : "";
    String time = value;
    if (Set.of("eq", "ge", "gt", "le", "lt").contains(prefix)) {
      time = value.substring(2);
    } else if (Character.isLetter(value.charAt(0))) {
      throw StrictJson.invalid(
          "date: expected the prefix eq, ge, gt, le or lt, or none, got " + value);
    } else {
      prefix = "eq";
    }
    Instant start;
    Instant end;
    try {
      if (time.length() == 10) {
        // A date without a time: the day in UTC, the zone the log's times are kept in.
        start = LocalDate.parse(time).atStartOfDay().toInstant(ZoneOffset.UTC);
        end = start.plus(1, ChronoUnit.DAYS);
      } else {
        start = OffsetDateTime.parse(time).toInstant();
        end = start.getNano() == 0 ? start.plusSeconds(1) : start.plus(1, ChronoUnit.MICROS);
      }
    } catch (DateTimeParseException e) {
      throw StrictJson.invalid(
          "date: expected a date (2026-03-01) or a time with its offset"
              + " (2026-03-01T10:15:30Z), after an optional prefix; got "
              + value);
    }
    return switch (prefix) {
      case "ge" -> new Range(Optional.of(start), Optional.empty());
      case "gt" -> new Range(Optional.of(end), Optional.empty());
      case "le" -> new Range(Optional.empty(), Optional.of(end));
      case "lt" -> new Range(Optional.empty(), Optional.of(start));
      default -> new Range(Optional.of(start), Optional.of(end));
    };
  }

  private static Optional<String> one(MultiMap params, String name) {
    return Optional.ofNullable(params.get(name));
  }

  private static long number(String name, String value) {
    try {
      long n = Long.parseLong(value);
      if (n < 0) {
        throw StrictJson.invalid(name + ": expected a whole number of at least 0, got " + value);
      }
      return n;
    } catch (NumberFormatException e) {
      throw StrictJson.invalid(name + ": expected a whole number, got " + value);
    }
  }
}
