package org.placeshare.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class AgreementFileTest {

  static String good() throws IOException {
    try (InputStream in = AgreementFileTest.class.getResourceAsStream("good-agreement.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static Agreement parse(String yaml) {
    return AgreementFile.parse("a.yaml", yaml.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parse_goodSample_readsEveryPart() throws IOException {
    Agreement a = parse(good());

    assertThat(a.reference()).isEqualTo("coventry-direct-care@1");
    assertThat(a.status()).isEqualTo(AgreementStatus.ACTIVE);
    assertThat(a.effective()).isEqualTo(LocalDate.of(2026, 1, 1));
    assertThat(a.providers()).containsExactlyInAnyOrder(OdsCode.of("Y90001"), OdsCode.of("R9A"));
    assertThat(a.recipients()).containsKeys(OdsCode.of("R9A"), OdsCode.of("Y90002"));
    assertThat(a.recipients().get(OdsCode.of("R9A"))).containsExactly("clinician");
    assertThat(a.purposesOfUse())
        .containsExactlyInAnyOrder(PurposeOfUse.TREAT, PurposeOfUse.EMERGENCY_TREATMENT);
    assertThat(a.resourceTypes()).contains("Patient", "Condition").doesNotContain("EpisodeOfCare");
    assertThat(a.consent()).isEqualTo(ConsentRule.REQUIRED_OR_EMERGENCY);
    assertThat(a.emergencyAllowed()).isTrue();
    assertThat(a.purpose().problem()).startsWith("Clinicians in A&E");
    assertThat(a.sha256()).hasSize(64);
  }

  @Test
  void parse_unknownKey_isRefusedWithItsPath() throws IOException {
    String yaml = good().replace("  allowed: true", "  allowed: true\n  silently: yes");

    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessage("a.yaml: unknown key 'silently' at emergency");
  }

  @Test
  void parse_unknownStatus_isRefused() throws IOException {
    assertThatThrownBy(() -> parse(good().replace("status: active", "status: live")))
        .hasMessage(
            "a.yaml: status: expected one of draft, pilot, active, suspended, expired, got 'live'");
  }

  @Test
  void parse_expiryBeforeEffective_isRefused() throws IOException {
    assertThatThrownBy(() -> parse(good().replace("expires: 2028-12-31", "expires: 2025-12-31")))
        .hasMessage(
            "a.yaml: expires: expected a date after effective (2026-01-01), got '2025-12-31'");
  }

  @Test
  void parse_badOdsCode_isRefused() throws IOException {
    assertThatThrownBy(() -> parse(good().replace("- R9A      #", "- r9a!     #")))
        .hasMessage(
            "a.yaml: providers: expected an ODS code of 3 to 10 upper-case letters or digits, got 'r9a!'");
  }

  @Test
  void parse_emergencyWithoutEtreat_isRefusedAsAContradiction() throws IOException {
    assertThatThrownBy(() -> parse(good().replace("[TREAT, ETREAT]", "[TREAT]")))
        .hasMessage(
            "a.yaml: emergency.allowed: expected ETREAT among purposesOfUse when emergency is allowed, got 'true'");
  }

  @Test
  void parse_requiredOrEmergencyWithEmergencyOff_isRefused() throws IOException {
    assertThatThrownBy(() -> parse(good().replace("  allowed: true", "  allowed: false")))
        .hasMessage(
            "a.yaml: emergency.allowed: expected true when consent is required-or-emergency, got 'false'");
  }

  @Test
  void parse_severalProblems_areAllListed() throws IOException {
    String yaml =
        good()
            .replace("version: 1", "version: 0")
            .replace("consent: required-or-emergency", "consent: maybe");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessageContaining("a.yaml: version: expected a whole number >= 1, got '0'")
        .hasMessageContaining(
            "a.yaml: consent: expected one of none, required, required-or-emergency, got 'maybe'");
  }

  @Test
  void parse_missingResourceTypes_isRefused() throws IOException {
    String yaml =
        good().replaceAll("data:\\n  resourceTypes: \\[.*\\]", "data:\n  resourceTypes: []");

    assertThatThrownBy(() -> parse(yaml))
        .hasMessage("a.yaml: data.resourceTypes: expected at least one entry, got none");
  }

  @Test
  void parse_yamlAliases_areRefused() {
    String bomb = "id: x\nproviders: &a [Y90001, R9A]\npurposesOfUse: *a\n";

    assertThatThrownBy(() -> parse(bomb))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("not a valid agreement file");
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
}
