package org.placeshare.fhir.mapped;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Flag;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.PersonView;
import org.placeshare.fhir.ReleaseObligations;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.fhir.UpstreamException;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.Link;
import org.placeshare.fhir.linkage.LinkLookup;
import org.placeshare.fhir.linkage.LinkMethod;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.fhir.synthetic.Agency;
import org.placeshare.fhir.synthetic.AgencyPopulation;
import org.placeshare.fhir.synthetic.AgencyServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.TracingPopulation;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.Obligations;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.SensitiveCategory;
import org.placeshare.policy.SensitiveCodes;

/**
 * The four synthetic agencies, served for real over HTTP, read as traced sources: their rosters
 * page by page, and a person's records through the links to their NHS number.
 */
class TracedSourceTest {

  @TempDir static Path dir;
  static Vertx vertx;
  static final List<SyntheticPerson> people = SyntheticPopulation.generate(30, 2026);
  static final AgencyPopulation population =
      AgencyPopulation.of(TracingPopulation.generate(60, 11), Optional.of(people.get(27)));
  static final Map<Agency, AgencyServer> servers = new EnumMap<>(Agency.class);
  static final Map<Agency, SourceMapping> mappings = new EnumMap<>(Agency.class);

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    for (Agency a : Agency.values()) {
      servers.put(a, a.start(0, population.people(a)));
      Path file = dir.resolve(a.mappingFile());
      try (InputStream in = a.mapping()) {
        Files.copy(in, file);
      }
      mappings.put(a, SourceMapping.load(file));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (AgencyServer s : servers.values()) {
      s.close();
    }
    vertx.close().await();
  }

  /** Links as a register holds them: by source and NHS number. */
  record Links(List<Link> links, Optional<String> trouble) implements LinkLookup {
    @Override
    public Future<List<Link>> linksTo(String sourceId, NhsNumber nhsNumber) {
      return Future.succeededFuture(
          links.stream()
              .filter(l -> l.source().equals(sourceId) && l.nhsNumber().equals(nhsNumber))
              .toList());
    }

    @Override
    public Optional<String> tracingTrouble(String sourceId) {
      return trouble;
    }
  }

  static final Links NO_LINKS = new Links(List.of(), Optional.empty());

  /** The person the hostile roster server's pages list, as tracing reads them. */
  static final Demographics EVANS =
      Demographics.of("Evans", null, LocalDate.of(2007, 2, 17), null, null);

  /** A certain link of a roster entry, made on the demographics the roster gives it. */
  static Link link(Agency a, RosterEntry entry, NhsNumber nhs) {
    return link(a, entry.localId(), nhs, entry.demographics().orElseThrow());
  }

  static Link link(Agency a, String localId, NhsNumber nhs, Demographics madeOn) {
    return new Link(
        a.sourceId,
        localId,
        nhs,
        MatchGrade.CERTAIN,
        31.4,
        LinkMethod.AUTOMATIC,
        Optional.empty(),
        Instant.parse("2026-11-20T10:00:00Z"),
        madeOn.fingerprint());
  }

  static TracedSource source(Agency a, URI base, SourceMapping mapping, LinkLookup links) {
    return source(a, base, mapping, links, Duration.ofSeconds(5));
  }

  static TracedSource source(
      Agency a, URI base, SourceMapping mapping, LinkLookup links, Duration deadline) {
    return new TracedSource(
        vertx,
        new SourceDescriptor(
            a.sourceId,
            OdsCode.of(a.organisation),
            base,
            deadline,
            List.of(
                "Patient", "Observation", "Flag", "EpisodeOfCare", "ServiceRequest", "Procedure")),
        mapping,
        SourceAccess.NONE,
        links);
  }

  static TracedSource source(Agency a, LinkLookup links) {
    return source(a, servers.get(a).baseUrl(), mappings.get(a), links);
  }

  /** Every page of a roster, as the sync reads it. */
  static List<RosterEntry> walk(Roster roster) {
    List<RosterEntry> all = new ArrayList<>();
    Optional<String> cursor = Optional.empty();
    do {
      RosterPage page = roster.page(cursor).await();
      all.addAll(page.entries());
      cursor = page.next();
    } while (cursor.isPresent());
    return all;
  }

  @Test
  void page_eachAgency_followsItsNextPagesToTheEnd_andCountsUnusableDemographics() {
    for (Agency a : Agency.values()) {
      TracedSource source = source(a, NO_LINKS);
      try {
        List<RosterEntry> all = walk(source);

        assertThat(all).as(a.name()).hasSize(population.people(a).size());
        assertThat(all.stream().map(RosterEntry::localId).distinct()).hasSize(all.size());
        assertThat(all.stream().flatMap(e -> e.unusable().stream()))
            .as(a.name())
            .contains("no birth date", "a placeholder for a family name");
      } finally {
        source.close().await();
      }
    }
  }

  @Test
  void page_schoolsRoster_knowsTheDemoPersonByTheirNickname() {
    TracedSource source = source(Agency.SCHOOLS, NO_LINKS);
    try {
      RosterEntry first = source.page(Optional.empty()).await().entries().get(0);

      assertThat(first.demographics().orElseThrow().given()).isEqualTo("SAMMY");
      assertThat(first.demographics().orElseThrow().family()).isEqualTo("EVANS");
      assertThat(first.demographics().orElseThrow().birthDate())
          .isEqualTo(people.get(27).birthDate());
    } finally {
      source.close().await();
    }
  }

  // ---- paging refused: a hostile roster server

  private static final String MAPPING_WITH_TWO_PAGES =
      """
      mapping: hostile-v1
      roster:
        path: /people?page=1
        items: people
        next: next
        maxPages: 2
        maxPeople: 7
        maxPageBytes: 4096
      lookup: /people/{id}
      patient:
        from: person
        id: ref
        family: surname
        birthDate: dob
      """;

  /** A roster server answering each page with what the test says. */
  private static <T> T withRoster(Function<String, String> pages, Function<TracedSource, T> test)
      throws Exception {
    return withRoster(pages, NO_LINKS, test);
  }

  private static <T> T withRoster(
      Function<String, String> pages, LinkLookup links, Function<TracedSource, T> test)
      throws Exception {
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  String body = pages.apply(req.uri());
                  req.response()
                      .setStatusCode(body == null ? 404 : 200)
                      .end(body == null ? "" : body);
                })
            .listen(0, "127.0.0.1")
            .await();
    Path file = Files.createTempFile(dir, "hostile", ".yaml");
    Files.writeString(file, MAPPING_WITH_TWO_PAGES);
    TracedSource source =
        source(
            Agency.POLICE,
            URI.create("http://127.0.0.1:" + server.actualPort()),
            SourceMapping.load(file),
            links);
    try {
      return test.apply(source);
    } finally {
      source.close().await();
      server.close().await();
    }
  }

  private static String page(String next, String... refs) {
    StringBuilder people = new StringBuilder();
    for (String ref : refs) {
      if (people.length() > 0) {
        people.append(',');
      }
      people.append("{\"ref\":\"" + ref + "\",\"surname\":\"Evans\",\"dob\":\"2007-02-17\"}");
    }
    return "{\"people\":["
        + people
        + "]"
        + (next == null ? "" : ",\"next\":\"" + next + "\"")
        + "}";
  }

  private static String failure(TracedSource source) {
    Optional<String> cursor = Optional.empty();
    try {
      for (int i = 0; i < 10; i++) {
        cursor = source.page(cursor).await().next();
        if (cursor.isEmpty()) {
          return "no failure";
        }
      }
      return "no end";
    } catch (UpstreamException e) {
      return e.getMessage();
    }
  }

  @Test
  void page_nextPageOnAnotherServer_isRefused() throws Exception {
    String reason =
        withRoster(
            uri -> page("http://127.0.0.2:9/people?page=2", "a1"), TracedSourceTest::failure);

    assertThat(reason).isEqualTo("sent a next-page link to another server");
  }

  @Test
  void page_nextPageAlreadyRead_isRefusedAsALoop() throws Exception {
    String reason = withRoster(uri -> page("/people?page=1", "a1"), TracedSourceTest::failure);

    assertThat(reason)
        .isEqualTo("sent a next-page link to a page of its roster already read (a paging loop)");
  }

  @Test
  void page_morePagesThanTheMappingAllows_isRefused() throws Exception {
    String reason =
        withRoster(
            uri ->
                uri.endsWith("page=1")
                    ? page("/people?page=2", "a1")
                    : page("/people?page=3", "a2"),
            TracedSourceTest::failure);

    assertThat(reason).isEqualTo("sent more than 2 pages of its roster");
  }

  @Test
  void page_morePeopleThanTheMappingAllows_isRefused() throws Exception {
    String reason =
        withRoster(
            uri ->
                uri.endsWith("page=1")
                    ? page("/people?page=2", "a1", "a2", "a3", "a4")
                    : page(null, "a5", "a6", "a7", "a8"),
            TracedSourceTest::failure);

    assertThat(reason).isEqualTo("listed more than 7 people");
  }

  @Test
  void page_largerThanTheMappingAllows_isRefused() throws Exception {
    String[] many = new String[200];
    for (int i = 0; i < many.length; i++) {
      many[i] = "a" + i;
    }
    String reason = withRoster(uri -> page(null, many), TracedSourceTest::failure);

    assertThat(reason).isEqualTo("sent more than 4096 bytes");
  }

  @Test
  void page_agencyTricklingBytes_failsAtTheDeadline_withAMessageSafeToShow() throws Exception {
    // A byte every 100 ms: never idle long enough for an idle timeout (attacker review, finding
    // 10).
    AtomicBoolean closed = new AtomicBoolean();
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  req.response().setChunked(true).putHeader("content-type", "application/json");
                  req.response().write("{\"people\":[");
                  long trickle =
                      vertx.setPeriodic(100, id -> req.response().write(" ").otherwiseEmpty());
                  req.connection()
                      .closeHandler(
                          v -> {
                            vertx.cancelTimer(trickle);
                            closed.set(true);
                          });
                })
            .listen(0, "127.0.0.1")
            .await();
    Path file = Files.createTempFile(dir, "trickling", ".yaml");
    Files.writeString(file, MAPPING_WITH_TWO_PAGES);
    TracedSource source =
        source(
            Agency.POLICE,
            URI.create("http://127.0.0.1:" + server.actualPort()),
            SourceMapping.load(file),
            NO_LINKS,
            Duration.ofMillis(1000));
    try {
      long started = System.nanoTime();
      CompletableFuture<RosterPage> page =
          source.page(Optional.empty()).toCompletionStage().toCompletableFuture();

      assertThatThrownBy(() -> page.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(UpstreamException.class)
          .hasMessage("did not send a roster page within 1000 ms");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
      // The request is given up, its connection closed: the agency holds nothing of ours.
      long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (!closed.get() && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(closed).isTrue();
    } finally {
      source.close().await();
      server.close().await();
    }
  }

  @Test
  void page_peopleWithBadDemographics_areCountedNotThrown() throws Exception {
    String body =
        "{\"people\":["
            + "{\"ref\":\"a1\",\"surname\":\"Evans\",\"dob\":\"2007-02-17\"},"
            + "{\"ref\":\"a2\",\"surname\":\"Evans\"},"
            + "{\"ref\":\"a3\",\"surname\":\"UNKNOWN\",\"dob\":\"2007-02-17\"},"
            + "{\"ref\":\"a4\",\"dob\":\"2007-02-17\"},"
            + "{\"ref\":\"a5\",\"surname\":\"Ev@ns\",\"dob\":\"2007-02-17\"},"
            + "{\"ref\":\"a6\",\"surname\":\"Evans\",\"dob\":\"17/02/2007\"},"
            + "{\"surname\":\"Evans\",\"dob\":\"2007-02-17\"}]}";
    List<RosterEntry> entries =
        withRoster(uri -> body, s -> s.page(Optional.empty()).await().entries());

    assertThat(entries)
        .extracting(RosterEntry::localId)
        .containsExactly("a1", "a2", "a3", "a4", "a5", "a6");
    assertThat(entries.get(0).demographics()).isPresent();
    assertThat(entries.subList(1, 6))
        .extracting(e -> e.unusable().orElseThrow())
        .containsExactly(
            "no birth date",
            "a placeholder for a family name",
            "no family name",
            "a value tracing refuses: expected a name of letters, spaces, hyphens, apostrophes and"
                + " full stops",
            "a birth date that is not a date (YYYY-MM-DD)");
  }

  // ---- a person's records through their links

  @Test
  void fetch_linksNamingTwoLocalIds_returnsTheRecordsOfBoth() {
    NhsNumber nhs = people.get(27).nhsNumber();
    List<RosterEntry> roster = walk(source(Agency.POLICE, NO_LINKS));
    String first = roster.get(0).localId();
    String second = roster.get(1).localId();
    TracedSource source =
        source(
            Agency.POLICE,
            new Links(
                List.of(
                    link(Agency.POLICE, roster.get(0), nhs),
                    link(Agency.POLICE, roster.get(1), nhs)),
                Optional.empty()));
    try {
      SourceRecords.Found found =
          (SourceRecords.Found)
              source.fetch(nhs, Set.of("Patient", "Observation", "Flag"), Optional.empty()).await();

      assertThat(found.patient().getIdentifierFirstRep().getSystem())
          .isEqualTo(Fhir.NHS_NUMBER_SYSTEM);
      assertThat(found.patient().getIdentifierFirstRep().getValue()).isEqualTo(nhs.toString());
      assertThat(found.patient().getIdElement().getIdPart()).isEqualTo(first);
      assertThat(found.links()).extracting(Link::localId).containsExactly(first, second);
      // Incidents of both local ids, all pointing at the one Patient.
      List<String> incidents =
          found.resources().stream()
              .filter(r -> r instanceof Observation)
              .map(r -> ((Observation) r).getIdentifierFirstRep().getValue())
              .toList();
      assertThat(incidents).anyMatch(v -> v.startsWith("INC/25/00003")); // number 1
      assertThat(incidents).anyMatch(v -> v.startsWith("INC/25/00006")); // number 2
      assertThat(found.resources())
          .allSatisfy(r -> assertThat(subject(r)).isEqualTo("Patient/" + first));
      assertThat(found.notAboutThePerson()).isZero();
    } finally {
      source.close().await();
    }
  }

  private static String subject(Resource r) {
    if (r instanceof Observation o) {
      return o.getSubject().getReference();
    }
    if (r instanceof Flag f) {
      return f.getSubject().getReference();
    }
    throw new AssertionError(
        "the police mapping makes Observations and Flags, got " + r.fhirType());
  }

  @Test
  void view_ofATracedSource_namesEachLinkInItsProvenance() {
    NhsNumber nhs = people.get(27).nhsNumber();
    RosterEntry pupil = walk(source(Agency.SCHOOLS, NO_LINKS)).get(0);
    String id = pupil.localId();
    Link reviewed =
        new Link(
            Agency.SCHOOLS.sourceId,
            id,
            nhs,
            MatchGrade.PROBABLE,
            24.5,
            LinkMethod.REVIEWED,
            Optional.of("steward@SCH01"),
            Instant.parse("2026-11-20T10:00:00Z"),
            pupil.demographics().orElseThrow().fingerprint());
    TracedSource source = source(Agency.SCHOOLS, new Links(List.of(reviewed), Optional.empty()));
    try {
      SourceRecords found = source.fetch(nhs, Set.of("Patient", "Observation", "Flag")).await();
      Obligations all =
          new Obligations(
              Set.of("Patient", "Observation", "Flag"),
              List.of(),
              List.of(),
              SensitiveCodes.bundled().version(),
              Set.of(),
              Map.of(),
              Optional.empty(),
              Optional.empty());
      Bundle view =
          PersonView.assemble(
                  nhs,
                  OdsCode.of("E08000026"),
                  List.of(found),
                  Map.of(Agency.SCHOOLS.sourceId, new PersonView.Grant(all, "test@1#00")),
                  List.of(),
                  Optional.empty(),
                  Instant.parse("2026-11-22T10:00:00Z"))
              .bundle();
      Provenance provenance =
          view.getEntry().stream()
              .map(Bundle.BundleEntryComponent::getResource)
              .filter(Provenance.class::isInstance)
              .map(Provenance.class::cast)
              .findFirst()
              .orElseThrow();
      Provenance.ProvenanceEntityComponent link =
          provenance.getEntity().stream()
              .filter(e -> e.getRole() == Provenance.ProvenanceEntityRole.DERIVATION)
              .findFirst()
              .orElseThrow();

      assertThat(
              link.getExtensionByUrl("http://hl7.org/fhir/StructureDefinition/match-grade")
                  .getValue()
                  .primitiveValue())
          .isEqualTo("probable");
      assertThat(
              link.getExtensionByUrl(
                      "https://placeshare.example/fhir/StructureDefinition/link-method")
                  .getValue()
                  .primitiveValue())
          .isEqualTo("reviewed");
      assertThat(
              link.getExtensionByUrl(
                      "https://placeshare.example/fhir/StructureDefinition/link-score")
                  .getValue()
                  .primitiveValue())
          .isEqualTo("24.50");
      // Neither the school's own id for the pupil nor the reviewer leaves.
      assertThat(Fhir.json().encodeResourceToString(provenance))
          .doesNotContain(id)
          .doesNotContain("steward");
    } finally {
      source.close().await();
    }
  }

  @Test
  void fetch_noLinks_isNotFound_orAFailureWhileTracingIsInTrouble() {
    NhsNumber nhs = people.get(27).nhsNumber();
    TracedSource none = source(Agency.HOUSING, NO_LINKS);
    TracedSource troubled =
        source(
            Agency.HOUSING,
            new Links(List.of(), Optional.of("the reference index could not be reached")));
    try {
      assertThat(none.fetch(nhs, Set.of("Patient")).await())
          .isInstanceOf(SourceRecords.NotFound.class);
      assertThat(((SourceRecords.Failed) troubled.fetch(nhs, Set.of("Patient")).await()).reason())
          .isEqualTo("cannot be traced now (the reference index could not be reached)");
    } finally {
      none.close().await();
      troubled.close().await();
    }
  }

  @Test
  void fetch_linkedWhileTracingIsInTrouble_isFoundWithAWarning() {
    NhsNumber nhs = people.get(27).nhsNumber();
    RosterEntry tenant = walk(source(Agency.HOUSING, NO_LINKS)).get(0);
    TracedSource source =
        source(
            Agency.HOUSING,
            new Links(
                List.of(link(Agency.HOUSING, tenant, nhs)),
                Optional.of("the reference index could not be reached")));
    try {
      SourceRecords.Found found =
          (SourceRecords.Found) source.fetch(nhs, Set.of("Patient", "Observation")).await();

      assertThat(found.warnings())
          .containsExactly(
              "cannot be traced now (the reference index could not be reached); records not yet"
                  + " linked are missing from this view");
    } finally {
      source.close().await();
    }
  }

  @Test
  void fetch_housingRecord_carriesItsConstantsAndIdentifiers() {
    NhsNumber nhs = people.get(27).nhsNumber();
    RosterEntry tenant = walk(source(Agency.HOUSING, NO_LINKS)).get(1); // number 2: arrears
    TracedSource source =
        source(
            Agency.HOUSING,
            new Links(List.of(link(Agency.HOUSING, tenant, nhs)), Optional.empty()));
    try {
      SourceRecords.Found found =
          (SourceRecords.Found) source.fetch(nhs, Set.of("Patient", "Observation")).await();
      Observation arrears =
          found.resources().stream()
              .map(Observation.class::cast)
              .filter(o -> o.getCode().getCodingFirstRep().getCode().equals("rent-arrears"))
              .findFirst()
              .orElseThrow();

      assertThat(arrears.getStatus()).isEqualTo(Observation.ObservationStatus.FINAL);
      assertThat(arrears.getValueQuantity().getUnit()).isEqualTo("GBP");
      assertThat(arrears.getValueQuantity().getSystem()).isEqualTo("urn:iso:std:iso:4217");
      assertThat(arrears.getValueQuantity().getValue()).isPositive();
      assertThat(arrears.getIdentifierFirstRep().getSystem())
          .isEqualTo("https://placeshare.example/Id/gha-arrears");
      assertThat(arrears.getIdentifierFirstRep().getValue()).isEqualTo(arrears.getIdPart());
      assertThat(arrears.getMeta().getSecurity()).isEmpty();
    } finally {
      source.close().await();
    }
  }

  @Test
  void fetch_policeRecord_isDroppedUnlessCriminalOffenceDataIsNamed() {
    NhsNumber nhs = people.get(27).nhsNumber();
    RosterEntry nominal = walk(source(Agency.POLICE, NO_LINKS)).get(0);
    TracedSource source =
        source(
            Agency.POLICE, new Links(List.of(link(Agency.POLICE, nominal, nhs)), Optional.empty()));
    try {
      SourceRecords.Found found =
          (SourceRecords.Found) source.fetch(nhs, Set.of("Patient", "Observation")).await();
      Resource incident = found.resources().get(0);
      List<SensitiveCodes.Entry> criminal =
          SensitiveCodes.bundled().codes(SensitiveCategory.CRIMINAL_OFFENCE);

      assertThat(incident.getMeta().getSecurity())
          .anySatisfy(
              c -> {
                assertThat(c.getSystem()).isEqualTo(SourceMapping.SENSITIVE_CATEGORY_SYSTEM);
                assertThat(c.getCode()).isEqualTo("criminal-offence");
              });
      assertThat(ReleaseObligations.apply(incident.copy(), obligations(criminal))).isEmpty();
      assertThat(ReleaseObligations.apply(incident.copy(), obligations(List.of()))).isPresent();
    } finally {
      source.close().await();
    }
  }

  private static Obligations obligations(List<SensitiveCodes.Entry> excluded) {
    return new Obligations(
        Set.of("Patient", "Observation"),
        List.of(),
        excluded,
        SensitiveCodes.bundled().version(),
        Set.of(),
        Map.of(),
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void fetch_lookupAnsweredWithAnotherId_isAFailure() throws Exception {
    NhsNumber nhs = people.get(27).nhsNumber();
    String body =
        "{\"person\":{\"ref\":\"someone-else\",\"surname\":\"Else\",\"dob\":\"2000-01-01\"}}";
    SourceRecords result =
        withRoster(
            uri -> body,
            new Links(List.of(link(Agency.POLICE, "a1", nhs, EVANS)), Optional.empty()),
            s -> s.fetch(nhs, Set.of("Patient")).await());

    assertThat(((SourceRecords.Failed) result).reason())
        .isEqualTo("answered a lookup of one of its ids with the record of another");
  }

  // ---- a linked record whose details changed since it was linked (attacker review, finding 4)

  private static final String CHANGED =
      "has a linked record whose details changed since it was linked; it is left out until the"
          + " link is checked again";

  @Test
  void fetch_linkedRecordWhoseDetailsChanged_isLeftOutWithAWarning_notReleased() throws Exception {
    NhsNumber nhs = people.get(27).nhsNumber();
    // The agency now holds someone else under the linked id: not this person's records.
    String body =
        "{\"person\":{\"ref\":\"a1\",\"surname\":\"Completely-Different\",\"dob\":\"1950-12-31\"},"
            + "\"incidents\":[]}";
    List<SourceRecords> results =
        withRoster(
            uri -> body,
            new Links(List.of(link(Agency.POLICE, "a1", nhs, EVANS)), Optional.empty()),
            s -> {
              List<SourceRecords> all = new ArrayList<>();
              // More than the breaker's failures to open: the source answered, it is not down.
              for (int i = 0; i < 7; i++) {
                all.add(s.fetch(nhs, Set.of("Patient")).await());
              }
              assertThat(s.unavailable()).isEmpty();
              return all;
            });

    assertThat(results)
        .allSatisfy(r -> assertThat(((SourceRecords.Failed) r).reason()).isEqualTo(CHANGED));
  }

  @Test
  void fetch_linkedRecordWhoseDemographicsAreNowUnusable_isLeftOut() throws Exception {
    NhsNumber nhs = people.get(27).nhsNumber();
    String body = "{\"person\":{\"ref\":\"a1\",\"surname\":\"Evans\"}}"; // no birth date now
    SourceRecords result =
        withRoster(
            uri -> body,
            new Links(List.of(link(Agency.POLICE, "a1", nhs, EVANS)), Optional.empty()),
            s -> s.fetch(nhs, Set.of("Patient")).await());

    assertThat(((SourceRecords.Failed) result).reason()).isEqualTo(CHANGED);
  }

  @Test
  void fetch_oneOfTwoLinkedRecordsChanged_releasesOnlyTheUnchangedOne() throws Exception {
    NhsNumber nhs = people.get(27).nhsNumber();
    SourceRecords result =
        withRoster(
            uri ->
                uri.endsWith("/a1")
                    ? "{\"person\":{\"ref\":\"a1\",\"surname\":\"Evans\",\"dob\":\"2007-02-17\"}}"
                    : "{\"person\":{\"ref\":\"a2\",\"surname\":\"Other\",\"dob\":\"1961-06-01\"}}",
            new Links(
                List.of(
                    link(Agency.POLICE, "a1", nhs, EVANS), link(Agency.POLICE, "a2", nhs, EVANS)),
                Optional.empty()),
            s -> s.fetch(nhs, Set.of("Patient")).await());

    SourceRecords.Found found = (SourceRecords.Found) result;
    assertThat(found.links()).extracting(Link::localId).containsExactly("a1");
    assertThat(found.patient().getNameFirstRep().getFamily()).isEqualTo("Evans");
    assertThat(found.warnings()).containsExactly(CHANGED);
  }

  @Test
  void load_mappingLanguageMistakes_areEachGivenWithTheirLineAndColumn() throws Exception {
    Path bad = dir.resolve("bad-traced.yaml");
    Files.writeString(
        bad,
        """
        mapping: broken
        roster:
          path: people
          items: people
          maxPages: 0
          maxPeople: 10
          maxPageBytes: 1024
        lookup: /people/{nhs}
        patient:
          from: person
          id: ref
          nhsNumber: nhsNo
          family: surname
        resources:
          - type: Observation
            from: things
            id: ref
            subject: subject
            sensitive: criminal
            identifier: not a uri
            constants:
              status: finished-ish
              code: fixed
              nowhere: x
        """);

    assertThatThrownBy(() -> SourceMapping.load(bad))
        .hasMessageContaining("bad-traced.yaml:3:9: roster.path: expected a path starting with /")
        .hasMessageContaining(
            "bad-traced.yaml:5:13: roster.maxPages: expected a whole number from 1 to 10000,"
                + " got '0'")
        .hasMessageContaining(
            "bad-traced.yaml:8:9: lookup: expected a path starting with / containing {id}")
        .hasMessageContaining("patient.birthDate: expected a JSON field (tracing needs it)")
        .hasMessageContaining(
            "bad-traced.yaml:12:14: patient.nhsNumber: expected no NHS number in a traced mapping")
        .hasMessageContaining("resources[0].sensitive: expected a sensitive category (")
        .hasMessageContaining(
            "resources[0].identifier: expected an absolute URI naming the system of the item ids")
        .hasMessageContaining(
            "resources[0].constants.status: expected a value code accepts, got 'finished-ish'")
        .hasMessageContaining(
            "resources[0].constants.code: expected {system, code, display} for a CodeableConcept")
        .hasMessageContaining(
            "resources[0].constants.nowhere: expected an element path of Observation");
  }
}
