package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.household.AddressKey;
import org.placeshare.gateway.household.FamilyTie;
import org.placeshare.gateway.household.Residence;
import org.placeshare.gateway.http.fhir.HouseholdView;
import org.placeshare.policy.NhsNumber;

/**
 * The household caps under an agreement with a family clause: {@code MAX_HOUSEHOLD} counts the
 * members the caller may see (a hidden one changes nothing), {@code MAX_REGISTERED} bounds what the
 * register may hold for one household before anyone is decided.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HouseholdCapTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String council;

  /** People 0 to 11: exactly the cap of twelve, all of whom the caller may see. */
  static final AddressKey FULL = AddressKey.uprn("100070000555").orElseThrow();

  /** Person 13 and more than MAX_REGISTERED others no source holds: a hostel. */
  static final AddressKey HOSTEL = AddressKey.uprn("100070000556").orElseThrow();

  @BeforeAll
  static void start() throws Exception {
    fixture = Households.startWithFamilyClause(dir);
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    List<Residence> residences = new ArrayList<>();
    for (int i = 0; i < HouseholdView.MAX_HOUSEHOLD; i++) {
      residences.add(Households.lives(person(i), FULL, "2020-01-01", null));
    }
    residences.add(Households.lives(person(13), HOSTEL, "2020-01-01", null));
    int others = 0;
    for (int i = 500; others <= HouseholdView.MAX_REGISTERED; i++) {
      Optional<NhsNumber> other = NhsNumber.withCheckDigit(String.format("999%06d", i));
      if (other.isPresent()) {
        residences.add(Households.lives(other.get(), HOSTEL, "2020-01-01", null));
        others++;
      }
    }
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

  static HttpResponse<String> household(NhsNumber who) throws Exception {
    return Households.household(fixture, who, "", council);
  }

  @Test
  @Order(1)
  void household_twelveVisibleAndAnOptedOutResident_isTheSame200AsWithoutThem() throws Exception {
    // The fixture's council source is down: once its breaker is open, every answer says so alike.
    household(person(0));
    household(person(0));
    HttpResponse<String> without = household(person(0));
    assertThat(without.statusCode()).as(without.body()).isEqualTo(200);
    // Person 12 opts out, then moves in: thirteen registered, twelve the caller may see.
    Households.optOut(fixture, person(12));
    Households.record(fixture, Households.lives(person(12), FULL, "2026-01-01", null));
    HttpResponse<String> withOptedOut = household(person(0));

    assertThat(withOptedOut.statusCode()).as(withOptedOut.body()).isEqualTo(200);
    assertThat(Households.normalised(new JsonObject(withOptedOut.body())))
        .isEqualTo(Households.normalised(new JsonObject(without.body())));
    assertThat(withOptedOut.body()).doesNotContain(person(12).toString());
  }

  @Test
  @Order(2)
  void household_thirteenTheCallerMaySee_isRefusedOverTheCap() throws Exception {
    Households.record(fixture, Households.lives(person(14), FULL, "2026-01-01", null));
    HttpResponse<String> r = household(person(0));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(
            Fhir.json()
                .parseResource(OperationOutcome.class, r.body())
                .getIssueFirstRep()
                .getDiagnostics())
        .isEqualTo(
            "this household has more than 12 members (a hostel or a care home): a household view"
                + " is refused; ask for each person's own view");
    assertThat(Households.audited(fixture, r))
        .containsExactly("read-household-view failed 422 " + person(0));
  }

  @Test
  void household_oneHostileSourceStatingNineteenChildren_isThePersonAlone_neverA422()
      throws Exception {
    List<FamilyTie> ties = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      if (i != 15) {
        ties.add(new FamilyTie(person(15), person(i), FamilyTie.Kind.PARENT, "hostile"));
      }
    }
    Households.recordTies(fixture, ties);

    HttpResponse<String> r = household(person(15));
    assertThat(Households.group(Households.bundle(r)).getQuantity()).isEqualTo(1);
    // Nor is a claimed child's household widened by it.
    assertThat(Households.audited(fixture, household(person(16))))
        .noneMatch(row -> row.endsWith(person(15).toString()));
  }

  @Test
  void household_moreRegisteredThanTheRegistersLimit_isRefusedBeforeAnyoneIsReleased()
      throws Exception {
    HttpResponse<String> r = household(person(13));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    OperationOutcome outcome = Fhir.json().parseResource(OperationOutcome.class, r.body());
    assertThat(outcome.getIssueFirstRep().getCode())
        .isEqualTo(OperationOutcome.IssueType.TOOCOSTLY);
    assertThat(outcome.getIssueFirstRep().getDiagnostics())
        .isEqualTo(
            "more than 50 people are registered in this household (a hostel or a care home): a"
                + " household view is refused; ask for each person's own view");
    assertThat(Households.audited(fixture, r))
        .containsExactly("read-household-view failed 422 " + person(13));
  }
}
