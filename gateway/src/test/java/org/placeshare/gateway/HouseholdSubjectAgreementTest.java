package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.household.AddressKey;
import org.placeshare.policy.NhsNumber;

/**
 * {@code $household} with two agreements for the same caller: the council-intelligence agreement
 * (no family clause) permits everyone; a household-support pilot with a family clause permits only
 * the people in its pilot cohort. A member is released only under an agreement that also permits
 * the person asked about: the pilot's family clause never releases the household of a person the
 * pilot refuses, however the caller got to see that person.
 */
class HouseholdSubjectAgreementTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String council;

  /** Person 0 (outside the pilot) lives here with 1 and 2 (in it). */
  static final AddressKey OUTSIDE = AddressKey.uprn("100070000031").orElseThrow();

  /** Person 4 (in the pilot) lives here with 5 and 6 (in it). */
  static final AddressKey INSIDE = AddressKey.uprn("100070000032").orElseThrow();

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    String clause;
    try (InputStream in =
        GatewayFixture.class.getResourceAsStream(
            "/agreements/" + Households.FAMILY_CLAUSE_AGREEMENT)) {
      clause = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    // Named to come after the council agreement in decision order: a person both permit is decided
    // under the council's, and the pilot's family clause still applies to their household.
    String pilot =
        clause
            .replace("id: council-household-support", "id: household-support-pilot")
            .replace(
                "  dailyVolume: 200",
                "  cohort: ["
                    + String.join(
                        ", ",
                        List.of(1, 2, 4, 5, 6).stream().map(i -> "\"" + person(i) + "\"").toList())
                    + "]\n  dailyVolume: 200");
    assertThat(pilot).contains("cohort: [").contains("id: household-support-pilot");
    Files.writeString(fixture.agreements.resolve("household-support-pilot.yaml"), pilot);
    fixture.gateway.policy().reload(fixture.vertx).await();
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    Households.record(
        fixture,
        Households.lives(person(0), OUTSIDE, "2020-01-01", null),
        Households.lives(person(1), OUTSIDE, "2020-01-01", null),
        Households.lives(person(2), OUTSIDE, "2020-01-01", null),
        Households.lives(person(4), INSIDE, "2020-01-01", null),
        Households.lives(person(5), INSIDE, "2020-01-01", null),
        Households.lives(person(6), INSIDE, "2020-01-01", null));
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  static NhsNumber person(int i) {
    return fixture.people.get(i).nhsNumber();
  }

  static HttpResponse<String> household(NhsNumber who) throws Exception {
    return Households.household(fixture, who, "", council);
  }

  static List<Patient> patients(Bundle b) {
    return Households.all(b, Patient.class);
  }

  @Test
  void household_ofAPersonTheFamilyClausesAgreementRefuses_releasesNoOtherMember()
      throws Exception {
    HttpResponse<String> r = household(person(0));
    Bundle b = Households.bundle(r);

    // Person 0 is shown (the council agreement permits them), and no one else: the pilot whose
    // family clause would release 1 and 2 refuses 0.
    assertThat(Households.group(b).getQuantity()).isEqualTo(1);
    assertThat(patients(b)).hasSize(1);
    assertThat(r.body()).doesNotContain(person(1).toString()).doesNotContain(person(2).toString());
    assertThat(Households.audited(fixture, r))
        .containsExactly(
            "read-household-member refused 403 " + person(1),
            "read-household-member refused 403 " + person(2),
            "read-household-view permitted 200 " + person(0));
  }

  @Test
  void household_ofAPersonTheFamilyClausesAgreementAlsoPermits_releasesTheOtherMembers()
      throws Exception {
    HttpResponse<String> r = household(person(4));
    Bundle b = Households.bundle(r);

    // 4 is in the pilot too: the pilot permits them, so its family clause releases 5 and 6.
    assertThat(Households.group(b).getQuantity()).isEqualTo(3);
    assertThat(patients(b)).hasSize(3);
    assertThat(Households.audited(fixture, r))
        .containsExactly(
            "read-household-member permitted 200 " + person(5),
            "read-household-member permitted 200 " + person(6),
            "read-household-view permitted 200 " + person(4));
  }
}
