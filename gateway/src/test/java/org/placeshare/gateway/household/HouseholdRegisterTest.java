package org.placeshare.gateway.household;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.RelatedPerson;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.gateway.TestPostgres;
import org.placeshare.gateway.storage.Database;
import org.placeshare.policy.FamilyRelationship;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/**
 * The household register against a real PostgreSQL: who lives where on a day, keyed by UPRN or by a
 * folded address, stated parents and children wherever they live, conflicting addresses kept apart,
 * the cap, and learning from the sources' answers with every change logged.
 */
class HouseholdRegisterTest {

  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private static final LocalDate TODAY = LocalDate.of(2026, 11, 22);
  private static final LocalDate LONG_AGO = LocalDate.of(2020, 1, 1);
  private static final AtomicInteger NEXT = new AtomicInteger(1000);

  @TempDir static Path dir;
  static Vertx vertx;
  static Database db;
  static HouseholdRegister register;

  @BeforeAll
  static void open() throws Exception {
    vertx = Vertx.vertx();
    db = Database.open(vertx, TestPostgres.freshDatabase(), dir).await();
    register = new HouseholdRegister(db.pool());
  }

  @AfterAll
  static void close() {
    if (db != null) {
      db.close().await();
    }
    vertx.close().await();
  }

  /** A fresh valid test NHS number (999 range, Modulus 11) for each person, so tests never meet. */
  static NhsNumber person() {
    while (true) {
      String nine = "999" + String.format("%06d", NEXT.getAndIncrement());
      int sum = 0;
      for (int i = 0; i < 9; i++) {
        sum += (nine.charAt(i) - '0') * (10 - i);
      }
      int check = 11 - sum % 11;
      if (check == 10) {
        continue;
      }
      return NhsNumber.parse(nine + (check == 11 ? 0 : check));
    }
  }

  private static AddressKey at(String postcode, String line) {
    return AddressKey.address(postcode, line).orElseThrow();
  }

  private static Residence lives(NhsNumber who, AddressKey where, LocalDate from, LocalDate to) {
    return new Residence(who, where, "gp", from, Optional.ofNullable(to));
  }

  /** Lives at {@code where} since long ago, by the gp's word. */
  private static Residence lives(NhsNumber who, AddressKey where) {
    return lives(who, where, "gp");
  }

  /** Lives at {@code where} since long ago, by {@code source}'s word. */
  private static Residence lives(NhsNumber who, AddressKey where, String source) {
    return new Residence(who, where, source, LONG_AGO, Optional.empty());
  }

  /** {@code source} states that {@code parent} is a parent of {@code child}. */
  private static FamilyTie parentTie(NhsNumber parent, NhsNumber child, String source) {
    return new FamilyTie(parent, child, FamilyTie.Kind.PARENT, source);
  }

  private static void record(Residence... residences) {
    register.record(List.of(residences), NOW).await();
  }

  private static void recordTies(FamilyTie... ties) {
    register.recordTies(List.of(ties), NOW).await();
  }

  private static Map<NhsNumber, Set<FamilyRelationship>> members(Household h) {
    return h.members().stream()
        .collect(Collectors.toMap(Household.Member::person, Household.Member::relationships));
  }

  private static Household householdOf(NhsNumber who, LocalDate day) {
    return register.householdOf(who, day, 10).await();
  }

  @Test
  void householdOf_memberWhoMovedOutYesterday_isNotAMemberTodayButWasInThePast() {
    AddressKey home = at("CV1 5AB", "3 Spon End");
    NhsNumber stays = person();
    NhsNumber left = person();
    record(lives(stays, home), lives(left, home, LONG_AGO, TODAY.minusDays(1)));

    Household today = householdOf(stays, TODAY);
    Household before = householdOf(stays, LocalDate.of(2023, 6, 1));
    Household beforeTheyMovedIn = householdOf(stays, LocalDate.of(2019, 12, 31));

    assertThat(today.address()).hasValue(home);
    assertThat(today.members()).isEmpty();
    assertThat(members(before)).isEqualTo(Map.of(left, Set.of(FamilyRelationship.HOUSEHOLD)));
    assertThat(beforeTheyMovedIn.address()).isEmpty();
    assertThat(beforeTheyMovedIn.members()).isEmpty();
  }

  @Test
  void householdOf_sameUprn_isOneHouseholdWhateverTheWrittenAddress_andAnAddressKeyIsNotMerged() {
    AddressKey byUprn = AddressKey.of("100071234567", "CV2 4GA", "1 Main St").orElseThrow();
    AddressKey alsoByUprn =
        AddressKey.of("100071234567", "CV2 4GA", "Ground floor, 1 Main Street").orElseThrow();
    AddressKey noUprn = AddressKey.of(null, "CV2 4GA", "1 Main St").orElseThrow();
    NhsNumber a = person();
    NhsNumber b = person();
    NhsNumber c = person();
    record(lives(a, byUprn), lives(b, alsoByUprn), lives(c, noUprn));

    assertThat(byUprn).isEqualTo(alsoByUprn).isEqualTo(new AddressKey("uprn:100071234567"));
    assertThat(members(householdOf(a, TODAY)))
        .isEqualTo(Map.of(b, Set.of(FamilyRelationship.HOUSEHOLD)));
    // A source without the UPRN keys the house by its address: never guessed to be the same.
    assertThat(householdOf(c, TODAY).members()).isEmpty();
  }

  @Test
  void householdOf_addressVariants_areFoldedButDifferentFlatsKeptApart() {
    NhsNumber a = person();
    NhsNumber b = person();
    NhsNumber flat1 = person();
    NhsNumber flat2 = person();
    record(
        lives(a, at("CV1 5AB", "14 Harnall Ln")),
        lives(b, at("cv15ab", "14 HARNALL LANE")),
        lives(flat1, at("CV1 5AB", "Flat 1, 14 Harnall Lane")),
        lives(flat2, at("CV1 5AB", "Flat 2 14 Harnall Ln")));

    assertThat(members(householdOf(a, TODAY)))
        .isEqualTo(Map.of(b, Set.of(FamilyRelationship.HOUSEHOLD)));
    assertThat(householdOf(flat1, TODAY).members()).isEmpty();
    assertThat(householdOf(flat2, TODAY).members()).isEmpty();
  }

  @Test
  void householdOf_parentsAndChildren_areFamilyAcrossAddresses() {
    AddressKey mothers = at("CV3 1AA", "7 Oak Road");
    AddressKey fathers = at("CV6 2BB", "22 Elm Close");
    NhsNumber mother = person();
    NhsNumber father = person();
    NhsNumber child = person();
    NhsNumber lodger = person();
    record(
        lives(mother, mothers),
        lives(child, mothers),
        lives(lodger, mothers),
        lives(father, fathers));
    // Each tie stated by two sources: one source's word makes nobody family.
    recordTies(
        parentTie(mother, child, "gp"),
        parentTie(mother, child, "school"),
        parentTie(father, child, "council"),
        parentTie(father, child, "gp"));

    assertThat(members(householdOf(child, TODAY)))
        .isEqualTo(
            Map.of(
                mother,
                Set.of(FamilyRelationship.HOUSEHOLD, FamilyRelationship.PARENT_CHILD),
                father,
                Set.of(FamilyRelationship.PARENT_CHILD),
                lodger,
                Set.of(FamilyRelationship.HOUSEHOLD)));
    assertThat(members(householdOf(father, TODAY)))
        .isEqualTo(Map.of(child, Set.of(FamilyRelationship.PARENT_CHILD)));
  }

  @Test
  void householdOf_sourcesGivingDifferentAddresses_reportsTheConflictAndNeverMerges() {
    AddressKey gpSays = at("CV1 1AA", "5 High Street");
    AddressKey councilSays = at("CV4 9ZZ", "80 Low Road");
    NhsNumber person = person();
    NhsNumber withGp = person();
    NhsNumber withCouncil = person();
    record(
        lives(person, gpSays),
        lives(withGp, gpSays),
        lives(person, councilSays, "council"),
        lives(withCouncil, councilSays, "council"));

    Household h = householdOf(person, TODAY);

    // Neither address is chosen (either could be a hostile source's): the person alone.
    assertThat(h.address()).isEmpty();
    assertThat(h.conflicting()).containsExactlyInAnyOrder(gpSays, councilSays);
    assertThat(h.members()).isEmpty();
    // Nor is the person a resident of either home.
    assertThat(householdOf(withGp, TODAY).members()).isEmpty();
    assertThat(householdOf(withCouncil, TODAY).members()).isEmpty();
  }

  @Test
  void householdOf_hostileSourceGivingAShortUprnOfAnotherHome_showsNoneOfItsResidents() {
    AddressKey victims = AddressKey.uprn("1").orElseThrow();
    AddressKey ownHome = at("CV1 1AA", "7 High Street");
    NhsNumber person = person();
    NhsNumber victim = person();
    NhsNumber victimsChild = person();
    record(
        lives(person, ownHome),
        lives(victim, victims),
        lives(victimsChild, victims),
        new Residence(person, victims, "hostile", TODAY, Optional.empty()));

    Household h = householdOf(person, TODAY);

    assertThat(h.members()).isEmpty();
    assertThat(h.address()).isEmpty();
    assertThat(h.conflicting()).containsExactlyInAnyOrder(victims, ownHome);
    // Nor does the hostile source put the person in the victims' household.
    assertThat(members(householdOf(victim, TODAY)))
        .isEqualTo(Map.of(victimsChild, Set.of(FamilyRelationship.HOUSEHOLD)));
    // Before the hostile source's word, the person lived at their own home alone.
    assertThat(householdOf(person, TODAY.minusDays(1)).address()).hasValue(ownHome);
  }

  @Test
  void householdOf_twoHonestSourcesAgreeing_giveTheHousehold() {
    AddressKey home = AddressKey.uprn("100070004321").orElseThrow();
    NhsNumber person = person();
    NhsNumber partner = person();
    record(
        lives(person, home),
        lives(person, home, "council"),
        lives(partner, home),
        lives(partner, home, "council"));

    Household h = householdOf(person, TODAY);

    assertThat(h.address()).hasValue(home);
    assertThat(h.conflicting()).isEmpty();
    assertThat(members(h)).isEqualTo(Map.of(partner, Set.of(FamilyRelationship.HOUSEHOLD)));
  }

  @Test
  void householdOf_conflictingAddresses_keepParentsAndChildrenStatedByTwoSources() {
    NhsNumber child = person();
    NhsNumber mother = person();
    record(
        lives(child, at("CV1 1AA", "9 High Street")),
        lives(child, at("CV4 9ZZ", "81 Low Road"), "council"));
    recordTies(parentTie(mother, child, "gp"), parentTie(mother, child, "school"));

    assertThat(members(householdOf(child, TODAY)))
        .isEqualTo(Map.of(mother, Set.of(FamilyRelationship.PARENT_CHILD)));
  }

  @Test
  void householdOf_overTheLimit_readsNoMoreThanTheLimit() {
    AddressKey careHome = AddressKey.uprn("200003334444").orElseThrow();
    NhsNumber resident = person();
    List<Residence> residents = new java.util.ArrayList<>();
    residents.add(lives(resident, careHome));
    for (int i = 0; i < 12; i++) {
      residents.add(lives(person(), careHome));
    }
    register.record(residents, NOW).await();

    assertThat(register.householdOf(resident, TODAY, 5).await().members()).hasSize(5);
    assertThat(register.householdOf(resident, TODAY, 50).await().members()).hasSize(12);
  }

  @Test
  void householdOf_personWithNoAddress_hasNoHousehold() {
    Household h = householdOf(person(), TODAY);

    assertThat(h.address()).isEmpty();
    assertThat(h.members()).isEmpty();
    assertThat(h.conflicting()).isEmpty();
  }

  // --- learning from the sources ---

  private static final SourceDescriptor GP =
      new SourceDescriptor(
          "gp",
          OdsCode.of("Y90001"),
          URI.create("http://localhost/fhir"),
          Duration.ofSeconds(5),
          List.of("Patient", "RelatedPerson"));

  private static SourceRecords.Found found(Patient patient, Resource... resources) {
    return new SourceRecords.Found(GP, patient, List.of(resources), List.of(), 0, List.of());
  }

  private static Patient livingAt(String postcode, String line) {
    Patient p = new Patient();
    p.addAddress().setUse(Address.AddressUse.HOME).setPostalCode(postcode).addLine(line);
    return p;
  }

  private static HouseholdLearning learningOn(LocalDate day) {
    return new HouseholdLearning(
        register, Clock.fixed(day.atTime(10, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC));
  }

  /** What a {@code count(*)} query about one person ({@code $1}) counts. */
  private static long count(String sql, NhsNumber person) {
    return db.pool()
        .preparedQuery(sql)
        .execute(Tuple.of(person.toString()))
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  private static long changes(NhsNumber person) {
    return count("SELECT count(*) FROM household_change WHERE nhs_number = $1", person);
  }

  @Test
  void learn_aMoveSeenInALaterView_endsTheOldResidenceTheDayBefore() {
    NhsNumber mover = person();
    NhsNumber neighbour = person();
    record(lives(neighbour, at("SR1 3AB", "9 Hylton Road")));
    LocalDate monday = LocalDate.of(2026, 11, 2);
    LocalDate friday = LocalDate.of(2026, 11, 6);

    learningOn(monday).learn(mover, List.of(found(livingAt("SR1 3AB", "9 Hylton Rd")))).await();
    learningOn(friday).learn(mover, List.of(found(livingAt("SR2 7XY", "1 New Street")))).await();

    assertThat(members(householdOf(mover, monday)))
        .isEqualTo(Map.of(neighbour, Set.of(FamilyRelationship.HOUSEHOLD)));
    assertThat(members(householdOf(mover, LocalDate.of(2026, 11, 5)))).containsKey(neighbour);
    Household after = householdOf(mover, friday);
    assertThat(after.address()).hasValue(at("SR2 7XY", "1 New St"));
    assertThat(after.members()).isEmpty();
    assertThat(after.conflicting()).isEmpty();
  }

  @Test
  void learn_everyChangeIsLogged_andAFactSeenAgainUnchangedWritesNothing() {
    NhsNumber child = person();
    NhsNumber mother = person();
    RelatedPerson mum = HouseholdFactsTest.related(mother, "MTH");
    Patient patient = livingAt("CV1 5AB", "20 Harnall Lane");

    learningOn(TODAY).learn(child, List.of(found(patient, mum))).await();
    long first = changes(child);
    learningOn(TODAY.plusDays(1)).learn(child, List.of(found(patient, mum))).await();
    learningOn(TODAY.plusDays(2)).learn(child, List.of(found(patient, mum))).await();
    long again = changes(child);
    learningOn(TODAY.plusDays(3))
        .learn(child, List.of(found(livingAt("CV2 2CC", "4 Other Way"), mum)))
        .await();

    // The residence recorded, then nothing for two views of the same facts.
    assertThat(first).isEqualTo(1);
    assertThat(again).isEqualTo(1);
    // A move: the new residence, and the old one ended.
    assertThat(changes(child)).isEqualTo(3);
    assertThat(changes(mother)).isEqualTo(1);
    // The gp's word alone makes nobody family; a second source stating the tie makes it.
    assertThat(householdOf(child, TODAY.plusDays(3)).members()).isEmpty();
    recordTies(parentTie(mother, child, "school"));
    assertThat(members(householdOf(child, TODAY.plusDays(3))))
        .isEqualTo(Map.of(mother, Set.of(FamilyRelationship.PARENT_CHILD)));
    // The first residence kept the day it was first seen.
    assertThat(householdOf(child, TODAY).address()).hasValue(at("CV1 5AB", "20 Harnall Ln"));
  }

  @Test
  void householdOf_oneHostileSourceStatingNineteenChildren_makesNobodyFamily() {
    NhsNumber claimed = person();
    List<FamilyTie> ties = new java.util.ArrayList<>();
    List<NhsNumber> children = new java.util.ArrayList<>();
    for (int i = 0; i < 19; i++) {
      NhsNumber child = person();
      children.add(child);
      ties.add(parentTie(claimed, child, "hostile"));
    }
    register.recordTies(ties, NOW).await();

    assertThat(householdOf(claimed, TODAY).members()).isEmpty();
    assertThat(householdOf(children.get(0), TODAY).members()).isEmpty();
  }

  @Test
  void householdOf_twoSourcesStatingATie_makeIt_andARetractionRemovesIt() {
    NhsNumber parent = person();
    NhsNumber child = person();
    register.restateTies(child, "gp", List.of(parentTie(parent, child, "gp")), NOW).await();
    register.restateTies(child, "school", List.of(parentTie(parent, child, "school")), NOW).await();
    assertThat(members(householdOf(child, TODAY)))
        .isEqualTo(Map.of(parent, Set.of(FamilyRelationship.PARENT_CHILD)));

    // The school no longer states it: its word is retracted, and the gp's alone is not enough.
    register.restateTies(child, "school", List.of(), NOW).await();

    assertThat(householdOf(child, TODAY).members()).isEmpty();
    assertThat(
            count(
                "SELECT count(*) FROM household_change WHERE change = 'tie-retracted' AND"
                    + " other = $1 AND source = 'school'",
                child))
        .isEqualTo(1);
  }

  @Test
  void learn_fromASourceHoldingASensitiveCategory_learnsNothing() {
    SourceDescriptor police =
        new SourceDescriptor(
            "police",
            OdsCode.of("Y90001"),
            URI.create("http://localhost/fhir"),
            Duration.ofSeconds(5),
            List.of("Patient", "RelatedPerson"),
            Set.of(org.placeshare.policy.SensitiveCategory.CRIMINAL_OFFENCE));
    NhsNumber suspect = person();
    NhsNumber parent = person();

    learningOn(TODAY)
        .learn(
            suspect,
            List.of(
                new SourceRecords.Found(
                    police,
                    livingAt("CV1 5AB", "3 Harnall Lane"),
                    List.of(HouseholdFactsTest.related(parent, "MTH")),
                    List.of(),
                    0,
                    List.of())))
        .await();

    assertThat(changes(suspect)).isZero();
    assertThat(changes(parent)).isZero();
    assertThat(householdOf(suspect, TODAY).address()).isEmpty();
  }
}
