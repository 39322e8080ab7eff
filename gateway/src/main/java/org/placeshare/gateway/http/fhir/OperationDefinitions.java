package org.placeshare.gateway.http.fhir;

import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.function.Consumer;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.OperationDefinition;
import org.hl7.fhir.r4.model.OperationDefinition.OperationParameterUse;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;

/**
 * The gateway's own operations' definitions, served at {@code /fhir/OperationDefinition/{id}}, the
 * URL the CapabilityStatement names (<a
 * href="https://hl7.org/fhir/R4/operationdefinition.html">operationdefinition.html</a>). The
 * standard operations ($everything, $match, Bulk Data's $export) are named by their canonical
 * instead: their definitions are the specification's, not ours to serve.
 */
public final class OperationDefinitions {

  public static final String HOUSEHOLD = "Patient-household";
  public static final String DATA_QUALITY = "Patient-data-quality";
  public static final String SUMMARY = "Group-summary";

  private final Map<String, OperationDefinition> byId;

  public OperationDefinitions(String publicUrl) {
    this.byId =
        Map.of(
            HOUSEHOLD,
            define(
                publicUrl,
                HOUSEHOLD,
                "household",
                "Patient",
                "The person's household on a day: a Group of the people shown and each one's view,"
                    + " every member decided on their own. GET only.",
                d -> {
                  in(d, "date", "date", "0", "The day (YYYY-MM-DD, England), default today");
                  out(d, "return", "Bundle", "The household Group and each member's view");
                }),
            DATA_QUALITY,
            define(
                publicUrl,
                DATA_QUALITY,
                "data-quality",
                "Patient",
                "The sources' records of the person checked and compared; releases no record."
                    + " GET, or POST with a Parameters body.",
                d -> {
                  in(
                      d,
                      "_type",
                      "code",
                      "*",
                      "Accepted as for $everything; the check is of Patients");
                  in(d, "_since", "instant", "1", "Accepted as for $everything");
                  out(d, "return", "OperationOutcome", "The findings, one issue each");
                }),
            SUMMARY,
            define(
                publicUrl,
                SUMMARY,
                "summary",
                "Group",
                "Population figures of a cohort by sex, age band and condition category, small"
                    + " numbers suppressed; runs as a job like $export (Prefer: respond-async).",
                d -> {
                  in(d, "_since", "instant", "1", "Only records changed since then");
                  out(d, "return", "Binary", "Served at the job's status URL when complete");
                }));
  }

  /** The canonical URL of one of ours, as the CapabilityStatement names it. */
  static String url(String publicUrl, String id) {
    return publicUrl + "/fhir/OperationDefinition/" + id;
  }

  /** {@code GET /fhir/OperationDefinition/{id}}. */
  public void read(RoutingContext ctx) {
    OperationDefinition definition = byId.get(ctx.pathParam("id"));
    if (definition == null) {
      ctx.fail(
          404,
          new GatewayException(
              IssueType.NOTFOUND,
              "no such OperationDefinition here; served: "
                  + String.join(", ", byId.keySet().stream().sorted().toList())));
      return;
    }
    Outcomes.sendFhir(ctx, 200, definition);
  }

  private static OperationDefinition define(
      String publicUrl,
      String id,
      String code,
      String resource,
      String description,
      Consumer<OperationDefinition> parameters) {
    OperationDefinition d = new OperationDefinition();
    d.setId(id);
    d.setUrl(url(publicUrl, id));
    d.setName(id.replace("-", ""));
    d.setStatus(Enumerations.PublicationStatus.ACTIVE);
    d.setKind(OperationDefinition.OperationKind.OPERATION);
    d.setCode(code);
    d.addResource(resource);
    d.setSystem(false);
    d.setType(false);
    d.setInstance(true);
    d.setAffectsState(false);
    d.setDescription(description);
    parameters.accept(d);
    return d;
  }

  private static void in(OperationDefinition d, String name, String type, String max, String doc) {
    d.addParameter()
        .setName(name)
        .setUse(OperationParameterUse.IN)
        .setMin(0)
        .setMax(max)
        .setType(type)
        .setDocumentation(doc);
  }

  private static void out(OperationDefinition d, String name, String type, String doc) {
    d.addParameter()
        .setName(name)
        .setUse(OperationParameterUse.OUT)
        .setMin(1)
        .setMax("1")
        .setType(type)
        .setDocumentation(doc);
  }
}
