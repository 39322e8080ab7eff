package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.synthetic.Agency;
import org.placeshare.fhir.synthetic.AgencyPerson;
import org.placeshare.fhir.synthetic.AgencyPopulation;
import org.placeshare.fhir.synthetic.AgencyServer;
import org.placeshare.fhir.synthetic.ReferenceIndexServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.TracingPopulation.IndexPerson;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.linkage.LinkageRegister;
import org.placeshare.gateway.linkage.ReviewCandidate;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.SensitiveCategory;
import org.placeshare.policy.identity.SigningKey;

/**
 * Issue 17 end to end on real parts: the gateway on port 0, the synthetic reference index (HAPI in
 * Jetty) and the four agencies' JSON servers, traced by the gateway's own sync through their
 * mapping files, linked in the register in PostgreSQL, and a council analyst's view under
 * sunderland-intelligence. The agencies hold no NHS number; every record reaches a view through a
 * link. The police hold besides the demo person: a record a steward must review (a moved address),
 * twins at one address whose records cannot tell them apart, a person whose link is undone, and two
 * records with no usable demographics. The last test stops the index, so it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgencyViewTest {

  static final String POLICE_STEWARD = "police-steward";
  static final String POLICE = Agency.POLICE.sourceId;
  static final String YOUTH_JUSTICE = Agency.YOUTH_JUSTICE.sourceId;

  /** The demo's people: the index holds them all; the demo person is held by every agency. */
  static final List<SyntheticPerson> PEOPLE = SyntheticPopulation.generate(50, 2026);

  static final SyntheticPerson DEMO = AgencyPopulation.demoPerson(PEOPLE);

  /** Held by the police as the index holds them: a certain link, for a steward to undo. */
  static final SyntheticPerson UNDONE = PEOPLE.get(5);

  /** Taken down by the police while the index is down: never linked. */
  static final SyntheticPerson NEWCOMER = PEOPLE.get(6);

  static final LocalDate JENNIFER_BORN = LocalDate.of(1984, 3, 9);
  static final NhsNumber JENNIFER = nhs("999400010");
  static final NhsNumber JANE = nhs("999400012");
  static final LocalDate TWINS_BORN = LocalDate.of(2009, 6, 14);
  static final NhsNumber ANNA = nhs("999400015");
  static final NhsNumber ELLA = nhs("999400016");

  /** The police's own ids (PoliceApi: NOM and 4100 + the running number). */
  static final String POLICE_DEMO = "NOM0004101";

  static final String POLICE_MOVED = "NOM0004102";
  static final String POLICE_TWIN_1 = "NOM0004103";
  static final String POLICE_TWIN_2 = "NOM0004104";
  static final String POLICE_UNDONE = "NOM0004105";
  static final String POLICE_NO_BIRTH_DATE = "NOM0004106";
  static final String POLICE_PLACEHOLDER = "NOM0004107";

  /** The resource types each agency's mapping makes, the Patient first (as the demo has them). */
  static final Map<Agency, List<String>> TYPES =
      Map.of(
          Agency.POLICE, List.of("Patient", "Observation", "Flag"),
          Agency.HOUSING, List.of("Patient", "EpisodeOfCare", "Observation", "ServiceRequest"),
          Agency.SCHOOLS, List.of("Patient", "Observation", "Flag"),
          Agency.YOUTH_JUSTICE, List.of("Patient", "EpisodeOfCare", "Procedure"));

  @TempDir static Path dir;
  static ReferenceIndexServer index;
  static final Map<Agency, AgencyServer> agencies = new EnumMap<>(Agency.class);
  static List<AgencyPerson> policePeople;
  static GatewayFixture fixture;
  static final SigningKey policeStewardKey = SigningKey.generate();
  static final SigningKey policeReporterKey = SigningKey.generate();
  static final String POLICE_REPORTER = "police-events";
  static String ig;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    List<IndexPerson> indexed = new ArrayList<>(ReferenceIndexServer.indexPeople(PEOPLE));
    indexed.add(person(JENNIFER, "Armstrong", "Jennifer", JENNIFER_BORN, "SR2 8JE"));
    indexed.add(person(JANE, "Armstrong", "Jane", JENNIFER_BORN, "SR5 1AB"));
    indexed.add(person(ANNA, "Dodds", "Anna", TWINS_BORN, "SR2 8HU"));
    indexed.add(person(ELLA, "Dodds", "Ella", TWINS_BORN, "SR2 8HU"));
    index = ReferenceIndexServer.start(0, indexed);

    AgencyPopulation demo = AgencyPopulation.demo(PEOPLE);
    for (Agency agency : Agency.values()) {
      // The demo person as each agency has them (a nickname, a mistyped birth date, ...).
      AgencyPerson known = demo.people(agency).get(0);
      assertThat(known.trueNhsNumber()).contains(DEMO.nhsNumber());
      List<AgencyPerson> held = new ArrayList<>(List.of(known));
      if (agency == Agency.POLICE) {
        held.addAll(policeBesides());
        policePeople = List.copyOf(held);
      }
      agencies.put(agency, agency.start(0, held));
    }

    policeStewardKey.writePem(dir.resolve("ps.key.pem"), dir.resolve("ps.pub.pem"));
    policeReporterKey.writePem(dir.resolve("pe.key.pem"), dir.resolve("pe.pub.pem"));
    List<GatewayConfig.Source> traced = new ArrayList<>();
    for (Agency agency : Agency.values()) {
      Path mapping = dir.resolve(agency.mappingFile());
      try (InputStream in = agency.mapping()) {
        Files.copy(in, mapping);
      }
      traced.add(
          new GatewayConfig.Source(
              agency.sourceId,
              agency.organisation,
              agencies.get(agency).baseUrl().toString(),
              Duration.ofSeconds(5),
              TYPES.get(agency),
              GatewayConfig.Source.MAPPED,
              Optional.of(mapping),
              Optional.empty(),
              Optional.empty(),
              Optional.empty(),
              Optional.empty(),
              // As the demo registers them: all of the police's and youth justice's records are
              // criminal offence data.
              agency == Agency.POLICE || agency == Agency.YOUTH_JUSTICE
                  ? Set.of(SensitiveCategory.CRIMINAL_OFFENCE)
                  : Set.of()));
    }
    fixture =
        GatewayFixture.start(
            dir.resolve("gateway"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> {
              // The fixture's GP and acute trust, not its council source (always down here).
              List<GatewayConfig.Source> sources = new ArrayList<>(c.sources());
              sources.removeIf(s -> s.id().equals("council-asc"));
              sources.addAll(traced);
              List<GatewayConfig.Client> clients = new ArrayList<>(c.clients());
              clients.add(
                  new GatewayConfig.Client(
                      POLICE_STEWARD,
                      Agency.POLICE.organisation,
                      dir.resolve("ps.pub.pem"),
                      Set.of("HOPERAT"),
                      Set.of("data-steward")));
              // Issue 19: the police report changes about the people of their traced source.
              clients.add(
                  new GatewayConfig.Client(
                      POLICE_REPORTER,
                      Agency.POLICE.organisation,
                      dir.resolve("pe.pub.pem"),
                      Set.of("HOPERAT"),
                      Set.of("event-reporter")));
              return GatewayFixture.withClients(
                      GatewayFixture.withOrganisations(
                          GatewayFixture.withSources(c, sources), agencies()),
                      clients)
                  .withReferenceIndex(
                      new GatewayConfig.ReferenceIndexConfig(
                          index.baseUrl(), Duration.ofSeconds(5)));
            });
    fixture.addAgreement("sunderland-intelligence.yaml");
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig.lead", "ig-lead", "HOPERAT");
    // The start-up sync of every traced source; none other runs (the schedule is 15 minutes).
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (Agency.values().length
        > sources().stream().filter(s -> s.getString("lastOutcome") != null).count()) {
      assertThat(System.nanoTime()).as("the start-up sync ends").isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** What the police hold besides the demo person, numbered after them. */
  static List<AgencyPerson> policeBesides() {
    SyntheticPerson u = UNDONE;
    return List.of(
        // Jennifer Armstrong since her move: her index record still has her old postcode.
        new AgencyPerson(
            2,
            Optional.of(JENNIFER),
            "Armstrong",
            "Jennifer",
            JENNIFER_BORN,
            "female",
            "NE1 4XF",
            "2 Pilgrim Street"),
        // The twins, taken down at a call-out without their forenames: either could be either.
        new AgencyPerson(
            3, Optional.of(ANNA), "Dodds", null, TWINS_BORN, "female", "SR2 8HU", "7 Grindon Lane"),
        new AgencyPerson(
            4, Optional.of(ELLA), "Dodds", null, TWINS_BORN, "female", "SR2 8HU", "7 Grindon Lane"),
        new AgencyPerson(
            5,
            Optional.of(u.nhsNumber()),
            u.family(),
            u.given(),
            u.birthDate(),
            u.gender(),
            u.postcode(),
            "1 Vine Place"),
        // No birth date; a placeholder for a family name.
        new AgencyPerson(
            6, Optional.empty(), "Robson", "Kyle", null, "male", "SR4 7AB", "3 Hylton Road"),
        new AgencyPerson(
            7, Optional.empty(), "UNKNOWN", "Male", LocalDate.of(2008, 1, 1), null, null, null));
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    for (AgencyServer server : agencies.values()) {
      server.close();
    }
    if (index != null) {
      index.close();
    }
  }

  // ---- the cases

  @Test
  @Order(1)
  void view_councilAnalyst_personNoAgencyKnowsByNhsNumber_hasEveryAgencysRecordsNamingTheLinks()
      throws Exception {
    String number = DEMO.nhsNumber().toString();
    // None of the agencies' systems holds the NHS number: their people are only demographics.
    for (Agency agency : Agency.values()) {
      assertThat(agencyRoster(agency))
          .as(agency.sourceId)
          .doesNotContain(number)
          .contains(DEMO.family());
    }

    JsonObject view = view(DEMO.nhsNumber());

    for (Agency agency : Agency.values()) {
      assertThat(records(view, agency.sourceId))
          .as(agency.sourceId)
          .anyMatch(type -> !type.equals("Patient"));
      JsonObject link = linkEntity(view, agency.sourceId).orElseThrow();
      assertThat(extension(link, "match-grade")).isEqualTo("certain");
      assertThat(extension(link, "link-method")).isEqualTo("automatic");
      assertThat(link.getJsonObject("what").getString("display"))
          .isEqualTo(
              "a record of "
                  + agency.sourceId
                  + " linked to this NHS number by tracing (certain, automatic)");
    }
    // Criminal offence data, released because sunderland-intelligence names the category.
    assertThat(records(view, POLICE)).contains("Observation");
    assertThat(records(view, YOUTH_JUSTICE)).contains("EpisodeOfCare");
    // The view's audit event names every agency with what each released.
    JsonObject audited = lastView(DEMO.nhsNumber());
    for (Agency agency : Agency.values()) {
      assertThat(audited.getJsonObject("released").getJsonArray(agency.sourceId))
          .as(agency.sourceId)
          .isNotEmpty();
      assertThat(audited.getJsonArray("decisions"))
          .anySatisfy(
              d -> {
                JsonObject decision = (JsonObject) d;
                assertThat(decision.getString("source")).isEqualTo(agency.sourceId);
                assertThat(decision.getString("effect")).isEqualTo("permit");
                assertThat(decision.getString("agreement")).startsWith("sunderland-intelligence");
              });
    }
  }

  @Test
  @Order(1)
  void dataQuality_comparesEveryAgencyWithTheReferenceIndex_byFieldNeverByValue() throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");

    HttpResponse<String> response =
        fixture.get("/fhir/Patient/" + DEMO.nhsNumber() + "/$data-quality", council);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    // The school knows Sam as Sammy, the housing association as Samuel; the police took no
    // gender (its system says unknown); youth justice has his birth date a day out. The index
    // is the reference.
    assertThat(response.body())
        .contains("schools-sch disagrees with the reference index on given name")
        .contains("housing-gha disagrees with the reference index on given name")
        .contains("police-npf disagrees with the reference index on gender")
        .contains("youth-justice-yjs disagrees with the reference index on birth date")
        .doesNotContain("Sammy")
        .doesNotContain("Samuel");
  }

  @Test
  @Order(2)
  void view_agreementNotNamingCriminalOffence_releasesNothingOfThePoliceOrYouthJustice()
      throws Exception {
    Path agreement = fixture.agreements.resolve("sunderland-intelligence.yaml");
    String named = Files.readString(agreement);
    String unnamed = named.replace("  sensitive: [criminal-offence]\n", "");
    assertThat(unnamed).isNotEqualTo(named);
    JsonObject view;
    try {
      Files.writeString(agreement, unnamed);
      fixture.gateway.policy().reload(fixture.vertx).await();
      assertThat(fixture.gateway.policy().status().lastError()).isEmpty();

      view = view(DEMO.nhsNumber());
    } finally {
      Files.writeString(agreement, named);
      fixture.gateway.policy().reload(fixture.vertx).await();
    }

    // Nothing of those sources, not even their Patient or a Provenance naming their link: either
    // would say the person is known to the police or to youth justice.
    assertThat(records(view, POLICE)).isEmpty();
    assertThat(records(view, YOUTH_JUSTICE)).isEmpty();
    assertThat(linkEntity(view, POLICE)).isEmpty();
    assertThat(linkEntity(view, YOUTH_JUSTICE)).isEmpty();
    // They are named only as every source an agreement does not cover is, whoever the person.
    for (JsonObject r : resources(view)) {
      String text = r.encode();
      if (text.contains(POLICE) || text.contains(YOUTH_JUSTICE)) {
        assertThat(r.getString("resourceType")).isEqualTo("OperationOutcome");
        assertThat(text).contains("is not shared with you for this request");
        assertThat(text).doesNotContain("disagrees");
      }
    }
    assertThat(records(view, Agency.HOUSING.sourceId)).contains("EpisodeOfCare");
    assertThat(records(view, Agency.SCHOOLS.sourceId)).contains("Observation");
    // Named again, they are back.
    assertThat(records(view(DEMO.nhsNumber()), POLICE)).contains("Observation");
  }

  @Test
  @Order(3)
  void undo_link_removesTheAgencysRecordsFromTheNextView_andASyncDoesNotRelinkThem()
      throws Exception {
    assertThat(records(view(UNDONE.nhsNumber()), POLICE)).contains("Observation");

    HttpResponse<String> undo =
        fixture.post(
            "/linkage/links/" + POLICE + "/" + POLICE_UNDONE + "/undo",
            policeSteward(),
            "{\"reason\":\"a namesake: the nominal's custody record shows another person\"}");

    assertThat(undo.statusCode()).as(undo.body()).isEqualTo(200);
    assertThat(records(view(UNDONE.nhsNumber()), POLICE)).isEmpty();
    // The sync traces the record afresh (certain again) and puts it to the steward, unlinked.
    syncNow(POLICE);
    assertThat(records(view(UNDONE.nhsNumber()), POLICE)).isEmpty();
    assertThat(linkOf(POLICE_UNDONE).getString("status")).isEqualTo("undone");
    assertThat(review(POLICE_UNDONE).orElseThrow().getString("reason"))
        .isEqualTo("its link was undone by a steward");
  }

  @Test
  @Order(4)
  void twinsAtOneAddress_areNeverLinkedAutomatically_areInNoView_andAwaitReview() throws Exception {
    for (String twin : List.of(POLICE_TWIN_1, POLICE_TWIN_2)) {
      assertThat(links(twin)).as(twin).isEmpty();
      JsonObject review = review(twin).orElseThrow();
      // The steward sees the candidates by handle, never their NHS numbers; the register holds
      // both twins as the candidates.
      assertThat(review.getJsonArray("candidates").stream().map(c -> (JsonObject) c))
          .extracting(c -> c.getString("candidate"))
          .startsWith("1", "2");
      assertThat(review.encode()).doesNotContain(ANNA.toString()).doesNotContain(ELLA.toString());
      assertThat(review.getJsonArray("candidates").stream().map(c -> (JsonObject) c))
          .extracting(c -> c.getString("grade"))
          .doesNotContain("certain");
      assertThat(
              new LinkageRegister(fixture.gateway.database().pool())
                  .review(UUID.fromString(review.getString("id")))
                  .await()
                  .orElseThrow()
                  .candidates())
          .extracting(ReviewCandidate::nhsNumber)
          .contains(ANNA, ELLA);
    }
    // No source holds either twin but through a link: neither has a view.
    for (NhsNumber twin : List.of(ANNA, ELLA)) {
      assertNoView(twin);
    }
  }

  @Test
  @Order(5)
  void unusableRecords_areCountedAndNeverLinked() throws Exception {
    JsonObject police =
        sources().stream()
            .filter(s -> s.getString("source").equals(POLICE))
            .findFirst()
            .orElseThrow();

    assertThat(police.getInteger("unusable")).isEqualTo(2);
    for (String id : List.of(POLICE_NO_BIRTH_DATE, POLICE_PLACEHOLDER)) {
      assertThat(links(id)).as(id).isEmpty();
      assertThat(review(id)).as(id).isEmpty();
    }
  }

  @Test
  @Order(6)
  void review_stewardLinksAProbableRecord_nextViewShowsItWithMethodReviewed() throws Exception {
    assertNoView(JENNIFER);
    JsonObject review = review(POLICE_MOVED).orElseThrow();
    assertThat(review.getJsonArray("candidates").getJsonObject(0).getString("grade"))
        .isEqualTo("probable");

    HttpResponse<String> decided =
        fixture.post(
            "/linkage/reviews/" + review.getString("id"),
            policeSteward(),
            "{\"decision\":\"link\",\"candidate\":\"1\"}");

    assertThat(decided.statusCode()).as(decided.body()).isEqualTo(200);
    JsonObject view = view(JENNIFER);
    assertThat(records(view, POLICE)).contains("Observation");
    JsonObject link = linkEntity(view, POLICE).orElseThrow();
    assertThat(extension(link, "link-method")).isEqualTo("reviewed");
    assertThat(extension(link, "match-grade")).isEqualTo("probable");
    // Who reviewed it stays in the register and the audit, out of the view.
    assertThat(view.encode()).doesNotContain("steward.pat");
  }

  @Test
  @Order(7)
  void linkedRecordChangedAtTheAgency_nextViewLeavesItOutSayingWhy_andAfterASyncStillNothing()
      throws Exception {
    assertThat(records(view(JENNIFER), POLICE)).contains("Observation");
    // The police reuse Jennifer's nominal id for someone else: the link made on her details must
    // not release theirs (attacker review, finding 4).
    int port = agencies.get(Agency.POLICE).baseUrl().getPort();
    agencies.remove(Agency.POLICE).close();
    List<AgencyPerson> held = new ArrayList<>(policePeople);
    held.set(
        1,
        new AgencyPerson(
            2,
            Optional.empty(),
            "Crane",
            "Maud",
            LocalDate.of(1950, 12, 31),
            "female",
            "NE1 4XF",
            "2 Pilgrim Street"));
    agencies.put(Agency.POLICE, Agency.POLICE.start(port, held));
    try {
      String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
      HttpResponse<String> response = fixture.everything(JENNIFER.toString(), council);

      // Only the police hold Jennifer: no view, and the outcome says why, never with the values.
      assertThat(response.statusCode()).isEqualTo(502);
      assertThat(response.body()).doesNotContain("Crane").doesNotContain("1950-12-31");
      assertThat(
              new JsonObject(response.body())
                  .getJsonArray("issue")
                  .getJsonObject(0)
                  .getString("diagnostics"))
          .endsWith(
              POLICE
                  + ": has a linked record whose details changed since it was linked; it is left"
                  + " out until the link is checked again");
      // The sync re-checks the link: out of views until the steward decides.
      syncNow(POLICE);
      assertThat(linkOf(POLICE_MOVED).getString("status")).isEqualTo("rechecking");
      assertThat(review(POLICE_MOVED)).isPresent();
      assertNoView(JENNIFER);
    } finally {
      agencies.remove(Agency.POLICE).close();
      agencies.put(Agency.POLICE, Agency.POLICE.start(port, policePeople));
    }
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void indexDown_syncReportsTrouble_viewsWarnAndKeepLinkedRecords_unlinkedGetNone_matchIs503()
      throws Exception {
    index.close();
    // The police take down a newcomer while the index is down: the sync cannot trace them.
    int port = agencies.get(Agency.POLICE).baseUrl().getPort();
    agencies.remove(Agency.POLICE).close();
    List<AgencyPerson> held = new ArrayList<>(policePeople);
    SyntheticPerson n = NEWCOMER;
    held.add(
        new AgencyPerson(
            held.size() + 1,
            Optional.of(n.nhsNumber()),
            n.family(),
            n.given(),
            n.birthDate(),
            n.gender(),
            n.postcode(),
            "9 Chester Road"));
    agencies.put(Agency.POLICE, Agency.POLICE.start(port, held));

    JsonObject police = syncNow(POLICE);

    assertThat(police.getString("lastOutcome")).isEqualTo("failed");
    assertThat(police.getString("trouble")).startsWith("the reference index could not be reached");
    // Already linked records still come, with a warning naming the source that cannot be traced.
    JsonObject view = view(DEMO.nhsNumber());
    assertThat(records(view, POLICE)).contains("Observation");
    assertThat(warnings(view))
        .anyMatch(
            w ->
                w.startsWith("source " + POLICE + " (NPF01) cannot be traced now (the reference")
                    && w.endsWith("records not yet linked are missing from this view"));
    assertThat(records(view, Agency.HOUSING.sourceId)).contains("EpisodeOfCare");
    // The newcomer, not linked: nothing of the police's, and a warning saying why.
    JsonObject newcomer = view(NEWCOMER.nhsNumber());
    assertThat(records(newcomer, POLICE)).isEmpty();
    assertThat(warnings(newcomer))
        .anyMatch(w -> w.startsWith("source " + POLICE + " (NPF01) cannot be traced now"));
    // Tracing on demand says so plainly.
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    HttpResponse<String> match =
        fixture.post(
            "/fhir/Patient/$match",
            council,
            "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\""
                + DEMO.family()
                + "\",\"given\":[\""
                + DEMO.given()
                + "\"]}],\"birthDate\":\""
                + DEMO.birthDate()
                + "\"}");
    assertThat(match.statusCode()).isEqualTo(503);
    assertThat(new JsonObject(match.body()).getString("resourceType"))
        .isEqualTo("OperationOutcome");
    assertThat(match.body()).contains("the reference index could not be reached");
  }

  // ---- helpers

  /** The council analyst's view of a person, 200. */
  static JsonObject view(NhsNumber person) throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    HttpResponse<String> response = fixture.everything(person.toString(), council);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new JsonObject(response.body());
  }

  /** No source holds the person: 404, and nothing of any agency's. */
  static void assertNoView(NhsNumber person) throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    HttpResponse<String> response = fixture.everything(person.toString(), council);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(404);
    for (Agency agency : Agency.values()) {
      assertThat(response.body()).doesNotContain(agency.sourceId);
    }
  }

  /** The resource types a source put in the view (meta.source names it). */
  static List<String> records(JsonObject view, String source) {
    List<String> types = new ArrayList<>();
    for (JsonObject r : resources(view)) {
      JsonObject meta = r.getJsonObject("meta");
      String from = meta == null ? null : meta.getString("source");
      if (from != null && from.endsWith(":" + source)) {
        types.add(r.getString("resourceType"));
      }
    }
    return types;
  }

  static List<JsonObject> resources(JsonObject view) {
    List<JsonObject> found = new ArrayList<>();
    JsonArray entries = view.getJsonArray("entry", new JsonArray());
    for (int i = 0; i < entries.size(); i++) {
      found.add(entries.getJsonObject(i).getJsonObject("resource"));
    }
    return found;
  }

  /** The link entity of the source's Provenance, if its records came through a link. */
  static Optional<JsonObject> linkEntity(JsonObject view, String source) {
    for (JsonObject r : resources(view)) {
      if (!r.getString("resourceType").equals("Provenance")) {
        continue;
      }
      JsonArray entities = r.getJsonArray("entity", new JsonArray());
      boolean ofSource =
          entities.stream()
              .map(e -> (JsonObject) e)
              .anyMatch(
                  e ->
                      e.getString("role").equals("source")
                          && source.equals(e.getJsonObject("what").getString("display")));
      if (ofSource) {
        return entities.stream()
            .map(e -> (JsonObject) e)
            .filter(e -> e.getString("role").equals("derivation"))
            .findFirst();
      }
    }
    return Optional.empty();
  }

  static String extension(JsonObject entity, String nameEnd) {
    return entity.getJsonArray("extension").stream()
        .map(e -> (JsonObject) e)
        .filter(e -> e.getString("url").endsWith("/" + nameEnd))
        .map(e -> e.getString("valueCode"))
        .findFirst()
        .orElseThrow();
  }

  /** The diagnostics of the view's OperationOutcomes. */
  static List<String> warnings(JsonObject view) {
    List<String> found = new ArrayList<>();
    for (JsonObject r : resources(view)) {
      if (r.getString("resourceType").equals("OperationOutcome")) {
        r.getJsonArray("issue").forEach(i -> found.add(((JsonObject) i).getString("diagnostics")));
      }
    }
    return found;
  }

  /** The audit detail of the person's last view. */
  static JsonObject lastView(NhsNumber person) {
    List<Row> rows = fixture.auditFor(person);
    JsonObject last = null;
    for (Row row : rows) {
      JsonObject detail = (JsonObject) row.getValue("detail");
      if (detail.containsKey("released") && !detail.getJsonObject("released").isEmpty()) {
        last = detail;
      }
    }
    assertThat(last).as("an audited view").isNotNull();
    return last;
  }

  /** GET /linkage/sources as the IG lead, who reads every source. */
  static List<JsonObject> sources() throws Exception {
    HttpResponse<String> response = fixture.get("/linkage/sources", ig);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new JsonObject(response.body())
        .getJsonArray("sources").stream().map(s -> (JsonObject) s).toList();
  }

  static JsonObject source(String id) throws Exception {
    return sources().stream()
        .filter(s -> s.getString("source").equals(id))
        .findFirst()
        .orElseThrow();
  }

  /** Starts a sync on demand as the source's steward, and waits for it to end. */
  static JsonObject syncNow(String id) throws Exception {
    String before = source(id).getString("lastSync");
    HttpResponse<String> started =
        fixture.post("/linkage/sources/" + id + "/sync", policeSteward(), "");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      JsonObject now = source(id);
      if (!java.util.Objects.equals(now.getString("lastSync"), before)) {
        return now;
      }
      assertThat(System.nanoTime()).as("the sync of " + id + " ends").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /** The police's links of one of their ids, as their steward reads them. */
  static List<JsonObject> links(String localId) throws Exception {
    HttpResponse<String> response =
        fixture.get("/linkage/links?source=" + POLICE + "&localId=" + localId, policeSteward());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new JsonObject(response.body())
        .getJsonArray("links").stream().map(l -> (JsonObject) l).toList();
  }

  static JsonObject linkOf(String localId) throws Exception {
    List<JsonObject> found = links(localId);
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  /** The police's open review of one of their ids, as their steward reads the queue. */
  static Optional<JsonObject> review(String localId) throws Exception {
    HttpResponse<String> response =
        fixture.get("/linkage/reviews?source=" + POLICE, policeSteward());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new JsonObject(response.body())
        .getJsonArray("reviews").stream()
            .map(r -> (JsonObject) r)
            .filter(r -> r.getString("localId").equals(localId))
            .findFirst();
  }

  @Test
  void events_aboutAPersonLinkedInTheTracedSource_isStored() throws Exception {
    assertThat(
            new LinkageRegister(fixture.gateway.database().pool())
                .linksTo(POLICE, DEMO.nhsNumber())
                .await())
        .as("the demo person is linked in the police's source")
        .isNotEmpty();

    HttpResponse<String> r = reportEvent("police-ev-1", DEMO.nhsNumber());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  @Test
  void events_aboutAPersonNotLinkedInTheTracedSource_isRefused422() throws Exception {
    NhsNumber stranger = NhsNumber.parse("9990000123");

    HttpResponse<String> r = reportEvent("police-ev-2", stranger);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(r.body()).contains("the person is not linked to a record of this source");
    assertThat(
            fixture
                .gateway
                .database()
                .pool()
                .query("SELECT count(*) FROM notification_event WHERE event_id = 'police-ev-2'")
                .execute()
                .await()
                .iterator()
                .next()
                .getLong(0))
        .isZero();
  }

  /**
   * A change of GP practice reported by the police's event reporter about their source's person.
   */
  static HttpResponse<String> reportEvent(String id, NhsNumber person) throws Exception {
    HttpResponse<String> t =
        fixture.tokenRequest(
            fixture.assertion(
                POLICE_REPORTER, policeReporterKey, "feed", "event-reporter", "HOPERAT"));
    assertThat(t.statusCode()).as(t.body()).isEqualTo(200);
    JsonObject event =
        new JsonObject()
            .put("id", id)
            .put("kind", "gp-changed")
            .put("nhsNumber", person.toString())
            .put("source", POLICE)
            .put("occurredAt", GatewayFixture.CLOCK.instant().minusSeconds(60).toString())
            .put("change", new JsonObject().put("practice", "Y90001"));
    return fixture.post(
        "/events", new JsonObject(t.body()).getString("access_token"), event.encode());
  }

  static String policeSteward() throws Exception {
    HttpResponse<String> r =
        fixture.tokenRequest(
            fixture.assertion(
                POLICE_STEWARD, policeStewardKey, "steward.pat", "data-steward", "HOPERAT"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  /** The agency's first roster page, straight from its own API (the path its mapping names). */
  static String agencyRoster(Agency agency) throws Exception {
    String mapping;
    try (InputStream in = agency.mapping()) {
      mapping = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    var path = Pattern.compile("(?m)^  path: (\\S+)$").matcher(mapping);
    assertThat(path.find()).isTrue();
    return http.send(
            HttpRequest.newBuilder(URI.create(agencies.get(agency).baseUrl() + path.group(1)))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  static IndexPerson person(
      NhsNumber nhs, String family, String given, LocalDate born, String postcode) {
    return new IndexPerson(
        nhs, family, given, List.of(), born, "female", postcode, List.of(), null);
  }

  static NhsNumber nhs(String nineDigits) {
    return NhsNumber.withCheckDigit(nineDigits).orElseThrow();
  }

  /** The four agencies, as organisations to register. */
  static List<GatewayConfig.Organisation> agencies() {
    return Arrays.stream(Agency.values())
        .map(a -> new GatewayConfig.Organisation(a.organisation, a.displayName))
        .toList();
  }
}
