package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.household.AddressKey;
import org.placeshare.gateway.household.Residence;
import org.placeshare.policy.NhsNumber;

/**
 * {@code $household} under the fixture's agreements, none of which has a family clause: the
 * person's own view in a Group, never another member; the cap, the day and strict parameters.
 */
class HouseholdViewTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String council;

  /** The fixture's people 0 to 2 live at one house; 3 lived there last year. */
  static final AddressKey HOUSE = AddressKey.uprn("100070000001").orElseThrow();

  /** A care home: person 5 and thirteen others (not all of them held by any source). */
  static final AddressKey CARE_HOME = AddressKey.uprn("100070000099").orElseThrow();

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    List<Residence> residences = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      residences.add(Households.lives(person(i), HOUSE, "2020-01-01", null));
    }
    residences.add(Households.lives(person(3), HOUSE, "2024-01-01", "2025-12-31"));
    residences.add(Households.lives(person(5), CARE_HOME, "2023-01-01", null));
    // The rest of the care home: twelve others, so thirteen people in all.
    IntStream.range(6, 18)
        .forEach(i -> residences.add(Households.lives(person(i), CARE_HOME, "2023-01-01", null)));
    Households.record(fixture, residences);
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

  static HttpResponse<String> household(NhsNumber who, String query) throws Exception {
    return Households.household(fixture, who, query, council);
  }

  static List<String> audited(HttpResponse<String> r) {
    return Households.audited(fixture, r);
  }

  @Test
  void household_underAnAgreementWithoutAFamilyClause_releasesNoOtherMember() throws Exception {
    HttpResponse<String> r = household(person(0), "");
    Bundle b = Households.bundle(r);

    assertThat(b.getType()).isEqualTo(Bundle.BundleType.SEARCHSET);
    Group group = Households.group(b);
    assertThat(group.getType()).isEqualTo(Group.GroupType.PERSON);
    assertThat(group.getActual()).isTrue();
    assertThat(group.getQuantity()).isEqualTo(1);
    List<Patient> patients = Households.all(b, Patient.class);
    assertThat(patients).hasSize(1);
    String patientUrl =
        b.getEntry().stream()
            .filter(e -> e.getResource() instanceof Patient)
            .findFirst()
            .orElseThrow()
            .getFullUrl();
    assertThat(group.getMember()).hasSize(1);
    assertThat(group.getMemberFirstRep().getEntity().getReference()).isEqualTo(patientUrl);
    // Nobody else's NHS number anywhere in the answer.
    assertThat(r.body()).doesNotContain(person(1).toString()).doesNotContain(person(2).toString());
    // The request, and each other member refused as their own view refused would be audited.
    assertThat(audited(r))
        .containsExactly(
            "read-household-member refused 403 " + person(1),
            "read-household-member refused 403 " + person(2),
            "read-household-view permitted 200 " + person(0));
  }

  @Test
  void household_theSameAsThePersonsView_apartFromTheGroup() throws Exception {
    Bundle b = Households.bundle(household(person(0), ""));
    Bundle view =
        Fhir.json()
            .parseResource(Bundle.class, fixture.everything(person(0).toString(), council).body());

    assertThat(b.getEntry()).hasSize(view.getEntry().size() + 1);
    assertThat(b.getTotal()).isEqualTo(view.getTotal() + 1);
    assertThat(b.getEntry().stream().skip(1).map(e -> e.getResource().fhirType()).toList())
        .isEqualTo(view.getEntry().stream().map(e -> e.getResource().fhirType()).toList());
  }

  @Test
  void household_onAPastDate_looksUpWhoLivedThereThen() throws Exception {
    HttpResponse<String> past = household(person(0), "?date=2025-06-01");
    Households.bundle(past);
    assertThat(audited(past)).contains("read-household-member refused 403 " + person(3));

    HttpResponse<String> today = household(person(0), "");
    Households.bundle(today);
    assertThat(audited(today)).noneMatch(row -> row.endsWith(person(3).toString()));
  }

  @Test
  void household_careHomeOverTheCap_withNobodyTheCallerMaySee_isThePersonAlone() throws Exception {
    // Thirteen registered, but this agreement shows no other member: the cap counts whom the
    // caller may see (HouseholdCapTest refuses thirteen who may be seen).
    HttpResponse<String> r = household(person(5), "");
    Bundle b = Households.bundle(r);

    assertThat(Households.group(b).getQuantity()).isEqualTo(1);
    assertThat(audited(r)).contains("read-household-view permitted 200 " + person(5));
  }

  @Test
  void household_withNoKnownAddress_isThePersonAlone() throws Exception {
    HttpResponse<String> r = household(person(4), "");
    Bundle b = Households.bundle(r);

    assertThat(Households.group(b).getQuantity()).isEqualTo(1);
    assertThat(Households.all(b, Patient.class)).hasSize(1);
    assertThat(audited(r)).containsExactly("read-household-view permitted 200 " + person(4));
  }

  @Test
  void household_badDate_is400() throws Exception {
    for (String query :
        List.of(
            "?date=2026-13-01",
            "?date=1-1-1",
            "?date=2026-02-30",
            "?date=2026-11-01&date=2026-11-02",
            "?date=")) {
      HttpResponse<String> r = household(person(0), query);
      assertThat(r.statusCode()).as(query).isEqualTo(400);
      assertThat(
              Fhir.json()
                  .parseResource(OperationOutcome.class, r.body())
                  .getIssueFirstRep()
                  .getDiagnostics())
          .as(query)
          .isEqualTo("date: expected one day such as 2026-11-01");
    }
    HttpResponse<String> future = household(person(0), "?date=2026-11-23");
    assertThat(future.statusCode()).isEqualTo(400);
    assertThat(future.body())
        .contains("date: expected a day no later than today in England, 2026-11-22");
  }

  @Test
  void household_dateMoreThanThreeYearsAgo_is400() throws Exception {
    for (String query : List.of("?date=0001-01-01", "?date=1970-01-01", "?date=2023-11-21")) {
      HttpResponse<String> r = household(person(0), query);
      assertThat(r.statusCode()).as(query).isEqualTo(400);
      assertThat(r.body())
          .as(query)
          .contains("date: expected a day no more than 3 years ago, 2023-11-22 or later");
    }
    assertThat(household(person(0), "?date=2023-11-22").statusCode()).isEqualTo(200);
  }

  @Test
  void household_anyOtherParameter_is400() throws Exception {
    for (String query :
        List.of("?_type=Condition", "?_since=2026-01-01T00:00:00Z", "?date=2026-11-01&x=1")) {
      HttpResponse<String> r = household(person(0), query);
      assertThat(r.statusCode()).as(query).isEqualTo(400);
      assertThat(r.body()).contains("$household takes one parameter only: date=YYYY-MM-DD");
    }
  }

  @Test
  void household_withoutAToken_is401() throws Exception {
    HttpResponse<String> r = fixture.get("/fhir/Patient/" + person(0) + "/$household");
    assertThat(r.statusCode()).isEqualTo(401);
  }
}
