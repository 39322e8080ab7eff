package org.placeshare.gateway.http.fhir;

import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.EnumMap;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.http.edge.FhirFormat;
import org.placeshare.gateway.http.edge.Outcomes;

/**
 * What the gateway serves: a FHIR {@code CapabilityStatement} at {@code /fhir/metadata} (<a
 * href="https://hl7.org/fhir/R4/capabilitystatement.html">capabilitystatement.html</a>) listing
 * every FHIR interaction the routes serve, in JSON or XML as negotiated, and an OpenAPI 3 document
 * at {@code /openapi.yaml} for everything else. Declared is served: a route added to {@code
 * GatewayRoutes} under {@code /fhir} is declared here.
 */
public final class Metadata {

  /** SMART on FHIR's OAuth URIs extension (SMART App Launch 2.x, Conformance). */
  static final String OAUTH_URIS =
      "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

  /** The Bulk Data Access IG's capability, which the gateway instantiates (Group and Patient). */
  static final String BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data";

  private final EnumMap<FhirFormat, String> capability = new EnumMap<>(FhirFormat.class);
  private final String openapi;

  public Metadata(String publicUrl) {
    CapabilityStatement cs = statement(publicUrl);
    for (FhirFormat format : FhirFormat.values()) {
      capability.put(format, format.encode(cs));
    }
    try (InputStream in = Metadata.class.getResourceAsStream("/openapi.yaml")) {
      this.openapi = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("openapi.yaml is missing from the build", e);
    }
  }

  static CapabilityStatement statement(String publicUrl) {
    CapabilityStatement cs = new CapabilityStatement();
    cs.setStatus(Enumerations.PublicationStatus.ACTIVE);
    cs.setDate(new Date());
    cs.setKind(CapabilityStatement.CapabilityStatementKind.INSTANCE);
    cs.setFhirVersion(Enumerations.FHIRVersion._4_0_1);
    cs.addInstantiates(BULK_DATA);
    // What FhirFormat negotiates and FhirBody reads: both formats, answers and posted resources.
    cs.addFormat("json");
    cs.addFormat("xml");
    cs.getSoftware().setName("Placeshare gateway");
    cs.getImplementation()
        .setDescription("Placeshare cross-agency gateway")
        .setUrl(publicUrl + "/fhir");
    var rest = cs.addRest().setMode(CapabilityStatement.RestfulCapabilityMode.SERVER);
    rest.setDocumentation(
        "Every interaction is decided per person and source under the data-sharing agreements and"
            + " audited. A person not there, or hidden by a national data opt-out or a restricted"
            + " record, is answered alike: 404 to a read or an operation, no entries to a search.");
    security(rest.getSecurity(), publicUrl);
    patient(rest.addResource().setType("Patient"), publicUrl);
    group(rest.addResource().setType("Group"), publicUrl);
    subscription(rest.addResource().setType("Subscription"));
    AuditEventCapability.describe(rest.addResource().setType("AuditEvent"));
    var definitions = rest.addResource().setType("OperationDefinition");
    definitions.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.READ);
    definitions.setDocumentation(
        "The definitions of this gateway's own operations ($household, $data-quality, $summary).");
    return cs;
  }

  private static void security(
      CapabilityStatement.CapabilityStatementRestSecurityComponent security, String publicUrl) {
    Extension uris = new Extension(OAUTH_URIS);
    uris.addExtension("token", new UriType(publicUrl + "/oauth2/token"));
    security.addExtension(uris);
    security
        .addService(
            new CodeableConcept(
                new Coding(
                    "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "SMART-on-FHIR",
                    "SMART-on-FHIR")))
        .setDescription(
            "Bearer access tokens from "
                + publicUrl
                + "/oauth2/token (client credentials with a signed JWT assertion, RFC 7523, as"
                + " SMART Backend Services); consent tokens in X-Consent-Token; break-glass reason"
                + " in X-Emergency-Reason with purpose ETREAT.");
  }

  private static void patient(
      CapabilityStatement.CapabilityStatementRestResourceComponent patient, String publicUrl) {
    patient.setDocumentation(
        "A person, addressed by NHS number: Patient/{nhsNumber}. Only what the agreements release"
            + " of the person's Patient, obligations applied.");
    patient.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.READ);
    patient
        .addInteraction()
        .setCode(CapabilityStatement.TypeRestfulInteraction.SEARCHTYPE)
        .setDocumentation("By NHS number only: identifier=" + Fhir.NHS_NUMBER_SYSTEM + "|{nhs}");
    patient
        .addSearchParam()
        .setName("identifier")
        .setDefinition("http://hl7.org/fhir/SearchParameter/Patient-identifier")
        .setType(Enumerations.SearchParamType.TOKEN)
        .setDocumentation(
            "Exactly one, with the system "
                + Fhir.NHS_NUMBER_SYSTEM
                + "; any other search parameter is refused (400)");
    // $everything and $match are the core specification's; $export is the Bulk Data IG's.
    patient
        .addOperation()
        .setName("everything")
        .setDefinition("http://hl7.org/fhir/OperationDefinition/Patient-everything")
        .setDocumentation(
            "The person-level view by NHS number, GET or POST (Parameters); _type and _since"
                + " narrow it, no other parameter is taken.");
    patient
        .addOperation()
        .setName("household")
        .setDefinition(OperationDefinitions.url(publicUrl, OperationDefinitions.HOUSEHOLD))
        .setDocumentation(
            "The person's household on a day (date=YYYY-MM-DD, default today), GET only.");
    patient
        .addOperation()
        .setName("data-quality")
        .setDefinition(OperationDefinitions.url(publicUrl, OperationDefinitions.DATA_QUALITY))
        .setDocumentation(
            "The sources' records of the person checked and compared, GET or POST; releases"
                + " nothing.");
    patient
        .addOperation()
        .setName("match")
        .setDefinition("http://hl7.org/fhir/OperationDefinition/Patient-match")
        .setDocumentation("Tracing: an NHS number from demographics, POST a Parameters body.");
    patient
        .addOperation()
        .setName("export")
        .setDefinition("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export")
        .setDocumentation(
            "Bulk Data export of the people the caller's agreements allow (Prefer: respond-async);"
                + " status and files as for Group/[id]/$export.");
  }

  private static void group(
      CapabilityStatement.CapabilityStatementRestResourceComponent group, String publicUrl) {
    group.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.CREATE);
    group.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.READ);
    group.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.DELETE);
    group.setDocumentation(
        "A cohort: a Group of type person whose members are NHS numbers; only its organisation"
            + " sees it.");
    group
        .addOperation()
        .setName("export")
        .setDefinition("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export")
        .setDocumentation(
            "Bulk Data export of the cohort under the agreements (Prefer: respond-async; _type,"
                + " _since): 202 with Content-Location /fhir/bulk-status/{job}; GET it for"
                + " progress (202) or the manifest (200), DELETE it to cancel; the manifest's"
                + " files at /fhir/bulk-files/{job}/{file} (application/fhir+ndjson), with the"
                + " same bearer token.");
    group
        .addOperation()
        .setName("summary")
        .setDefinition(OperationDefinitions.url(publicUrl, OperationDefinitions.SUMMARY))
        .setDocumentation(
            "Population figures by sex, age band and condition category, small numbers"
                + " suppressed; runs as a job like $export.");
  }

  private static void subscription(
      CapabilityStatement.CapabilityStatementRestResourceComponent subscription) {
    subscription.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.CREATE);
    subscription.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.READ);
    subscription.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.DELETE);
    subscription.setDocumentation(
        "Change notifications (rest-hook, application/fhir+json payload) for a cohort or the"
            + " client's care relationships; subscriber clients only.");
  }

  public void capability(RoutingContext ctx) {
    Outcomes.sendEncoded(ctx, 200, capability.get(FhirFormat.of(ctx)));
  }

  public void openapi(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/yaml; charset=utf-8").end(openapi);
  }
}
