package org.placeshare.gateway.http.edge;

import ca.uhn.fhir.parser.StrictErrorHandler;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * A FHIR resource posted to the gateway, in JSON or XML as its Content-Type says (415 for any other
 * type), read strictly by HAPI's parsers. XML with a document type declaration is refused before
 * any parser sees it: FHIR forbids DTDs (<a href="https://hl7.org/fhir/R4/xml.html">xml.html</a>),
 * and an entity declaration is how XXE and entity-expansion attacks begin.
 */
public final class FhirBody {

  /** {@code <!DOCTYPE} or {@code <!ENTITY}, in any case, with any space after {@code <!}. */
  private static final Pattern DECLARATION =
      Pattern.compile("<!\\s*(doctype|entity)", Pattern.CASE_INSENSITIVE);

  private FhirBody() {}

  /** The posted body's format, or a 415 failure naming the two served. */
  public static FhirFormat format(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    return FhirFormat.ofBody(contentType)
        .orElseThrow(
            () ->
                new GatewayException(
                    415,
                    IssueType.NOTSUPPORTED,
                    "Content-Type: expected application/fhir+json or application/fhir+xml",
                    "unsupported Content-Type "
                        + (contentType.length() > 100
                            ? contentType.substring(0, 100)
                            : contentType.toLowerCase(Locale.ROOT))));
  }

  /**
   * The body as a resource of this type; HAPI's {@code DataFormatException} says what is wrong, and
   * an XML declaration is a {@link GatewayException} (400).
   */
  public static <T extends IBaseResource> T parse(FhirFormat format, Class<T> type, String body) {
    if (format == FhirFormat.XML && DECLARATION.matcher(body).find()) {
      throw new GatewayException(
          400,
          IssueType.SECURITY,
          "XML with a DOCTYPE or ENTITY declaration is not accepted (FHIR forbids DTDs)",
          "XML body with a DTD refused unread");
    }
    return format
        .parser()
        .setParserErrorHandler(new StrictErrorHandler())
        .parseResource(type, body);
  }
}
