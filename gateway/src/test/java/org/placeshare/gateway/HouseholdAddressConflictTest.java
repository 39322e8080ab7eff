package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Group;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.household.AddressKey;
import org.placeshare.gateway.household.Residence;
import org.placeshare.policy.NhsNumber;

/**
 * {@code $household} when one source gives a person another family's address, under an agreement
 * with a family clause ({@code council-household-support}) that would show that family: the caller
 * sees neither the family nor, asking about the family, the person.
 */
class HouseholdAddressConflictTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String council;

  /** People 0 and 1 live here, as the register and the council agree. */
  static final AddressKey FAMILY_HOME = AddressKey.uprn("1").orElseThrow();

  /** Person 2 lives here; a hostile source says they live at the family's home. */
  static final AddressKey OWN_HOME = AddressKey.address("CV1 2AB", "7 Harnall Lane").orElseThrow();

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    fixture.addAgreement("council-household-support.yaml");
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    fixture
        .gateway
        .householdRegister()
        .record(
            List.of(
                lives(person(0), FAMILY_HOME, "test-register"),
                lives(person(0), FAMILY_HOME, "test-council"),
                lives(person(1), FAMILY_HOME, "test-register"),
                lives(person(1), FAMILY_HOME, "test-council"),
                lives(person(2), OWN_HOME, "test-register"),
                lives(person(2), FAMILY_HOME, "hostile")),
            GatewayFixture.CLOCK.instant())
        .await();
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

  static Residence lives(NhsNumber who, AddressKey where, String source) {
    return new Residence(who, where, source, LocalDate.parse("2020-01-01"), Optional.empty());
  }

  static Group group(NhsNumber who) throws Exception {
    HttpResponse<String> r = fixture.get("/fhir/Patient/" + who + "/$household", council);
    Bundle b = HouseholdViewTest.bundle(r);
    return (Group) b.getEntryFirstRep().getResource();
  }

  @Test
  void household_hostileSourceGivingThePersonAnotherFamilysAddress_showsNoneOfThatFamily()
      throws Exception {
    HttpResponse<String> r = fixture.get("/fhir/Patient/" + person(2) + "/$household", council);

    assertThat(group(person(2)).getQuantity()).isEqualTo(1);
    assertThat(r.body()).doesNotContain(person(0).toString()).doesNotContain(person(1).toString());
  }

  @Test
  void household_twoSourcesAgreeing_showTheFamily_withoutThePersonAHostileSourcePutThere()
      throws Exception {
    HttpResponse<String> r = fixture.get("/fhir/Patient/" + person(0) + "/$household", council);

    // Person 0 and person 1: person 2, placed there by one source only, is not shown.
    assertThat(group(person(0)).getQuantity()).isEqualTo(2);
    assertThat(r.body()).doesNotContain(person(2).toString()).contains(person(1).toString());
  }
}
