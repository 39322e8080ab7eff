package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/**
 * The adapter against a real HAPI FHIR server, and against upstreams that misbehave (served by a
 * plain HTTP server, since a well-behaved FHIR server cannot be made to send garbage).
 */
class FhirRestSourceTest {

  static Vertx vertx;
  static FhirSourceServer gp;
  static List<SyntheticPerson> people = SyntheticPopulation.generate(10, 7);

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    gp =
        FhirSourceServer.start(
            0, SyntheticRecords.forSource(SyntheticRecords.Kind.GP, "gp", people));
  }

  @AfterAll
  static void stop() throws Exception {
    gp.close();
    vertx.close().await();
  }

  private static FhirRestSource source(URI base, Duration deadline) {
    return new FhirRestSource(
        vertx,
        new SourceDescriptor(
            "gp",
            OdsCode.of("Y90001"),
            base,
            deadline,
            List.of("Patient", "Condition", "MedicationStatement")));
  }

  private static SourceRecords fetch(
      URI base, Duration deadline, NhsNumber nhs, Set<String> types) {
    FhirRestSource source = source(base, deadline);
    try {
      return source.fetch(nhs, types).await();
    } finally {
      source.close().await();
    }
  }

  @Test
  void fetch_knownPerson_returnsTheirPatientAndOnlyTheTypesAsked() {
    SyntheticPerson person = people.get(0);

    SourceRecords result =
        fetch(
            gp.baseUrl(),
            Duration.ofSeconds(5),
            person.nhsNumber(),
            Set.of("Patient", "Condition"));

    assertThat(result).isInstanceOf(SourceRecords.Found.class);
    SourceRecords.Found found = (SourceRecords.Found) result;
    assertThat(found.patient().getIdentifierFirstRep().getValue())
        .isEqualTo(person.nhsNumber().toString());
    assertThat(found.resources())
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.fhirType()).isEqualTo("Condition"));
  }

  @Test
  void fetch_unknownPerson_isNotFound() {
    NhsNumber stranger = SyntheticPopulation.generate(11, 7).get(10).nhsNumber();

    assertThat(fetch(gp.baseUrl(), Duration.ofSeconds(5), stranger, Set.of("Patient")))
        .isInstanceOf(SourceRecords.NotFound.class);
  }

  @Test
  void fetch_upstreamAnswersAnotherPersonsPatient_isAConflict() throws Exception {
    // A careless or hostile upstream ignores the identifier: its Patient must not be taken as ours.
    Patient other = new Patient();
    other.setId("p1");
    other
        .addIdentifier()
        .setSystem(Fhir.NHS_NUMBER_SYSTEM)
        .setValue(people.get(1).nhsNumber().toString());
    String bundle =
        Fhir.encode(
            new Bundle()
                .setType(Bundle.BundleType.SEARCHSET)
                .addEntry(new Bundle.BundleEntryComponent().setResource(other)));

    SourceRecords result =
        withUpstream(
            req -> req.response().end(bundle),
            base ->
                fetch(base, Duration.ofSeconds(5), people.get(0).nhsNumber(), Set.of("Patient")));

    assertThat(((SourceRecords.Failed) result).reason())
        .isEqualTo(
            "answered with a conflict: its Patient for this NHS number carries another NHS number");
  }

  /** A page of a search Bundle holding these resources, with a next link if one is given. */
  private static String page(String next, org.hl7.fhir.r4.model.Resource... resources) {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    for (var r : resources) {
      bundle.addEntry().setResource(r);
    }
    if (next != null) {
      bundle.addLink().setRelation("next").setUrl(next);
    }
    return Fhir.encode(bundle);
  }

  private static Patient patient(String id, NhsNumber... numbers) {
    Patient patient = new Patient();
    patient.setId(id);
    for (NhsNumber n : numbers) {
      patient.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(n.toString());
    }
    return patient;
  }

  @Test
  void fetch_patientWithTwoNhsNumbers_isAConflict() throws Exception {
    String patients =
        page(null, patient("p1", people.get(0).nhsNumber(), people.get(1).nhsNumber()));

    SourceRecords result =
        withUpstream(
            req -> req.response().end(patients),
            base ->
                fetch(base, Duration.ofSeconds(5), people.get(0).nhsNumber(), Set.of("Patient")));

    assertThat(((SourceRecords.Failed) result).reason())
        .isEqualTo("answered with a conflict: its Patient carries 2 NHS numbers, not one");
  }

  @Test
  void fetch_twoPatientsForOneNhsNumber_isAConflict() throws Exception {
    NhsNumber nhs = people.get(0).nhsNumber();
    String patients = page(null, patient("p1", nhs), patient("p2", nhs));

    SourceRecords result =
        withUpstream(
            req -> req.response().end(patients),
            base -> fetch(base, Duration.ofSeconds(5), nhs, Set.of("Patient")));

    assertThat(((SourceRecords.Failed) result).reason())
        .isEqualTo("answered with a conflict: it holds 2 Patients for one NHS number");
  }

  @Test
  void fetch_conflicts_doNotLeaveTheSourceAlone() throws Exception {
    // Asking again and again about one conflicted person must not cut the source off for all.
    String patients =
        page(null, patient("p1", people.get(0).nhsNumber(), people.get(1).nhsNumber()));

    boolean unavailable =
        withUpstream(
            req -> req.response().end(patients),
            base -> {
              FhirRestSource source = source(base, Duration.ofSeconds(5));
              try {
                for (int i = 0; i < CircuitBreaker.FAILURES_TO_OPEN + 1; i++) {
                  source.fetch(people.get(0).nhsNumber(), Set.of("Patient")).await();
                }
                return source.unavailable().isPresent();
              } finally {
                source.close().await();
              }
            });

    assertThat(unavailable).isFalse();
  }

  @Test
  void fetch_searchIgnoringThePatient_leavesOutAndCountsOtherPeoplesRecords() throws Exception {
    NhsNumber nhs = people.get(0).nhsNumber();
    var ours = new org.hl7.fhir.r4.model.Condition();
    ours.setId("c1");
    ours.setSubject(new org.hl7.fhir.r4.model.Reference("Patient/p1"));
    var theirs = new org.hl7.fhir.r4.model.Condition();
    theirs.setId("c2");
    theirs.setSubject(new org.hl7.fhir.r4.model.Reference("Patient/someone-else"));
    var byNhsNumber = new org.hl7.fhir.r4.model.Condition();
    byNhsNumber.setId("c3");
    byNhsNumber.setSubject(
        new org.hl7.fhir.r4.model.Reference()
            .setIdentifier(
                new org.hl7.fhir.r4.model.Identifier()
                    .setSystem(Fhir.NHS_NUMBER_SYSTEM)
                    .setValue(people.get(1).nhsNumber().toString())));
    var nobodys = new org.hl7.fhir.r4.model.Condition();
    nobodys.setId("c4");
    String patients = page(null, patient("p1", nhs));
    String conditions = page(null, ours, theirs, byNhsNumber, nobodys);

    SourceRecords result =
        withUpstream(
            req -> req.response().end(req.path().endsWith("/Patient") ? patients : conditions),
            base -> fetch(base, Duration.ofSeconds(5), nhs, Set.of("Condition")));

    SourceRecords.Found found = (SourceRecords.Found) result;
    assertThat(found.resources())
        .extracting(r -> r.getIdElement().getIdPart())
        .containsExactly("c1");
    assertThat(found.notAboutThePerson()).isEqualTo(3);
  }

  @Test
  void fetch_nextLinkToItself_isAPagingLoop_notAThousandRequests() throws Exception {
    NhsNumber nhs = people.get(0).nhsNumber();
    java.util.concurrent.atomic.AtomicInteger asked =
        new java.util.concurrent.atomic.AtomicInteger();
    String patients = page(null, patient("p1", nhs));

    SourceRecords result =
        withUpstream(
            req -> {
              if (req.path().endsWith("/Patient")) {
                req.response().end(patients);
                return;
              }
              asked.incrementAndGet();
              String self = "http://" + req.getHeader("Host") + req.uri();
              req.response().end(page(self));
            },
            base -> fetch(base, Duration.ofSeconds(5), nhs, Set.of("Condition")));

    assertThat(((SourceRecords.Failed) result).reason())
        .isEqualTo("sent a next-page link to a page of Condition already read (a paging loop)");
    assertThat(asked).hasValue(1);
  }

  @Test
  void fetch_nextLinksWithoutEnd_stopAtThePageCap() throws Exception {
    NhsNumber nhs = people.get(0).nhsNumber();
    java.util.concurrent.atomic.AtomicInteger asked =
        new java.util.concurrent.atomic.AtomicInteger();
    String patients = page(null, patient("p1", nhs));

    SourceRecords result =
        withUpstream(
            req -> {
              if (req.path().endsWith("/Patient")) {
                req.response().end(patients);
                return;
              }
              int n = asked.incrementAndGet();
              String next = "http://" + req.getHeader("Host") + "/fhir/Condition?page=" + n;
              req.response().end(page(next));
            },
            base -> fetch(base, Duration.ofSeconds(20), nhs, Set.of("Condition")));

    assertThat(((SourceRecords.Failed) result).reason())
        .isEqualTo("sent more than " + FhirRestSource.MAX_PAGES_PER_SEARCH + " pages of Condition");
    assertThat(asked).hasValue(FhirRestSource.MAX_PAGES_PER_SEARCH);
  }

  @Test
  void fetch_upstreamError_isAFailureNamingTheStatus() throws Exception {
    SourceRecords result =
        withUpstream(
            req -> req.response().setStatusCode(500).end("stack trace with secrets"),
            base ->
                fetch(base, Duration.ofSeconds(5), people.get(0).nhsNumber(), Set.of("Patient")));

    assertThat(result)
        .isEqualTo(
            new SourceRecords.Failed(
                ((SourceRecords.Failed) result).source(), "answered HTTP 500"));
  }

  @Test
  void fetch_upstreamSendsNonFhir_isAFailure() throws Exception {
    SourceRecords result =
        withUpstream(
            req -> req.response().end("<html>maintenance</html>"),
            base ->
                fetch(base, Duration.ofSeconds(5), people.get(0).nhsNumber(), Set.of("Patient")));

    assertThat(((SourceRecords.Failed) result).reason())
        .isEqualTo("sent a reply that is not a FHIR R4 Bundle");
  }

  @Test
  void fetch_upstreamSendsTooMuch_isCutOff() throws Exception {
    String huge =
        "{\"resourceType\":\"Bundle\",\"x\":\""
            + "a".repeat(FhirRestSource.MAX_RESPONSE_BYTES)
            + "\"}";

    SourceRecords result =
        withUpstream(
            req -> req.response().end(huge),
            base ->
                fetch(base, Duration.ofSeconds(10), people.get(0).nhsNumber(), Set.of("Patient")));

    assertThat(((SourceRecords.Failed) result).reason()).isEqualTo("sent more than 8388608 bytes");
  }

  @Test
  void fetch_upstreamStreamsTooMuchWithoutALength_isCutOffWhileArriving() throws Exception {
    String chunk = "a".repeat(1024 * 1024);

    SourceRecords result =
        withUpstream(
            req -> {
              var response = req.response().setChunked(true);
              response.write("{\"resourceType\":\"Bundle\",\"x\":\"");
              for (int i = 0; i < 9; i++) {
                response.write(chunk);
              }
              response.end("\"}");
            },
            base ->
                fetch(base, Duration.ofSeconds(10), people.get(0).nhsNumber(), Set.of("Patient")));

    assertThat(((SourceRecords.Failed) result).reason()).isEqualTo("sent more than 8388608 bytes");
  }

  @Test
  void fetch_upstreamNeverAnswers_failsAtTheDeadline() throws Exception {
    SourceRecords result =
        withUpstream(
            req -> {},
            base ->
                fetch(base, Duration.ofMillis(300), people.get(0).nhsNumber(), Set.of("Patient")));

    assertThat(((SourceRecords.Failed) result).reason()).isEqualTo("did not answer within 300 ms");
  }

  /**
   * A connection waits in the pool longer than the source's deadline, which is also the client's
   * idle timeout: Vert.x applies that only while a request is in flight, and closes an unused
   * pooled connection after its keep-alive timeout (60 s). Were it otherwise, a view every few
   * seconds would open a new connection each time (over TLS, a handshake each time).
   */
  @Test
  void fetch_twoFetchesFurtherApartThanTheDeadline_shareOneConnection() throws Exception {
    NhsNumber nhs = people.get(0).nhsNumber();
    fetch(gp.baseUrl(), Duration.ofSeconds(5), nhs, Set.of("Patient")); // the server warmed
    FhirRestSource source = source(gp.baseUrl(), Duration.ofSeconds(1));
    try {
      assertThat(source.fetch(nhs, Set.of("Patient")).await())
          .isInstanceOf(SourceRecords.Found.class);
      int opened = gp.connectionsOpened();

      Thread.sleep(2_000); // twice the deadline, and the client's idle timeout
      assertThat(source.fetch(nhs, Set.of("Patient")).await())
          .isInstanceOf(SourceRecords.Found.class);

      assertThat(gp.connectionsOpened()).isEqualTo(opened);
    } finally {
      source.close().await();
    }
  }

  /** A real FHIR server holding one person with {@code conditions} conditions. */
  private static FhirSourceServer manyConditions(SyntheticPerson person, int conditions)
      throws Exception {
    List<org.hl7.fhir.r4.model.Resource> resources = new java.util.ArrayList<>();
    Patient patient = new Patient();
    patient.setId("p1");
    patient
        .addIdentifier()
        .setSystem(Fhir.NHS_NUMBER_SYSTEM)
        .setValue(person.nhsNumber().toString());
    resources.add(patient);
    for (int i = 0; i < conditions; i++) {
      var condition = new org.hl7.fhir.r4.model.Condition();
      condition.setId("c" + i);
      condition.setSubject(new org.hl7.fhir.r4.model.Reference("Patient/p1"));
      resources.add(condition);
    }
    return FhirSourceServer.start(0, resources);
  }

  @Test
  void fetch_followsNextPages_toEveryResource() throws Exception {
    SyntheticPerson person = people.get(0);
    try (FhirSourceServer server = manyConditions(person, 130)) {
      SourceRecords result =
          fetch(server.baseUrl(), Duration.ofSeconds(10), person.nhsNumber(), Set.of("Condition"));

      assertThat(((SourceRecords.Found) result).resources())
          .hasSize(130)
          .extracting(r -> r.getIdElement().getIdPart())
          .doesNotHaveDuplicates();
    }
  }

  @Test
  void fetch_pagesBeyondTheCap_areAFailureNotATruncation() throws Exception {
    SyntheticPerson person = people.get(0);
    try (FhirSourceServer server =
        manyConditions(person, FhirRestSource.MAX_RESOURCES_PER_TYPE + 1)) {
      SourceRecords result =
          fetch(server.baseUrl(), Duration.ofSeconds(20), person.nhsNumber(), Set.of("Condition"));

      assertThat(((SourceRecords.Failed) result).reason())
          .isEqualTo("returned more than 500 Condition resources");
    }
  }

  @Test
  void fetch_nextLinkToAnotherServer_isNotFollowed() throws Exception {
    Patient patient = new Patient();
    patient.setId("p1");
    patient
        .addIdentifier()
        .setSystem(Fhir.NHS_NUMBER_SYSTEM)
        .setValue(people.get(0).nhsNumber().toString());
    String patientPage =
        Fhir.encode(
            new Bundle()
                .setType(Bundle.BundleType.SEARCHSET)
                .addEntry(new Bundle.BundleEntryComponent().setResource(patient)));
    Bundle conditions = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    conditions.addLink().setRelation("next").setUrl("http://169.254.169.254/latest/meta-data");
    String conditionPage = Fhir.encode(conditions);

    SourceRecords result =
        withUpstream(
            req ->
                req.response().end(req.path().endsWith("/Patient") ? patientPage : conditionPage),
            base ->
                fetch(base, Duration.ofSeconds(5), people.get(0).nhsNumber(), Set.of("Condition")));

    assertThat(((SourceRecords.Failed) result).reason())
        .isEqualTo("sent a next-page link to another server");
  }

  @Test
  void fetch_busyUpstream_isAskedAgainWithBackoff() throws Exception {
    java.util.concurrent.atomic.AtomicInteger asked =
        new java.util.concurrent.atomic.AtomicInteger();
    String empty = Fhir.encode(new Bundle().setType(Bundle.BundleType.SEARCHSET));

    SourceRecords result =
        withUpstream(
            req -> {
              if (asked.incrementAndGet() <= 2) {
                req.response().setStatusCode(503).end();
              } else {
                req.response().end(empty);
              }
            },
            base ->
                fetch(base, Duration.ofSeconds(5), people.get(0).nhsNumber(), Set.of("Patient")));

    assertThat(result).isInstanceOf(SourceRecords.NotFound.class);
    assertThat(asked).hasValue(3);
  }

  @Test
  void fetch_sinceBeyondADatesRange_filtersWithoutFailing() throws Exception {
    // An upstream that ignores _lastUpdated, so the adapter's own filter decides; Instant.MIN is
    // beyond what a java.util.Date can hold.
    NhsNumber nhs = people.get(0).nhsNumber();
    org.hl7.fhir.r4.model.Condition changed = new org.hl7.fhir.r4.model.Condition();
    changed.setId("c1");
    changed.setSubject(new org.hl7.fhir.r4.model.Reference("Patient/p1"));
    changed
        .getMeta()
        .setLastUpdated(java.util.Date.from(java.time.Instant.parse("2026-10-01T00:00:00Z")));
    String patients = page(null, patient("p1", nhs));
    String conditions = page(null, changed);

    SourceRecords result =
        withUpstream(
            req -> req.response().end(req.path().endsWith("/Patient") ? patients : conditions),
            base -> {
              FhirRestSource source = source(base, Duration.ofSeconds(5));
              try {
                return source
                    .fetch(
                        nhs,
                        Set.of("Patient", "Condition"),
                        java.util.Optional.of(java.time.Instant.MIN))
                    .await();
              } finally {
                source.close().await();
              }
            });

    assertThat(((SourceRecords.Found) result).resources())
        .extracting(r -> r.getIdElement().getIdPart())
        .containsExactly("c1");
  }

  @Test
  void fetch_failingUpstream_isLeftAloneAfterFiveFailures() throws Exception {
    java.util.concurrent.atomic.AtomicInteger asked =
        new java.util.concurrent.atomic.AtomicInteger();

    List<SourceRecords> results =
        withUpstream(
            req -> {
              asked.incrementAndGet();
              req.response().setStatusCode(500).end();
            },
            base -> {
              FhirRestSource source = source(base, Duration.ofSeconds(5));
              try {
                List<SourceRecords> all = new java.util.ArrayList<>();
                for (int i = 0; i < 7; i++) {
                  all.add(source.fetch(people.get(0).nhsNumber(), Set.of("Patient")).await());
                }
                assertThat(source.unavailable()).isPresent();
                return all;
              } finally {
                source.close().await();
              }
            });

    assertThat(asked).hasValue(CircuitBreaker.FAILURES_TO_OPEN);
    assertThat(((SourceRecords.Failed) results.get(6)).reason())
        .startsWith("is not being asked for now");
  }

  @Test
  void fetch_deeplyNestedReply_isRefusedWithAClearReason() throws Exception {
    // 100,000 nested arrays in well under the size cap: a parser that recursed would overflow.
    String nested =
        "{\"resourceType\":\"Bundle\",\"x\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";

    SourceRecords result =
        withUpstream(
            req -> req.response().end(nested),
            base ->
                fetch(base, Duration.ofSeconds(10), people.get(0).nhsNumber(), Set.of("Patient")));

    assertThat(((SourceRecords.Failed) result).reason())
        .isEqualTo("sent a reply that is not a FHIR R4 Bundle");
  }

  @Test
  void fetch_withABearerToken_presentsItOnEveryRequest() throws Exception {
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    String empty = Fhir.encode(new Bundle().setType(Bundle.BundleType.SEARCHSET));

    withUpstream(
        req -> {
          seen.add(String.valueOf(req.getHeader("Authorization")));
          req.response().end(empty);
        },
        base -> {
          FhirRestSource source =
              new FhirRestSource(
                  vertx,
                  new SourceDescriptor(
                      "gp", OdsCode.of("Y90001"), base, Duration.ofSeconds(5), List.of("Patient")),
                  new SourceAccess(
                      java.util.Optional.of("source-token"),
                      java.util.Optional.empty(),
                      java.util.Optional.empty(),
                      java.util.Optional.empty()));
          try {
            return source.fetch(people.get(0).nhsNumber(), Set.of("Patient")).await();
          } finally {
            source.close().await();
          }
        });

    assertThat(seen).containsExactly("Bearer source-token");
  }

  private static <T> T withUpstream(
      Consumer<HttpServerRequest> handler, java.util.function.Function<URI, T> use)
      throws Exception {
    HttpServer server =
        vertx.createHttpServer().requestHandler(handler::accept).listen(0, "127.0.0.1").await();
    try {
      return use.apply(URI.create("http://127.0.0.1:" + server.actualPort() + "/fhir"));
    } finally {
      server.close().await();
    }
  }
}
