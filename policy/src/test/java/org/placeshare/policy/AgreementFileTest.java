package org.placeshare.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The loader's messages: each failure case changes one thing in the good sample. */
class AgreementFileTest {

  static String good() {
    return resource("good-agreement.yaml");
  }

  static String council() {
    return resource("council-agreement.yaml");
  }

  private static String resource(String name) {
    try (InputStream in = AgreementFileTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The council sample with a family clause appended from line 74. */
  static String councilWithFamily(String relationships, String types, String purposes) {
    return council()
        + "family:\n"
        + "  relationships: "
        + relationships
        + "\n  resourceTypes: "
        + types
        + "\n  purposesOfUse: "
        + purposes
        + "\n";
  }

  /** The council sample with a notifications clause appended from line 74. */
  static String councilWithNotifications(
      String organisation, String roles, String kinds, String purposes) {
    return council()
        + "notifications:\n"
        + "  - organisation: "
        + organisation
        + "\n    roles: "
        + roles
        + "\n    kinds: "
        + kinds
        + "\n    purposesOfUse: "
        + purposes
        + "\n";
  }

  static Agreement parse(String yaml) {
    return AgreementFile.parse("a.yaml", yaml.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parse_goodSample_readsEveryPart() {
    Agreement a = parse(good());

    assertThat(a.reference()).isEqualTo("coventry-direct-care@1");
    assertThat(a.status()).isEqualTo(AgreementStatus.ACTIVE);
    assertThat(a.effective()).isEqualTo(LocalDate.of(2026, 1, 1));
    assertThat(a.review()).isEqualTo(LocalDate.of(2027, 6, 30));
    assertThat(a.signatories()).hasSize(2);
    assertThat(a.signatories().get(0).organisation()).isEqualTo(OdsCode.of("Y90001"));
    assertThat(a.providers()).containsExactlyInAnyOrder(OdsCode.of("Y90001"), OdsCode.of("R9A"));
    assertThat(a.recipients().get(OdsCode.of("R9A"))).containsExactly("clinician");
    assertThat(a.purposesOfUse())
        .containsExactlyInAnyOrder(PurposeOfUse.TREAT, PurposeOfUse.EMERGENCY_TREATMENT);
    assertThat(a.lawfulBasis())
        .isEqualTo(new LawfulBasis("6(1)(e)", "9(2)(h)", LawfulBasis.CommonLaw.CONSENT));
    assertThat(a.resourceTypes()).contains("Patient", "Condition").doesNotContain("EpisodeOfCare");
    assertThat(a.consent().rule()).isEqualTo(ConsentRule.REQUIRED_OR_EMERGENCY);
    assertThat(a.consent().trustedIssuers()).contains(OdsCode.of("Y90001"));
    assertThat(a.emergencyAllowed()).isTrue();
    assertThat(a.releasesRestricted()).isTrue();
    assertThat(a.optOutApplies()).isTrue();
    assertThat(a.obligations().confidentiality()).hasValue("R");
    assertThat(a.auditRetentionYears()).isEqualTo(8);
    assertThat(a.purpose().problem()).startsWith("Clinicians in A&E");
    assertThat(a.sha256()).hasSize(64);
  }

  @Test
  void parse_councilSample_readsObligationsAndPilot() {
    Agreement a = parse(council());

    assertThat(a.status()).isEqualTo(AgreementStatus.PILOT);
    assertThat(a.pilot().orElseThrow().dailyVolume()).hasValue(200);
    assertThat(a.obligations().remove()).containsExactly("Patient.telecom");
    assertThat(a.obligations().generalise())
        .isEqualTo(
            Map.of(
                "Patient.birthDate", Generalisation.YEAR,
                "Patient.address.postalCode", Generalisation.DISTRICT));
    assertThat(a.consent().rule()).isEqualTo(ConsentRule.NONE);
  }

  @Test
  void parse_sensitiveCategoriesNotNamed_areExcludedWithTheListVersion() {
    Obligations o = parse(good()).obligations();

    assertThat(o.excludes("http://snomed.info/sct", "86406008")).isTrue();
    assertThat(o.excludes("http://hl7.org/fhir/sid/icd-10", "B20.1")).isTrue();
    assertThat(o.excludes("http://snomed.info/sct", "44054006")).isFalse();
    assertThat(o.codeListVersion()).isEqualTo(SensitiveCodes.bundled().version());
  }

  @Test
  void parse_sensitiveCategoryNamed_isReleased() {
    Obligations o =
        parse(
                good()
                    .replace(
                        "  resourceTypes: [Patient,",
                        "  sensitive: [sexual-health]\n  resourceTypes: [Patient,"))
            .obligations();

    assertThat(o.excludes("http://snomed.info/sct", "86406008")).isFalse();
    assertThat(o.excludes("http://snomed.info/sct", "8619003")).isTrue();
  }

  @Test
  void parse_criminalOffenceMarking_isExcludedUnlessTheAgreementNamesTheCategory() {
    String marking = "https://placeshare.example/CodeSystem/sensitive-category";
    Obligations unnamed = parse(good()).obligations();
    Obligations named =
        parse(
                good()
                    .replace(
                        "  resourceTypes: [Patient,",
                        "  sensitive: [criminal-offence]\n  resourceTypes: [Patient,"))
            .obligations();

    assertThat(unnamed.excludes(marking, "criminal-offence")).isTrue();
    assertThat(named.excludes(marking, "criminal-offence")).isFalse();
    // Naming one category releases only that one.
    assertThat(named.excludes(marking, "sexual-health")).isTrue();
  }

  @Test
  void parse_otherPeople_areWithheldUnlessTheAgreementReleasesThem() {
    Obligations absent = parse(good()).obligations();
    Obligations released =
        parse(
                good()
                    .replace(
                        "  resourceTypes: [Patient,",
                        "  otherPeople: release\n  resourceTypes: [Patient,"))
            .obligations();

    assertThat(absent.otherPeople()).isFalse();
    assertThat(released.otherPeople()).isTrue();
    // Narrowed to the types asked for, the decision about other people stays.
    assertThat(released.askedFor(java.util.List.of("Condition")).otherPeople()).isTrue();
  }

  @Test
  void parse_otherPeopleWithAnUnknownValue_isRefused() {
    String yaml =
        good()
            .replace(
                "  resourceTypes: [Patient,", "  otherPeople: yes\n  resourceTypes: [Patient,");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("data.otherPeople: expected one of withhold or release, got 'yes'");
  }

  @Test
  void parse_unknownKey_isRefusedWithLineColumnAndHint() {
    String yaml = good().replace("  allowed: true", "  alowed: true");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(
            "a.yaml:62:3: emergency.alowed: expected one of the keys allowed, got an unknown key 'alowed' (hint: did you mean 'allowed'?)");
  }

  @Test
  void parse_duplicateKey_isRefused() {
    String yaml = good().replace("version: 1", "version: 1\nversion: 2");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining("a.yaml:8:1: version: expected each key once, got 'version' again");
  }

  @Test
  void parse_unknownStatus_isRefused() {
    assertThatThrownBy(() -> parse(good().replace("status: active", "status: live")))
        .hasMessage(
            "a.yaml:9:9: status: expected one of draft, pilot, active, suspended, expired, got 'live'");
  }

  @Test
  void parse_badDate_isRefused() {
    assertThatThrownBy(() -> parse(good().replace("review: 2027-06-30", "review: 30/06/2027")))
        .hasMessage("a.yaml:12:9: review: expected a date as YYYY-MM-DD, got '30/06/2027'");
  }

  @Test
  void parse_expiryBeforeEffective_isRefused() {
    assertThatThrownBy(
            () ->
                parse(
                    good()
                        .replace("expires: 2028-12-31", "expires: 2025-12-31")
                        .replace("review: 2027-06-30", "review: 2025-06-30")))
        .hasMessage(
            "a.yaml:11:10: expires: expected a date after effective (2026-01-01), got '2025-12-31'");
  }

  @Test
  void parse_lowerCaseOdsCode_isRefusedWithHint() {
    assertThatThrownBy(() -> parse(good().replace("- R9A      #", "- r9a      #")))
        .hasMessage(
            "a.yaml:35:5: providers: expected an ODS code of 3 to 10 upper-case letters or digits, got 'r9a' (hint: ODS codes are upper case: R9A)");
  }

  @Test
  void parse_unknownPurposeCode_isRefusedWithHint() {
    assertThatThrownBy(() -> parse(good().replace("[TREAT, ETREAT]", "[TRAET, ETREAT]")))
        .hasMessageContaining(
            "a.yaml:41:17: purposesOfUse: expected an HL7 PurposeOfUse code (TREAT, ETREAT, COC, PUBHLTH, HOPERAT, ...) or a code under localPurposes, got 'TRAET' (hint: did you mean TREAT?)");
  }

  @Test
  void parse_localPurposeDefined_isAccepted() {
    String yaml =
        council()
            .replace("purposesOfUse: [HOPERAT]", "purposesOfUse: [HOPERAT, CVFRAIL]")
            .replace(
                "lawfulBasis:",
                "localPurposes:\n  - code: CVFRAIL\n    display: Frailty team review\nlawfulBasis:");

    Agreement a = parse(yaml);

    assertThat(a.localPurposes()).containsEntry("CVFRAIL", "Frailty team review");
    assertThat(a.purposesOfUse()).contains(PurposeOfUse.of("CVFRAIL"));
  }

  @Test
  void parse_unknownResourceType_isRefusedWithHint() {
    assertThatThrownBy(() -> parse(good().replace("Encounter]", "Encounters]")))
        .hasMessage(
            "a.yaml:49:80: data.resourceTypes: expected a FHIR R4 resource type, got 'Encounters' (hint: did you mean Encounter?)");
  }

  @Test
  void parse_impliedConsentForPlanning_isRefused() {
    String yaml =
        council()
            .replace(
                "commonLaw: overriding-public-interest", "commonLaw: implied-consent-direct-care");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining(
            "lawfulBasis.commonLaw: expected a basis other than implied consent when a purpose is not direct care");
  }

  @Test
  void parse_optOutNotAppliedForPlanning_isRefused() {
    String yaml = council().replace("nationalOptOut: applied", "nationalOptOut: not-applied");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining(
            "nationalOptOut: expected applied, since no purpose is direct care and the basis is not a legal obligation or s251 support");
  }

  @Test
  void parse_tracingAbsent_isNotPermitted() {
    assertThat(parse(council()).tracingPermitted()).isFalse();
  }

  @Test
  void parse_tracingPermitted_isRead() {
    String yaml =
        council()
            .replace(
                "restrictedRecords: withhold", "restrictedRecords: withhold\ntracing: permitted");

    assertThat(parse(yaml).tracingPermitted()).isTrue();
    assertThat(
            parse(yaml.replace("tracing: permitted", "tracing: not-permitted")).tracingPermitted())
        .isFalse();
  }

  @Test
  void parse_tracingUnknownValue_isRefusedWithItsPosition() {
    String yaml =
        council()
            .replace(
                "restrictedRecords: withhold", "restrictedRecords: withhold\ntracing: yes-please");
    int line = (int) yaml.substring(0, yaml.indexOf("tracing:")).lines().count() + 1;

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining(
            "a.yaml:"
                + line
                + ":10: tracing: expected one of permitted or not-permitted, got 'yes-please'");
  }

  @Test
  void parse_restrictedReleaseOutsideDirectCare_isRefused() {
    String yaml = council().replace("restrictedRecords: withhold", "restrictedRecords: release");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining(
            "restrictedRecords: expected withhold unless every purpose is direct care");
  }

  @Test
  void parse_pilotBlockOnActiveAgreement_isRefused() {
    String yaml = council().replace("status: pilot", "status: active");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining(
            "pilot: expected no pilot limits unless status is pilot, got status active");
  }

  @Test
  void parse_obligationOnTypeOutOfScope_isRefused() {
    String yaml = council().replace("remove: [Patient.telecom]", "remove: [Observation.value]");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining(
            "obligations.remove: expected an element of a type in data.resourceTypes, got 'Observation.value'");
  }

  @Test
  void parse_consentRequiredWithoutIssuers_isRefused() {
    String yaml = good().replace("  issuers: [Y90001, R9A]", "");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining(
            "consent.issuers: expected the consent recorders trusted (ODS codes) when consent is required-or-emergency, got none");
  }

  @Test
  void parse_emergencyWithoutEtreat_isRefusedAsAContradiction() {
    assertThatThrownBy(() -> parse(good().replace("[TREAT, ETREAT]", "[TREAT]")))
        .hasMessage(
            "a.yaml:62:3: emergency.allowed: expected ETREAT among purposesOfUse when emergency is allowed, got true");
  }

  @Test
  void parse_activeWithoutSignatories_isRefused() {
    String yaml = good().replaceAll("(?s)signatories:.*?\n\n", "\n");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining(
            "signatories: expected at least one signatory when status is active, got none");
  }

  @Test
  void parse_wrongShape_isRefused() {
    assertThatThrownBy(
            () ->
                parse(
                    good()
                        .replace(
                            "roles: [clinician]\n  - organisation: Y90002",
                            "roles: clinician\n  - organisation: Y90002")))
        .hasMessage(
            "a.yaml:38:12: recipients[0].roles: expected a list, got 'clinician' (hint: write one entry per line after '- ')");
  }

  @Test
  void parse_severalProblems_areAllListed() {
    String yaml =
        good()
            .replace("version: 1", "version: 0")
            .replace("rule: required-or-emergency", "rule: maybe");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining(
            "a.yaml:7:10: version: expected a whole number from 1 to 100000, got '0'")
        .hasMessageContaining(
            "a.yaml:57:9: consent.rule: expected one of none, required or required-or-emergency, got 'maybe'");
  }

  @Test
  void parse_cohortExport_needsAWholeMaxMembers() {
    String none = council().replace("audit:\n", "cohortExport: {}\n\naudit:\n");
    String zero = council().replace("audit:\n", "cohortExport:\n  maxMembers: 0\n\naudit:\n");

    assertThat(parse(council()).cohortExportMaxMembers()).isEmpty();
    assertThatThrownBy(() -> parse(none)).hasMessageContaining("cohortExport.maxMembers:");
    assertThatThrownBy(() -> parse(zero))
        .hasMessageContaining(
            "cohortExport.maxMembers: expected a whole number from 1 to 1000000, got '0'");
  }

  @Test
  void parse_yamlAnchorsAndAliases_areRefused() {
    String bomb = "id: x\nproviders: &a [Y90001, R9A]\npurposesOfUse: *a\n";

    assertThatThrownBy(() -> parse(bomb))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith("a.yaml:");
  }

  @Test
  void parse_scalarAnchor_isRefused() {
    assertThatThrownBy(() -> parse(good().replace("title: Coventry", "title: &t Coventry")))
        .hasMessage("a.yaml:8:8: anchors and aliases are not allowed, got '&t'");
  }

  @Test
  void parse_deepNesting_isRefused() {
    String deep = "id: " + "[".repeat(200) + "]".repeat(200) + "\n";

    assertThatThrownBy(() -> parse(deep))
        .hasMessage("a.yaml: not valid YAML: Nesting Depth exceeded max 20");
  }

  @Test
  void parse_globalTag_isRefused() {
    String hostile =
        good().replace("title: Coventry", "title: !!javax.script.ScriptEngineManager Coventry");

    assertThatThrownBy(() -> parse(hostile))
        .hasMessage(
            "a.yaml:8:8: not valid YAML: Global tag is not allowed: tag:yaml.org,2002:javax.script.ScriptEngineManager");
  }

  @Test
  void parse_twoDocuments_isRefused() {
    assertThatThrownBy(() -> parse(good() + "\n---\nid: other\n"))
        .hasMessageContaining("not valid YAML");
  }

  @Test
  void parse_notUtf8_isRefused() {
    byte[] bytes = {'i', 'd', ':', ' ', (byte) 0xC3, (byte) 0x28};

    assertThatThrownBy(() -> AgreementFile.parse("a.yaml", bytes))
        .hasMessage("a.yaml: expected UTF-8 text, got bytes that are not");
  }

  @Test
  void parse_oversizedFile_isRefusedBeforeParsing() {
    byte[] big = new byte[AgreementFile.MAX_FILE_BYTES + 1];

    assertThatThrownBy(() -> AgreementFile.parse("big.yaml", big))
        .hasMessage("big.yaml: expected at most 65536 bytes, got 65537");
  }

  @Test
  void parse_emptyFile_isRefused() {
    assertThatThrownBy(() -> parse("")).hasMessage("a.yaml: the file is empty");
  }

  // --- the business case (step 1 in figures): costs, expected savings, measures ---

  @Test
  void parse_goodSample_readsItsBusinessCase() {
    BusinessCase c = parse(good()).businessCase().orElseThrow();

    assertThat(c.costs()).hasSize(2);
    assertThat(c.costs().get(0).text())
        .isEqualTo(
            "Clinical safety case, training and go-live support for A&E and the frailty team");
    BusinessCase.Amount once = c.costs().get(0).amount().orElseThrow();
    assertThat(once.value()).isEqualByComparingTo("48000");
    assertThat(once.currency().getCurrencyCode()).isEqualTo("GBP");
    assertThat(once.per()).hasValue(BusinessCase.Period.ONCE);
    assertThat(c.expectedSavings()).hasSize(2);
    assertThat(c.expectedSavings().get(0).amount().orElseThrow().per())
        .hasValue(BusinessCase.Period.YEAR);
    assertThat(c.measures()).hasSize(3).allSatisfy(m -> assertThat(m.amount()).isEmpty());
  }

  @Test
  void parse_withoutABusinessCase_hasNone() {
    assertThat(parse(council()).businessCase()).isEmpty();
  }

  @Test
  void parse_businessCaseWithAnAmountInPence_isAccepted() {
    Agreement a = parse(good().replace("amount: 48000", "amount: 48000.50"));

    assertThat(a.businessCase().orElseThrow().costs().get(0).amount().orElseThrow().value())
        .isEqualByComparingTo("48000.50");
  }

  @Test
  void parse_businessCaseUnknownKey_isRefusedWithHint() {
    assertThatThrownBy(() -> parse(good().replace("      period: once", "      perod: once")))
        .hasMessage(
            "a.yaml:75:7: businessCase.costs[0].perod: expected one of the keys amount, currency, period, text, got an unknown key 'perod' (hint: did you mean 'period'?)");
  }

  @Test
  void parse_businessCaseUnknownList_isRefusedWithHint() {
    assertThatThrownBy(() -> parse(good().replace("  measures:", "  measure:")))
        .hasMessage(
            "a.yaml:89:3: businessCase.measure: expected one of the keys costs, expectedSavings, measures, got an unknown key 'measure' (hint: did you mean 'measures'?)");
  }

  @Test
  void parse_businessCaseAmountWithThreeDecimals_isRefused() {
    assertThatThrownBy(() -> parse(good().replace("amount: 48000", "amount: 48000.125")))
        .hasMessage(
            "a.yaml:73:15: businessCase.costs[0].amount: expected a sum from 0 to 1000000000000 with at most two decimal places, got '48000.125'");
  }

  @Test
  void parse_businessCaseNegativeAmount_isRefused() {
    assertThatThrownBy(() -> parse(good().replace("amount: 48000", "amount: -48000")))
        .hasMessage(
            "a.yaml:73:15: businessCase.costs[0].amount: expected a sum from 0 to 1000000000000 with at most two decimal places, got '-48000'");
  }

  @Test
  void parse_businessCaseAmountWithoutCurrency_isRefused() {
    assertThatThrownBy(() -> parse(good().replaceFirst("      currency: GBP\n", "")))
        .hasMessage(
            "a.yaml:72:7: businessCase.costs[0].currency: expected a currency with an amount, got none (hint: GBP for pounds sterling)");
  }

  @Test
  void parse_businessCaseUnknownCurrency_isRefused() {
    assertThatThrownBy(() -> parse(good().replaceFirst("currency: GBP", "currency: GPB")))
        .hasMessage(
            "a.yaml:74:17: businessCase.costs[0].currency: expected an ISO 4217 currency code such as GBP, got 'GPB'");
  }

  @Test
  void parse_businessCaseUnknownPeriod_isRefused() {
    assertThatThrownBy(() -> parse(good().replace("period: once", "period: weekly")))
        .hasMessage(
            "a.yaml:75:15: businessCase.costs[0].period: expected one of once, month, quarter or year, got 'weekly'");
  }

  @Test
  void parse_businessCasePeriodWithoutAmount_isRefused() {
    String yaml =
        good()
            .replace(
                "    - text: Share of A&E attendances where the GP record was seen, monthly",
                "    - text: Share of A&E attendances where the GP record was seen, monthly\n"
                    + "      period: month");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessage(
            "a.yaml:92:15: businessCase.measures[1].period: expected no period without an amount, got 'month'");
  }

  @Test
  void parse_businessCaseTextTooLong_isRefused() {
    String yaml =
        good()
            .replace(
                "text: Recording consent at GP reception and in A&E",
                "text: " + "x".repeat(BusinessCase.MAX_TEXT + 1));

    assertThatThrownBy(() -> parse(yaml))
        .hasMessage(
            "a.yaml:76:13: businessCase.costs[1].text: expected a text on one line of at most 300 characters, got 301 characters");
  }

  @Test
  void parse_businessCaseTextOnSeveralLines_isRefused() {
    String yaml =
        good()
            .replace(
                "text: Recording consent at GP reception and in A&E",
                "text: \"Recording consent\\nat GP reception\"");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessage(
            "a.yaml:76:13: businessCase.costs[1].text: expected a text on one line of at most 300 characters, got 33 characters with a line break");
  }

  @Test
  void parse_businessCaseTooManyMeasures_isRefused() {
    String many = "    - text: Another measure\n".repeat(BusinessCase.MAX_ITEMS + 1);
    String yaml = good().substring(0, good().indexOf("  measures:")) + "  measures:\n" + many;

    assertThatThrownBy(() -> parse(yaml))
        .hasMessage(
            "a.yaml:90:5: businessCase.measures: expected at most 20 entries, got 21 entries");
  }

  @Test
  void parse_emptyBusinessCase_isRefusedWithHint() {
    String yaml = good().substring(0, good().indexOf("businessCase:")) + "businessCase: {}\n";

    assertThatThrownBy(() -> parse(yaml))
        .hasMessage(
            "a.yaml:70:15: businessCase: expected at least one of costs, expectedSavings or measures, got none (hint: leave the block out if the parties have not stated them)");
  }

  // --- the family clause ---

  @Test
  void parse_familyClause_readsRelationshipsTypesAndPurposes() {
    Agreement a =
        parse(councilWithFamily("[household, parent-child]", "[Patient, Condition]", "[HOPERAT]"));

    FamilyClause family = a.family().orElseThrow();
    assertThat(family.relationships())
        .containsExactlyInAnyOrder(FamilyRelationship.HOUSEHOLD, FamilyRelationship.PARENT_CHILD);
    assertThat(family.resourceTypes()).containsExactlyInAnyOrder("Patient", "Condition");
    assertThat(family.purposesOfUse()).containsExactly(PurposeOfUse.of("HOPERAT"));
  }

  @Test
  void parse_noFamilyClause_releasesNoOtherMember() {
    assertThat(parse(council()).family()).isEmpty();
    assertThat(parse(good()).family()).isEmpty();
  }

  @Test
  void parse_familyClauseWithAnUnknownKey_isRefusedWithLineColumn() {
    String yaml =
        councilWithFamily("[household]", "[Patient]", "[HOPERAT]") + "  relationship: [carer]\n";

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(
            "a.yaml:78:3: family.relationship: expected one of the keys purposesOfUse, relationships, resourceTypes, got an unknown key 'relationship'");
  }

  @Test
  void parse_familyClauseWithAnUnknownRelationship_isRefusedWithLineColumn() {
    String yaml = councilWithFamily("[household, sibling]", "[Patient]", "[HOPERAT]");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessage(
            "a.yaml:75:30: family.relationships: expected one of household or parent-child, got 'sibling'");
  }

  @Test
  void parse_familyClauseWithATypeTheAgreementDoesNotShare_isRefusedWithLineColumn() {
    String yaml = councilWithFamily("[household]", "[Patient, Observation]", "[HOPERAT]");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessage(
            "a.yaml:76:28: family.resourceTypes: expected a type listed in data.resourceTypes, got 'Observation' (hint: a member's records never go beyond what the agreement shares)");
  }

  @Test
  void parse_familyClauseWithAPurposeTheAgreementDoesNotName_isRefusedWithLineColumn() {
    String yaml = councilWithFamily("[household]", "[Patient]", "[HOPERAT, TREAT]");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessage(
            "a.yaml:77:28: family.purposesOfUse: expected a purpose listed in purposesOfUse, got 'TREAT'");
  }

  @Test
  void parse_familyClauseWithAnEmptyList_isRefused() {
    String yaml = councilWithFamily("[]", "[Patient]", "[HOPERAT]");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("a.yaml:75:18: family.relationships:");
  }

  @Test
  void parse_notificationClause_isReadWithinTheAgreement() {
    Agreement a =
        parse(
            councilWithNotifications(
                "E08000026", "[analyst]", "[address-changed, died]", "[HOPERAT]"));

    assertThat(a.notifications())
        .containsExactly(
            new NotificationClause(
                OdsCode.of("E08000026"),
                Set.of("analyst"),
                Set.of(EventKind.ADDRESS_CHANGED, EventKind.DIED),
                Set.of(PurposeOfUse.of("HOPERAT"))));
    assertThat(
            a.notifies(
                EventKind.DIED, OdsCode.of("E08000026"), "analyst", PurposeOfUse.of("HOPERAT")))
        .isTrue();
    assertThat(
            a.notifies(
                EventKind.GP_CHANGED,
                OdsCode.of("E08000026"),
                "analyst",
                PurposeOfUse.of("HOPERAT")))
        .isFalse();
  }

  @Test
  void parse_notificationsAbsent_notifyNothing() {
    assertThat(parse(council()).notifications()).isEmpty();
  }

  @Test
  void parse_notificationOfAnUnknownKind_isRefusedWithItsPosition() {
    String yaml =
        councilWithNotifications("E08000026", "[analyst]", "[address-changed, moved]", "[HOPERAT]");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(
            "a.yaml:77:30: notifications[0].kinds: expected one of address-changed, died,"
                + " gp-changed, care-episode-opened, care-episode-closed or safeguarding-concern,"
                + " got 'moved'");
  }

  @Test
  void parse_notificationToAnOrganisationNotARecipient_isRefusedWithItsPosition() {
    String yaml = councilWithNotifications("Y90002", "[analyst]", "[died]", "[HOPERAT]");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(
            "a.yaml:75:19: notifications[0].organisation: expected a recipient listed under"
                + " recipients, got 'Y90002'");
  }

  @Test
  void parse_notificationToARoleTheRecipientLacks_isRefusedWithItsPosition() {
    String yaml = councilWithNotifications("E08000026", "[clinician]", "[died]", "[HOPERAT]");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(
            "a.yaml:76:13: notifications[0].roles: expected a role E08000026 has under recipients"
                + " [analyst], got 'clinician'");
  }

  @Test
  void parse_notificationForAPurposeNotInTheAgreement_isRefusedWithItsPosition() {
    String yaml = councilWithNotifications("E08000026", "[analyst]", "[died]", "[TREAT]");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(
            "a.yaml:78:21: notifications[0].purposesOfUse: expected a purpose listed in"
                + " purposesOfUse, got 'TREAT'");
  }
}
