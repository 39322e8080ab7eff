package org.placeshare.fhir.synthetic;

import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import ca.uhn.fhir.model.valueset.BundleEntrySearchModeEnum;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.Normalizer;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.codec.language.DoubleMetaphone;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;
import org.placeshare.fhir.synthetic.ReferenceIndexServer.Entry;
import org.placeshare.fhir.synthetic.TracingPopulation.IndexPerson;

/**
 * The Patients of the reference index and PDS-style search over them.
 *
 * <p>Search parameters: {@code family}, {@code given}, {@code birthdate} (a date, optionally
 * prefixed {@code eq}), {@code gender}, {@code address-postcode}, {@code identifier} (an NHS
 * number, optionally {@code system|value}), {@code _fuzzy-match=true} and {@code _max-results} (1
 * to {@value #MAX_RESULTS}, default {@value #DEFAULT_RESULTS}). {@code family} and {@code
 * birthdate} are required, as PDS requires them; anything else is refused with a 400.
 *
 * <p>An exact search returns the people whose every given field matches (a previous family name or
 * postcode counts). A fuzzy search returns the people a blocking scheme puts near the query: the
 * same birth date, or that date with day and month swapped; the same Double Metaphone code of a
 * family name and the same birth year; the same postcode and initial of the given name. Previous
 * names and postcodes count. Each is scored 0..1 by a plain count of agreeing fields ({@code
 * search.score}); the gateway never links on that score, it grades candidates itself.
 */
public final class ReferencePatients implements IResourceProvider {

  /** PDS's cap on {@code _max-results}. */
  public static final int MAX_RESULTS = 50;

  /** Results when a search does not say. */
  public static final int DEFAULT_RESULTS = 10;

  public static final String NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number";

  /** UK Core's address key: how PDS carries a UPRN on an address. */
  public static final String ADDRESS_KEY_EXTENSION =
      "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey";

  public static final String ADDRESS_KEY_TYPE_SYSTEM =
      "https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType";

  private static final Set<String> PARAMETERS =
      Set.of(
          "family",
          "given",
          "birthdate",
          "gender",
          "address-postcode",
          "identifier",
          "_fuzzy-match",
          "_max-results",
          "_format",
          "_pretty");

  private static final DoubleMetaphone METAPHONE = new DoubleMetaphone();

  private final Map<String, Filed> byNhsNumber = new HashMap<>();

  /**
   * The blocks of the fuzzy search, and the birth-date ones ({@code b:}) also serve the exact
   * search, which requires the birth date: a search reads a few blocks, never every entry, so a
   * million people cost what ten thousand do. Each block keeps the entries' order.
   */
  private final Map<String, List<Filed>> blocks = new HashMap<>();

  ReferencePatients(List<Entry> entries) {
    for (Entry entry : entries) {
      Filed filed = new Filed(entry);
      byNhsNumber.put(filed.nhs, filed);
      for (String key : blockingKeys(entry.person())) {
        blocks.computeIfAbsent(key, k -> new ArrayList<>()).add(filed);
      }
    }
  }

  /**
   * An entry with what searches compare already folded (names, postcodes, the sounds of every
   * family name), so that a search folds only its own parameters. Compared by identity.
   */
  static final class Filed {
    final Entry entry;
    final IndexPerson person;
    final String nhs;
    final String family;
    final List<String> previousFamilies;
    final String given;
    final String postcode;
    final List<String> previousPostcodes;
    final Set<String> sounds;

    Filed(Entry entry) {
      this.entry = entry;
      this.person = entry.person();
      this.nhs = person.nhsNumber().toString();
      this.family = fold(person.family());
      this.previousFamilies =
          person.previousFamilies().stream().map(ReferencePatients::fold).toList();
      this.given = person.given() == null ? null : fold(person.given());
      this.postcode = person.postcode() == null ? null : compactPostcode(person.postcode());
      this.previousPostcodes =
          person.previousPostcodes().stream().map(ReferencePatients::compactPostcode).toList();
      Set<String> codes = new LinkedHashSet<>();
      for (String f : person.previousFamilies()) {
        codes.addAll(sounds(f));
      }
      codes.addAll(sounds(person.family()));
      this.sounds = Set.copyOf(codes);
    }
  }

  /** A candidate of one fuzzy search with its score, computed once. */
  private record Scored(Filed filed, double score) {}

  @Override
  public Class<Patient> getResourceType() {
    return Patient.class;
  }

  @Read
  public Patient read(@IdParam IdType id) {
    Filed filed = byNhsNumber.get(id.getIdPart());
    if (filed == null) {
      throw new ResourceNotFoundException(id);
    }
    return patient(filed.entry);
  }

  @Search(allowUnknownParams = true)
  public List<IBaseResource> search(RequestDetails request) {
    Query query = Query.of(request.getParameters());
    List<Filed> found = query.fuzzy() ? fuzzy(query) : exact(query);
    List<IBaseResource> out = new ArrayList<>();
    for (Filed filed : found) {
      double score = query.score(filed);
      Patient patient = patient(filed.entry);
      ResourceMetadataKeyEnum.ENTRY_SEARCH_MODE.put(patient, BundleEntrySearchModeEnum.MATCH);
      ResourceMetadataKeyEnum.ENTRY_SEARCH_SCORE.put(
          patient, BigDecimal.valueOf(score).setScale(2, RoundingMode.HALF_UP));
      out.add(patient);
    }
    return out;
  }

  /** Everyone born on the date (the one block an exact match must be in) who matches exactly. */
  private List<Filed> exact(Query query) {
    return blocks.getOrDefault("b:" + query.birthDate(), List.of()).stream()
        .filter(query::matchesExactly)
        .limit(query.maxResults())
        .toList();
  }

  /** The people of the query's blocks, each scored once, best first (NHS number breaks ties). */
  private List<Filed> fuzzy(Query query) {
    Set<Filed> candidates = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Scored> scored = new ArrayList<>();
    for (String key : query.blockingKeys()) {
      for (Filed filed : blocks.getOrDefault(key, List.of())) {
        if (candidates.add(filed)
            && (query.identifier() == null || query.identifier().equals(filed.nhs))) {
          scored.add(new Scored(filed, query.score(filed)));
        }
      }
    }
    return scored.stream()
        .sorted(
            Comparator.comparingDouble(Scored::score).reversed().thenComparing(s -> s.filed().nhs))
        .limit(query.maxResults())
        .map(Scored::filed)
        .toList();
  }

  /** The keys a person is filed under: their birth date, names by sound and year, postcodes. */
  private static Set<String> blockingKeys(IndexPerson p) {
    Set<String> keys = new LinkedHashSet<>();
    keys.add("b:" + p.birthDate());
    List<String> families = new ArrayList<>();
    families.add(p.family());
    families.addAll(p.previousFamilies());
    for (String family : families) {
      for (String code : sounds(family)) {
        keys.add("m:" + code + ":" + p.birthDate().getYear());
      }
    }
    List<String> postcodes = new ArrayList<>();
    postcodes.add(p.postcode());
    postcodes.addAll(p.previousPostcodes());
    for (String postcode : postcodes) {
      if (postcode != null && p.given() != null) {
        keys.add("p:" + compactPostcode(postcode) + ":" + initial(p.given()));
      }
    }
    return keys;
  }

  static Set<String> sounds(String name) {
    String folded = fold(name);
    Set<String> codes = new LinkedHashSet<>();
    if (!folded.isEmpty()) {
      codes.add(METAPHONE.doubleMetaphone(folded));
      codes.add(METAPHONE.doubleMetaphone(folded, true));
    }
    return codes;
  }

  /** Upper-case letters only: accents, spaces, hyphens and apostrophes dropped. */
  static String fold(String name) {
    return Normalizer.normalize(name, Normalizer.Form.NFD)
        .replaceAll("[^\\p{L}]", "")
        .toUpperCase(Locale.ROOT);
  }

  static String compactPostcode(String postcode) {
    return postcode.replaceAll("\\s", "").toUpperCase(Locale.ROOT);
  }

  private static String initial(String given) {
    String folded = fold(given);
    return folded.isEmpty() ? "" : folded.substring(0, 1);
  }

  static Patient patient(Entry entry) {
    IndexPerson p = entry.person();
    Patient patient = new Patient();
    patient.setId(p.nhsNumber().toString());
    patient.addIdentifier().setSystem(NHS_NUMBER_SYSTEM).setValue(p.nhsNumber().toString());
    HumanName official = patient.addName().setUse(HumanName.NameUse.OFFICIAL).setFamily(p.family());
    if (p.given() != null) {
      official.addGiven(p.given());
    }
    for (String previous : p.previousFamilies()) {
      HumanName old = patient.addName().setUse(HumanName.NameUse.OLD).setFamily(previous);
      if (p.given() != null) {
        old.addGiven(p.given());
      }
    }
    if (p.gender() != null) {
      patient.setGender(Enumerations.AdministrativeGender.fromCode(p.gender()));
    }
    patient.setBirthDate(date(p.birthDate()));
    if (p.postcode() != null) {
      Address home =
          patient.addAddress().setUse(Address.AddressUse.HOME).setPostalCode(p.postcode());
      if (p.addressLine() != null) {
        home.addLine(p.addressLine());
      }
      entry
          .uprn()
          .ifPresent(
              uprn -> {
                Extension key = home.addExtension().setUrl(ADDRESS_KEY_EXTENSION);
                key.addExtension("type", new Coding(ADDRESS_KEY_TYPE_SYSTEM, "UPRN", "UPRN"));
                key.addExtension("value", new StringType(uprn));
              });
    }
    for (String previous : p.previousPostcodes()) {
      patient.addAddress().setUse(Address.AddressUse.OLD).setPostalCode(previous);
    }
    entry.deceased().ifPresent(d -> patient.setDeceased(new DateTimeType(date(d))));
    return patient;
  }

  private static Date date(LocalDate date) {
    return Date.from(date.atStartOfDay(ZoneOffset.UTC).toInstant());
  }

  /** One search's parameters, checked. */
  record Query(
      String family,
      String given,
      LocalDate birthDate,
      String gender,
      String postcode,
      String identifier,
      boolean fuzzy,
      int maxResults,
      Set<String> familySounds,
      Optional<LocalDate> swappedBirthDate) {

    static Query of(Map<String, String[]> parameters) {
      for (String name : parameters.keySet()) {
        if (!PARAMETERS.contains(name)) {
          throw new InvalidRequestException("unknown search parameter " + name);
        }
      }
      String family = one(parameters, "family");
      String birthdate = one(parameters, "birthdate");
      if (family == null || family.isBlank() || birthdate == null) {
        throw new InvalidRequestException(
            "a search needs family and birthdate (PDS's minimum), got "
                + (family == null || family.isBlank() ? "no family" : "no birthdate"));
      }
      LocalDate birthDate;
      try {
        birthDate =
            LocalDate.parse(birthdate.startsWith("eq") ? birthdate.substring(2) : birthdate);
      } catch (DateTimeException e) {
        throw new InvalidRequestException("expected birthdate as YYYY-MM-DD");
      }
      String gender = one(parameters, "gender");
      if (gender != null && !List.of("male", "female", "other", "unknown").contains(gender)) {
        throw new InvalidRequestException("expected gender male, female, other or unknown");
      }
      String identifier = one(parameters, "identifier");
      if (identifier != null && identifier.contains("|")) {
        String system = identifier.substring(0, identifier.indexOf('|'));
        if (!system.isEmpty() && !system.equals(NHS_NUMBER_SYSTEM)) {
          throw new InvalidRequestException("expected an identifier of " + NHS_NUMBER_SYSTEM);
        }
        identifier = identifier.substring(identifier.indexOf('|') + 1);
      }
      String fuzzy = one(parameters, "_fuzzy-match");
      if (fuzzy != null && !fuzzy.equals("true") && !fuzzy.equals("false")) {
        throw new InvalidRequestException("expected _fuzzy-match true or false");
      }
      String max = one(parameters, "_max-results");
      int maxResults = DEFAULT_RESULTS;
      if (max != null) {
        try {
          maxResults = Integer.parseInt(max);
        } catch (NumberFormatException e) {
          maxResults = 0;
        }
        if (maxResults < 1 || maxResults > MAX_RESULTS) {
          throw new InvalidRequestException("expected _max-results from 1 to " + MAX_RESULTS);
        }
      }
      String postcode = one(parameters, "address-postcode");
      String given = one(parameters, "given");
      String folded = fold(family);
      return new Query(
          folded,
          given == null ? null : fold(given),
          birthDate,
          gender,
          postcode == null ? null : compactPostcode(postcode),
          identifier,
          "true".equals(fuzzy),
          maxResults,
          sounds(folded),
          swapped(birthDate));
    }

    private static String one(Map<String, String[]> parameters, String name) {
      String[] values = parameters.get(name);
      if (values == null || values.length == 0) {
        return null;
      }
      if (values.length > 1) {
        throw new InvalidRequestException("expected one " + name + ", got " + values.length);
      }
      return values[0];
    }

    Set<String> blockingKeys() {
      Set<String> keys = new LinkedHashSet<>();
      keys.add("b:" + birthDate);
      swapped(birthDate).ifPresent(d -> keys.add("b:" + d));
      for (String code : sounds(family)) {
        keys.add("m:" + code + ":" + birthDate.getYear());
      }
      if (postcode != null && given != null && !given.isEmpty()) {
        keys.add("p:" + postcode + ":" + given.charAt(0));
      }
      return keys;
    }

    private static Optional<LocalDate> swapped(LocalDate date) {
      try {
        LocalDate swapped =
            LocalDate.of(date.getYear(), date.getDayOfMonth(), date.getMonthValue());
        return swapped.equals(date) ? Optional.empty() : Optional.of(swapped);
      } catch (DateTimeException e) {
        return Optional.empty();
      }
    }

    boolean matchesExactly(Filed p) {
      return familyAgrees(p)
          && birthDate.equals(p.person.birthDate())
          && (given == null || (p.given != null && given.equals(p.given)))
          && (gender == null || gender.equals(p.person.gender()))
          && (postcode == null || postcodeAgrees(p))
          && (identifier == null || identifier.equals(p.nhs));
    }

    private boolean familyAgrees(Filed p) {
      return family.equals(p.family) || p.previousFamilies.contains(family);
    }

    private boolean postcodeAgrees(Filed p) {
      return (p.postcode != null && postcode.equals(p.postcode))
          || p.previousPostcodes.contains(postcode);
    }

    /**
     * A plain 0..1 score of agreeing fields (family 0.3, birth date 0.3, given 0.2, postcode 0.15,
     * gender 0.05), with part credit for a family name that sounds the same, a swapped birth date,
     * a given initial and a postcode district. Orders candidates; never used to link.
     */
    double score(Filed p) {
      double score = 0;
      if (familyAgrees(p)) {
        score += 0.3;
      } else if (soundsAlike(p)) {
        score += 0.2;
      }
      LocalDate theirDate = p.person.birthDate();
      if (birthDate.equals(theirDate)) {
        score += 0.3;
      } else if (swappedBirthDate.map(theirDate::equals).orElse(false)
          || birthDate.getYear() == theirDate.getYear()) {
        score += 0.15;
      }
      if (given != null && p.given != null) {
        String theirs = p.given;
        if (given.equals(theirs)) {
          score += 0.2;
        } else if (!given.isEmpty() && !theirs.isEmpty() && given.charAt(0) == theirs.charAt(0)) {
          score += 0.1;
        }
      }
      if (postcode != null) {
        if (postcodeAgrees(p)) {
          score += 0.15;
        } else if (p.postcode != null && outward(postcode).equals(outward(p.postcode))) {
          score += 0.05;
        }
      }
      if (gender != null && gender.equals(p.person.gender())) {
        score += 0.05;
      }
      return Math.min(1.0, score);
    }

    private boolean soundsAlike(Filed p) {
      for (String code : familySounds) {
        if (p.sounds.contains(code)) {
          return true;
        }
      }
      return false;
    }

    /** The outward code of a compact postcode: all but the last three characters. */
    private static String outward(String compact) {
      return compact.length() > 3 ? compact.substring(0, compact.length() - 3) : compact;
    }
  }
}
