package org.placeshare.gateway.http.edge;

import ca.uhn.fhir.parser.IParser;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.ReleasedJson;

/**
 * The FHIR format of one request's answers, negotiated as FHIR R4 says (<a
 * href="https://hl7.org/fhir/R4/http.html#mime-type">http.html, Content Types</a>): {@code _format}
 * wins over {@code Accept}; JSON and XML are served, both written by HAPI's parsers; {@code
 * *}{@code /*}, {@code application/*} and no preference at all answer JSON; anything else is 406.
 * Every FHIR answer of the request, OperationOutcomes included, is written in the format negotiated
 * here.
 */
public enum FhirFormat {
  JSON(Fhir.JSON),
  XML("application/fhir+xml");

  /** An Accept header of more ranges than this is not a client's preference list. */
  public static final int MAX_ACCEPT_RANGES = 20;

  private static final String KEY = "placeshare.fhirFormat";
  private static final String CONTENT_TYPE_KEY = "placeshare.fhirContentType";

  /**
   * JSON under the name the client asked for it by: a client that accepts {@code application/json}
   * (not {@code application/fhir+json}) is answered with that type, as HAPI's server does; some
   * clients (bdt among them) parse only bodies of the type they asked for.
   */
  private static final String PLAIN_JSON = "application/json";

  /** What {@code _format} and {@code Accept} may name for JSON (the legacy +fhir form too). */
  private static final List<String> JSON_NAMES =
      List.of("json", Fhir.JSON, "application/json", "application/json+fhir");

  private static final List<String> XML_NAMES =
      List.of("xml", "application/fhir+xml", "application/xml", "text/xml", "application/xml+fhir");

  private final String mediaType;

  FhirFormat(String mediaType) {
    this.mediaType = mediaType;
  }

  public String mediaType() {
    return mediaType;
  }

  /** A new parser of this format; parsers are cheap and not thread-safe. */
  public IParser parser() {
    return this == XML ? Fhir.context().newXmlParser() : Fhir.json();
  }

  public String encode(IBaseResource resource) {
    return parser().encodeResourceToString(resource);
  }

  /**
   * Records released to a caller, as {@link #encode} writes them: JSON by {@link ReleasedJson}, the
   * same bytes for less work; XML by HAPI's parser.
   */
  public String encodeRelease(IBaseResource resource) {
    return this == JSON ? ReleasedJson.encode(resource) : encode(resource);
  }

  /** The route handler: the request's answers' format, or 406 (400 for a repeated _format). */
  public static void negotiate(RoutingContext ctx) {
    List<String> asked = ctx.queryParam("_format");
    if (asked.size() > 1) {
      ctx.fail(400, new GatewayException(IssueType.INVALID, "_format: expected at most one"));
      return;
    }
    Optional<Accepted> accepted =
        asked.isEmpty() ? accepted(ctx.request().getHeader("Accept")) : Optional.empty();
    Optional<FhirFormat> format =
        asked.isEmpty() ? accepted.map(Accepted::format) : named(asked.get(0));
    if (format.isEmpty()) {
      ctx.fail(
          406,
          new GatewayException(
              IssueType.NOTSUPPORTED,
              (asked.isEmpty() ? "Accept" : "_format")
                  + ": this server answers in application/fhir+json or application/fhir+xml"));
      return;
    }
    ctx.put(KEY, format.get());
    if (accepted.isPresent() && PLAIN_JSON.equals(accepted.get().range())) {
      ctx.put(CONTENT_TYPE_KEY, PLAIN_JSON);
    }
    ctx.next();
  }

  /**
   * The Content-Type of the request's FHIR answers: the format's, or JSON as the client named it.
   */
  public static String contentType(RoutingContext ctx) {
    String named = ctx.get(CONTENT_TYPE_KEY);
    return named != null ? named : of(ctx).mediaType();
  }

  /** The request's negotiated format; JSON where none was negotiated (outside /fhir). */
  public static FhirFormat of(RoutingContext ctx) {
    FhirFormat format = ctx.get(KEY);
    return format == null ? JSON : format;
  }

  /** A {@code _format} value or a media type, parameters (charset, fhirVersion) aside. */
  static Optional<FhirFormat> named(String value) {
    String type = value.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    if (JSON_NAMES.contains(type)) {
      return Optional.of(JSON);
    }
    if (XML_NAMES.contains(type)) {
      return Optional.of(XML);
    }
    return Optional.empty();
  }

  /**
   * The most preferred format an Accept header allows, with the range that named it (RFC 9110
   * section 12.5.1): the highest {@code q} above zero wins, the first listed of equals; no header
   * means no preference.
   */
  static Optional<Accepted> accepted(String accept) {
    if (accept == null || accept.isBlank()) {
      return Optional.of(new Accepted(JSON, null));
    }
    String[] ranges = accept.split(",", -1);
    if (ranges.length > MAX_ACCEPT_RANGES) {
      return Optional.empty();
    }
    Accepted best = null;
    double bestQ = 0;
    for (String range : ranges) {
      String[] parts = range.split(";", -1);
      String type = parts[0].strip().toLowerCase(Locale.ROOT);
      Optional<FhirFormat> format =
          type.equals("*/*") || type.equals("application/*") ? Optional.of(JSON) : named(type);
      double q = quality(parts);
      if (format.isPresent() && q > bestQ) {
        best = new Accepted(format.get(), type);
        bestQ = q;
      }
    }
    return Optional.ofNullable(best);
  }

  /** The format an Accept header chose, and the media range it chose it by (null: no header). */
  record Accepted(FhirFormat format, String range) {}

  /** A range's {@code q}; an unreadable one counts as 0 (not acceptable), as a strict reader. */
  private static double quality(String[] parts) {
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].strip();
      if (p.startsWith("q=")) {
        try {
          double q = Double.parseDouble(p.substring(2));
          return q >= 0 && q <= 1 ? q : 0;
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 1;
  }

  /**
   * The format of a posted FHIR resource, from its Content-Type: JSON or XML (empty: neither, a
   * 415). No Content-Type is read as JSON, as the gateway always has.
   */
  public static Optional<FhirFormat> ofBody(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return Optional.of(JSON);
    }
    return named(contentType);
  }
}
