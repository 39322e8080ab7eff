package org.placeshare.gateway.http.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Date;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.AuditRecord;

/**
 * Audit events as FHIR R4 {@code AuditEvent}s in the shape of IHE Basic Audit Log Patterns (BALP),
 * for partners' audit repositories: who (client, user, organisation), why (purpose of use), what
 * (the patient by NHS number), the outcome, and the agreements in {@code entity.detail}.
 */
final class AuditFhir {

  static final String DICOM = "http://dicom.nema.org/resources/ontology/DCM";
  static final String RESTFUL = "http://hl7.org/fhir/restful-interaction";
  static final String PURPOSE = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
  static final String PARTICIPANT =
      "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
  static final String OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role";
  static final String EVENT_ID = "urn:placeshare:audit-event";

  private AuditFhir() {}

  static Bundle bundle(Iterable<AuditRecord> records, String gateway) {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.COLLECTION);
    for (AuditRecord r : records) {
      bundle.addEntry().setFullUrl("urn:uuid:" + r.eventId()).setResource(event(r, gateway));
    }
    return bundle;
  }

  static AuditEvent event(AuditRecord r, String gateway) {
    AuditEvent e = new AuditEvent();
    e.setId(r.eventId());
    e.setType(new Coding(DICOM, "110110", "Patient Record"));
    e.addSubtype(new Coding(RESTFUL, "search-type", "search"));
    e.setAction(AuditEventAction.E);
    e.setRecorded(Date.from(r.recordedAt()));
    e.setOutcome(
        switch (r.outcome()) {
          case "permitted", "evaluated" -> AuditEventOutcome._0;
          case "refused" -> AuditEventOutcome._4;
          default -> AuditEventOutcome._8;
        });
    e.setOutcomeDesc(r.action() + " " + r.outcome() + " (HTTP " + r.httpStatus() + ")");
    if (r.purpose() != null) {
      e.addPurposeOfEvent(new CodeableConcept(new Coding(PURPOSE, r.purpose(), null)));
    }
    var agent = e.addAgent().setRequestor(true);
    agent.setType(new CodeableConcept(new Coding(PARTICIPANT, "humanuser", "human user")));
    if (r.userId() != null) {
      agent.setWho(new Reference().setIdentifier(new Identifier().setValue(r.userId())));
      agent.setAltId(r.clientId());
    }
    if (r.userRole() != null) {
      agent.addRole(new CodeableConcept(new Coding(null, r.userRole(), null)));
    }
    if (r.organisation() != null) {
      e.addAgent()
          .setRequestor(false)
          .setType(new CodeableConcept(new Coding(PARTICIPANT, "dataprocessor", "data processor")))
          .setWho(
              new Reference()
                  .setIdentifier(
                      new Identifier().setSystem(Fhir.ODS_SYSTEM).setValue(r.organisation())));
    }
    e.getSource()
        .setSite(gateway)
        .setObserver(new Reference().setDisplay("Placeshare gateway"))
        .addType(
            new Coding(
                "http://terminology.hl7.org/CodeSystem/security-source-type",
                "4",
                "Application Server"));
    if (r.nhsNumber() != null) {
      var patient = e.addEntity();
      patient.setWhat(
          new Reference()
              .setIdentifier(
                  new Identifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(r.nhsNumber())));
      patient.setRole(new Coding(OBJECT_ROLE, "1", "Patient"));
      for (Object d : r.detail().getJsonArray("decisions", new JsonArray())) {
        if (d instanceof JsonObject decision && decision.getString("agreement") != null) {
          patient
              .addDetail()
              .setType("agreement")
              .setValue(
                  new StringType(
                      decision.getString("source") + ": " + decision.getString("agreement")));
        }
      }
    }
    e.addEntity()
        .setWhat(
            new Reference()
                .setIdentifier(new Identifier().setSystem(EVENT_ID).setValue(r.eventId())))
        .setDescription("request " + r.requestId() + ", log index " + r.leafIndex());
    return e;
  }
}
