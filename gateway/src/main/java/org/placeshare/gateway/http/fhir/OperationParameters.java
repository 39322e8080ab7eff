package org.placeshare.gateway.http.fhir;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.PrimitiveType;
import org.hl7.fhir.r4.model.StringType;
import org.placeshare.gateway.http.edge.GatewayException;

/**
 * The {@code Parameters} body of an operation invoked by POST (<a
 * href="https://hl7.org/fhir/R4/operations.html#request">operations.html, Request</a>), as HAPI's
 * generic client sends it: read strictly, with the same validation as the GET query. Only {@code
 * _type} (a code, repeatable, each a comma-separated list) and {@code _since} (an instant, once)
 * are known; any other parameter, a {@code resource} or {@code part} value, or a value of another
 * type is a 400 naming it.
 *
 * @param types the resource types asked for, null when not narrowed
 * @param since only records changed since then, null when not asked
 */
record OperationParameters(Set<String> types, Instant since) {

  /** The body limit of an operation's Parameters: two small parameters, with room to spare. */
  static final int MAX_BODY_BYTES = 16 * 1024;

  /** More parameters than this is not a request for one person's records. */
  static final int MAX_PARAMETERS = 60;

  static final String TYPE = "_type";
  static final String SINCE = SinceParameter.NAME;

  /** The parameters read, {@code _since} checked against {@code now} ({@link SinceParameter}). */
  static OperationParameters of(Parameters parameters, Instant now) {
    List<Parameters.ParametersParameterComponent> all = parameters.getParameter();
    if (all.size() > MAX_PARAMETERS) {
      throw invalid("Parameters: expected at most " + MAX_PARAMETERS + " parameters");
    }
    List<String> types = new ArrayList<>();
    String since = null;
    for (Parameters.ParametersParameterComponent p : all) {
      String name = p.getName();
      if (p.hasResource() || p.hasPart()) {
        throw invalid("Parameters." + name + ": expected a value, not a resource or parts");
      }
      if (TYPE.equals(name)) {
        types.add(primitive(p, "code or string"));
      } else if (SINCE.equals(name)) {
        if (since != null) {
          throw invalid("Parameters._since: expected at most one");
        }
        since = primitive(p, "instant");
      } else {
        throw invalid(
            "Parameters: unknown parameter "
                + (name == null ? "(no name)" : "'" + abbreviated(name) + "'")
                + ", expected _type or _since");
      }
    }
    return new OperationParameters(
        types.isEmpty() ? null : PersonViewHandler.types(String.join(",", types)),
        since == null ? null : SinceParameter.parse(since, now));
  }

  /**
   * A parameter's primitive value as its text: {@code valueCode}, {@code valueInstant} and so on.
   */
  private static String primitive(Parameters.ParametersParameterComponent p, String expected) {
    boolean typeRight =
        TYPE.equals(p.getName())
            ? p.getValue() instanceof CodeType || p.getValue() instanceof StringType
            : p.getValue() instanceof InstantType || p.getValue() instanceof DateTimeType;
    if (!typeRight || !(p.getValue() instanceof PrimitiveType<?> value) || !value.hasValue()) {
      throw invalid("Parameters." + p.getName() + ": expected a value of type " + expected);
    }
    return value.getValueAsString();
  }

  private static String abbreviated(String name) {
    return name.length() > 40 ? name.substring(0, 40) + "..." : name;
  }

  private static GatewayException invalid(String message) {
    return new GatewayException(400, IssueType.INVALID, message, message);
  }
}
