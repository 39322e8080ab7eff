package org.placeshare.fhir.mapped;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.EpisodeOfCare;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.fhir.synthetic.CouncilCareServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;

/** A council JSON API, served for real, mapped to FHIR R4 by the demo's mapping file. */
class MappedSourceTest {

  @TempDir static Path dir;
  static Vertx vertx;
  static CouncilCareServer council;
  static SourceMapping mapping;
  static List<SyntheticPerson> people = SyntheticPopulation.generate(12, 7);

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    council = CouncilCareServer.start(0, people);
    Path file = dir.resolve("council-asc.yaml");
    try (var in = CouncilCareServer.mapping()) {
      Files.copy(in, file);
    }
    mapping = SourceMapping.load(file);
  }

  @AfterAll
  static void stop() throws Exception {
    council.close();
    vertx.close().await();
  }

  private static SourceRecords fetch(URI base, int person) {
    MappedSource source =
        new MappedSource(
            vertx,
            new SourceDescriptor(
                "council-asc",
                OdsCode.of("E08000026"),
                base,
                Duration.ofSeconds(5),
                List.of("Patient", "EpisodeOfCare")),
            mapping,
            SourceAccess.NONE);
    try {
      return source
          .fetch(
              people.get(person).nhsNumber(), Set.of("Patient", "EpisodeOfCare"), Optional.empty())
          .await();
    } finally {
      source.close().await();
    }
  }

  @Test
  void fetch_mapsThePersonAndTheirServicesToFhir() {
    SourceRecords.Found found = (SourceRecords.Found) fetch(council.baseUrl(), 0);
    SyntheticPerson person = people.get(0);

    assertThat(found.patient().getNameFirstRep().getFamily()).isEqualTo(person.family());
    assertThat(found.patient().getBirthDateElement().asStringValue())
        .isEqualTo(person.birthDate().toString());
    assertThat(found.patient().getGender().toCode()).isEqualTo(person.gender());
    assertThat(found.patient().getAddressFirstRep().getPostalCode()).isEqualTo(person.postcode());
    assertThat(found.resources()).hasSize(1);
    EpisodeOfCare episode = (EpisodeOfCare) found.resources().get(0);
    assertThat(episode.getPatient().getReference()).isEqualTo("Patient/asc-0");
    assertThat(episode.getStatus()).isEqualTo(EpisodeOfCare.EpisodeOfCareStatus.ACTIVE);
    assertThat(episode.getTypeFirstRep().getCodingFirstRep().getCode()).isEqualTo("home-care");
    assertThat(episode.getTypeFirstRep().getCodingFirstRep().getSystem())
        .isEqualTo("https://placeshare.example/CodeSystem/adult-social-care");
    assertThat(episode.getPeriod().getStartElement().asStringValue()).isEqualTo("2025-01-01");
    assertThat(found.warnings()).isEmpty();
  }

  @Test
  void fetch_anUnknownLocalCode_leavesThatRecordOutAndSaysSo() {
    SourceRecords.Found found =
        (SourceRecords.Found) fetch(council.baseUrl(), CouncilCareServer.UNMAPPED_SERVICE);

    assertThat(found.resources()).hasSize(1);
    assertThat(found.warnings())
        .containsExactly(
            "has a record that could not be mapped to FHIR R4; it is missing from this view");
  }

  @Test
  void fetch_personTheCouncilDoesNotHold_isNotFound_andADownSourceIsAFailure() throws Exception {
    assertThat(fetch(council.baseUrl(), 1)).isInstanceOf(SourceRecords.NotFound.class);
    int closed;
    try (var socket = new java.net.ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    assertThat(((SourceRecords.Failed) fetch(URI.create("http://127.0.0.1:" + closed), 0)).reason())
        .isEqualTo("could not be reached (connection refused)");
  }

  @Test
  void fetch_lookupAnsweredWithSomeoneElse_isAConflict() throws Exception {
    // The lookup is by NHS number: a person with another one is not a stranger, it is a conflict.
    String someoneElse =
        "{\"person\":{\"personId\":\"asc-x\",\"nhsNo\":\""
            + people.get(1).nhsNumber()
            + "\",\"surname\":\"Else\"},\"services\":[]}";
    SourceRecords result = fetchAnswering(someoneElse);

    assertThat(((SourceRecords.Failed) result).reason())
        .isEqualTo(
            "answered with a conflict: its Patient for this NHS number carries another NHS"
                + " number");
  }

  @Test
  void fetch_itemIdsThatAreNotFhirIds_becomeFhirIdsThatStayDifferent() {
    // Given to HAPI as written, "INC/24/1" and "INC/25/1" would both be the record "1".
    SourceRecords.Found found =
        (SourceRecords.Found)
            fetchReply(
                "asc-0",
                "INC/24/1",
                "INC/25/1",
                "INC.2F24.2F1",
                "Café 7.1",
                "svc-1",
                "/".repeat(22));

    assertThat(found.resources())
        .extracting(r -> r.getIdElement().getIdPart())
        .containsExactly(
            "INC.2F24.2F1", "INC.2F25.2F1", "INC.2E2F24.2E2F1", "Caf.C3.A9.207.2E1", "svc-1");
    // 22 slashes would be 66 characters, too long for a FHIR id.
    assertThat(found.warnings())
        .containsExactly(
            "has a record that could not be mapped to FHIR R4; it is missing from this view");
  }

  @Test
  void fhirId_aLoneSurrogateIsNoId_ratherThanTheSameAsAQuestionMark() {
    // String.getBytes would write each as '?': "A\uD800", "A\uDC00" and "A?" would be one id.
    assertThat(SourceMapping.fhirId("A?")).isEqualTo("A.3F");
    assertThat(SourceMapping.fhirId("A\uD800")).isNull();
    assertThat(SourceMapping.fhirId("A\uDC00")).isNull();
    assertThat(SourceMapping.fhirId("a-1")).isEqualTo("a-1");
    assertThat(SourceMapping.fhirId("x".repeat(64))).isEqualTo("x".repeat(64));
    assertThat(SourceMapping.fhirId("x".repeat(65))).isNull();
  }

  @Test
  void fetch_aPersonIdThatIsNotAFhirId_isWrittenAsTheItemsAre_andKeepsTheirRecords() {
    for (String personId : new String[] {"asc/0", "asc 0", "asc.0"}) {
      SourceRecords result = fetchReply(personId, "s1");

      SourceRecords.Found found = (SourceRecords.Found) result;
      assertThat(found.patient().getIdElement().getIdPart())
          .isEqualTo(SourceMapping.fhirId(personId));
      assertThat(found.resources()).as(personId).hasSize(1);
      assertThat(found.notAboutThePerson()).isZero();
    }
  }

  /**
   * The council answering every lookup for person 0 with these ids, fetched as the gateway does.
   */
  private static SourceRecords fetchReply(String personId, String... serviceRefs) {
    JsonArray services = new JsonArray();
    for (String ref : serviceRefs) {
      services.add(
          new JsonObject()
              .put("ref", ref)
              .put("state", "open")
              .put("serviceType", "HC")
              .put("started", "2025-01-01"));
    }
    String reply =
        new JsonObject()
            .put(
                "person",
                new JsonObject()
                    .put("personId", personId)
                    .put("nhsNo", people.get(0).nhsNumber().toString())
                    .put("surname", "Ids"))
            .put("services", services)
            .encode();
    return fetchAnswering(reply);
  }

  /** Fetched as the gateway does from a council that answers every lookup with this reply. */
  private static SourceRecords fetchAnswering(String reply) {
    var server =
        vertx
            .createHttpServer()
            .requestHandler(req -> req.response().end(reply))
            .listen(0, "127.0.0.1")
            .await();
    try {
      return fetch(URI.create("http://127.0.0.1:" + server.actualPort()), 0);
    } finally {
      server.close().await();
    }
  }

  @Test
  void load_listsEveryMistakeWithItsLineAndColumn() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(
        bad,
        """
        mapping: broken
        lookup: /api/people
        patient:
          from: person
          id: personId
          nhsNumber: nhsNo
          gender: {field: sex, codes: {F: woman}}
        resources:
          - type: EpisodeOfCare
            from: services
            id: ref
            subject: status
            elements:
              status: {field: state, codes: {open: running}}
              period.begin: started
              type: {field: serviceType, codes: {HC: home-care}}
        """);

    assertThatThrownBy(() -> SourceMapping.load(bad))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(
            "bad.yaml:2:9: lookup: expected a path starting with / containing {nhs}")
        .hasMessageContaining(
            "patient.gender.codes.F: expected male, female, other or unknown, got 'woman'")
        .hasMessageContaining("resources[0].subject: expected a Reference element of EpisodeOfCare")
        .hasMessageContaining("resources[0].elements.status.codes.open: expected a code")
        .hasMessageContaining(
            "resources[0].elements.period.begin: expected an element path of EpisodeOfCare")
        .hasMessageContaining(
            "resources[0].elements.type: expected a system and codes for a CodeableConcept");
  }
}
