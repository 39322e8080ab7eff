package org.placeshare.fhir.synthetic;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.placeshare.policy.NhsNumber;

/**
 * A deterministic synthetic population: the same seed and size give the same people on every
 * machine. NHS numbers are taken in order from 999 000 0000 upwards, skipping the numbers that have
 * no valid check digit, so none can be a real person's.
 */
public final class SyntheticPopulation {

  private static final String[] GIVEN = {
    "Amara", "Ben", "Chloe", "Dev", "Ellie", "Farid", "Grace", "Harry", "Isla", "Jamal", "Kate",
    "Liam", "Maya", "Noah", "Olu", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Una", "Vikram"
  };
  private static final String[] FAMILY = {
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fletcher",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morris",
    "Nowak",
    "O'Brien",
    "Patel",
    "Roberts",
    "Singh",
    "Taylor"
  };
  // Synthetic postcodes in Coventry (CV) and Greater Manchester (M) districts.
  private static final String[] POSTCODES = {
    "CV1 2AA", "CV2 3BB", "CV3 4CC", "CV4 5DD", "CV5 6EE", "CV6 7FF", "M1 1AA", "M14 5BB"
  };

  private SyntheticPopulation() {}

  public static List<SyntheticPerson> generate(int size, long seed) {
    Random random = new Random(seed);
    List<SyntheticPerson> people = new ArrayList<>(size);
    long candidate = 999_000_000L;
    while (people.size() < size) {
      NhsNumber number = NhsNumber.withCheckDigit(Long.toString(candidate++)).orElse(null);
      if (number == null) {
        continue;
      }
      int index = people.size();
      people.add(
          new SyntheticPerson(
              index,
              number,
              GIVEN[random.nextInt(GIVEN.length)],
              FAMILY[random.nextInt(FAMILY.length)],
              random.nextBoolean() ? "female" : "male",
              LocalDate.of(
                  1930 + random.nextInt(80), 1 + random.nextInt(12), 1 + random.nextInt(28)),
              POSTCODES[random.nextInt(POSTCODES.length)]));
    }
    return people;
  }
}
