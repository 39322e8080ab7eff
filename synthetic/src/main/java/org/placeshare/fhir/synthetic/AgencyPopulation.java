package org.placeshare.fhir.synthetic;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The people each of the demo's agencies holds, none of them by NHS number: records of a {@link
 * TracingPopulation} (with its typos, nicknames, swapped dates, married names and moves, and people
 * the index does not hold) shared out between the four agencies, a few records with no usable
 * demographics in each (no birth date; the family name "UNKNOWN"), and one known person of the
 * demo's {@link SyntheticPopulation} held by all four under slightly different demographics.
 *
 * <p>The demo's reference index holds the demo's synthetic people and {@link #demoTracing()}'s
 * index; so every agency record here has its truth in that index, or is of someone it does not
 * hold.
 */
public final class AgencyPopulation {

  /** The demo person's place in the demo's synthetic population: Sam Evans, born 2007-02-17. */
  public static final int DEMO_PERSON = 27;

  /** How many people the demo's tracing population holds in the reference index. */
  public static final int DEMO_TRACING_SIZE = 200;

  /** Its seed, so every demo start traces the same people. */
  public static final long DEMO_TRACING_SEED = 2026;

  private final Map<Agency, List<AgencyPerson>> people;

  private AgencyPopulation(Map<Agency, List<AgencyPerson>> people) {
    this.people = people;
  }

  /** The people the agency holds, in its own order. */
  public List<AgencyPerson> people(Agency agency) {
    return people.get(agency);
  }

  /**
   * The people of the demo's reference index besides its synthetic population: {@code
   * TracingPopulation.generate(DEMO_TRACING_SIZE, DEMO_TRACING_SEED)}.
   */
  public static TracingPopulation demoTracing() {
    return TracingPopulation.generate(DEMO_TRACING_SIZE, DEMO_TRACING_SEED);
  }

  /** The demo's known person, held by every agency: {@code people.get(DEMO_PERSON)}. */
  public static SyntheticPerson demoPerson(List<SyntheticPerson> people) {
    return people.get(DEMO_PERSON);
  }

  /**
   * The demo's agencies: {@link #demoTracing()}'s records shared out, and the demo person.
   *
   * @param people the demo's synthetic population (at least {@value #DEMO_PERSON} + 1 people)
   */
  public static AgencyPopulation demo(List<SyntheticPerson> people) {
    return of(demoTracing(), Optional.of(demoPerson(people)));
  }

  /**
   * Agencies holding a tracing population's records, each record at one agency (in turn), two
   * records with no usable demographics at each, and the known person (if any) at all four.
   */
  public static AgencyPopulation of(TracingPopulation tracing, Optional<SyntheticPerson> known) {
    Map<Agency, List<AgencyPerson>> people = new EnumMap<>(Agency.class);
    for (Agency a : Agency.values()) {
      people.put(a, new ArrayList<>());
    }
    known.ifPresent(
        k -> {
          for (Agency a : Agency.values()) {
            people.get(a).add(knownAt(a, k, 1));
          }
        });
    List<TracingPopulation.AgencyRecord> records = tracing.agencyRecords();
    for (int i = 0; i < records.size(); i++) {
      Agency a = Agency.values()[i % Agency.values().length];
      List<AgencyPerson> list = people.get(a);
      TracingPopulation.AgencyRecord r = records.get(i);
      list.add(
          new AgencyPerson(
              list.size() + 1,
              r.trueNhsNumber(),
              r.family(),
              r.given(),
              r.birthDate(),
              r.gender(),
              r.postcode(),
              r.addressLine()));
    }
    for (Agency a : Agency.values()) {
      List<AgencyPerson> list = people.get(a);
      // What real systems hold too: a record taken with no birth date, one under a placeholder.
      list.add(
          new AgencyPerson(
              list.size() + 1,
              Optional.empty(),
              "Robson",
              "Kyle",
              null,
              "male",
              "SR4 7AB",
              "3 Hylton Road"));
      list.add(
          new AgencyPerson(
              list.size() + 1,
              Optional.empty(),
              "UNKNOWN",
              "Male",
              LocalDate.of(2008, 1, 1),
              null,
              null,
              null));
    }
    Map<Agency, List<AgencyPerson>> fixed = new EnumMap<>(Agency.class);
    people.forEach((a, list) -> fixed.put(a, List.copyOf(list)));
    return new AgencyPopulation(fixed);
  }

  /**
   * The known person as each agency has them: a nickname at school, an address line the police took
   * down differently and no gender, the housing association's record under the full given name, a
   * mistyped birth-date digit at youth justice. Each still a certain match.
   */
  static AgencyPerson knownAt(Agency agency, SyntheticPerson p, int number) {
    String given = p.given();
    LocalDate birthDate = p.birthDate();
    String gender = p.gender();
    String addressLine = "14 " + "Harnall Lane";
    switch (agency) {
      case SCHOOLS -> given = given.equals("Sam") ? "Sammy" : given;
      case POLICE -> {
        gender = null;
        addressLine = "Flat 2, 14 Harnall Ln";
      }
      case HOUSING -> given = given.equals("Sam") ? "Samuel" : given;
      case YOUTH_JUSTICE -> birthDate = birthDate.plusDays(birthDate.getDayOfMonth() < 20 ? 1 : -1);
    }
    return new AgencyPerson(
        number,
        Optional.of(p.nhsNumber()),
        p.family(),
        given,
        birthDate,
        gender,
        p.postcode(),
        addressLine);
  }
}
