package org.placeshare.fhir.synthetic;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.placeshare.policy.NhsNumber;

/**
 * A seeded population with known truth for measuring tracing: a reference index of people (as PDS
 * holds them) and agency records derived from them with the errors real systems have, plus records
 * of people the index does not hold. Each agency record carries its true NHS number, or none.
 *
 * <p>Error rates per agency record (independent): 6% a short form of the given name, 4% a typo in
 * the given name, 4% in the family name; half of the married people still under their earlier
 * family name; 3% day and month swapped (where possible), 3% one birth-date digit mistyped; 10% an
 * address from before a move (the index remembers seven in ten of them); 5% no postcode; 1% the
 * wrong gender, 5% none. Among the people: 2% have a twin at the same address, 1% share their name
 * and birth date with someone elsewhere. 15% as many records again come from people not in the
 * index, a tenth of whom share a name and birth date with someone who is.
 *
 * <p>Plain values only: the synthetic sources use none of the adapter's code.
 */
public final class TracingPopulation {

  /** A person of the reference index. */
  public record IndexPerson(
      NhsNumber nhsNumber,
      String family,
      String given,
      List<String> previousFamilies,
      LocalDate birthDate,
      String gender,
      String postcode,
      List<String> previousPostcodes,
      String addressLine) {}

  /** An agency's record of a person, with the truth: their NHS number, if the index has them. */
  public record AgencyRecord(
      String localId,
      Optional<NhsNumber> trueNhsNumber,
      String family,
      String given,
      LocalDate birthDate,
      String gender,
      String postcode,
      String addressLine) {}

  private static final String[] FEMALE = {
    "Amara",
    "Chloe",
    "Ellie",
    "Grace",
    "Isla",
    "Kate",
    "Maya",
    "Priya",
    "Rosa",
    "Una",
    "Olivia",
    "Amelia",
    "Emily",
    "Sophie",
    "Jessica",
    "Lily",
    "Hannah",
    "Zara",
    "Aisha",
    "Fatima",
    "Leah",
    "Megan",
    "Lucy",
    "Holly",
    "Ruby",
    "Freya",
    "Evie",
    "Poppy",
    "Niamh",
    "Siobhan",
    "Elizabeth",
    "Margaret",
    "Katherine",
    "Rebecca",
    "Victoria",
    "Susan",
    "Patricia",
    "Jennifer",
    "Joanne",
    "Samantha",
    "Natalie",
    "Charlotte",
    "Abigail",
    "Bethany",
    "Caitlin",
    "Danielle",
    "Gemma",
    "Harriet",
    "Imogen",
    "Jasmine",
    "Kirsty",
    "Laura",
    "Naomi",
    "Paige",
    "Rachel",
    "Tanya",
    "Yasmin",
    "Zoe",
    "Agnieszka",
    "Katarzyna"
  };
  private static final String[] MALE = {
    "Ben",
    "Dev",
    "Farid",
    "Harry",
    "Jamal",
    "Liam",
    "Noah",
    "Olu",
    "Quinn",
    "Sam",
    "Tariq",
    "Vikram",
    "Oliver",
    "George",
    "Jack",
    "Jacob",
    "Charlie",
    "Thomas",
    "Oscar",
    "Muhammad",
    "Ethan",
    "Joshua",
    "Daniel",
    "Connor",
    "Kieran",
    "Declan",
    "William",
    "Robert",
    "Richard",
    "Edward",
    "James",
    "John",
    "Alexander",
    "Anthony",
    "Christopher",
    "Henry",
    "Jonathan",
    "Matthew",
    "Nathan",
    "Patrick",
    "Ryan",
    "Stephen",
    "Adam",
    "Callum",
    "Dominic",
    "Frederick",
    "Gareth",
    "Ibrahim",
    "Joseph",
    "Lewis",
    "Marcus",
    "Owen",
    "Peter",
    "Reece",
    "Simon",
    "Tyler",
    "Usman",
    "Wojciech",
    "Zachary",
    "Aaron"
  };
  private static final String[] SURNAME_STEMS = {
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
    "Taylor",
    "Wilson",
    "Thompson",
    "Robson",
    "Armstrong",
    "Charlton",
    "Milburn",
    "Dixon",
    "Elliott",
    "Henderson",
    "Hall",
    "Bell",
    "Scott",
    "Walker",
    "Wright",
    "Young",
    "Atkinson",
    "Barker",
    "Carr",
    "Dodds",
    "Forster",
    "Gibson",
    "Harrison",
    "Jackson",
    "Kennedy",
    "Lambert",
    "Marshall",
    "Nichol",
    "Oliver",
    "Pearson",
    "Reed",
    "Shepherd",
    "Turnbull",
    "Watson",
    "Anderson",
    "Bainbridge",
    "Cook",
    "Hussain",
    "Kowalski",
    "Murphy",
    "Smith-Jones",
    "Ward"
  };
  private static final String[] SURNAME_SUFFIXES = {"", "son"};
  private static final String[] STREETS = {
    "Station Road",
    "High Street",
    "Church Lane",
    "Park Avenue",
    "Sea View",
    "Victoria Terrace",
    "Chester Road",
    "Durham Road",
    "Hylton Road",
    "Roker Avenue"
  };
  private static final String[][] SHORT_FORMS = {
    {"William", "Bill"}, {"Robert", "Bob"}, {"Richard", "Rich"}, {"Elizabeth", "Liz"},
    {"Margaret", "Maggie"}, {"Katherine", "Kate"}, {"Edward", "Ted"}, {"James", "Jim"},
    {"John", "Jack"}, {"Alexander", "Alex"}, {"Anthony", "Tony"}, {"Christopher", "Chris"},
    {"Rebecca", "Becky"}, {"Victoria", "Vicky"}, {"Susan", "Sue"}, {"Henry", "Harry"},
    {"Patricia", "Pat"}, {"Jennifer", "Jen"}, {"Jonathan", "Jon"}, {"Matthew", "Matt"},
    {"Samantha", "Sam"}, {"Daniel", "Dan"}, {"Joseph", "Joe"}, {"Zachary", "Zach"}
  };
  private static final String[] DISTRICTS = {
    "SR1", "SR2", "SR3", "SR4", "SR5", "SR6", "SR7", "NE37", "NE38", "DH4"
  };
  private static final int POSTCODES_PER_DISTRICT = 40;
  private static final String LETTERS = "ABDEFGHJLNPQRSTUWXYZ";

  private final List<IndexPerson> index;
  private final List<AgencyRecord> agencyRecords;

  private TracingPopulation(List<IndexPerson> index, List<AgencyRecord> agencyRecords) {
    this.index = List.copyOf(index);
    this.agencyRecords = List.copyOf(agencyRecords);
  }

  public List<IndexPerson> index() {
    return index;
  }

  public List<AgencyRecord> agencyRecords() {
    return agencyRecords;
  }

  /** Where the index's NHS numbers start: nine digits in the 999 test range. */
  private static final long FIRST_NUMBER = 999_100_000L;

  private static final long RANGE_START = 999_000_000L;
  private static final long RANGE_END = 999_999_999L;

  /**
   * The most people an index can hold: the valid NHS numbers of the 999 test range (one nine-digit
   * stem in eleven has no check digit), 909,091 of them.
   */
  public static final int MAX_PEOPLE = 909_091;

  /**
   * The same size and seed give the same index and records on every machine. Numbers run up from
   * 999 100 000 and, past the end of the 999 range, on from 999 000 000, so the populations of
   * earlier sizes are unchanged.
   */
  public static TracingPopulation generate(int size, long seed) {
    if (size < 1 || size > MAX_PEOPLE) {
      throw new IllegalArgumentException(
          "expected 1 to " + MAX_PEOPLE + " people (the 999 test range), got " + size);
    }
    Random random = new Random(seed);
    List<String> postcodes = postcodes(random);
    List<IndexPerson> index = new ArrayList<>(size);
    long candidate = FIRST_NUMBER;
    while (index.size() < size) {
      NhsNumber number = NhsNumber.withCheckDigit(Long.toString(candidate++)).orElse(null);
      if (candidate > RANGE_END) {
        candidate = RANGE_START;
      }
      if (number == null) {
        continue;
      }
      IndexPerson previous = index.isEmpty() ? null : index.get(index.size() - 1);
      double kind = random.nextDouble();
      if (previous != null && kind < 0.02) {
        index.add(twinOf(previous, number, random));
      } else if (previous != null && kind < 0.03) {
        index.add(namesakeOf(previous, number, postcodes, random));
      } else {
        index.add(person(number, postcodes, random));
      }
    }
    List<AgencyRecord> records = new ArrayList<>();
    for (IndexPerson person : index) {
      records.add(recordOf(person, "A" + records.size(), Optional.of(person.nhsNumber()), random));
    }
    int outsiders = size * 15 / 100;
    for (int i = 0; i < outsiders; i++) {
      IndexPerson outsider =
          random.nextDouble() < 0.1
              ? namesakeOf(index.get(random.nextInt(size)), null, postcodes, random)
              : person(null, postcodes, random);
      records.add(recordOf(outsider, "A" + records.size(), Optional.empty(), random));
    }
    return new TracingPopulation(index, records);
  }

  private static IndexPerson person(NhsNumber number, List<String> postcodes, Random random) {
    boolean female = random.nextBoolean();
    String family = pick(SURNAME_STEMS, random) + pick(SURNAME_SUFFIXES, random);
    List<String> previousFamilies = List.of();
    LocalDate birthDate = LocalDate.of(1930, 1, 1).plusDays(random.nextInt(80 * 365));
    if (female && birthDate.getYear() < 2000 && random.nextDouble() < 0.3) {
      previousFamilies = List.of(family);
      family = pick(SURNAME_STEMS, random);
    }
    String postcode = pick(postcodes, random);
    List<String> previousPostcodes = List.of();
    if (random.nextDouble() < 0.3) {
      previousPostcodes = List.of(pick(postcodes, random));
    }
    return new IndexPerson(
        number,
        family,
        female ? pick(FEMALE, random) : pick(MALE, random),
        previousFamilies,
        birthDate,
        female ? "female" : "male",
        postcode,
        previousPostcodes,
        addressLine(random));
  }

  private static IndexPerson twinOf(IndexPerson twin, NhsNumber number, Random random) {
    boolean female = random.nextBoolean();
    String given;
    do {
      given = female ? pick(FEMALE, random) : pick(MALE, random);
    } while (given.equals(twin.given()));
    return new IndexPerson(
        number,
        twin.family(),
        given,
        List.of(),
        twin.birthDate(),
        female ? "female" : "male",
        twin.postcode(),
        twin.previousPostcodes(),
        twin.addressLine());
  }

  private static IndexPerson namesakeOf(
      IndexPerson namesake, NhsNumber number, List<String> postcodes, Random random) {
    String postcode;
    do {
      postcode = pick(postcodes, random);
    } while (postcode.equals(namesake.postcode()));
    return new IndexPerson(
        number,
        namesake.family(),
        namesake.given(),
        List.of(),
        namesake.birthDate(),
        namesake.gender(),
        postcode,
        List.of(),
        addressLine(random));
  }

  private static AgencyRecord recordOf(
      IndexPerson person, String localId, Optional<NhsNumber> truth, Random random) {
    String given = person.given();
    double r = random.nextDouble();
    if (r < 0.06) {
      given = shortForm(given);
    } else if (r < 0.10) {
      given = typo(given, random);
    }
    String family = person.family();
    if (!person.previousFamilies().isEmpty() && random.nextBoolean()) {
      family = person.previousFamilies().get(0);
    }
    if (random.nextDouble() < 0.04) {
      family = typo(family, random);
    }
    LocalDate birthDate = person.birthDate();
    r = random.nextDouble();
    if (r < 0.03 && birthDate.getDayOfMonth() <= 12) {
      birthDate =
          LocalDate.of(birthDate.getYear(), birthDate.getDayOfMonth(), birthDate.getMonthValue());
    } else if (r >= 0.03 && r < 0.06) {
      birthDate = digitTypo(birthDate, random);
    }
    String postcode = person.postcode();
    String addressLine = person.addressLine();
    r = random.nextDouble();
    if (!person.previousPostcodes().isEmpty() && r < 0.23) {
      // An address from before a move the index knows of (0.3 x 0.23: 7% of records).
      postcode = person.previousPostcodes().get(0);
      addressLine = addressLine(random);
    } else if (r > 0.97) {
      // A move the index never heard of (3% of records).
      postcode = otherPostcode(postcode, random);
      addressLine = addressLine(random);
    } else if (r > 0.92) {
      postcode = null;
    }
    String gender = person.gender();
    r = random.nextDouble();
    if (r < 0.01) {
      gender = gender.equals("female") ? "male" : "female";
    } else if (r < 0.06) {
      gender = null;
    }
    return new AgencyRecord(
        localId, truth, family, given, birthDate, gender, postcode, addressLine);
  }

  private static String shortForm(String given) {
    for (String[] pair : SHORT_FORMS) {
      if (pair[0].equals(given)) {
        return pair[1];
      }
    }
    return given.length() > 4 ? given.substring(0, 3) : given;
  }

  /** One keyboard slip: a letter replaced, dropped, doubled or swapped with its neighbour. */
  static String typo(String name, Random random) {
    if (name.length() < 3) {
      return name;
    }
    int at = 1 + random.nextInt(name.length() - 2);
    StringBuilder slip = new StringBuilder(name);
    switch (random.nextInt(4)) {
      case 0 -> slip.setCharAt(at, (char) ('a' + random.nextInt(26)));
      case 1 -> slip.deleteCharAt(at);
      case 2 -> slip.insert(at, name.charAt(at));
      default -> {
        slip.setCharAt(at, name.charAt(at + 1));
        slip.setCharAt(at + 1, name.charAt(at));
      }
    }
    return slip.toString();
  }

  private static LocalDate digitTypo(LocalDate date, Random random) {
    for (int attempt = 0; attempt < 20; attempt++) {
      char[] digits = date.toString().replace("-", "").toCharArray();
      int at = random.nextInt(8);
      digits[at] = (char) ('0' + random.nextInt(10));
      String s = new String(digits);
      try {
        LocalDate typo =
            LocalDate.of(
                Integer.parseInt(s.substring(0, 4)),
                Integer.parseInt(s.substring(4, 6)),
                Integer.parseInt(s.substring(6, 8)));
        if (!typo.equals(date) && typo.isBefore(LocalDate.of(2026, 1, 1))) {
          return typo;
        }
      } catch (DateTimeException e) {
        // not a date; try another slip
      }
    }
    return date;
  }

  private static String otherPostcode(String postcode, Random random) {
    // Half of moves stay in the district.
    String district = postcode.substring(0, postcode.indexOf(' '));
    if (random.nextBoolean()) {
      district = pick(DISTRICTS, random);
    }
    return district + " " + inwardCode(random);
  }

  private static List<String> postcodes(Random random) {
    List<String> postcodes = new ArrayList<>();
    for (String district : DISTRICTS) {
      for (int i = 0; i < POSTCODES_PER_DISTRICT; i++) {
        postcodes.add(district + " " + inwardCode(random));
      }
    }
    return postcodes;
  }

  private static String inwardCode(Random random) {
    return ""
        + random.nextInt(10)
        + LETTERS.charAt(random.nextInt(LETTERS.length()))
        + LETTERS.charAt(random.nextInt(LETTERS.length()));
  }

  private static String addressLine(Random random) {
    return (1 + random.nextInt(120)) + " " + pick(STREETS, random);
  }

  private static String pick(String[] values, Random random) {
    return values[random.nextInt(values.length)];
  }

  private static String pick(List<String> values, Random random) {
    return values.get(random.nextInt(values.size()));
  }
}
