package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentComponent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.placeshare.fhir.Fhir;

/**
 * Issue 21, BALP finished: the client's network address on every request's event, the FHIR {@code
 * AuditEvent} search (IG leads only, strict, paged, audited) as a standard client uses it, and a
 * bulk export's files bound by digest in its completion event.
 */
class AuditEventSearchTest {

  static final String DICOM = "http://dicom.nema.org/resources/ontology/DCM";
  static final Set<String> LOOPBACK = Set.of("127.0.0.1", "0:0:0:0:0:0:0:1", "::1");

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String ig;
  static String council;
  static String person;
  static Instant before;
  static FhirValidator validator;

  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    fixture.addAgreement("gm-connect-population-health.yaml");
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig.lead", "ig-lead", "HOPERAT");
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    person = fixture.firstPerson().nhsNumber().toString();
    before = GatewayFixture.CLOCK.instant().minusSeconds(1);
    assertThat(fixture.everything(person, council).statusCode()).isEqualTo(200);
    // Refused: the A&E system for direct care, with no consent and no emergency.
    String treat = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    assertThat(fixture.everything(person, treat).statusCode()).isEqualTo(403);
    var context = Fhir.context();
    validator =
        context
            .newValidator()
            .registerValidatorModule(
                new FhirInstanceValidator(
                    new ValidationSupportChain(
                        new DefaultProfileValidationSupport(context),
                        new InMemoryTerminologyServerValidationSupport(context),
                        new CommonCodeSystemsTerminologyService(context))));
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static JsonArray events(String query) throws Exception {
    HttpResponse<String> r = fixture.get("/audit/events" + query, ig);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonArray("events");
  }

  private static AuditEventAgentComponent agent(AuditEvent e, String system, String code) {
    return e.getAgent().stream()
        .filter(a -> a.getType().hasCoding(system, code))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no agent " + system + "#" + code));
  }

  private static IGenericClient client(String token, EncodingEnum encoding) {
    IGenericClient client = Fhir.context().newRestfulGenericClient(fixture.url("/fhir").toString());
    client.setEncoding(encoding);
    client.registerInterceptor(new BearerTokenAuthInterceptor(token));
    return client;
  }

  private HttpResponse<String> search(String query, String token) throws Exception {
    return fixture.get("/fhir/AuditEvent" + query, token);
  }

  private static Bundle bundle(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Fhir.json().parseResource(Bundle.class, r.body());
  }

  private static List<AuditEvent> auditEvents(Bundle b) {
    return b.getEntry().stream().map(e -> (AuditEvent) e.getResource()).toList();
  }

  // --- the client's network address ---

  @Test
  void auditEvent_realRequest_carriesTheClientsNetworkAddress_inJsonAndFhir() throws Exception {
    JsonObject view =
        events("?patient=" + person + "&action=read-person-view&decision=permitted")
            .getJsonObject(0);
    assertThat(view.getJsonObject("detail").getString("clientAddress")).isIn(LOOPBACK);

    HttpResponse<String> r =
        fixture.get("/audit/events?format=fhir&patient=" + person + "&action=read-person-view", ig);
    Bundle fhir = bundle(r);
    AuditEvent read =
        auditEvents(fhir).stream()
            .filter(e -> e.getType().getCode().equals("rest"))
            .findFirst()
            .orElseThrow();
    AuditEventAgentComponent client = agent(read, DICOM, "110153");
    assertThat(client.getNetwork().getAddress()).isIn(LOOPBACK);
    assertThat(client.getNetwork().getType().toCode()).isEqualTo("2");
    AuditEventAgentComponent user =
        agent(read, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP");
    assertThat(user.getNetwork().getAddress()).isIn(LOOPBACK);
  }

  @Test
  void auditEvent_everyEventOfAnHttpRequest_namesItsClient() throws Exception {
    // A token request, a 401 without a token, a refusal, a view, an audit read: each has one.
    assertThat(fixture.get("/fhir/Patient/" + person + "/$everything").statusCode()).isEqualTo(401);
    JsonArray all = events("?limit=500");
    assertThat(all.size()).isGreaterThan(5);
    // A bulk job's own events are the job's, not a request's: it runs on after the kick-off.
    Set<String> jobs = new HashSet<>();
    fixture
        .gateway
        .database()
        .pool()
        .query("SELECT id FROM export_job")
        .execute()
        .toCompletionStage()
        .toCompletableFuture()
        .get()
        .forEach(row -> jobs.add(row.getUUID("id").toString()));
    for (Object o : all) {
      JsonObject e = (JsonObject) o;
      if (jobs.contains(e.getString("requestId"))) {
        continue;
      }
      assertThat(e.getJsonObject("detail").getString("clientAddress"))
          .as(e.getString("action") + " " + e.getString("outcome"))
          .isIn(LOOPBACK);
    }
  }

  // --- GET /fhir/AuditEvent ---

  @ParameterizedTest
  @EnumSource(
      value = EncodingEnum.class,
      names = {"JSON", "XML"})
  void fhirAuditEventSearch_hapiGenericClient_byPatientAndDate_findsTheViewAndItValidates(
      EncodingEnum encoding) {
    Bundle found =
        client(ig, encoding)
            .search()
            .forResource(AuditEvent.class)
            .where(AuditEvent.PATIENT.hasId("Patient/" + person))
            .and(AuditEvent.DATE.afterOrEquals().second(Date.from(before)))
            .returnBundle(Bundle.class)
            .execute();
    assertThat(found.getType()).isEqualTo(Bundle.BundleType.SEARCHSET);
    List<AuditEvent> events = auditEvents(found);
    assertThat(events).isNotEmpty();
    for (AuditEvent e : events) {
      assertThat(e.getEntity())
          .anyMatch(x -> ("Patient/" + person).equals(x.getWhat().getReference()));
      assertThat(e.getRecorded().toInstant()).isAfterOrEqualTo(before);
    }
    AuditEvent read =
        events.stream()
            .filter(
                e ->
                    e.getOutcomeDesc().startsWith("read-person-view ")
                        && e.getMeta().getProfile().stream()
                            .anyMatch(p -> p.getValue().endsWith("IHE.BasicAudit.PatientRead")))
            .findFirst()
            .orElseThrow();
    assertThat(agent(read, DICOM, "110153").getNetwork().getAddress()).isIn(LOOPBACK);
    List<String> errors =
        validator.validateWithResult(Fhir.encode(read)).getMessages().stream()
            .filter(
                m ->
                    m.getSeverity() == ResultSeverityEnum.ERROR
                        || m.getSeverity() == ResultSeverityEnum.FATAL)
            .filter(
                m ->
                    !("Validation_VAL_Profile_Unknown".equals(m.getMessageId())
                        && m.getMessage().contains("profiles.ihe.net/ITI/BALP")))
            .map(SingleValidationMessage::toString)
            .toList();
    assertThat(errors).isEmpty();
  }

  @Test
  void fhirAuditEventSearch_byIdentifierAndDateRange_findsTheSameAsByReference() throws Exception {
    // Up to now: each search is audited under the patient it names, and grows what it searches.
    String range = "&date=ge" + before + "&date=lt" + GatewayFixture.CLOCK.instant();
    Bundle byReference = bundle(search("?patient=Patient/" + person + range, ig));
    Bundle byIdentifier =
        bundle(
            search("?patient:identifier=" + Fhir.NHS_NUMBER_SYSTEM + "%7C" + person + range, ig));
    assertThat(auditEvents(byIdentifier))
        .extracting(AuditEvent::getIdPart)
        .containsExactlyElementsOf(
            auditEvents(byReference).stream().map(AuditEvent::getIdPart).toList());
    // Nothing before the first event: lt the start of the log's day a year back.
    assertThat(bundle(search("?patient=" + person + "&date=lt2025-11-22", ig)).getEntry())
        .isEmpty();
  }

  @Test
  void fhirAuditEventSearch_outcomeAndSubtype_narrow() throws Exception {
    List<AuditEvent> refused = auditEvents(bundle(search("?outcome=4&patient=" + person, ig)));
    assertThat(refused).isNotEmpty().allMatch(e -> e.getOutcome().toCode().equals("4"));
    List<AuditEvent> reads =
        auditEvents(bundle(search("?subtype=http://hl7.org/fhir/restful-interaction%7Cread", ig)));
    assertThat(reads)
        .isNotEmpty()
        .allMatch(e -> e.getSubtype().stream().anyMatch(c -> c.getCode().equals("read")));
    assertThat(auditEvents(bundle(search("?agent=user-1&outcome=0", ig))))
        .isNotEmpty()
        .allMatch(e -> e.getOutcome().toCode().equals("0"));
  }

  @Test
  void fhirAuditEventSearch_count_pagesByNextLinks_eachEventOnce() throws Exception {
    // Searches are audited as they page: the events before now are the set paged through.
    String bound = "date=lt" + GatewayFixture.CLOCK.instant();
    Set<String> seen = new HashSet<>();
    List<String> order = new ArrayList<>();
    String next = "/fhir/AuditEvent?" + bound + "&_count=2";
    int pages = 0;
    while (next != null) {
      Bundle page = bundle(fixture.get(next, ig));
      assertThat(page.getEntry().size()).isLessThanOrEqualTo(2 + 2);
      for (AuditEvent e : auditEvents(page)) {
        assertThat(seen.add(e.getIdPart())).as("seen twice: " + e.getIdPart()).isTrue();
        order.add(e.getIdPart());
      }
      Bundle.BundleLinkComponent link = page.getLink("next");
      next = link == null ? null : link.getUrl().substring(GatewayFixture.PUBLIC_URL.length());
      pages++;
    }
    assertThat(pages).isGreaterThan(1);
    Bundle whole = bundle(fixture.get("/fhir/AuditEvent?" + bound + "&_count=200", ig));
    assertThat(order)
        .containsExactlyElementsOf(auditEvents(whole).stream().map(AuditEvent::getIdPart).toList());
  }

  @Test
  void fhirAuditEventSearch_unknownOrMalformedParameter_is400NamingIt() throws Exception {
    for (String[] c :
        new String[][] {
          {"?name=x", "name"},
          {"?date=yesterday", "date"},
          {"?date=ge2026-13-40", "date"},
          {"?patient=Patient/1234567890", "patient"},
          {"?outcome=3", "outcome"},
          {"?_count=many", "_count"},
          {"?agent=%3Cscript%3E", "agent"},
          {"?patient:identifier=urn:other%7C9990000018", "patient:identifier"}
        }) {
      HttpResponse<String> r = search(c[0], ig);
      assertThat(r.statusCode()).as(c[0] + " " + r.body()).isEqualTo(400);
      OperationOutcome o = Fhir.json().parseResource(OperationOutcome.class, r.body());
      assertThat(o.getIssueFirstRep().getDiagnostics()).as(c[0]).contains(c[1]);
    }
  }

  @Test
  void fhirAuditEventSearch_nonIgCaller_is403_andAudited() throws Exception {
    HttpResponse<String> r = search("?patient=" + person, council);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    JsonArray refused = events("?action=audit-read&decision=refused&user=user-1");
    assertThat(refused).isNotEmpty();
    assertThat(refused.getJsonObject(0).getInteger("httpStatus")).isEqualTo(403);
  }

  @Test
  void fhirAuditEventSearch_eachSearchIsAudited_andXmlIsServed() throws Exception {
    HttpResponse<String> r =
        fixture.get("/fhir/AuditEvent?_count=1", ig, "Accept", "application/fhir+xml");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/fhir+xml");
    Bundle b = Fhir.context().newXmlParser().parseResource(Bundle.class, r.body());
    assertThat(b.getEntry()).hasSizeGreaterThanOrEqualTo(1);
    String request = r.headers().firstValue("X-Request-ID").orElseThrow();
    JsonArray audited = events("?request=" + request);
    assertThat(audited).hasSize(1);
    assertThat(audited.getJsonObject(0).getString("action")).isEqualTo("audit-read");
    assertThat(audited.getJsonObject(0).getJsonObject("detail").getString("detail"))
        .startsWith("FHIR AuditEvent search:");
  }

  @Test
  void capabilityStatement_listsAuditEventSearch_forIgLeads() throws Exception {
    CapabilityStatement cs =
        Fhir.json().parseResource(CapabilityStatement.class, fixture.get("/fhir/metadata").body());
    var auditEvent =
        cs.getRestFirstRep().getResource().stream()
            .filter(r -> r.getType().equals("AuditEvent"))
            .findFirst()
            .orElseThrow();
    assertThat(auditEvent.getDocumentation()).contains("information governance leads only");
    assertThat(auditEvent.getSearchParam())
        .extracting(p -> p.getName())
        .contains("date", "patient", "agent", "outcome", "subtype");
  }

  // --- bulk export files bound by digest ---

  @Test
  void bulkExport_completionEvent_bindsEachFilesDigest_matchingTheBytesDownloaded()
      throws Exception {
    String analyst = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
    String group =
        CohortExportTest.registered(
            fixture, analyst, CohortExportTest.everyone(fixture).subList(0, 3));
    HttpResponse<String> kickOff =
        fixture.get("/fhir/Group/" + group + "/$export", analyst, "Prefer", "respond-async");
    assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);
    String status = kickOff.headers().firstValue("Content-Location").orElseThrow();
    HttpResponse<String> done = CohortExportTest.await(fixture, analyst, status);
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    JsonObject manifest = new JsonObject(done.body());
    assertThat(manifest.getJsonArray("output")).isNotEmpty();
    JsonArray output = manifest.getJsonArray("output").copy();
    manifest.getJsonArray("error", new JsonArray()).forEach(output::add);
    String job = status.substring(status.lastIndexOf('/') + 1);

    JsonArray jobEvents = events("?request=" + job + "&action=cohort-export");
    JsonObject finished =
        jobEvents.stream()
            .map(JsonObject.class::cast)
            .filter(e -> e.getJsonObject("detail").containsKey("files"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no completion event binds the files"));
    JsonArray files = finished.getJsonObject("detail").getJsonArray("files");
    assertThat(files).hasSize(output.size());
    for (Object o : output) {
      JsonObject item = (JsonObject) o;
      String url = item.getString("url");
      String name = url.substring(url.lastIndexOf('/') + 1);
      HttpResponse<byte[]> file =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          fixture.url("") + url.substring(GatewayFixture.PUBLIC_URL.length())))
                  .header("Authorization", "Bearer " + analyst)
                  .header("Accept", "application/fhir+ndjson")
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(file.statusCode()).isEqualTo(200);
      String sha256 =
          HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file.body()));
      JsonObject bound =
          files.stream()
              .map(JsonObject.class::cast)
              .filter(f -> f.getString("name").equals(name))
              .findFirst()
              .orElseThrow(() -> new AssertionError("not bound: " + name));
      assertThat(bound.getString("type")).isEqualTo(item.getString("type"));
      assertThat(bound.getString("sha256")).as(name).isEqualTo(sha256);
      assertThat(bound.getLong("bytes")).isEqualTo(file.body().length);
      assertThat(bound.getLong("count"))
          .isEqualTo(
              new String(file.body(), java.nio.charset.StandardCharsets.UTF_8).lines().count());
    }
  }
}
