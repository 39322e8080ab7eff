package org.placeshare.gateway.http.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentComponent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventEntityComponent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Coding;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.AuditRecord;

/**
 * The audit search's FHIR AuditEvents (issue 21): each kind of event is valid FHIR R4 by HAPI's
 * validator (base R4: the BALP package is not available offline, so its profile URLs and codes are
 * asserted here) and carries the BALP type, subtype, agents and entities.
 */
class AuditFhirBalpTest {

  static final String GATEWAY = "https://gateway.placeshare.example";
  static final String NHS = "9990000018";
  static final String SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  static FhirValidator validator;

  @BeforeAll
  static void validator() {
    var context = Fhir.context();
    ValidationSupportChain chain =
        new ValidationSupportChain(
            new DefaultProfileValidationSupport(context),
            new InMemoryTerminologyServerValidationSupport(context),
            new CommonCodeSystemsTerminologyService(context));
    validator = context.newValidator().registerValidatorModule(new FhirInstanceValidator(chain));
  }

  private static AuditRecord record(
      String action, String outcome, int status, String purpose, boolean emergency, JsonObject d) {
    return new AuditRecord(
        41,
        "6f0a9a4e-8b0e-4c61-9d6a-0c1f6c2b7a11",
        Instant.parse("2026-03-01T10:15:30Z"),
        "2b1d7c8e-0f7a-4a55-b0a3-3c0b7d9e5f20",
        action,
        outcome,
        status,
        NHS,
        "E08000026",
        "council-app",
        "analyst",
        "social-worker",
        purpose,
        emergency,
        d);
  }

  private static JsonObject decision(String effect, String consent, String... refusals) {
    return new JsonObject()
        .put("source", "gp")
        .put("effect", effect)
        .put("agreement", effect.equals("permit") ? "coventry-direct-care@1" : null)
        .put("refusals", new JsonArray(List.of(refusals)))
        .put("consent", consent);
  }

  private static JsonObject released(JsonObject decision) {
    return new JsonObject()
        .put("decisions", new JsonArray().add(decision))
        .put("released", new JsonObject().put("gp", new JsonArray().add("Condition/c1")))
        .put("releasedCount", 1)
        .put("tokenId", "jti-7d2c")
        .put(
            "sent",
            new JsonObject()
                .put("sha256", SHA_ABC)
                .put("bytes", 3)
                .put("mediaType", "application/fhir+json"));
  }

  /**
   * Valid FHIR R4: no error or fatal message from HAPI's validator, but for the one it must give
   * offline: the BALP profile named in {@code meta.profile} cannot be fetched, so it is not
   * checked.
   */
  private static void assertValid(AuditEvent e) {
    String json = Fhir.encode(e);
    List<String> errors =
        validator.validateWithResult(json).getMessages().stream()
            .filter(
                m ->
                    m.getSeverity() == ResultSeverityEnum.ERROR
                        || m.getSeverity() == ResultSeverityEnum.FATAL)
            .filter(
                m ->
                    !("Validation_VAL_Profile_Unknown".equals(m.getMessageId())
                        && m.getMessage().contains(AuditFhir.BALP)))
            .map(SingleValidationMessage::toString)
            .toList();
    assertThat(errors).as(json).isEmpty();
  }

  private static AuditEventAgentComponent agent(AuditEvent e, String system, String code) {
    return e.getAgent().stream()
        .filter(a -> a.getType().hasCoding(system, code))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no agent " + system + "#" + code));
  }

  private static AuditEventEntityComponent entity(AuditEvent e, String system, String code) {
    return e.getEntity().stream()
        .filter(x -> system.equals(x.getType().getSystem()) && code.equals(x.getType().getCode()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no entity " + system + "#" + code));
  }

  private static String profile(AuditEvent e) {
    return e.getMeta().getProfile().get(0).getValue();
  }

  private static void assertCommonBalp(AuditEvent e) {
    assertThat(e.getPurposeOfEvent()).isNotEmpty();
    assertThat(e.getPurposeOfEventFirstRep().getCodingFirstRep().getSystem())
        .isEqualTo("http://terminology.hl7.org/CodeSystem/v3-ActReason");
    AuditEventEntityComponent patient =
        entity(e, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "1");
    assertThat(patient.getWhat().getReference()).isEqualTo("Patient/" + NHS);
    assertThat(patient.getWhat().getIdentifier().getSystem()).isEqualTo(Fhir.NHS_NUMBER_SYSTEM);
    assertThat(patient.getWhat().getIdentifier().getValue()).isEqualTo(NHS);
    assertThat(patient.getRole().getSystem())
        .isEqualTo("http://terminology.hl7.org/CodeSystem/object-role");
    assertThat(patient.getRole().getCode()).isEqualTo("1");
    AuditEventEntityComponent transaction =
        entity(
            e, "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType", "XrequestId");
    assertThat(transaction.getWhat().getIdentifier().getValue())
        .isEqualTo("2b1d7c8e-0f7a-4a55-b0a3-3c0b7d9e5f20");
  }

  @Test
  void patientRead_isBalpPatientRead_restRead_withUserClientAndServerAgents() {
    AuditRecord r =
        record(
            "read-patient", "permitted", 200, "HOPERAT", false, released(decision("permit", null)));

    AuditEvent e = AuditFhir.event(r, GATEWAY);

    assertValid(e);
    assertThat(profile(e))
        .isEqualTo(
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead");
    assertThat(e.getType().getSystem())
        .isEqualTo("http://terminology.hl7.org/CodeSystem/audit-event-type");
    assertThat(e.getType().getCode()).isEqualTo("rest");
    assertThat(e.getSubtypeFirstRep().getSystem())
        .isEqualTo("http://hl7.org/fhir/restful-interaction");
    assertThat(e.getSubtype()).extracting(Coding::getCode).containsExactly("read");
    assertThat(e.getAction()).isEqualTo(AuditEvent.AuditEventAction.R);
    assertCommonBalp(e);
    AuditEventAgentComponent user =
        agent(e, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP");
    assertThat(user.getRequestor()).isTrue();
    assertThat(user.getPolicy().get(0).getValue()).isEqualTo("jti-7d2c");
    assertThat(user.getRoleFirstRep().getCodingFirstRep().getCode()).isEqualTo("social-worker");
    assertThat(user.getRoleFirstRep().getCodingFirstRep().getSystem()).isEqualTo(AuditFhir.ROLE);
    String dicom = "http://dicom.nema.org/resources/ontology/DCM";
    assertThat(agent(e, dicom, "110153").getWho().getIdentifier().getValue())
        .isEqualTo("council-app");
    assertThat(agent(e, dicom, "110152").getNetwork().getAddress()).isEqualTo(GATEWAY);
  }

  @Test
  void personView_isAPatientRead_withTheOperationSubtype() {
    AuditRecord r =
        record(
            "read-person-view",
            "permitted",
            200,
            "HOPERAT",
            false,
            released(decision("permit", null)));

    AuditEvent e = AuditFhir.event(r, GATEWAY);

    assertValid(e);
    assertThat(profile(e)).isEqualTo(AuditFhir.PATIENT_READ);
    assertThat(e.getSubtype()).extracting(Coding::getCode).containsExactly("read", "operation");
  }

  @Test
  void patientSearch_isBalpPatientQuery_withTheQueryEntity() {
    AuditRecord r =
        record(
            "search-patient", "permitted", 200, "TREAT", false, released(decision("permit", null)));

    AuditEvent e = AuditFhir.event(r, GATEWAY);

    assertValid(e);
    assertThat(profile(e))
        .isEqualTo(
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientQuery");
    assertThat(e.getType().getCode()).isEqualTo("rest");
    assertThat(e.getSubtypeFirstRep().getCode()).isEqualTo("search-type");
    assertThat(e.getAction()).isEqualTo(AuditEvent.AuditEventAction.E);
    assertCommonBalp(e);
    AuditEventEntityComponent query =
        e.getEntity().stream()
            .filter(x -> "24".equals(x.getRole().getCode()))
            .findFirst()
            .orElseThrow();
    assertThat(new String(query.getQuery(), StandardCharsets.UTF_8))
        .isEqualTo("Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + NHS);
  }

  @Test
  void release_alsoGivesAPrivacyDisclosureAtTheSource_withTheReferencesAndTheDigestSent() {
    AuditRecord r =
        record(
            "read-person-view",
            "permitted",
            200,
            "HOPERAT",
            false,
            released(decision("permit", null)));

    List<AuditEvent> events = AuditFhir.events(r, GATEWAY);

    assertThat(events).hasSize(2);
    AuditEvent d = events.get(1);
    assertValid(d);
    assertThat(profile(d))
        .isEqualTo(
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/"
                + "IHE.BasicAudit.PrivacyDisclosure.Source");
    String dicom = "http://dicom.nema.org/resources/ontology/DCM";
    assertThat(d.getType().getSystem()).isEqualTo(dicom);
    assertThat(d.getType().getCode()).isEqualTo("110106");
    assertThat(d.getSubtypeFirstRep().getSystem())
        .isEqualTo("http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle");
    assertThat(d.getSubtypeFirstRep().getCode()).isEqualTo("disclose");
    assertCommonBalp(d);
    assertThat(agent(d, dicom, "110152").getWho().getIdentifier().getValue())
        .isEqualTo("E08000026");
    assertThat(agent(d, dicom, "110153").getNetwork().getAddress()).isEqualTo(GATEWAY);
    assertThat(
            agent(d, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "CST")
                .getRequestor())
        .isFalse();
    assertThat(d.getEntity())
        .anySatisfy(x -> assertThat(x.getWhat().getReference()).isEqualTo("Condition/c1"));
    AuditEventEntityComponent body = entity(d, "http://hl7.org/fhir/resource-types", "Bundle");
    // RFC 6920: base64url of SHA-256("abc").
    assertThat(body.getWhat().getIdentifier().getValue())
        .isEqualTo("ni:///sha-256;ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    assertThat(body.getDetail())
        .anySatisfy(x -> assertThat(x.getValueStringType().getValue()).isEqualTo(SHA_ABC));
    assertThat(d.getIdPart()).isNotEqualTo(events.get(0).getIdPart());
  }

  @Test
  void refusal_isAnAuthorizationDecisionDeny_withItsReasons() {
    JsonObject detail =
        new JsonObject()
            .put("decisions", new JsonArray().add(decision("deny", null, "no_agreement")))
            .put("released", new JsonObject())
            .put("releasedCount", 0);
    AuditRecord r = record("read-person-view", "refused", 403, "TREAT", false, detail);

    List<AuditEvent> events = AuditFhir.events(r, GATEWAY);

    assertThat(events).hasSize(1);
    AuditEvent e = events.get(0);
    assertValid(e);
    assertThat(e.getType().getCode()).isEqualTo("110113");
    assertThat(e.getSubtypeFirstRep().getSystem())
        .isEqualTo("https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType");
    assertThat(e.getSubtypeFirstRep().getCode()).isEqualTo("AuthZ-Role");
    assertThat(e.getOutcome()).isEqualTo(AuditEvent.AuditEventOutcome._4);
    assertCommonBalp(e);
    assertThat(
            entity(e, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "1").getDetail())
        .anySatisfy(
            x -> {
              assertThat(x.getType()).isEqualTo("refusal");
              assertThat(x.getValueStringType().getValue()).isEqualTo("gp: no_agreement");
            });
  }

  @Test
  void permitOnConsent_givesTheAuthZconsentDecision_andNamesTheConsent() {
    AuditRecord r =
        record(
            "read-person-view",
            "permitted",
            200,
            "TREAT",
            false,
            released(decision("permit", "consent-42 by https://consent.example")));

    List<AuditEvent> events = AuditFhir.events(r, GATEWAY);

    assertThat(events).hasSize(3);
    AuditEvent c = events.get(2);
    assertValid(c);
    assertThat(profile(c))
        .isEqualTo(
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.AuthZconsent");
    assertThat(c.getType().getCode()).isEqualTo("110113");
    assertThat(c.getSubtypeFirstRep().getCode()).isEqualTo("AuthZ-Consent");
    assertThat(c.getOutcome()).isEqualTo(AuditEvent.AuditEventOutcome._0);
    assertThat(
            entity(c, "http://hl7.org/fhir/resource-types", "Consent")
                .getWhat()
                .getIdentifier()
                .getValue())
        .isEqualTo("consent-42 by https://consent.example");
  }

  @Test
  void breakGlass_carriesTheEmergencyFlagAndReason() {
    JsonObject detail =
        released(decision("permit", null)).put("emergencyReason", "unconscious in A&E");
    AuditRecord r = record("read-person-view", "permitted", 200, "ETREAT", true, detail);

    AuditEvent e = AuditFhir.event(r, GATEWAY);

    assertValid(e);
    assertThat(e.getPurposeOfEventFirstRep().getCodingFirstRep().getCode()).isEqualTo("ETREAT");
    assertThat(
            entity(e, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "1").getDetail())
        .extracting(x -> x.getType() + "=" + x.getValueStringType().getValue())
        .contains("emergency=true", "emergencyReason=unconscious in A&E");
  }

  @Test
  void tokenIssue_isUserAuthentication_login() {
    AuditRecord r =
        new AuditRecord(
            3,
            "0b4c1e0a-1d2e-4f3a-8b5c-6d7e8f9a0b1c",
            Instant.parse("2026-03-01T10:15:00Z"),
            "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
            "token-request",
            "permitted",
            200,
            null,
            "E08000026",
            "council-app",
            "analyst",
            "social-worker",
            "HOPERAT",
            false,
            new JsonObject().put("tokenId", "jti-7d2c"));

    AuditEvent e = AuditFhir.event(r, GATEWAY);

    assertValid(e);
    assertThat(e.getType().getCode()).isEqualTo("110114");
    assertThat(e.getSubtypeFirstRep().getCode()).isEqualTo("110122");
    assertThat(e.getPurposeOfEventFirstRep().getCodingFirstRep().getCode()).isEqualTo("HOPERAT");
    assertThat(
            agent(e, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP")
                .getPolicy()
                .get(0)
                .getValue())
        .isEqualTo("jti-7d2c");
  }

  @Test
  void bundle_ofEveryKind_isValidR4() {
    Bundle b =
        AuditFhir.bundle(
            List.of(
                record(
                    "search-patient",
                    "permitted",
                    200,
                    "TREAT",
                    false,
                    released(decision("permit", "consent-1 by x"))),
                record("audit-read", "permitted", 200, "HOPERAT", false, new JsonObject())),
            GATEWAY);

    assertThat(b.getEntry()).hasSize(4);
    b.getEntry().forEach(x -> assertValid((AuditEvent) x.getResource()));
  }

  @Test
  void validator_isLive_anEventWithoutItsRequiredTypeIsAnError() {
    AuditEvent e =
        AuditFhir.event(
            record("read-patient", "permitted", 200, "HOPERAT", false, new JsonObject()), GATEWAY);
    e.setType(null);

    assertThat(validator.validateWithResult(Fhir.encode(e)).getMessages())
        .anySatisfy(m -> assertThat(m.getSeverity()).isEqualTo(ResultSeverityEnum.ERROR));
  }
}
