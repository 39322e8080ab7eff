package org.placeshare.gateway.household;

import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.RelatedPerson;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.placeshare.fhir.AboutThePerson;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.fhir.index.IndexPatient;
import org.placeshare.policy.NhsNumber;

/**
 * What one source's records of a person say about their household, for the household register:
 * where they live ({@code Patient.address}: home, temporary or old, with its period; the UPRN from
 * UK Core's address key, else postcode and all the address lines), and the family ties the source
 * states (a {@code RelatedPerson} coded parent, child or guardian in HL7 v3 RoleCode that carries
 * the other person's NHS number). {@code Patient.link} and {@code Patient.contact} are not ties: a
 * link says two records are one person, and a contact is whoever to call. Pure; a source's odd
 * entries are passed over, never guessed at.
 *
 * @param residences where the source says the person lives or lived
 * @param ties the family ties the source states about the person
 */
public record HouseholdFacts(List<Residence> residences, List<FamilyTie> ties) {

  /** More addresses than this on one Patient is not a person's history but bad data. */
  public static final int MAX_ADDRESSES = 20;

  /**
   * More parents and children than this stated of one person by one source is not a family but bad
   * data (or a hostile source): none of that source's ties of the person is kept.
   */
  public static final int MAX_TIES = 12;

  /** Addresses, periods and ties are English calendar days. */
  private static final ZoneId ENGLAND = ZoneId.of("Europe/London");

  private static final String ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";

  /**
   * The related person is a parent of (or, for GUARD, cares for) the person. Natural parents (NPRN,
   * NMTH, NFTH) are not ties: a birth parent of an adopted or looked-after child is not their
   * family for a household view.
   */
  private static final Map<String, FamilyTie.Kind> RELATED_IS_PARENT =
      Map.ofEntries(
          Map.entry("PRN", FamilyTie.Kind.PARENT),
          Map.entry("MTH", FamilyTie.Kind.PARENT),
          Map.entry("FTH", FamilyTie.Kind.PARENT),
          Map.entry("ADOPTP", FamilyTie.Kind.PARENT),
          Map.entry("ADOPTM", FamilyTie.Kind.PARENT),
          Map.entry("ADOPTF", FamilyTie.Kind.PARENT),
          Map.entry("STPPRN", FamilyTie.Kind.PARENT),
          Map.entry("STPMTH", FamilyTie.Kind.PARENT),
          Map.entry("STPFTH", FamilyTie.Kind.PARENT),
          Map.entry("GUARD", FamilyTie.Kind.CARER));

  /** The related person is a child of the person. */
  private static final Set<String> RELATED_IS_CHILD =
      Set.of(
          "CHILD",
          "NCHILD",
          "DAU",
          "SON",
          "DAUC",
          "SONC",
          "CHLDADOPT",
          "DAUADOPT",
          "SONADOPT",
          "STPCHLD",
          "STPDAU",
          "STPSON");

  public HouseholdFacts {
    residences = List.copyOf(residences);
    ties = List.copyOf(ties);
  }

  /** Where this source says the person lives on {@code day}: the keys of its residences then. */
  public Set<AddressKey> addressesOn(LocalDate day) {
    Set<AddressKey> keys = new LinkedHashSet<>();
    residences.stream().filter(r -> r.on(day)).forEach(r -> keys.add(r.address()));
    return keys;
  }

  /**
   * The household facts in one source's answer about {@code person}, seen on {@code seen}. An
   * address without a start is taken as lived at from the day it was seen (the register keeps the
   * first such day); an old address without an end cannot be placed in time and is passed over.
   */
  public static HouseholdFacts in(NhsNumber person, SourceRecords.Found found, LocalDate seen) {
    String source = found.source().id();
    List<Residence> residences = new ArrayList<>();
    for (Address address : found.patient().getAddress().stream().limit(MAX_ADDRESSES).toList()) {
      residence(person, source, address, seen).ifPresent(residences::add);
    }
    Set<FamilyTie> ties = new LinkedHashSet<>();
    for (Resource r : found.resources()) {
      if (ties.size() > MAX_TIES) {
        break;
      }
      if (r instanceof RelatedPerson related) {
        tie(person, source, related).ifPresent(ties::add);
      }
    }
    return new HouseholdFacts(residences, ties.size() > MAX_TIES ? List.of() : List.copyOf(ties));
  }

  private static Optional<Residence> residence(
      NhsNumber person, String source, Address address, LocalDate seen) {
    Address.AddressUse use = address.getUse();
    // Work and billing addresses are not where anyone lives; a postal-only one may not be either.
    if (use == Address.AddressUse.WORK
        || use == Address.AddressUse.BILLING
        || address.getType() == Address.AddressType.POSTAL) {
      return Optional.empty();
    }
    // A source that gives a UPRN is keyed by it alone: its address lines are not stored as a second
    // key, since a source pairing a UPRN with another home's lines would join the two homes.
    Optional<AddressKey> key =
        AddressKey.of(
            IndexPatient.uprn(address).orElse(null), address.getPostalCode(), lines(address));
    if (key.isEmpty()) {
      return Optional.empty();
    }
    Optional<LocalDate> start = day(address.getPeriod().getStart());
    Optional<LocalDate> end = day(address.getPeriod().getEnd());
    boolean old = use == Address.AddressUse.OLD;
    if (old && end.isEmpty()) {
      return Optional.empty();
    }
    LocalDate from = start.orElse(seen);
    if (end.isPresent() && end.get().isBefore(from)) {
      // An undated address that ended before it was seen, or a period the wrong way round.
      return Optional.empty();
    }
    return Optional.of(new Residence(person, key.get(), source, from, end));
  }

  /**
   * All the address's lines (every line counts: "Flat 2" on the first line is in many houses), at
   * most one more than {@link AddressKey#MAX_LINES}, so that an address with too many has no key.
   */
  static List<String> lines(Address address) {
    return address.getLine().stream()
        .limit(AddressKey.MAX_LINES + 1L)
        .map(StringType::getValue)
        .toList();
  }

  private static Optional<FamilyTie> tie(NhsNumber person, String source, RelatedPerson related) {
    if (related.hasActive() && !related.getActive()) {
      return Optional.empty();
    }
    List<NhsNumber> numbers =
        related.getIdentifier().stream()
            .filter(AboutThePerson::isNhsNumber)
            .map(AboutThePerson::nhsNumberValue)
            .map(NhsNumber::tryParse)
            .flatMap(Optional::stream)
            .distinct()
            .toList();
    // One valid NHS number, not the person's own: anything else names nobody for certain.
    if (numbers.size() != 1 || numbers.get(0).equals(person)) {
      return Optional.empty();
    }
    NhsNumber other = numbers.get(0);
    for (CodeableConcept relationship : related.getRelationship()) {
      for (Coding coding : relationship.getCoding()) {
        if (!ROLE_CODE.equals(coding.getSystem()) || coding.getCode() == null) {
          continue;
        }
        FamilyTie.Kind parent = RELATED_IS_PARENT.get(coding.getCode());
        if (parent != null) {
          return Optional.of(new FamilyTie(other, person, parent, source));
        }
        if (RELATED_IS_CHILD.contains(coding.getCode())) {
          return Optional.of(new FamilyTie(person, other, FamilyTie.Kind.PARENT, source));
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<LocalDate> day(Date date) {
    return Optional.ofNullable(date).map(d -> LocalDate.ofInstant(d.toInstant(), ENGLAND));
  }
}
