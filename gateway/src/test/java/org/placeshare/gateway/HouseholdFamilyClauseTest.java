package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.household.AddressKey;
import org.placeshare.gateway.household.Residence;
import org.placeshare.policy.NhsNumber;

/**
 * {@code $household} under an agreement with a family clause ({@code council-household-support}):
 * each other member released on their own as family, their types narrowed by the clause, and a
 * member who may not be shown left out without a trace.
 *
 * <p>Needs part F's family clause ({@code family:} in an agreement, {@code
 * DecisionRequest.withFamilyOf}) asked in {@code PersonRelease} of every household member: before
 * that, the agreement does not load and no member is ever released.
 */
class HouseholdFamilyClauseTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String council;
  static String ig;

  /** People 0 to 2 live here; 3 lived here in 2024 and 2025; 9, a parent of 0, lives elsewhere. */
  static final AddressKey HOUSE = AddressKey.uprn("100070000001").orElseThrow();

  /** People 10 and 11 live here; 12 (opted out) and 13 move in during the tests. */
  static final AddressKey SHARE =
      AddressKey.address("CV1 2AB", "Flat 2, 14 Harnall Ln").orElseThrow();

  @BeforeAll
  static void start() throws Exception {
    fixture = Households.startWithFamilyClause(dir);
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    record(
        Households.lives(person(0), HOUSE, "2020-01-01", null),
        Households.lives(person(1), HOUSE, "2020-01-01", null),
        Households.lives(person(2), HOUSE, "2020-01-01", null),
        Households.lives(person(3), HOUSE, "2024-01-01", "2025-12-31"),
        Households.lives(
            person(9), AddressKey.uprn("100070000002").orElseThrow(), "2020-01-01", null),
        Households.lives(person(10), SHARE, "2022-01-01", null),
        Households.lives(person(11), SHARE, "2022-01-01", null));
    // Stated by two sources: one source's word alone makes nobody family.
    Households.recordParent(fixture, person(9), person(0));
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

  static void record(Residence... residences) {
    Households.record(fixture, residences);
  }

  static HttpResponse<String> household(NhsNumber who, String query) throws Exception {
    return Households.household(fixture, who, query, council);
  }

  @Test
  void household_releasesEachMemberAsFamily_withTheClausesTypesOnly() throws Exception {
    Bundle b = Households.bundle(household(person(0), ""));

    // Person 0, the two living with them, and their parent living elsewhere.
    assertThat(Households.group(b).getQuantity()).isEqualTo(4);
    List<Bundle.BundleEntryComponent> patients =
        b.getEntry().stream().filter(e -> e.getResource() instanceof Patient).toList();
    assertThat(patients).hasSize(4);
    assertThat(
            Households.group(b).getMember().stream()
                .map(m -> m.getEntity().getReference())
                .toList())
        .containsExactlyElementsOf(patients.stream().map(e -> e.getFullUrl()).toList());
    // The person's own view has their hospital attendances; the others' only Patient and Condition.
    String firstMember = patients.get(1).getFullUrl();
    int from = b.getEntry().indexOf(patients.get(1));
    assertThat(
            b.getEntry().stream()
                .skip(from)
                .map(e -> e.getResource().fhirType())
                .filter(t -> !t.equals("Provenance"))
                .distinct()
                .toList())
        .containsOnly("Patient", "Condition");
    assertThat(firstMember).startsWith("urn:uuid:");
    assertThat(b.getTotal())
        .isEqualTo(
            (int)
                b.getEntry().stream()
                    .filter(e -> e.getSearch().getMode() == Bundle.SearchEntryMode.MATCH)
                    .count());
  }

  @Test
  void household_onAPastDate_showsWhoLivedThereThen() throws Exception {
    assertThat(
            Households.group(Households.bundle(household(person(0), "?date=2025-06-01")))
                .getQuantity())
        .isEqualTo(5);
    assertThat(
            Households.group(Households.bundle(household(person(0), "?date=2026-11-22")))
                .getQuantity())
        .isEqualTo(4);
  }

  @Test
  void household_optedOutMember_isIndistinguishableFromANonMember() throws Exception {
    HttpResponse<String> without = household(person(10), "");
    // Person 12 opts out, then moves in.
    Households.optOut(fixture, person(12));
    record(Households.lives(person(12), SHARE, "2026-01-01", null));
    HttpResponse<String> withOptedOut = household(person(10), "");

    assertThat(withOptedOut.statusCode()).isEqualTo(without.statusCode()).isEqualTo(200);
    assertThat(Households.normalised(new JsonObject(withOptedOut.body())))
        .isEqualTo(Households.normalised(new JsonObject(without.body())));
    assertThat(withOptedOut.body()).doesNotContain(person(12).toString());
    // The audit has the truth: the opted-out member refused, in this request.
    assertThat(Households.audited(fixture, withOptedOut))
        .anyMatch(
            row ->
                row.startsWith("read-household-member refused")
                    && row.endsWith(person(12).toString()));

    // And the comparison can tell: someone who may be shown, moving in, changes the answer.
    record(Households.lives(person(13), SHARE, "2026-01-01", null));
    HttpResponse<String> withAnother = household(person(10), "");
    assertThat(Households.group(Households.bundle(withAnother)).getQuantity()).isEqualTo(3);
    assertThat(Households.normalised(new JsonObject(withAnother.body())))
        .isNotEqualTo(Households.normalised(new JsonObject(without.body())));
  }

  @Test
  void household_auditsTheRequestAndEachMemberReleased_whoseAccessReportSaysOnlyTheRequest()
      throws Exception {
    HttpResponse<String> r = household(person(0), "");
    Households.bundle(r);
    String request = r.headers().firstValue("X-Request-ID").orElseThrow();

    assertThat(Households.audited(fixture, r))
        .containsExactly(
            "read-household-member permitted 200 " + person(1),
            "read-household-member permitted 200 " + person(2),
            "read-household-member permitted 200 " + person(9),
            "read-household-view permitted 200 " + person(0));
    JsonObject report =
        new JsonObject(fixture.get("/audit/patients/" + person(1) + "/accesses", ig).body());
    JsonObject seen =
        report.getJsonArray("accesses").stream()
            .map(JsonObject.class::cast)
            .filter(a -> a.containsKey("household"))
            .map(a -> a.getJsonObject("household"))
            .filter(h -> request.equals(h.getString("request")))
            .findFirst()
            .orElseThrow();
    // Only that they were seen in a household viewed in this request: not how they are family
    // (a stated tie) nor the day.
    assertThat(seen.getString("seenAs"))
        .isEqualTo("seen as a member of a household viewed in request " + request);
    assertThat(report.encode()).doesNotContain("family").doesNotContain("household on");
    // A member's report never names the person asked about.
    assertThat(report.encode()).doesNotContain(person(0).toString());
  }
}
