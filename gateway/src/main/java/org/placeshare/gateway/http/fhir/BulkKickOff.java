package org.placeshare.gateway.http.fhir;

import ca.uhn.fhir.parser.DataFormatException;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.PrimitiveType;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.http.edge.FhirBody;
import org.placeshare.gateway.http.edge.FhirFormat;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.policy.FhirResourceTypes;

/**
 * A Bulk Data kick-off request read to the letter of <a
 * href="https://hl7.org/fhir/uv/bulkdata/export.html#bulk-data-kick-off-request">FHIR Bulk Data
 * Access v2</a>, by GET (query parameters) or by POST (a FHIR {@code Parameters} body): {@code
 * Prefer: respond-async} required, {@code Accept} the FHIR JSON the OperationOutcomes are in, each
 * parameter checked, and, under {@code Prefer: handling=strict} (the default here: strict by
 * default), any parameter not supported refused. Under {@code handling=lenient} such a parameter is
 * ignored and a note kept for the job's error file.
 *
 * @param types {@code _type}: only these resource types are written
 * @param since {@code _since}: only records changed since then
 * @param elements {@code _elements}, as {@code Type.element} or {@code *.element}
 * @param includeHousehold {@code _includeHousehold} (a Group export only)
 * @param notes the parameters ignored under lenient handling, each said in a sentence
 */
public record BulkKickOff(
    Optional<Set<String>> types,
    Optional<Instant> since,
    Optional<Set<String>> elements,
    boolean includeHousehold,
    List<String> notes) {

  public BulkKickOff {
    types = types.map(Set::copyOf);
    elements = elements.map(Set::copyOf);
    notes = List.copyOf(notes);
  }

  /** What the kick-off is for: the level of the export, or the population figures. */
  public enum Operation {
    GROUP_EXPORT,
    PATIENT_EXPORT,
    SUMMARY
  }

  /** Longest value of one parameter: a list of every R4 type fits with room to spare. */
  static final int MAX_VALUE_CHARS = 4096;

  /** Most parameters in one kick-off, repeats counted. */
  static final int MAX_PARAMETERS = 32;

  /** Most resource types in {@code _type}. */
  static final int MAX_TYPES = 50;

  /** Most elements in {@code _elements}. */
  static final int MAX_ELEMENTS = 100;

  /** Largest {@code Parameters} body of a POST kick-off. */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  static final String OUTPUT_FORMAT = "_outputFormat";
  static final String FORMAT = "_format";
  static final String SINCE = SinceParameter.NAME;
  static final String TYPE = "_type";
  static final String ELEMENTS = "_elements";
  static final String TYPE_FILTER = "_typeFilter";
  static final String INCLUDE_ASSOCIATED_DATA = "includeAssociatedData";
  static final String PATIENT = "patient";

  /** The three names Bulk Data v2 gives NDJSON, the one format written. */
  static final Set<String> NDJSON =
      Set.of("application/fhir+ndjson", "application/ndjson", "ndjson");

  /** Media ranges under which an OperationOutcome in FHIR JSON is acceptable. */
  private static final Set<String> JSON_RANGES =
      Set.of(Fhir.JSON, "application/json", "application/*", "*/*");

  /** A root element's name ({@code _elements} names root elements only). */
  private static final Pattern ELEMENT = Pattern.compile("[a-z][A-Za-z0-9]{0,63}");

  /**
   * Reads and checks the kick-off; throws a {@link GatewayException} that knows its status (400,
   * 406) for anything wrong.
   */
  public static BulkKickOff read(RoutingContext ctx, Operation operation, Instant now) {
    requireAcceptableAccept(ctx);
    List<String> prefer = ctx.request().headers().getAll("Prefer");
    boolean lenient = lenient(prefer);
    Map<String, List<String>> params = parameters(ctx);
    List<String> notes = new ArrayList<>();
    for (String name : params.keySet()) {
      if (!known(name, operation)) {
        unsupported(lenient, notes, shortName(name) + ": not a parameter of this kick-off");
      }
    }
    String format = once(params, OUTPUT_FORMAT);
    if (format != null && !NDJSON.contains(format)) {
      throw invalid(
          IssueType.NOTSUPPORTED,
          OUTPUT_FORMAT + ": only application/fhir+ndjson (or application/ndjson, ndjson) is made");
    }
    if (operation == Operation.SUMMARY && params.containsKey(TYPE)) {
      throw invalid(IssueType.NOTSUPPORTED, "_type: $summary counts Patients and Conditions only");
    }
    if (params.containsKey(TYPE_FILTER)) {
      unsupported(
          lenient,
          notes,
          TYPE_FILTER
              + ": not supported (the sources are asked for a person's records by type only);"
              + " every record of the types asked for is exported");
    }
    if (params.containsKey(INCLUDE_ASSOCIATED_DATA)) {
      unsupported(
          lenient,
          notes,
          INCLUDE_ASSOCIATED_DATA + ": no associated data (such as Provenance) is offered");
    }
    if (params.containsKey(PATIENT)) {
      // Ignoring it would export more people than asked for: refused however lenient the client.
      throw invalid(
          IssueType.NOTSUPPORTED,
          PATIENT + ": not supported; register a Group of the people wanted and export it");
    }
    Optional<Set<String>> types =
        operation == Operation.SUMMARY
            ? Optional.of(Set.of("Patient", "Condition"))
            : Optional.ofNullable(params.get(TYPE)).map(BulkKickOff::types);
    Optional<Instant> since = Optional.ofNullable(once(params, SINCE)).map(s -> since(s, now));
    Optional<Set<String>> elements =
        Optional.ofNullable(params.get(ELEMENTS)).map(BulkKickOff::elements);
    if (operation == Operation.SUMMARY && elements.isPresent()) {
      throw invalid(IssueType.NOTSUPPORTED, "_elements: $summary writes no resources");
    }
    boolean household = includeHousehold(params, operation);
    return new BulkKickOff(types, since, elements, household, notes);
  }

  /** {@code Prefer: respond-async} is required; {@code handling=lenient} relaxes, else strict. */
  private static boolean lenient(List<String> prefer) {
    boolean async = false;
    boolean lenient = false;
    for (String header : prefer) {
      for (String token : header.split(",", -1)) {
        String t = token.strip().toLowerCase(Locale.ROOT);
        if (t.equals("respond-async")) {
          async = true;
        } else if (t.equals("handling=lenient")) {
          lenient = true;
        }
      }
    }
    if (!async) {
      throw invalid(
          IssueType.INVALID, "Prefer: respond-async is required: the export runs as a job");
    }
    return lenient;
  }

  /**
   * The OperationOutcomes of the kick-off are FHIR JSON; a client that accepts nothing of the sort
   * is answered 406. No {@code Accept} is taken as FHIR JSON, as the spec allows.
   */
  private static void requireAcceptableAccept(RoutingContext ctx) {
    // _format, a FHIR parameter of every request, wins over Accept and is negotiated before this
    // (FhirFormat): a client that names JSON there (HAPI's does) is answered in JSON.
    if (!ctx.queryParam(FORMAT).isEmpty()) {
      if (FhirFormat.of(ctx) != FhirFormat.JSON) {
        throw new GatewayException(
            406,
            IssueType.NOTSUPPORTED,
            "_format: the kick-off answers in application/fhir+json",
            "kick-off _format not FHIR JSON");
      }
      return;
    }
    List<String> accept = ctx.request().headers().getAll("Accept");
    if (accept.isEmpty()) {
      return;
    }
    for (String header : accept) {
      for (String range : header.split(",", -1)) {
        String media = range.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (JSON_RANGES.contains(media)) {
          return;
        }
      }
    }
    throw new GatewayException(
        406,
        IssueType.NOTSUPPORTED,
        "Accept: the kick-off answers in application/fhir+json",
        "kick-off Accept not FHIR JSON");
  }

  /** Query parameters of a GET, or the {@code Parameters} body of a POST (not both). */
  private static Map<String, List<String>> parameters(RoutingContext ctx) {
    Map<String, List<String>> params = new LinkedHashMap<>();
    int n = 0;
    for (Map.Entry<String, String> e : ctx.queryParams()) {
      if (e.getKey().equals(FORMAT)) {
        continue; // the answer's format, negotiated already; not a parameter of the export
      }
      params
          .computeIfAbsent(e.getKey(), k -> new ArrayList<>())
          .add(capped(e.getKey(), e.getValue()));
      n++;
    }
    if (ctx.request().method().name().equals("POST")) {
      if (!params.isEmpty()) {
        throw invalid(
            IssueType.INVALID, "a POST kick-off takes its parameters in the Parameters body only");
      }
      String body = ctx.body() == null ? null : ctx.body().asString();
      if (body == null || body.isBlank()) {
        throw invalid(IssueType.INVALID, "expected a FHIR Parameters resource as the body");
      }
      Parameters parameters;
      try {
        parameters = FhirBody.parse(FhirBody.format(ctx), Parameters.class, body);
      } catch (DataFormatException | ClassCastException e) {
        throw invalid(
            IssueType.INVALID,
            "expected a FHIR Parameters resource as the body: " + firstLine(e.getMessage()));
      }
      for (Parameters.ParametersParameterComponent p : parameters.getParameter()) {
        String name = p.getName() == null ? "" : p.getName();
        if (!p.getPart().isEmpty() || p.getResource() != null) {
          throw invalid(IssueType.INVALID, "Parameters." + name + ": expected a value");
        }
        String value =
            p.getValue() instanceof PrimitiveType<?> primitive
                ? primitive.getValueAsString()
                : p.getValue() == null ? null : PATIENT.equals(name) ? "(a reference)" : null;
        if (value == null) {
          throw invalid(IssueType.INVALID, "Parameters." + name + ": expected a primitive value");
        }
        params.computeIfAbsent(name, k -> new ArrayList<>()).add(capped(name, value));
        n++;
      }
    }
    if (n > MAX_PARAMETERS) {
      throw invalid(IssueType.TOOCOSTLY, "expected at most " + MAX_PARAMETERS + " parameters");
    }
    return params;
  }

  private static boolean known(String name, Operation operation) {
    return switch (name) {
      case OUTPUT_FORMAT, SINCE, TYPE, ELEMENTS, TYPE_FILTER, INCLUDE_ASSOCIATED_DATA, PATIENT ->
          true;
      case CohortEndpoints.INCLUDE_HOUSEHOLD -> operation != Operation.PATIENT_EXPORT;
      default -> false;
    };
  }

  private static void unsupported(boolean lenient, List<String> notes, String why) {
    if (!lenient) {
      throw invalid(IssueType.NOTSUPPORTED, why + " (Prefer: handling=strict)");
    }
    notes.add("ignored under Prefer: handling=lenient: " + why);
  }

  private static String capped(String name, String value) {
    if (value.length() > MAX_VALUE_CHARS) {
      throw invalid(
          IssueType.TOOCOSTLY,
          shortName(name) + ": expected at most " + MAX_VALUE_CHARS + " characters");
    }
    return value;
  }

  /** A name from outside, cut short for the answer. */
  private static String shortName(String name) {
    return name.length() > 40 ? name.substring(0, 40) + "…" : name;
  }

  private static String once(Map<String, List<String>> params, String name) {
    List<String> values = params.get(name);
    if (values == null) {
      return null;
    }
    if (values.size() > 1) {
      throw invalid(IssueType.VALUE, name + ": expected once");
    }
    return values.get(0);
  }

  /** {@code _type}: R4 resource types, comma-separated, repeatable (the POST form repeats it). */
  static Set<String> types(List<String> values) {
    Set<String> types = new LinkedHashSet<>();
    for (String value : values) {
      for (String type : value.split(",", -1)) {
        String t = type.strip();
        if (!FhirResourceTypes.R4.contains(t)) {
          throw invalid(
              IssueType.VALUE, "_type: expected FHIR R4 resource types separated by commas");
        }
        types.add(t);
      }
    }
    if (types.size() > MAX_TYPES) {
      throw invalid(IssueType.TOOCOSTLY, "_type: expected at most " + MAX_TYPES + " types");
    }
    return types;
  }

  /** {@code _since}: read as everywhere ({@link SinceParameter}), refused as a kick-off. */
  static Instant since(String value, Instant now) {
    try {
      return SinceParameter.parse(value, now);
    } catch (GatewayException e) {
      throw invalid(e.code(), e.getMessage());
    }
  }

  /**
   * {@code _elements}: root elements, as {@code Type.element} or {@code element} (for every type
   * that has it, {@code *.element} to the encoder).
   */
  static Set<String> elements(List<String> values) {
    Set<String> elements = new LinkedHashSet<>();
    for (String value : values) {
      for (String element : value.split(",", -1)) {
        String e = element.strip();
        String[] parts = e.split("\\.", -1);
        boolean typed = parts.length == 2 && FhirResourceTypes.R4.contains(parts[0]);
        String name = typed ? parts[1] : parts.length == 1 ? parts[0] : "";
        if (!ELEMENT.matcher(name).matches()) {
          throw invalid(
              IssueType.VALUE,
              "_elements: expected root elements as Type.element or element, separated by commas");
        }
        elements.add(typed ? e : "*." + name);
      }
    }
    if (elements.size() > MAX_ELEMENTS) {
      throw invalid(
          IssueType.TOOCOSTLY, "_elements: expected at most " + MAX_ELEMENTS + " elements");
    }
    return elements;
  }

  /**
   * {@code _includeHousehold}: {@code true} or {@code false}, once, on a Group's {@code $export}
   * only. Strict, so that a misspelt value is refused rather than read as false and the recipient
   * left thinking it has households.
   */
  private static boolean includeHousehold(Map<String, List<String>> params, Operation operation) {
    List<String> values = params.get(CohortEndpoints.INCLUDE_HOUSEHOLD);
    if (values == null) {
      return false;
    }
    if (operation == Operation.SUMMARY) {
      throw invalid(
          IssueType.NOTSUPPORTED,
          CohortEndpoints.INCLUDE_HOUSEHOLD + ": $summary counts the cohort's members only");
    }
    if (operation == Operation.PATIENT_EXPORT) {
      return false; // ignored under lenient handling (refused under strict as unknown)
    }
    if (values.size() > 1 || !Set.of("true", "false").contains(values.get(0))) {
      throw invalid(
          IssueType.VALUE, CohortEndpoints.INCLUDE_HOUSEHOLD + ": expected true or false, once");
    }
    return Boolean.parseBoolean(values.get(0));
  }

  private static String firstLine(String message) {
    String m = message == null ? "" : message.lines().findFirst().orElse("");
    return m.length() > 200 ? m.substring(0, 200) : m;
  }

  private static GatewayException invalid(IssueType code, String message) {
    return new GatewayException(400, code, message, "kick-off refused: " + message);
  }
}
