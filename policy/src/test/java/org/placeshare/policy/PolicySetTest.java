package org.placeshare.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PolicySetTest {

  private static final Clock IN_FORCE =
      Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);
  private static final NhsNumber PERSON = NhsNumber.parse("9990000018");
  private static final OdsCode GP = OdsCode.of("Y90001");
  private static final OdsCode AE = OdsCode.of("R9A");

  private static PolicySet policy(Clock clock, String yaml) {
    return PolicySet.of(List.of(AgreementFileTest.parse(yaml)), clock);
  }

  private static DecisionRequest request(
      OdsCode recipient, String role, String purpose, String emergency) {
    return new DecisionRequest(
        recipient, role, PurposeOfUse.of(purpose), PERSON, GP, Optional.ofNullable(emergency));
  }

  @Test
  void decide_emergencyWithReason_permitsAndFlags() throws IOException {
    Decision d =
        policy(IN_FORCE, AgreementFileTest.good())
            .decide(request(AE, "clinician", "ETREAT", "collapsed"));

    assertThat(d.permitted()).isTrue();
    assertThat(d.emergency()).isTrue();
    assertThat(d.agreement()).map(Agreement::reference).hasValue("coventry-direct-care@1");
    assertThat(d.resourceTypes()).contains("Condition");
  }

  @Test
  void decide_consentRequiredAndNonePresented_denies() throws IOException {
    Decision d =
        policy(IN_FORCE, AgreementFileTest.good()).decide(request(AE, "clinician", "TREAT", null));

    assertThat(d.permitted()).isFalse();
    assertThat(d.resourceTypes()).isEmpty();
    assertThat(d.reasons())
        .containsExactly(
            "coventry-direct-care@1: consent is required and none was presented; no emergency reason was stated");
  }

  @Test
  void decide_emergencyReasonWithTreatPurpose_denies() throws IOException {
    Decision d =
        policy(IN_FORCE, AgreementFileTest.good())
            .decide(request(AE, "clinician", "TREAT", "collapsed"));

    assertThat(d.reasons())
        .containsExactly(
            "coventry-direct-care@1: emergency access needs purpose ETREAT, got TREAT");
  }

  @Test
  void decide_consentNone_permitsWithoutEmergency() throws IOException {
    String yaml =
        AgreementFileTest.good()
            .replace("consent: required-or-emergency", "consent: none")
            .replace("  allowed: true", "  allowed: false");

    Decision d = policy(IN_FORCE, yaml).decide(request(AE, "clinician", "TREAT", null));

    assertThat(d.permitted()).isTrue();
    assertThat(d.emergency()).isFalse();
  }

  @Test
  void decide_recipientNotInAgreement_denies() throws IOException {
    Decision d =
        policy(IN_FORCE, AgreementFileTest.good())
            .decide(request(OdsCode.of("E08000026"), "analyst", "ETREAT", "x"));

    assertThat(d.reasons()).containsExactly("coventry-direct-care@1: E08000026 is not a recipient");
  }

  @Test
  void decide_roleNotAllowed_denies() throws IOException {
    Decision d =
        policy(IN_FORCE, AgreementFileTest.good())
            .decide(request(AE, "receptionist", "ETREAT", "x"));

    assertThat(d.reasons())
        .containsExactly("coventry-direct-care@1: role 'receptionist' is not allowed for R9A");
  }

  @Test
  void decide_purposeNotAllowed_denies() throws IOException {
    Decision d =
        policy(IN_FORCE, AgreementFileTest.good()).decide(request(AE, "clinician", "HOPERAT", "x"));

    assertThat(d.reasons())
        .containsExactly("coventry-direct-care@1: purpose HOPERAT is not allowed");
  }

  @Test
  void decide_afterExpiry_denies() throws IOException {
    Clock later = Clock.fixed(Instant.parse("2029-01-01T00:00:00Z"), ZoneOffset.UTC);

    Decision d =
        policy(later, AgreementFileTest.good()).decide(request(AE, "clinician", "ETREAT", "x"));

    assertThat(d.reasons())
        .containsExactly(
            "coventry-direct-care@1: not in force on 2029-01-01 (status active, 2026-01-01 to 2028-12-31)");
  }

  @Test
  void decide_suspendedAgreement_denies() throws IOException {
    Decision d =
        policy(IN_FORCE, AgreementFileTest.good().replace("status: active", "status: suspended"))
            .decide(request(AE, "clinician", "ETREAT", "x"));

    assertThat(d.permitted()).isFalse();
  }

  @Test
  void decide_providerInNoAgreement_deniesByDefault() throws IOException {
    var request =
        new DecisionRequest(
            AE,
            "clinician",
            PurposeOfUse.of("ETREAT"),
            PERSON,
            OdsCode.of("X99999"),
            Optional.of("x"));

    Decision d = policy(IN_FORCE, AgreementFileTest.good()).decide(request);

    assertThat(d.permitted()).isFalse();
    assertThat(d.reasons()).containsExactly("no agreement names X99999 as a provider");
  }

  @Test
  void of_sameIdTwice_isRefused() throws IOException {
    Agreement a = AgreementFileTest.parse(AgreementFileTest.good());

    assertThatThrownBy(() -> PolicySet.of(List.of(a, a), IN_FORCE))
        .hasMessage(
            "expected each agreement id once, got 'coventry-direct-care' twice (versions 1 and 1)");
  }
}
