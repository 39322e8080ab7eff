package org.placeshare.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** One test per reason a decision can be denied, and the permits around them. */
class PolicySetTest {

  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private static final NhsNumber PERSON = NhsNumber.parse("9990000018");
  private static final NhsNumber OTHER = NhsNumber.parse("9990000026");
  private static final OdsCode GP = OdsCode.of("Y90001");
  private static final OdsCode AE = OdsCode.of("R9A");
  private static final OdsCode COUNCIL = OdsCode.of("E08000026");

  private static PolicySet policy(String... yamls) {
    return PolicySet.of(List.of(yamls).stream().map(AgreementFileTest::parse).toList());
  }

  private static DecisionRequest clinician(String purpose) {
    return DecisionRequest.of(AE, "clinician", PurposeOfUse.of(purpose), PERSON, GP, NOW);
  }

  private static DecisionRequest analyst() {
    return DecisionRequest.of(COUNCIL, "analyst", PurposeOfUse.of("HOPERAT"), PERSON, GP, NOW);
  }

  private static Consent consent(OdsCode issuer, NhsNumber patient, String purpose) {
    return new Consent(
        "c-1",
        issuer,
        patient,
        Set.of(AE),
        Set.of(PurposeOfUse.of(purpose)),
        Set.of(Consent.ALL_DATA),
        ConsentMethod.WRITTEN,
        "gp-reception-1",
        Instant.parse("2026-11-01T00:00:00Z"),
        Instant.parse("2027-11-01T00:00:00Z"));
  }

  private static PatientFacts facts(boolean optedOut, boolean restricted) {
    return new PatientFacts(optedOut, restricted, Optional.empty(), Set.of());
  }

  private static String only(Decision d) {
    assertThat(d.permitted()).isFalse();
    assertThat(d.resourceTypes()).isEmpty();
    assertThat(d.reasons()).hasSize(1);
    return d.reasons().get(0);
  }

  // --- permits ---

  @Test
  void decide_consentFits_permitsWithEveryCheckInWords() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(clinician("TREAT").withConsents(List.of(consent(GP, PERSON, "TREAT"))));

    assertThat(d.permitted()).isTrue();
    assertThat(d.emergency()).isFalse();
    assertThat(d.agreement()).map(Agreement::reference).hasValue("coventry-direct-care@1");
    assertThat(d.reasons())
        .containsExactly(
            "coventry-direct-care@1 permits R9A to receive [AllergyIntolerance, Condition, Encounter, MedicationStatement, Patient] from Y90001 for TREAT",
            "active from 2026-01-01 to 2028-12-31",
            "R9A is a recipient and role 'clinician' is allowed",
            "purpose TREAT is allowed",
            "the national data opt-out does not apply to direct care",
            "consent c-1 (written) covers this request");
    assertThat(d.obligations().confidentiality()).hasValue("R");
  }

  @Test
  void decide_sourceHoldingCriminalOffenceData_isRefusedUnlessTheAgreementNamesTheCategory() {
    DecisionRequest police =
        clinician("TREAT")
            .withConsents(List.of(consent(GP, PERSON, "TREAT")))
            .withProviderHolds(Set.of(SensitiveCategory.CRIMINAL_OFFENCE));
    String named =
        AgreementFileTest.good()
            .replace(
                "  resourceTypes: [Patient,",
                "  sensitive: [criminal-offence]\n  resourceTypes: [Patient,");

    Decision unnamed = policy(AgreementFileTest.good()).decide(police);
    Decision permitted = policy(named).decide(police);

    // Even the source's Patient would say the person is known to the police: nothing of it.
    assertThat(unnamed.permitted()).isFalse();
    assertThat(unnamed.refusals()).containsExactly(Refusal.SENSITIVE_SOURCE_NOT_NAMED);
    assertThat(unnamed.reasons())
        .anyMatch(r -> r.contains("criminal-offence data, which this agreement does not name"));
    assertThat(permitted.permitted()).isTrue();
  }

  @Test
  void decide_emergencyWithReason_permitsAndFlagsForReview() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(clinician("ETREAT").withEmergencyReason(Optional.of("collapsed in A&E")));

    assertThat(d.permitted()).isTrue();
    assertThat(d.emergency()).isTrue();
    assertThat(d.reviewRequired()).isTrue();
    assertThat(d.reasons())
        .contains("emergency access with a stated reason, flagged for IG review");
  }

  @Test
  void decide_consentForAnotherPersonButEmergencyStated_fallsBackToEmergency() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(
                clinician("ETREAT")
                    .withConsents(List.of(consent(GP, OTHER, "ETREAT")))
                    .withEmergencyReason(Optional.of("unconscious")));

    assertThat(d.permitted()).isTrue();
    assertThat(d.emergency()).isTrue();
  }

  @Test
  void decide_restrictedRecordForDirectCare_permitsWhereTheAgreementReleasesIt() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(
                clinician("ETREAT")
                    .withFacts(facts(false, true))
                    .withEmergencyReason(Optional.of("collapsed")));

    assertThat(d.permitted()).isTrue();
    assertThat(d.reasons())
        .contains("restricted record released for direct care, as the agreement allows");
  }

  @Test
  void decide_councilPlanning_permitsWithObligations() {
    Decision d = policy(AgreementFileTest.council()).decide(analyst());

    assertThat(d.permitted()).isTrue();
    assertThat(d.reasons())
        .contains(
            "no national data opt-out is registered",
            "consent is not the basis (Article 6(1)(e), Article 9(2)(h), overriding-public-interest)",
            "pilot volume today 0 of 200");
    assertThat(d.obligations().generalise())
        .containsEntry("Patient.birthDate", Generalisation.YEAR);
  }

  // --- one test per refusal ---

  @Test
  void decide_noAgreementForProviderAndRecipient_deniesByDefault() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(clinician("TREAT").withProvider(OdsCode.of("X99999")));

    assertThat(only(d)).isEqualTo("no agreement lets R9A receive records from X99999");
    assertThat(d.refusals()).containsExactly(Refusal.NO_AGREEMENT);
  }

  @Test
  void decide_recipientNotNamed_deniesByDefault() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(DecisionRequest.of(COUNCIL, "analyst", PurposeOfUse.TREAT, PERSON, GP, NOW));

    assertThat(only(d)).isEqualTo("no agreement lets E08000026 receive records from Y90001");
  }

  @Test
  void decide_suspendedAgreement_denies() {
    Decision d =
        policy(AgreementFileTest.good().replace("status: active", "status: suspended"))
            .decide(clinician("ETREAT").withEmergencyReason(Optional.of("x")));

    assertThat(only(d))
        .isEqualTo("coventry-direct-care@1: status is suspended, which permits nothing");
    assertThat(d.refusals()).containsExactly(Refusal.NOT_IN_FORCE);
  }

  @Test
  void decide_draftAgreement_denies() {
    String draft =
        AgreementFileTest.good()
            .replace("status: active", "status: draft")
            .replaceAll("(?s)signatories:.*?\n\n", "\n");

    Decision d = policy(draft).decide(clinician("ETREAT").withEmergencyReason(Optional.of("x")));

    assertThat(only(d)).isEqualTo("coventry-direct-care@1: status is draft, which permits nothing");
  }

  @Test
  void decide_afterExpiry_denies() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(
                DecisionRequest.of(
                        AE,
                        "clinician",
                        PurposeOfUse.EMERGENCY_TREATMENT,
                        PERSON,
                        GP,
                        Instant.parse("2029-01-01T00:00:00Z"))
                    .withEmergencyReason(Optional.of("x")));

    assertThat(only(d))
        .isEqualTo("coventry-direct-care@1: not in force on 2029-01-01 (2026-01-01 to 2028-12-31)");
  }

  @Test
  void decide_roleNotAllowed_denies() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(DecisionRequest.of(AE, "receptionist", PurposeOfUse.TREAT, PERSON, GP, NOW));

    assertThat(only(d))
        .isEqualTo("coventry-direct-care@1: role 'receptionist' is not allowed for R9A");
    assertThat(d.refusals()).containsExactly(Refusal.ROLE_NOT_ALLOWED);
  }

  @Test
  void decide_purposeNotAllowed_denies() {
    Decision d = policy(AgreementFileTest.good()).decide(clinician("HOPERAT"));

    assertThat(only(d)).isEqualTo("coventry-direct-care@1: purpose HOPERAT is not allowed");
  }

  @Test
  void decide_outsidePilotCohort_denies() {
    String pilot =
        AgreementFileTest.council()
            .replace(
                "  dailyVolume: 200", "  cohort: [\"9990000026\"]\n  postcodeDistricts: [CV1]");

    PolicySet set = policy(pilot);
    Decision outside = set.decide(analyst());
    Decision byDistrict =
        set.decide(
            analyst().withFacts(new PatientFacts(false, false, Optional.of("CV1"), Set.of())));

    assertThat(only(outside))
        .isEqualTo("gm-connect-council-intelligence@1: the person is outside the pilot cohort");
    assertThat(byDistrict.permitted()).isTrue();
  }

  @Test
  void decide_restrictedRecordOutsideDirectCare_denies() {
    Decision d =
        policy(AgreementFileTest.council()).decide(analyst().withFacts(facts(false, true)));

    assertThat(only(d))
        .isEqualTo(
            "gm-connect-council-intelligence@1: the person has a restricted record (S-flag) and this agreement withholds it");
    assertThat(d.refusals()).containsExactly(Refusal.RESTRICTED_RECORD);
  }

  @Test
  void decide_restrictedRecordWhereAgreementWithholds_deniesEvenForCare() {
    String withhold =
        AgreementFileTest.good()
            .replace("restrictedRecords: release", "restrictedRecords: withhold");

    Decision d =
        policy(withhold)
            .decide(
                clinician("ETREAT")
                    .withFacts(facts(false, true))
                    .withEmergencyReason(Optional.of("x")));

    assertThat(d.refusals()).containsExactly(Refusal.RESTRICTED_RECORD);
  }

  @Test
  void decide_nationalOptOutForPlanning_denies() {
    Decision d =
        policy(AgreementFileTest.council()).decide(analyst().withFacts(facts(true, false)));

    assertThat(only(d))
        .isEqualTo(
            "gm-connect-council-intelligence@1: the person has registered a national data opt-out and HOPERAT is not care");
    assertThat(d.refusals()).containsExactly(Refusal.NATIONAL_OPT_OUT);
  }

  @Test
  void decide_flaggedPersonInTheCallersOwnSource_isPermittedAsForAnyone() {
    DecisionRequest own =
        DecisionRequest.of(COUNCIL, "analyst", PurposeOfUse.of("HOPERAT"), PERSON, COUNCIL, NOW);
    PolicySet set = policy(AgreementFileTest.council());

    Decision optedOut = set.decide(own.withFacts(facts(true, false)));
    Decision restricted = set.decide(own.withFacts(facts(false, true)));

    assertThat(optedOut.permitted()).isTrue();
    assertThat(optedOut.reasons())
        .contains(
            "a national data opt-out does not withhold from E08000026 the records it holds itself");
    assertThat(restricted.permitted()).isTrue();
    assertThat(restricted.reasons())
        .contains(
            "a restricted record (S-flag) does not withhold from E08000026 the records it holds itself");
    // Another organisation's records stay withheld for the flag.
    assertThat(set.decide(analyst().withFacts(facts(true, false))).refusals())
        .containsExactly(Refusal.NATIONAL_OPT_OUT);
  }

  @Test
  void decide_nationalOptOutForDirectCare_doesNotApply() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(
                clinician("ETREAT")
                    .withFacts(facts(true, false))
                    .withEmergencyReason(Optional.of("x")));

    assertThat(d.permitted()).isTrue();
  }

  @Test
  void decide_noCareRelationship_denies() {
    String yaml =
        AgreementFileTest.good()
            .replace(
                "emergency:",
                "relationship:\n  required: true\n  accepted: [registered-gp, encounter]\n  selfClaim: refused\nemergency:");

    Decision none =
        policy(yaml).decide(clinician("TREAT").withConsents(List.of(consent(GP, PERSON, "TREAT"))));
    Decision registered =
        policy(yaml)
            .decide(
                clinician("TREAT")
                    .withConsents(List.of(consent(GP, PERSON, "TREAT")))
                    .withFacts(
                        new PatientFacts(
                            false,
                            false,
                            Optional.empty(),
                            Set.of(new CareRelationship(AE, RelationshipKind.ENCOUNTER)))));

    assertThat(only(none))
        .isEqualTo("coventry-direct-care@1: R9A has no care relationship with the person");
    assertThat(none.refusals()).containsExactly(Refusal.NO_CARE_RELATIONSHIP);
    assertThat(registered.permitted()).isTrue();
  }

  @Test
  void decide_selfClaimedRelationship_permitsAndFlagsForReview() {
    String yaml =
        AgreementFileTest.good()
            .replace(
                "emergency:",
                "relationship:\n  required: true\n  accepted: [registered-gp]\n  selfClaim: allowed\nemergency:");

    Decision d =
        policy(yaml)
            .decide(
                clinician("TREAT")
                    .withConsents(List.of(consent(GP, PERSON, "TREAT")))
                    .withRelationshipClaim(Optional.of("frailty team home visit")));

    assertThat(d.permitted()).isTrue();
    assertThat(d.selfClaimedRelationship()).isTrue();
    assertThat(d.reviewRequired()).isTrue();
  }

  @Test
  void decide_consentMissing_denies() {
    Decision d = policy(AgreementFileTest.good()).decide(clinician("TREAT"));

    assertThat(only(d))
        .isEqualTo(
            "coventry-direct-care@1: consent is required and none was presented; no emergency reason was stated");
    assertThat(d.refusals()).containsExactly(Refusal.CONSENT_MISSING);
  }

  @Test
  void decide_consentFromUntrustedIssuer_denies() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(
                clinician("TREAT")
                    .withConsents(List.of(consent(OdsCode.of("Y99999"), PERSON, "TREAT"))));

    assertThat(only(d))
        .isEqualTo(
            "coventry-direct-care@1: consent c-1 was recorded by Y99999, which this agreement does not trust");
    assertThat(d.refusals()).containsExactly(Refusal.CONSENT_ISSUER_NOT_TRUSTED);
  }

  @Test
  void decide_consentForAnotherPerson_denies() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(clinician("TREAT").withConsents(List.of(consent(GP, OTHER, "TREAT"))));

    assertThat(only(d)).isEqualTo("coventry-direct-care@1: consent c-1 is for another person");
    assertThat(d.refusals()).containsExactly(Refusal.CONSENT_DOES_NOT_FIT);
  }

  @Test
  void decide_consentForAnotherPurpose_denies() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(clinician("TREAT").withConsents(List.of(consent(GP, PERSON, "COC"))));

    assertThat(only(d))
        .isEqualTo("coventry-direct-care@1: consent c-1 does not cover purpose TREAT");
  }

  @Test
  void decide_consentNotNamingRecipient_denies() {
    Consent forGpOnly =
        new Consent(
            "c-2",
            GP,
            PERSON,
            Set.of(OdsCode.of("Y90002")),
            Set.of(PurposeOfUse.TREAT),
            Set.of(Consent.ALL_DATA),
            ConsentMethod.WRITTEN,
            "gp-reception-1",
            NOW.minusSeconds(60),
            NOW.plusSeconds(60));

    Decision d =
        policy(AgreementFileTest.good())
            .decide(clinician("TREAT").withConsents(List.of(forGpOnly)));

    assertThat(only(d)).isEqualTo("coventry-direct-care@1: consent c-2 does not name R9A");
  }

  @Test
  void decide_expiredConsent_denies() {
    Consent expired =
        new Consent(
            "c-3",
            GP,
            PERSON,
            Set.of(AE),
            Set.of(PurposeOfUse.TREAT),
            Set.of(Consent.ALL_DATA),
            ConsentMethod.WRITTEN,
            "gp-reception-1",
            Instant.parse("2025-01-01T00:00:00Z"),
            Instant.parse("2026-01-01T00:00:00Z"));

    Decision d =
        policy(AgreementFileTest.good()).decide(clinician("TREAT").withConsents(List.of(expired)));

    assertThat(only(d))
        .isEqualTo(
            "coventry-direct-care@1: consent c-3 is valid from 2025-01-01T00:00:00Z to 2026-01-01T00:00:00Z");
    assertThat(d.refusals()).containsExactly(Refusal.CONSENT_NOT_CURRENT);
  }

  @Test
  void decide_emergencyUnderConsentOnlyAgreement_denies() {
    String consentOnly =
        AgreementFileTest.good()
            .replace("rule: required-or-emergency", "rule: required")
            .replace("  allowed: true ", "  allowed: false");

    Decision d =
        policy(consentOnly).decide(clinician("ETREAT").withEmergencyReason(Optional.of("x")));

    assertThat(only(d)).isEqualTo("coventry-direct-care@1: emergency access is not allowed");
    assertThat(d.refusals()).containsExactly(Refusal.EMERGENCY_NOT_ALLOWED);
  }

  @Test
  void decide_emergencyReasonWithTreatPurpose_denies() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(clinician("TREAT").withEmergencyReason(Optional.of("collapsed")));

    assertThat(only(d))
        .isEqualTo("coventry-direct-care@1: emergency access needs purpose ETREAT, got TREAT");
    assertThat(d.refusals()).containsExactly(Refusal.EMERGENCY_NEEDS_ETREAT);
  }

  @Test
  void decide_dailyVolumeReached_denies() {
    Decision d =
        policy(AgreementFileTest.council())
            .decide(analyst().withReleasedToday(Map.of("gm-connect-council-intelligence", 200)));

    assertThat(only(d))
        .isEqualTo(
            "gm-connect-council-intelligence@1: the pilot's daily volume of 200 for E08000026 is reached");
    assertThat(d.refusals()).containsExactly(Refusal.DAILY_VOLUME_REACHED);
  }

  @Test
  void decide_cohortMember_needsAnAgreementThatAllowsCohortExport() {
    Decision d = policy(AgreementFileTest.council()).decide(analyst().withCohortSize(50));

    assertThat(only(d))
        .isEqualTo(
            "gm-connect-council-intelligence@1: this agreement does not allow cohort export");
    assertThat(d.refusals()).containsExactly(Refusal.COHORT_EXPORT_NOT_AGREED);
  }

  @Test
  void decide_cohortExport_permitsUpToItsSizeAndNoFurther() {
    String bulk =
        AgreementFileTest.council()
            .replace("audit:\n", "cohortExport:\n  maxMembers: 50\n\naudit:\n");
    PolicySet policy = policy(bulk);

    assertThat(policy.decide(analyst().withCohortSize(50)).permitted()).isTrue();
    Decision tooMany = policy.decide(analyst().withCohortSize(51));
    assertThat(only(tooMany))
        .isEqualTo(
            "gm-connect-council-intelligence@1: a cohort of 51 is larger than the 50 this agreement allows");
    assertThat(tooMany.refusals()).containsExactly(Refusal.COHORT_EXPORT_NOT_AGREED);
  }

  @Test
  void decide_monitorOnlyPilot_deniesButSaysWhatItWouldDo() {
    String monitor =
        AgreementFileTest.council().replace("  dailyVolume: 200", "  monitorOnly: true");

    Decision d = policy(monitor).decide(analyst());

    assertThat(only(d))
        .isEqualTo(
            "gm-connect-council-intelligence@1: monitor-only pilot: would have permitted, nothing released");
    assertThat(d.monitored()).isTrue();
    assertThat(d.agreement()).isPresent();
    assertThat(d.obligations()).isEqualTo(Obligations.NONE);
  }

  // --- the set as a whole ---

  @Test
  void decide_severalAgreements_firstPermitWinsAndDenyListsEach() {
    String second =
        AgreementFileTest.good()
            .replace("id: coventry-direct-care", "id: coventry-frailty")
            .replace("purposesOfUse: [TREAT, ETREAT]", "purposesOfUse: [TREAT, ETREAT, COC]");

    PolicySet set = policy(AgreementFileTest.good(), second);
    Decision denied = set.decide(clinician("COC"));

    assertThat(denied.reasons())
        .containsExactly(
            "coventry-direct-care@1: purpose COC is not allowed",
            "coventry-frailty@1: consent is required and none was presented; no emergency reason was stated");
    assertThat(denied.considered()).hasSize(2);
  }

  @Test
  void candidates_onlyAgreementsNamingProviderAndRecipient() {
    PolicySet set = policy(AgreementFileTest.good(), AgreementFileTest.council());

    assertThat(set.candidates(GP, AE))
        .extracting(Agreement::id)
        .containsExactly("coventry-direct-care");
    assertThat(set.candidates(COUNCIL, COUNCIL))
        .extracting(Agreement::id)
        .containsExactly("gm-connect-council-intelligence");
    assertThat(set.candidates(COUNCIL, AE)).isEmpty();
  }

  @Test
  void of_sameIdAndVersionTwice_isRefused() {
    Agreement a = AgreementFileTest.parse(AgreementFileTest.good());

    assertThatThrownBy(() -> PolicySet.of(List.of(a, a)))
        .hasMessage(
            "expected each agreement id and version once, got coventry-direct-care@1 twice");
  }

  @Test
  void of_twoVersionsInForceAtOnce_isRefused() {
    Agreement v1 = AgreementFileTest.parse(AgreementFileTest.good());
    Agreement v2 =
        AgreementFileTest.parse(
            AgreementFileTest.good()
                .replace("version: 1", "version: 2")
                .replace("effective: 2026-01-01", "effective: 2026-06-01"));

    assertThatThrownBy(() -> PolicySet.of(List.of(v1, v2)))
        .hasMessageStartingWith(
            "expected one version of coventry-direct-care in force at a time, got versions 1 and 2 both sharing between 2026-06-01 and 2028-12-31");
  }

  @Test
  void of_successiveVersions_newestDecides() {
    Agreement v1 =
        AgreementFileTest.parse(
            AgreementFileTest.good().replace("status: active", "status: expired"));
    Agreement v2 =
        AgreementFileTest.parse(AgreementFileTest.good().replace("version: 1", "version: 2"));

    Decision d =
        PolicySet.of(List.of(v1, v2))
            .decide(clinician("ETREAT").withEmergencyReason(Optional.of("x")));

    assertThat(d.agreement()).map(Agreement::reference).hasValue("coventry-direct-care@2");
  }

  @Test
  void of_unregisteredParty_isRefused() {
    Agreement a = AgreementFileTest.parse(AgreementFileTest.good());

    assertThatThrownBy(() -> PolicySet.of(List.of(a), Optional.of(Set.of(GP, AE))))
        .hasMessage(
            "coventry-direct-care@1: expected parties registered with the gateway, got Y90002 (hint: add it under organisations in the gateway configuration)");
  }

  @Test
  void warnings_reportExpiredAndOverdueReview() {
    PolicySet set = policy(AgreementFileTest.good());

    assertThat(set.warnings(LocalDate.of(2027, 7, 1)))
        .containsExactly("coventry-direct-care@1: review was due on 2027-06-30");
    assertThat(set.warnings(LocalDate.of(2029, 1, 1)))
        .containsExactly("coventry-direct-care@1: expired on 2028-12-31 and permits nothing");
  }

  @Test
  void warnings_notificationsWithoutARelationshipRule_isAWarning() {
    String notifying =
        AgreementFileTest.councilWithNotifications(
            "E08000026", "[analyst]", "[address-changed]", "[HOPERAT]");
    String withRule =
        notifying.replace(
            "notifications:\n",
            "relationship:\n  required: true\n  accepted: [episode-of-care]\n"
                + "  selfClaim: refused\nnotifications:\n");
    LocalDate inForce = LocalDate.of(2026, 11, 22);

    assertThat(policy(notifying).warnings(inForce))
        .containsExactly(
            "gm-connect-council-intelligence@1: notifications flow without a care relationship"
                + " rule, so a subscriber is told about anyone it puts in a cohort (add"
                + " relationship: required)");
    assertThat(policy(withRule).warnings(inForce)).isEmpty();
    assertThat(policy(AgreementFileTest.council()).warnings(inForce)).isEmpty();
  }

  private static Consent scoped(String id, OdsCode issuer, Set<String> scopes) {
    Consent c = consent(issuer, PERSON, "TREAT");
    return new Consent(
        id,
        c.issuer(),
        c.patient(),
        c.recipients(),
        c.purposes(),
        scopes,
        ConsentMethod.DIGITAL,
        c.recordedBy(),
        c.notBefore(),
        c.expires());
  }

  @Test
  void decide_severalConsents_theFirstThatFitsPermits() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(
                clinician("TREAT")
                    .withConsents(
                        List.of(
                            scoped("c-untrusted", OdsCode.of("Y99999"), Set.of("*")),
                            scoped("c-good", GP, Set.of("*")))));

    assertThat(d.permitted()).isTrue();
    assertThat(d.consent()).map(Consent::id).hasValue("c-good");
  }

  @Test
  void decide_consentForSomeKindsOfRecord_narrowsWhatIsReleased() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(
                clinician("TREAT")
                    .withConsents(List.of(scoped("c-narrow", GP, Set.of("Patient", "Condition")))));

    assertThat(d.permitted()).isTrue();
    assertThat(d.resourceTypes()).containsExactlyInAnyOrder("Patient", "Condition");
  }

  @Test
  void decide_consentForNothingTheAgreementShares_denies() {
    Decision d =
        policy(AgreementFileTest.good())
            .decide(
                clinician("TREAT")
                    .withConsents(List.of(scoped("c-other", GP, Set.of("Observation")))));

    assertThat(d.refusals()).containsExactly(Refusal.CONSENT_DOES_NOT_FIT);
    assertThat(only(d))
        .isEqualTo(
            "coventry-direct-care@1: consent c-other covers none of the data this agreement shares");
  }

  private static String tracingCouncil() {
    return AgreementFileTest.council()
        .replace("restrictedRecords: withhold", "restrictedRecords: withhold\ntracing: permitted");
  }

  private static final LocalDate TODAY = LocalDate.of(2026, 11, 22);

  @Test
  void tracingAgreement_recipientRoleAndPurposeUnderTracingPermitted_isFound() {
    assertThat(
            policy(tracingCouncil())
                .tracingAgreement(COUNCIL, "analyst", PurposeOfUse.of("HOPERAT"), TODAY)
                .map(Agreement::id))
        .contains("gm-connect-council-intelligence");
  }

  @Test
  void tracingAgreement_agreementWithoutTracing_permitsNone() {
    assertThat(
            policy(AgreementFileTest.council())
                .tracingAgreement(COUNCIL, "analyst", PurposeOfUse.of("HOPERAT"), TODAY))
        .isEmpty();
  }

  @Test
  void tracingAgreement_otherRolePurposeOrRecipient_permitsNone() {
    PolicySet policy = policy(tracingCouncil());

    assertThat(policy.tracingAgreement(COUNCIL, "clinician", PurposeOfUse.of("HOPERAT"), TODAY))
        .isEmpty();
    assertThat(policy.tracingAgreement(COUNCIL, "analyst", PurposeOfUse.of("TREAT"), TODAY))
        .isEmpty();
    assertThat(policy.tracingAgreement(AE, "analyst", PurposeOfUse.of("HOPERAT"), TODAY)).isEmpty();
  }

  @Test
  void tracingAgreement_roleSubscriberNamedUnderTracingPermitted_permitsNone() {
    // A subscriber is told of changes: it may not trace people to NHS numbers, as it may not pull
    // records, even where the agreement names the role and permits tracing.
    PolicySet policy =
        policy(tracingCouncil().replace("roles: [analyst]", "roles: [analyst, subscriber]"));

    assertThat(
            policy.tracingAgreement(
                COUNCIL, NotificationClause.SUBSCRIBER_ROLE, PurposeOfUse.of("HOPERAT"), TODAY))
        .isEmpty();
    assertThat(policy.tracingAgreement(COUNCIL, "analyst", PurposeOfUse.of("HOPERAT"), TODAY))
        .isPresent();
  }

  @Test
  void tracingAgreement_monitorOnlyPilot_permitsNone() {
    String monitorOnly =
        tracingCouncil()
            .replaceAll("dailyVolume: 200.*\n", "dailyVolume: 200\n  monitorOnly: true\n");

    assertThat(
            policy(monitorOnly)
                .tracingAgreement(COUNCIL, "analyst", PurposeOfUse.of("HOPERAT"), TODAY))
        .isEmpty();
  }

  @Test
  void tracingAgreement_notInForce_permitsNone() {
    PolicySet policy = policy(tracingCouncil());

    assertThat(
            policy.tracingAgreement(
                COUNCIL, "analyst", PurposeOfUse.of("HOPERAT"), LocalDate.of(2028, 1, 1)))
        .isEmpty();
    assertThat(
            policy(
                    tracingCouncil()
                        .replace("status: pilot", "status: suspended")
                        .replaceAll("pilot:\n  dailyVolume: 200.*\n", ""))
                .tracingAgreement(COUNCIL, "analyst", PurposeOfUse.of("HOPERAT"), TODAY))
        .isEmpty();
  }

  // --- family members (a household view's other people) ---

  private static final Set<FamilyRelationship> HOUSEHOLD = Set.of(FamilyRelationship.HOUSEHOLD);

  /** The agreement that permitted the person asked about, whose family member is decided. */
  private static final Set<String> BY_COUNCIL = Set.of("gm-connect-council-intelligence");

  /** The council agreement with a second purpose, opting in to household members' Patient. */
  private static String councilWithHousehold() {
    return AgreementFileTest.councilWithFamily("[household]", "[Patient, Condition]", "[HOPERAT]")
        .replace("\npurposesOfUse: [HOPERAT]\n", "\npurposesOfUse: [HOPERAT, PUBHLTH]\n");
  }

  @Test
  void decide_memberUnderTheFamilyClause_permitsOnlyTheClausesTypes() {
    Decision member =
        policy(councilWithHousehold()).decide(analyst().withFamilyOf(HOUSEHOLD, BY_COUNCIL));

    assertThat(member.permitted()).isTrue();
    assertThat(member.familyMember()).isTrue();
    assertThat(member.resourceTypes()).containsExactlyInAnyOrder("Patient", "Condition");
    assertThat(member.obligations().generalise())
        .containsEntry("Patient.birthDate", Generalisation.YEAR);
    assertThat(member.reasons())
        .contains(
            "gm-connect-council-intelligence@1 permits E08000026 to receive [Condition, Patient] from Y90001 for HOPERAT",
            "the family clause releases a member (household) for HOPERAT, only [Condition, Patient]");
  }

  @Test
  void decide_personAskedAboutThemselves_isUntouchedByTheFamilyClause() {
    Decision self = policy(councilWithHousehold()).decide(analyst());

    assertThat(self.permitted()).isTrue();
    assertThat(self.familyMember()).isFalse();
    assertThat(self.resourceTypes())
        .containsExactlyInAnyOrder("Patient", "Condition", "Encounter", "EpisodeOfCare");
  }

  @Test
  void decide_memberUnderAnAgreementWithoutTheClause_denies() {
    Decision d =
        policy(AgreementFileTest.council()).decide(analyst().withFamilyOf(HOUSEHOLD, BY_COUNCIL));

    assertThat(d.refusals()).containsExactly(Refusal.FAMILY_NOT_AGREED);
    assertThat(only(d))
        .isEqualTo(
            "gm-connect-council-intelligence@1: this agreement releases no one but the person asked about");
  }

  @Test
  void decide_memberByARelationshipTheClauseDoesNotName_denies() {
    Decision d =
        policy(councilWithHousehold())
            .decide(analyst().withFamilyOf(Set.of(FamilyRelationship.PARENT_CHILD), BY_COUNCIL));

    assertThat(d.refusals()).containsExactly(Refusal.FAMILY_NOT_AGREED);
    assertThat(only(d))
        .isEqualTo(
            "gm-connect-council-intelligence@1: the family clause does not name the member's relationship parent-child");
  }

  @Test
  void decide_memberForAPurposeTheClauseDoesNotName_denies() {
    DecisionRequest publicHealth =
        DecisionRequest.of(COUNCIL, "analyst", PurposeOfUse.of("PUBHLTH"), PERSON, GP, NOW);

    Decision member =
        policy(councilWithHousehold()).decide(publicHealth.withFamilyOf(HOUSEHOLD, BY_COUNCIL));
    Decision self = policy(councilWithHousehold()).decide(publicHealth);

    assertThat(member.refusals()).containsExactly(Refusal.FAMILY_NOT_AGREED);
    assertThat(only(member))
        .isEqualTo(
            "gm-connect-council-intelligence@1: the family clause does not name purpose PUBHLTH for family members");
    assertThat(self.permitted()).isTrue();
  }

  @Test
  void decide_optedOutMemberUnderTheClause_isRefusedOnTheirOwnFacts() {
    Decision d =
        policy(councilWithHousehold())
            .decide(analyst().withFamilyOf(HOUSEHOLD, BY_COUNCIL).withFacts(facts(true, false)));

    assertThat(d.refusals()).containsExactly(Refusal.NATIONAL_OPT_OUT);
  }

  @Test
  void withPatient_keepsTheFamilyRelationships() {
    DecisionRequest member = analyst().withFamilyOf(HOUSEHOLD, BY_COUNCIL).withPatient(OTHER);

    assertThat(member.familyOf()).isEqualTo(HOUSEHOLD);
    assertThat(member.withProvider(AE).withCohortSize(2).familyOf()).isEqualTo(HOUSEHOLD);
    assertThat(member.withProvider(AE).withCohortSize(2).familyUnder())
        .isEqualTo(Map.of("gm-connect-council-intelligence", HOUSEHOLD));
  }

  /**
   * A second agreement for the same recipient and role, with a family clause, that runs as a pilot
   * for {@code OTHER} only: it refuses the person asked about ({@code PERSON}) but would permit
   * {@code OTHER}.
   */
  private static String householdPilotForOtherOnly() {
    return AgreementFileTest.councilWithFamily("[household]", "[Patient]", "[HOPERAT]")
        .replace("id: gm-connect-council-intelligence", "id: council-household-pilot")
        .replace("  dailyVolume: 200", "  cohort: [\"9990000026\"]");
  }

  @Test
  void decide_memberUnderTheClauseOfAnAgreementThatRefusedThePersonAskedAbout_denies() {
    PolicySet set = policy(AgreementFileTest.council(), householdPilotForOtherOnly());
    // The person asked about: permitted by the council agreement (no family clause) only; the
    // pilot with the family clause refuses them.
    Decision subject = set.decide(analyst());
    assertThat(subject.agreement().orElseThrow().id()).isEqualTo("gm-connect-council-intelligence");
    Set<String> permittedSubject = Set.of(subject.agreement().orElseThrow().id());

    Decision member =
        set.decide(analyst().withPatient(OTHER).withFamilyOf(HOUSEHOLD, permittedSubject));

    assertThat(member.permitted()).isFalse();
    assertThat(member.refusals()).containsExactly(Refusal.FAMILY_NOT_AGREED);
    assertThat(member.reasons())
        .containsExactlyInAnyOrder(
            "gm-connect-council-intelligence@1: this agreement releases no one but the person asked"
                + " about",
            "council-household-pilot@1: this agreement did not permit the person asked about, so it"
                + " releases none of their family");
    // The same member asked about themselves is permitted under the pilot: only the tie to a person
    // the pilot refused keeps them out.
    assertThat(set.decide(analyst().withPatient(OTHER)).permitted()).isTrue();
  }

  @Test
  void permitting_namesEveryAgreementThatPermits_notOnlyTheOneDecideNames() {
    PolicySet set = policy(AgreementFileTest.council(), householdPilotForOtherOnly());

    assertThat(set.permitting(analyst()).stream().map(Agreement::id))
        .containsExactly("gm-connect-council-intelligence");
    assertThat(set.permitting(analyst().withPatient(OTHER)).stream().map(Agreement::id))
        .containsExactly("council-household-pilot", "gm-connect-council-intelligence");
    assertThat(set.permitting(analyst().withPatient(OTHER).withFacts(facts(true, false))))
        .isEmpty();
  }

  @Test
  void decide_memberUnderTheClauseOfAnAgreementThatAlsoPermittedThePersonAskedAbout_permits() {
    PolicySet set = policy(AgreementFileTest.council(), householdPilotForOtherOnly());

    Decision member =
        set.decide(
            analyst()
                .withPatient(OTHER)
                .withFamilyOf(
                    HOUSEHOLD,
                    Set.of("gm-connect-council-intelligence", "council-household-pilot")));

    assertThat(member.permitted()).isTrue();
    assertThat(member.agreement().orElseThrow().id()).isEqualTo("council-household-pilot");
    assertThat(member.resourceTypes()).containsExactly("Patient");
  }

  @Test
  void decide_memberOfSeveralPeople_isReleasedUnderAnAgreementOnlyForTheTiesOfThoseItPermitted() {
    // Household of a person the clause's agreement permitted; parent-child only of a person another
    // agreement permitted. The clause names parent-child only: nothing joins the two.
    String parentChildOnly =
        AgreementFileTest.councilWithFamily("[parent-child]", "[Patient]", "[HOPERAT]")
            .replace("id: gm-connect-council-intelligence", "id: council-parent-child");
    PolicySet set = policy(AgreementFileTest.council(), parentChildOnly);
    Set<FamilyRelationship> both =
        Set.of(FamilyRelationship.HOUSEHOLD, FamilyRelationship.PARENT_CHILD);

    Decision mixed =
        set.decide(
            analyst()
                .withFamilyOf(
                    both,
                    Map.of(
                        "council-parent-child",
                        HOUSEHOLD,
                        "gm-connect-council-intelligence",
                        Set.of(FamilyRelationship.PARENT_CHILD))));
    Decision tied = set.decide(analyst().withFamilyOf(both, Map.of("council-parent-child", both)));

    assertThat(mixed.refusals()).containsExactly(Refusal.FAMILY_NOT_AGREED);
    assertThat(tied.permitted()).isTrue();
  }

  @Test
  void withFamilyOf_isStrict_agreementIdsOfAFamilyMemberOnly() {
    assertThatThrownBy(() -> analyst().withFamilyOf(HOUSEHOLD, Set.of("gm-connect@1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected agreement ids");
    assertThatThrownBy(() -> analyst().withFamilyOf(Set.of(), BY_COUNCIL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("asked about themselves");
    assertThatThrownBy(
            () ->
                analyst()
                    .withFamilyOf(
                        HOUSEHOLD, Map.of("gm-connect", Set.of(FamilyRelationship.PARENT_CHILD))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("some of the member's relationships");
  }

  // --- notifications (issue 19) ---

  private static PolicySet notifyingCouncil(String kinds) {
    return policy(
        AgreementFileTest.councilWithNotifications("E08000026", "[analyst]", kinds, "[HOPERAT]"));
  }

  @Test
  void decideNotification_kindInTheClause_permitsWithTheClauseInWords() {
    Decision d =
        notifyingCouncil("[address-changed, died]")
            .decideNotification(EventKind.ADDRESS_CHANGED, analyst());

    assertThat(d.permitted()).isTrue();
    assertThat(d.reasons())
        .startsWith(
            "gm-connect-council-intelligence@1 permits E08000026 to be told of address-changed"
                + " from Y90001 for HOPERAT")
        .contains(
            "the notification clause lets address-changed flow to E08000026 as 'analyst' for"
                + " HOPERAT");
  }

  @Test
  void decide_subscriberRoleNamedToBeNotified_isNeverGivenRecordsOnRequest() {
    PolicySet set =
        policy(
            AgreementFileTest.councilWithNotifications(
                    "E08000026", "[subscriber]", "[address-changed]", "[HOPERAT]")
                .replace("roles: [analyst]", "roles: [analyst, subscriber]"));
    DecisionRequest subscriber =
        DecisionRequest.of(
            COUNCIL,
            NotificationClause.SUBSCRIBER_ROLE,
            PurposeOfUse.of("HOPERAT"),
            PERSON,
            GP,
            NOW);

    assertThat(set.decideNotification(EventKind.ADDRESS_CHANGED, subscriber).permitted()).isTrue();
    Decision pull = set.decide(subscriber);
    assertThat(pull.permitted()).isFalse();
    assertThat(pull.refusals()).containsExactly(Refusal.ROLE_NOT_ALLOWED);
    assertThat(only(pull)).contains("told of changes, never given records on request");
  }

  @Test
  void decideNotification_kindNotNamed_deniesAsNotInTheClause() {
    Decision d =
        notifyingCouncil("[address-changed, died]")
            .decideNotification(EventKind.SAFEGUARDING_CONCERN, analyst());

    assertThat(only(d))
        .isEqualTo(
            "gm-connect-council-intelligence@1: the notification clause does not let"
                + " safeguarding-concern flow to E08000026 as 'analyst' for HOPERAT");
    assertThat(d.refusals()).containsExactly(Refusal.NOT_IN_NOTIFICATION_CLAUSE);
  }

  @Test
  void decideNotification_agreementWithoutAClause_deniesThoughItReleasesRecords() {
    PolicySet set = policy(AgreementFileTest.council());

    assertThat(set.decide(analyst()).permitted()).isTrue();
    assertThat(set.decideNotification(EventKind.DIED, analyst()).refusals())
        .containsExactly(Refusal.NOT_IN_NOTIFICATION_CLAUSE);
  }

  @Test
  void decideNotification_recipientNotNamedInTheClause_denies() {
    // The good sample shares with R9A and Y90002; its clause names R9A only.
    PolicySet set =
        policy(
            AgreementFileTest.good()
                + "notifications:\n"
                + "  - organisation: R9A\n"
                + "    roles: [clinician]\n"
                + "    kinds: [died]\n"
                + "    purposesOfUse: [TREAT]\n");
    Consent outOfHours =
        new Consent(
            "c-2",
            GP,
            PERSON,
            Set.of(OdsCode.of("Y90002")),
            Set.of(PurposeOfUse.of("TREAT")),
            Set.of(Consent.ALL_DATA),
            ConsentMethod.WRITTEN,
            "gp-reception-1",
            Instant.parse("2026-11-01T00:00:00Z"),
            Instant.parse("2027-11-01T00:00:00Z"));
    DecisionRequest toOutOfHours =
        DecisionRequest.of(
                OdsCode.of("Y90002"), "clinician", PurposeOfUse.of("TREAT"), PERSON, GP, NOW)
            .withConsents(List.of(outOfHours));

    assertThat(set.decide(toOutOfHours).permitted()).isTrue();
    assertThat(set.decideNotification(EventKind.DIED, toOutOfHours).refusals())
        .containsExactly(Refusal.NOT_IN_NOTIFICATION_CLAUSE);
    assertThat(
            set.decideNotification(
                    EventKind.DIED,
                    clinician("TREAT").withConsents(List.of(consent(GP, PERSON, "TREAT"))))
                .permitted())
        .isTrue();
  }

  @Test
  void decideNotification_personOptedOut_isRefusedAtDecisionTime() {
    PolicySet set = notifyingCouncil("[address-changed]");

    assertThat(set.decideNotification(EventKind.ADDRESS_CHANGED, analyst()).permitted()).isTrue();
    Decision later =
        set.decideNotification(EventKind.ADDRESS_CHANGED, analyst().withFacts(facts(true, false)));

    assertThat(only(later))
        .isEqualTo(
            "gm-connect-council-intelligence@1: the person has registered a national data opt-out"
                + " and HOPERAT is not care");
    assertThat(later.refusals()).containsExactly(Refusal.NATIONAL_OPT_OUT);
  }

  @Test
  void decideNotification_agreementExpired_denies() {
    Decision d =
        notifyingCouncil("[died]")
            .decideNotification(
                EventKind.DIED,
                DecisionRequest.of(
                    COUNCIL,
                    "analyst",
                    PurposeOfUse.of("HOPERAT"),
                    PERSON,
                    GP,
                    Instant.parse("2028-01-02T10:00:00Z")));

    assertThat(d.refusals()).containsExactly(Refusal.NOT_IN_FORCE);
  }
}
