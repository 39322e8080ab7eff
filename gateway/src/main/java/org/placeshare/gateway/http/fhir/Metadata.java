package org.placeshare.gateway.http.fhir;

import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Enumerations;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.http.edge.Outcomes;

/**
 * What the gateway serves: a FHIR {@code CapabilityStatement} at {@code /fhir/metadata} for the
 * person-level view, and an OpenAPI 3 document at {@code /openapi.yaml} for everything else.
 */
public final class Metadata {

  private final String capability;
  private final String openapi;

  public Metadata(String publicUrl) {
    CapabilityStatement cs = new CapabilityStatement();
    cs.setStatus(Enumerations.PublicationStatus.ACTIVE);
    cs.setDate(new Date());
    cs.setKind(CapabilityStatement.CapabilityStatementKind.INSTANCE);
    cs.setFhirVersion(Enumerations.FHIRVersion._4_0_1);
    cs.addFormat("json");
    cs.getSoftware().setName("Placeshare gateway");
    cs.getImplementation()
        .setDescription("Placeshare cross-agency gateway")
        .setUrl(publicUrl + "/fhir");
    var rest = cs.addRest().setMode(CapabilityStatement.RestfulCapabilityMode.SERVER);
    rest.getSecurity()
        .addService(
            new CodeableConcept(
                new Coding(
                    "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "OAuth",
                    "OAuth")))
        .setDescription(
            "Bearer access tokens from "
                + publicUrl
                + "/oauth2/token (client credentials with a"
                + " signed JWT assertion, RFC 7523); consent tokens in X-Consent-Token; break-glass"
                + " reason in X-Emergency-Reason with purpose ETREAT.");
    var patient = rest.addResource().setType("Patient");
    patient
        .addOperation()
        .setName("everything")
        .setDefinition("http://hl7.org/fhir/OperationDefinition/Patient-everything")
        .setDocumentation("The person-level view by NHS number; _type and _since narrow it.");
    patient
        .addOperation()
        .setName("household")
        .setDefinition(publicUrl + "/fhir/OperationDefinition/Patient-household")
        .setDocumentation(
            "The person's household on a day (date=YYYY-MM-DD, default today): a Group of the"
                + " people shown and each one's view, every member decided on their own.");
    patient
        .addOperation()
        .setName("data-quality")
        .setDefinition(publicUrl + "/fhir/OperationDefinition/Patient-data-quality")
        .setDocumentation(
            "The sources' records of the person checked and compared; releases nothing.");
    var group = rest.addResource().setType("Group");
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
                + " _since); status at /fhir/bulk-status/{job}, files at /fhir/bulk-files/{job}.");
    group
        .addOperation()
        .setName("summary")
        .setDefinition(publicUrl + "/fhir/OperationDefinition/Group-summary")
        .setDocumentation(
            "Population figures by sex, age band and condition category, small numbers"
                + " suppressed; runs as a job like $export.");
    this.capability = Fhir.encode(cs);
    try (InputStream in = Metadata.class.getResourceAsStream("/openapi.yaml")) {
      this.openapi = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("openapi.yaml is missing from the build", e);
    }
  }

  public void capability(RoutingContext ctx) {
    Outcomes.sendFhir(ctx.response().setStatusCode(200), capability);
  }

  public void openapi(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/yaml; charset=utf-8").end(openapi);
  }
}
