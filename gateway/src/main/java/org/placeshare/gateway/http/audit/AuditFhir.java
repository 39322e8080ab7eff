package org.placeshare.gateway.http.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentComponent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentNetworkType;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventEntityComponent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.AuditRecord;
import org.placeshare.gateway.http.fhir.HouseholdView;
import org.placeshare.gateway.http.fhir.PatientRest;
import org.placeshare.gateway.http.fhir.PersonViewHandler;
import org.placeshare.gateway.http.oauth.TokenEndpoint;

/**
 * Audit records as FHIR R4 {@code AuditEvent}s following IHE Basic Audit Log Patterns (<a
 * href="https://profiles.ihe.net/ITI/BALP/">BALP</a>), for partners' audit repositories. Each
 * record gives its event by kind ({@link Kind}): a RESTful read or query with a patient, an
 * authorization decision (permit or deny), a token issue, or other application activity; a record
 * that released records also gives a {@code PrivacyDisclosure.Source} event naming the references
 * released and the digest of the body as sent. Every event carries the agents (user with coded role
 * and {@code policy} = token id, client, both with the client's network address, server with its
 * own), the patient (reference and NHS number), the request id as a transaction entity, {@code
 * purposeOfEvent}, and keeps the refusal reasons, the emergency flag and the consent relied on.
 */
final class AuditFhir {

  static final String BALP = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/";
  static final String PATIENT_READ = BALP + "IHE.BasicAudit.PatientRead";
  static final String PATIENT_QUERY = BALP + "IHE.BasicAudit.PatientQuery";
  static final String DISCLOSURE_SOURCE = BALP + "IHE.BasicAudit.PrivacyDisclosure.Source";
  static final String AUTHZ_CONSENT = BALP + "IHE.BasicAudit.AuthZconsent";

  static final String DICOM = "http://dicom.nema.org/resources/ontology/DCM";
  static final String EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type";
  static final String RESTFUL = "http://hl7.org/fhir/restful-interaction";
  static final String LIFECYCLE = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
  static final String AUTHZ_SUBTYPE = "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType";
  static final String BALP_ENTITY =
      "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
  static final String ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
  static final String OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role";
  static final String PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
  static final String RESOURCE_TYPES = "http://hl7.org/fhir/resource-types";
  static final String PURPOSE = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
  static final String SECURITY_ROLE =
      "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
  static final String SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type";

  /** The gateway's own names: roles, clients, actions and log entries are ours to code. */
  static final String ROLE = "urn:placeshare:role";

  static final String CLIENT = "urn:placeshare:client";
  static final String ACTION = "urn:placeshare:audit-action";
  static final String EVENT_ID = "urn:placeshare:audit-event";
  static final String CONSENT_ID = "urn:placeshare:consent";

  /** What kind of BALP event a record is, by its action and outcome. */
  enum Kind {
    PATIENT_READ,
    PATIENT_QUERY,
    AUTHZ_DENY,
    TOKEN_ISSUE,
    OTHER
  }

  private static final Set<String> READS =
      Set.of(
          PatientRest.READ_ACTION,
          PersonViewHandler.ACTION,
          HouseholdView.ACTION,
          HouseholdView.MEMBER_ACTION,
          "cohort-export",
          "data-quality");

  private static final Set<String> QUERIES = Set.of(PatientRest.SEARCH_ACTION, "match");

  private AuditFhir() {}

  static Bundle bundle(Iterable<AuditRecord> records, String gateway) {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.COLLECTION);
    for (AuditRecord r : records) {
      for (AuditEvent e : events(r, gateway)) {
        bundle.addEntry().setFullUrl("urn:uuid:" + e.getIdPart()).setResource(e);
      }
    }
    return bundle;
  }

  /** The record's event, then its disclosure and consent decision when it released records. */
  static List<AuditEvent> events(AuditRecord r, String gateway) {
    AuditEvent main = event(r, gateway);
    if (!released(r)) {
      return List.of(main);
    }
    AuditEvent disclosure = disclosure(r, gateway);
    return consent(r).isEmpty()
        ? List.of(main, disclosure)
        : List.of(main, disclosure, consentDecision(r, gateway));
  }

  static Kind kind(AuditRecord r) {
    if (r.action().equals(TokenEndpoint.ACTION)) {
      return Kind.TOKEN_ISSUE;
    }
    if (r.outcome().equals("refused") && r.nhsNumber() != null) {
      return Kind.AUTHZ_DENY;
    }
    if (r.nhsNumber() != null && READS.contains(r.action())) {
      return Kind.PATIENT_READ;
    }
    if (r.nhsNumber() != null && QUERIES.contains(r.action())) {
      return Kind.PATIENT_QUERY;
    }
    return Kind.OTHER;
  }

  /** The record's own event, typed by its kind. */
  static AuditEvent event(AuditRecord r, String gateway) {
    AuditEvent e = common(r, r.eventId(), gateway);
    switch (kind(r)) {
      case PATIENT_READ -> {
        e.getMeta().addProfile(PATIENT_READ);
        e.setType(new Coding(EVENT_TYPE, "rest", "Restful Operation"));
        e.addSubtype(new Coding(RESTFUL, "read", "read"));
        if (!r.action().equals(PatientRest.READ_ACTION)) {
          // $everything, $household, $data-quality and a bulk member: operations on the patient.
          e.addSubtype(new Coding(RESTFUL, "operation", "operation"));
        }
        e.setAction(AuditEventAction.R);
      }
      case PATIENT_QUERY -> {
        e.getMeta().addProfile(PATIENT_QUERY);
        e.setType(new Coding(EVENT_TYPE, "rest", "Restful Operation"));
        e.addSubtype(new Coding(RESTFUL, "search-type", "search type"));
        e.setAction(AuditEventAction.E);
        // The one query the gateway answers: Patient by NHS number (PatientRest).
        String query = "Patient?identifier=" + Fhir.NHS_NUMBER_SYSTEM + "|" + r.nhsNumber();
        e.addEntity()
            .setType(new Coding(ENTITY_TYPE, "2", "System Object"))
            .setRole(new Coding(OBJECT_ROLE, "24", "Query"))
            .setQuery(query.getBytes(StandardCharsets.UTF_8));
      }
      case AUTHZ_DENY -> {
        e.setType(new Coding(DICOM, "110113", "Security Alert"));
        e.addSubtype(authzSubtype(r));
        e.setAction(AuditEventAction.E);
      }
      case TOKEN_ISSUE -> {
        e.setType(new Coding(DICOM, "110114", "User Authentication"));
        e.addSubtype(new Coding(DICOM, "110122", "Login"));
        e.setAction(AuditEventAction.E);
      }
      case OTHER -> {
        e.setType(new Coding(DICOM, "110100", "Application Activity"));
        e.addSubtype(new Coding(ACTION, r.action(), null));
        e.setAction(AuditEventAction.E);
      }
    }
    // Every kind is a request: its user, client and server are the agents.
    restAgents(e, r, gateway);
    patient(e, r);
    transaction(e, r);
    return e;
  }

  /**
   * The disclosure at the source (BALP {@code PrivacyDisclosure.Source}): the gateway as custodian
   * and source, the requesting organisation as recipient, each reference released, and the digest
   * of the body as sent when the record has one.
   */
  static AuditEvent disclosure(AuditRecord r, String gateway) {
    AuditEvent e = common(r, derivedId(r, "disclosure"), gateway);
    e.getMeta().addProfile(DISCLOSURE_SOURCE);
    e.setType(new Coding(DICOM, "110106", "Export"));
    e.addSubtype(new Coding(LIFECYCLE, "disclose", "Disclose Record Lifecycle Event"));
    e.setAction(AuditEventAction.R);
    server(e, gateway, "110153", "Source Role ID");
    e.addAgent()
        .setType(concept(PARTICIPATION, "CST", "custodian"))
        .setWho(new Reference().setDisplay("Placeshare gateway"))
        .setRequestor(false);
    if (r.organisation() != null) {
      e.addAgent()
          .setType(concept(DICOM, "110152", "Destination Role ID"))
          .setWho(organisation(r))
          .setRequestor(false);
    }
    user(e, r);
    patient(e, r);
    JsonObject released = r.detail().getJsonObject("released", new JsonObject());
    for (String source : released.fieldNames()) {
      for (Object ref : released.getJsonArray(source)) {
        e.addEntity()
            .setWhat(new Reference(String.valueOf(ref)))
            .setType(new Coding(ENTITY_TYPE, "2", "System Object"))
            .setRole(new Coding(OBJECT_ROLE, "4", "Domain Resource"))
            .setDescription("from " + source);
      }
    }
    JsonObject sent = r.detail().getJsonObject("sent");
    if (sent != null) {
      byte[] sha256 = HexFormat.of().parseHex(sent.getString("sha256"));
      // RFC 6920 names the body by its hash: a disclosure is proven by bytes that hash to it.
      AuditEventEntityComponent body =
          e.addEntity()
              .setWhat(
                  new Reference()
                      .setIdentifier(
                          new Identifier()
                              .setSystem("urn:ietf:rfc:3986")
                              .setValue(
                                  "ni:///sha-256;"
                                      + Base64.getUrlEncoder()
                                          .withoutPadding()
                                          .encodeToString(sha256))))
              .setType(new Coding(RESOURCE_TYPES, "Bundle", "Bundle"))
              .setRole(new Coding(OBJECT_ROLE, "20", "Job"))
              .setDescription("the body as sent, " + sent.getString("mediaType"));
      body.addDetail().setType("sha256").setValue(new StringType(sent.getString("sha256")));
      body.addDetail().setType("bytes").setValue(new StringType(sent.getValue("bytes").toString()));
    }
    transaction(e, r);
    return e;
  }

  /** The permit that rested on a consent (BALP {@code AuthZconsent}). */
  static AuditEvent consentDecision(AuditRecord r, String gateway) {
    AuditEvent e = common(r, derivedId(r, "consent"), gateway);
    e.getMeta().addProfile(AUTHZ_CONSENT);
    e.setType(new Coding(DICOM, "110113", "Security Alert"));
    e.addSubtype(
        new Coding(
            AUTHZ_SUBTYPE, "AuthZ-Consent", "Authorization Decision using Roles and Consent"));
    e.setAction(AuditEventAction.E);
    restAgents(e, r, gateway);
    patient(e, r);
    transaction(e, r);
    return e;
  }

  /** What every event of the record shares: id, time, outcome, purpose, source, log entry. */
  private static AuditEvent common(AuditRecord r, String id, String gateway) {
    AuditEvent e = new AuditEvent();
    e.setId(id);
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
    e.getSource()
        .setSite(gateway)
        .setObserver(new Reference().setDisplay("Placeshare gateway"))
        .addType(new Coding(SOURCE_TYPE, "4", "Application Server"));
    e.addEntity()
        .setWhat(
            new Reference()
                .setIdentifier(new Identifier().setSystem(EVENT_ID).setValue(r.eventId())))
        .setType(new Coding(ENTITY_TYPE, "2", "System Object"))
        .setDescription("audit log index " + r.leafIndex());
    return e;
  }

  /**
   * A RESTful request's agents: the user (requestor), the client, the server. The client agent
   * carries the client's network address; a request from a client not known (no token) still has
   * one, naming only the address it came from.
   */
  private static void restAgents(AuditEvent e, AuditRecord r, String gateway) {
    user(e, r);
    if (r.clientId() != null) {
      network(
          e.addAgent()
              .setType(concept(DICOM, "110153", "Source Role ID"))
              .setWho(
                  new Reference()
                      .setIdentifier(new Identifier().setSystem(CLIENT).setValue(r.clientId())))
              .setRequestor(false),
          r);
    } else if (r.userId() == null && clientAddress(r) != null) {
      network(
          e.addAgent()
              .setType(concept(DICOM, "110153", "Source Role ID"))
              .setWho(new Reference().setDisplay("a client not identified"))
              .setRequestor(true),
          r);
    }
    if (r.organisation() != null) {
      e.addAgent()
          .setType(concept(SECURITY_ROLE, "dataprocessor", "data processor"))
          .setWho(organisation(r))
          .setRequestor(false);
    }
    server(e, gateway, "110152", "Destination Role ID");
  }

  private static void server(AuditEvent e, String gateway, String code, String display) {
    e.addAgent()
        .setType(concept(DICOM, code, display))
        .setWho(new Reference().setDisplay("Placeshare gateway"))
        .setRequestor(false)
        .getNetwork()
        .setAddress(gateway)
        .setType(AuditEventAgentNetworkType._5);
  }

  /** The person who asked: coded role, organisation, and the token's id as {@code policy}. */
  private static void user(AuditEvent e, AuditRecord r) {
    if (r.userId() == null && r.clientId() == null) {
      return;
    }
    AuditEventAgentComponent agent =
        e.addAgent()
            .setType(concept(PARTICIPATION, "IRCP", "information recipient"))
            .setRequestor(true);
    agent.setWho(
        new Reference()
            .setIdentifier(
                new Identifier()
                    .setSystem(r.userId() == null ? CLIENT : CLIENT + ":" + r.clientId())
                    .setValue(r.userId() == null ? r.clientId() : r.userId())));
    if (r.clientId() != null) {
      agent.setAltId(r.clientId());
    }
    network(agent, r);
    if (r.userRole() != null) {
      agent.addRole(concept(ROLE, r.userRole(), null));
    }
    String tokenId = r.detail().getString("tokenId");
    if (tokenId != null) {
      agent.addPolicy(tokenId);
    }
  }

  /**
   * The client's network address (BALP {@code agent.network}, type 2: IP address), as the gateway
   * saw the TCP peer; events recorded before the gateway kept it have none.
   */
  private static void network(AuditEventAgentComponent agent, AuditRecord r) {
    String address = clientAddress(r);
    if (address != null) {
      agent.getNetwork().setAddress(address).setType(AuditEventAgentNetworkType._2);
    }
  }

  private static String clientAddress(AuditRecord r) {
    return r.detail().getString("clientAddress");
  }

  /** The patient: reference and NHS number; refusals, agreements and emergency in its details. */
  private static void patient(AuditEvent e, AuditRecord r) {
    if (r.nhsNumber() == null) {
      return;
    }
    AuditEventEntityComponent patient =
        e.addEntity()
            .setWhat(
                new Reference("Patient/" + r.nhsNumber())
                    .setIdentifier(
                        new Identifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(r.nhsNumber())))
            .setType(new Coding(ENTITY_TYPE, "1", "Person"))
            .setRole(new Coding(OBJECT_ROLE, "1", "Patient"));
    for (JsonObject d : decisions(r)) {
      String source = d.getString("source");
      if (d.getString("agreement") != null) {
        patient
            .addDetail()
            .setType("agreement")
            .setValue(new StringType(source + ": " + d.getString("agreement")));
      }
      for (Object refusal : d.getJsonArray("refusals", new JsonArray())) {
        patient.addDetail().setType("refusal").setValue(new StringType(source + ": " + refusal));
      }
    }
    if (r.emergency()) {
      patient.addDetail().setType("emergency").setValue(new StringType("true"));
    }
    String reason = r.detail().getString("emergencyReason");
    if (reason != null) {
      patient.addDetail().setType("emergencyReason").setValue(new StringType(reason));
    }
    for (String consent : consent(r)) {
      e.addEntity()
          .setWhat(
              new Reference()
                  .setIdentifier(new Identifier().setSystem(CONSENT_ID).setValue(consent)))
          .setType(new Coding(RESOURCE_TYPES, "Consent", "Consent"))
          .setRole(new Coding(OBJECT_ROLE, "13", "Security Resource"))
          .setDescription("the consent the permit rests on");
    }
  }

  /** The request id as BALP's transaction entity (X-Request-Id). */
  private static void transaction(AuditEvent e, AuditRecord r) {
    if (r.requestId() == null) {
      return;
    }
    e.addEntity()
        .setWhat(new Reference().setIdentifier(new Identifier().setValue(r.requestId())))
        .setType(new Coding(BALP_ENTITY, "XrequestId", "X-Request-Id"));
  }

  private static Coding authzSubtype(AuditRecord r) {
    return consent(r).isEmpty()
        ? new Coding(AUTHZ_SUBTYPE, "AuthZ-Role", "Authorization Decision using only Roles")
        : new Coding(
            AUTHZ_SUBTYPE, "AuthZ-Consent", "Authorization Decision using Roles and Consent");
  }

  private static boolean released(AuditRecord r) {
    return r.outcome().equals("permitted") && r.detail().getInteger("releasedCount", 0) > 0;
  }

  private static List<String> consent(AuditRecord r) {
    return decisions(r).stream()
        .map(d -> d.getString("consent"))
        .filter(c -> c != null)
        .distinct()
        .toList();
  }

  private static List<JsonObject> decisions(AuditRecord r) {
    return r.detail().getJsonArray("decisions", new JsonArray()).stream()
        .filter(JsonObject.class::isInstance)
        .map(JsonObject.class::cast)
        .toList();
  }

  private static Reference organisation(AuditRecord r) {
    return new Reference().setIdentifier(organisationId(r));
  }

  private static Identifier organisationId(AuditRecord r) {
    return new Identifier().setSystem(Fhir.ODS_SYSTEM).setValue(r.organisation());
  }

  /** A second event of the same record: a stable UUID named by the record and the event's role. */
  private static String derivedId(AuditRecord r, String role) {
    return UUID.nameUUIDFromBytes((r.eventId() + "/" + role).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  private static CodeableConcept concept(String system, String code, String display) {
    return new CodeableConcept(new Coding(system, code, display));
  }
}
