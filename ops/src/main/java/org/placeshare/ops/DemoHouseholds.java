package org.placeshare.ops;

import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.gateway.Gateway;
import org.placeshare.gateway.household.AddressKey;
import org.placeshare.gateway.household.FamilyTie;
import org.placeshare.gateway.household.HouseholdRegister;
import org.placeshare.gateway.household.Residence;

/**
 * The demo's households, seeded into the gateway's household register as a council's tenancy and GP
 * registration addresses would give them: a family with two children (the younger with a national
 * data opt-out, {@link DemoRegister#optedOut}), a house share, and a care home larger than a
 * household view shows.
 */
final class DemoHouseholds {

  /** Where the register says they live: the source a real register would name. */
  static final String SOURCE = "demo-register";

  /**
   * A second source stating the family's ties (a school's admission record): one source's word
   * alone makes nobody family ({@code HouseholdRegister.MIN_TIE_SOURCES}).
   */
  static final String TIE_SOURCE = "demo-school";

  /** The family: two parents, then their children; the last child has opted out. */
  static final List<Integer> FAMILY = List.of(0, 1, 4, 5);

  static final int FAMILY_PARENTS = 2;

  /** The opted-out child, left out of the family's household view without a trace. */
  static final int OPTED_OUT_CHILD = 5;

  static final List<Integer> HOUSE_SHARE = List.of(7, 8, 9);

  /** Fourteen people: more than a household view shows. */
  static final List<Integer> CARE_HOME =
      List.of(30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43);

  static final AddressKey FAMILY_HOME = AddressKey.uprn("100070000101").orElseThrow();
  static final AddressKey SHARED_FLAT =
      AddressKey.address("CV1 5FB", "Flat 3, 21 Far Gosford St").orElseThrow();
  static final AddressKey CARE_HOME_ADDRESS = AddressKey.uprn("100070000199").orElseThrow();

  private DemoHouseholds() {}

  static void seed(Gateway gateway, List<SyntheticPerson> people, Clock clock) {
    if (!DemoRegister.optedOut(people.get(OPTED_OUT_CHILD))) {
      throw new IllegalStateException("the demo's opted-out child must have opted out");
    }
    LocalDate since = LocalDate.of(2021, 4, 1);
    List<Residence> residences = new ArrayList<>();
    FAMILY.forEach(i -> residences.add(lives(people, i, FAMILY_HOME, since)));
    HOUSE_SHARE.forEach(i -> residences.add(lives(people, i, SHARED_FLAT, since)));
    CARE_HOME.forEach(i -> residences.add(lives(people, i, CARE_HOME_ADDRESS, since)));
    List<FamilyTie> ties = new ArrayList<>();
    for (int parent : FAMILY.subList(0, FAMILY_PARENTS)) {
      for (int child : FAMILY.subList(FAMILY_PARENTS, FAMILY.size())) {
        for (String source : List.of(SOURCE, TIE_SOURCE)) {
          ties.add(
              new FamilyTie(
                  people.get(parent).nhsNumber(),
                  people.get(child).nhsNumber(),
                  FamilyTie.Kind.PARENT,
                  source));
        }
      }
    }
    HouseholdRegister register = gateway.householdRegister();
    register.record(residences, clock.instant()).await();
    register.recordTies(ties, clock.instant()).await();
  }

  private static Residence lives(
      List<SyntheticPerson> people, int i, AddressKey where, LocalDate since) {
    return new Residence(people.get(i).nhsNumber(), where, SOURCE, since, Optional.empty());
  }
}
