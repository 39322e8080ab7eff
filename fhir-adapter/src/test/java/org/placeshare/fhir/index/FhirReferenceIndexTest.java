package org.placeshare.fhir.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.UpstreamException;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.IndexEntry;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.fhir.linkage.Trace;
import org.placeshare.fhir.synthetic.ReferenceIndexServer;
import org.placeshare.fhir.synthetic.TracingPopulation.IndexPerson;
import org.placeshare.policy.NhsNumber;

/**
 * The FHIR client of the reference index, against the real synthetic index (HAPI in Jetty) and
 * against hostile upstreams (a plain HTTP server, since a well-behaved FHIR server cannot be made
 * to send garbage).
 */
class FhirReferenceIndexTest {

  private static final Duration DEADLINE = Duration.ofSeconds(5);
  private static final NhsNumber ANNA = nhs("999300000");
  private static final NhsNumber ELLA = nhs("999300001");
  private static final NhsNumber JOHN = nhs("999300002");
  private static final NhsNumber JOHN_AGAIN = nhs("999300003");
  private static final NhsNumber RUTH = nhs("999300004");

  static Vertx vertx;
  static ReferenceIndexServer index;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    LocalDate twins = LocalDate.of(2009, 6, 14);
    LocalDate john = LocalDate.of(1971, 2, 3);
    index =
        ReferenceIndexServer.start(
            0,
            List.of(
                person(ANNA, "Dodds", "Anna", List.of(), twins, "female", "SR2 8HU"),
                person(ELLA, "Dodds", "Ella", List.of(), twins, "female", "SR2 8HU"),
                // One person entered twice under two numbers: the index cannot tell them apart.
                person(JOHN, "Kennedy", "John", List.of(), john, "male", "SR5 1QT"),
                person(JOHN_AGAIN, "Kennedy", "John", List.of(), john, "male", "SR5 1QT"),
                person(
                    RUTH,
                    "Marshall",
                    "Ruth",
                    List.of("Bainbridge"),
                    LocalDate.of(1979, 9, 23),
                    "female",
                    "DH4 5RA")));
  }

  @AfterAll
  static void stop() throws Exception {
    index.close();
    vertx.close().await();
  }

  @Test
  void search_realIndex_marriedName_tracesTheTruePersonCertain() {
    // Her agency knows her by her maiden name.
    Demographics record =
        Demographics.of("Bainbridge", "Ruth", LocalDate.of(1979, 9, 23), "female", "DH4 5RA");

    Trace trace = withIndex(index.baseUrl(), DEADLINE, i -> i.trace(record).await());

    assertThat(trace.certainLink().map(IndexEntry::nhsNumber)).contains(RUTH);
  }

  @Test
  void search_realIndex_twinsAtOneAddress_neitherIsCertainWithoutTheGivenName() {
    Demographics record =
        new Demographics(
            "Dodds",
            null,
            List.of(),
            LocalDate.of(2009, 6, 14),
            "female",
            "SR2 8HU",
            List.of(),
            null,
            Optional.empty());

    List<Candidate> candidates =
        withIndex(index.baseUrl(), DEADLINE, i -> i.search(record, 10).await());

    assertThat(candidates)
        .extracting(c -> c.entry().nhsNumber())
        .containsExactlyInAnyOrder(ANNA, ELLA);
    assertThat(candidates).noneMatch(c -> c.grade() == MatchGrade.CERTAIN);
  }

  @Test
  void search_realIndex_twoPeopleScoringCertain_areBothOnlyProbable() {
    Demographics record =
        Demographics.of("Kennedy", "John", LocalDate.of(1971, 2, 3), "male", "SR5 1QT");

    List<Candidate> candidates =
        withIndex(index.baseUrl(), DEADLINE, i -> i.search(record, 3).await());

    assertThat(candidates).hasSize(2).allMatch(c -> c.grade() == MatchGrade.PROBABLE);
    assertThat(Trace.of(candidates).certainLink()).isEmpty();
  }

  @Test
  void search_patientWithTwoNhsNumbers_isSkippedAndCounted() throws Exception {
    Patient twoNumbers = patient(ANNA, "Dodds", "Anna", "2009-06-14");
    twoNumbers.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(ELLA.toString());
    Patient partialDate = patient(ELLA, "Dodds", "Ella", "2009-06");
    Patient good = patient(RUTH, "Marshall", "Ruth", "1979-09-23");
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    bundle.addEntry().setResource(twoNumbers);
    bundle.addEntry().setResource(partialDate);
    bundle.addEntry().setResource(good);
    String body = Fhir.encode(bundle);

    withUpstream(
        request -> request.response().putHeader("content-type", Fhir.JSON).end(body),
        base -> {
          FhirReferenceIndex client =
              new FhirReferenceIndex(vertx, base, DEADLINE, SourceAccess.NONE);
          try {
            List<Candidate> found =
                client
                    .search(
                        Demographics.of("Dodds", "Anna", LocalDate.of(2009, 6, 14), null, null), 10)
                    .await();
            assertThat(found).extracting(c -> c.entry().nhsNumber()).containsExactly(RUTH);
            assertThat(client.refused()).isEqualTo(2);
          } finally {
            client.close().await();
          }
          return null;
        });
  }

  /** A hostile index's answer of these Patients, graded for Anna Dodds. */
  private static List<Candidate> searchAnna(Patient... patients) throws Exception {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    for (Patient p : patients) {
      bundle.addEntry().setResource(p);
    }
    String body = Fhir.encode(bundle);
    return withUpstream(
        request -> request.response().putHeader("content-type", Fhir.JSON).end(body),
        base ->
            withIndex(
                base,
                DEADLINE,
                client ->
                    client
                        .search(
                            Demographics.of(
                                "Dodds", "Anna", LocalDate.of(2009, 6, 14), "female", null),
                            10)
                        .await()));
  }

  @Test
  void search_refusedPatientBesideAGoodOne_leavesNoCandidateCertain() throws Exception {
    Patient anna = patient(ANNA, "Dodds", "Anna", "2009-06-14");
    // Her twin as the index sent her: two NHS numbers, so refused, but as like Anna as can be.
    Patient refusedTwin = patient(ELLA, "Dodds", "Anna", "2009-06-14");
    refusedTwin.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(JOHN.toString());

    List<Candidate> alone = searchAnna(anna);
    List<Candidate> withTheRefused = searchAnna(anna, refusedTwin);

    assertThat(alone).extracting(Candidate::grade).containsExactly(MatchGrade.CERTAIN);
    assertThat(withTheRefused).extracting(c -> c.entry().nhsNumber()).containsExactly(ANNA);
    assertThat(withTheRefused).extracting(Candidate::grade).containsExactly(MatchGrade.PROBABLE);
    assertThat(Trace.of(withTheRefused).certainLink()).isEmpty();
  }

  @Test
  void read_realIndex_givesThePersonsDemographics_orNothingForANumberItDoesNotHold() {
    Optional<IndexEntry> ruth = withIndex(index.baseUrl(), DEADLINE, i -> i.read(RUTH).await());
    Optional<IndexEntry> nobody =
        withIndex(index.baseUrl(), DEADLINE, i -> i.read(nhs("999300005")).await());

    assertThat(ruth).isPresent();
    assertThat(ruth.get().demographics().family()).isEqualTo("MARSHALL");
    assertThat(ruth.get().demographics().previousFamilies()).containsExactly("BAINBRIDGE");
    assertThat(nobody).isEmpty();
  }

  @Test
  void read_indexAnsweringWithAnotherPerson_failsAndTrustsNothing() throws Exception {
    String ella = Fhir.encode(patient(ELLA, "Dodds", "Ella", "2009-06-14"));

    withUpstream(
        request -> request.response().putHeader("content-type", Fhir.JSON).end(ella),
        base -> {
          assertThatThrownBy(() -> withIndex(base, DEADLINE, i -> i.read(ANNA).await()))
              .isInstanceOf(UpstreamException.class)
              .hasMessage("the reference index answered a read by NHS number with another person");
          return null;
        });
  }

  @Test
  void search_indexAnswersGarbage_failsWithAMessageSafeToShow() throws Exception {
    assertFailure(
        request -> request.response().end("<html>not fhir</html>"),
        "the reference index sent a reply that is not a FHIR R4 Bundle");
  }

  @Test
  void search_indexAnswersHttp500_failsWithTheStatus() throws Exception {
    assertFailure(
        request -> request.response().setStatusCode(500).end("{\"secret\":\"x\"}"),
        "the reference index answered HTTP 500");
  }

  @Test
  void search_indexSendsAHugeBody_isCutOffAtTheCap() throws Exception {
    String huge = "x".repeat(FhirReferenceIndex.MAX_RESPONSE_BYTES + 1);
    assertFailure(
        request -> request.response().setChunked(true).end(huge),
        "the reference index sent more than " + FhirReferenceIndex.MAX_RESPONSE_BYTES + " bytes");
  }

  @Test
  void search_indexTooSlow_failsAtTheDeadline() throws Exception {
    withUpstream(
        request -> {}, // never answers
        base -> {
          assertSearchFails(
              base, Duration.ofMillis(300), "the reference index did not answer within 300 ms");
          return null;
        });
  }

  @Test
  void search_indexDown_failsAsConnectionRefused() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    assertSearchFails(
        URI.create("http://127.0.0.1:" + port + "/fhir"),
        DEADLINE,
        "the reference index could not be reached (connection refused)");
  }

  @Test
  void search_tooManyCandidatesAsked_isRefused() {
    assertThatThrownBy(
            () ->
                withIndex(
                    index.baseUrl(),
                    DEADLINE,
                    i ->
                        i.search(
                                Demographics.of(
                                    "Dodds", "Anna", LocalDate.of(2009, 6, 14), null, null),
                                ReferenceIndex.MAX_CANDIDATES + 1)
                            .await()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void assertFailure(Consumer<HttpServerRequest> handler, String message)
      throws Exception {
    withUpstream(
        handler,
        base -> {
          assertSearchFails(base, DEADLINE, message);
          return null;
        });
  }

  private static void assertSearchFails(URI base, Duration deadline, String message) {
    assertThatThrownBy(
            () ->
                withIndex(
                    base,
                    deadline,
                    i ->
                        i.search(
                                Demographics.of(
                                    "Dodds", "Anna", LocalDate.of(2009, 6, 14), null, null),
                                3)
                            .await()))
        .isInstanceOf(UpstreamException.class)
        .hasMessage(message);
  }

  private static <T> T withIndex(URI base, Duration deadline, Function<FhirReferenceIndex, T> use) {
    FhirReferenceIndex client = new FhirReferenceIndex(vertx, base, deadline, SourceAccess.NONE);
    try {
      return use.apply(client);
    } finally {
      client.close().await();
    }
  }

  private static <T> T withUpstream(Consumer<HttpServerRequest> handler, Function<URI, T> use)
      throws Exception {
    HttpServer server =
        vertx.createHttpServer().requestHandler(handler::accept).listen(0, "127.0.0.1").await();
    try {
      return use.apply(URI.create("http://127.0.0.1:" + server.actualPort() + "/fhir"));
    } finally {
      server.close().await();
    }
  }

  private static Patient patient(NhsNumber nhs, String family, String given, String birthDate) {
    Patient patient = new Patient();
    patient.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(nhs.toString());
    patient.addName().setFamily(family).addGiven(given);
    patient.getBirthDateElement().setValueAsString(birthDate);
    patient.setGender(Enumerations.AdministrativeGender.FEMALE);
    return patient;
  }

  private static IndexPerson person(
      NhsNumber nhs,
      String family,
      String given,
      List<String> previous,
      LocalDate birthDate,
      String gender,
      String postcode) {
    return new IndexPerson(
        nhs, family, given, previous, birthDate, gender, postcode, List.of(), null);
  }

  private static NhsNumber nhs(String nineDigits) {
    return NhsNumber.withCheckDigit(nineDigits).orElseThrow();
  }
}
