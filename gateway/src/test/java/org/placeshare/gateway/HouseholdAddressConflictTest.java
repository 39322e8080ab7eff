package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
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
    fixture = Households.startWithFamilyClause(dir);
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    Households.record(
        fixture,
        lives(person(0), FAMILY_HOME, "test-register"),
        lives(person(0), FAMILY_HOME, "test-council"),
        lives(person(1), FAMILY_HOME, "test-register"),
        lives(person(1), FAMILY_HOME, "test-council"),
        lives(person(2), OWN_HOME, "test-register"),
        lives(person(2), FAMILY_HOME, "hostile"));
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
    return Households.lives(who, where, source, "2020-01-01", null);
  }

  static HttpResponse<String> household(NhsNumber who) throws Exception {
    return Households.household(fixture, who, "", council);
  }

  static Group group(NhsNumber who) throws Exception {
    return Households.group(Households.bundle(household(who)));
  }

  @Test
  void household_hostileSourceGivingThePersonAnotherFamilysAddress_showsNoneOfThatFamily()
      throws Exception {
    HttpResponse<String> r = household(person(2));

    assertThat(group(person(2)).getQuantity()).isEqualTo(1);
    assertThat(r.body()).doesNotContain(person(0).toString()).doesNotContain(person(1).toString());
  }

  @Test
  void household_twoSourcesAgreeing_showTheFamily_withoutThePersonAHostileSourcePutThere()
      throws Exception {
    HttpResponse<String> r = household(person(0));

    // Person 0 and person 1: person 2, placed there by one source only, is not shown.
    assertThat(group(person(0)).getQuantity()).isEqualTo(2);
    assertThat(r.body()).doesNotContain(person(2).toString()).contains(person(1).toString());
  }
}
