package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * Events in (issue 19) over HTTP on the real gateway and PostgreSQL: the council's event reporter
 * tells the gateway of a change about a person of its source {@code council-asc}; the event is
 * stored once per id, acknowledged 201 then 200, audited naming the person; a changed body under
 * the same id, a client without the role or of another organisation, and bad events are refused.
 * The council's sources are real HAPI FHIR servers: the gateway asks the source whether it holds
 * the person before it acknowledges a new event.
 */
class EventsInTest {

  static final String COUNCIL_REPORTER = "council-events";
  static final String TRUST_REPORTER = "trust-events";
  static final String COUNCIL_SOURCE = "council-asc";

  /** A second council source, stopped and started again by a test. */
  static final String HOUSING_SOURCE = "council-housing";

  /** The people the council's sources hold: every NHS number these tests report about. */
  static final List<String> HELD =
      List.of(
          "9990000018",
          "9990000026",
          "9990000034",
          "9990000042",
          "9990000050",
          "9990000069",
          "9990000085");

  /** Valid, and held by no source. */
  static final String NOT_HELD = "9990000077";

  static FhirSourceServer councilSource;
  static FhirSourceServer housingSource;
  static int housingPort;

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static final SigningKey councilKey = SigningKey.generate();
  static final SigningKey trustKey = SigningKey.generate();
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    councilKey.writePem(dir.resolve("ce.key.pem"), dir.resolve("ce.pub.pem"));
    trustKey.writePem(dir.resolve("te.key.pem"), dir.resolve("te.pub.pem"));
    councilSource = FhirSourceServer.start(0, patients());
    housingSource = FhirSourceServer.start(0, patients());
    housingPort = housingSource.baseUrl().getPort();
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> {
              List<GatewayConfig.Client> clients = new ArrayList<>(c.clients());
              clients.add(
                  new GatewayConfig.Client(
                      COUNCIL_REPORTER,
                      "E08000026",
                      dir.resolve("ce.pub.pem"),
                      Set.of("HOPERAT"),
                      Set.of("event-reporter")));
              clients.add(
                  new GatewayConfig.Client(
                      TRUST_REPORTER,
                      "R9A",
                      dir.resolve("te.pub.pem"),
                      Set.of("HOPERAT"),
                      Set.of("event-reporter")));
              // The fixture's council source is down; here it is up, and a second one beside it.
              List<GatewayConfig.Source> sources = new ArrayList<>();
              for (GatewayConfig.Source s : c.sources()) {
                sources.add(s.id().equals(COUNCIL_SOURCE) ? council(s.id(), councilSource) : s);
              }
              sources.add(council(HOUSING_SOURCE, housingSource));
              return GatewayFixture.withSources(GatewayFixture.withClients(c, clients), sources);
            });
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    for (FhirSourceServer s : new FhirSourceServer[] {councilSource, housingSource}) {
      if (s != null) {
        s.close();
      }
    }
  }

  private static GatewayConfig.Source council(String id, FhirSourceServer server) {
    return new GatewayConfig.Source(
        id,
        "E08000026",
        server.baseUrl().toString(),
        Duration.ofSeconds(2),
        List.of("Patient", "EpisodeOfCare"));
  }

  /** A Patient for each held NHS number, as the council's system has them. */
  private static List<org.hl7.fhir.r4.model.Resource> patients() {
    List<org.hl7.fhir.r4.model.Resource> patients = new ArrayList<>();
    for (String nhs : HELD) {
      org.hl7.fhir.r4.model.Patient p = new org.hl7.fhir.r4.model.Patient();
      p.setId("asc-" + nhs);
      p.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(nhs);
      patients.add(p);
    }
    return patients;
  }

  static String token(String client, SigningKey key) throws Exception {
    HttpResponse<String> r =
        fixture.tokenRequest(fixture.assertion(client, key, "feed", "event-reporter", "HOPERAT"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  static JsonObject moved(String id, String nhsNumber) {
    return new JsonObject()
        .put("id", id)
        .put("kind", "address-changed")
        .put("nhsNumber", nhsNumber)
        .put("source", COUNCIL_SOURCE)
        .put("occurredAt", GatewayFixture.CLOCK.instant().minusSeconds(3600).toString())
        .put(
            "change",
            new JsonObject()
                .put("postcode", "CV1 2AB")
                .put("lines", new JsonArray().add("12 Spon Street").add("Coventry")));
  }

  static HttpResponse<String> post(String token, String type, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(fixture.url("/events"))
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (type != null) {
      request.header("Content-Type", type);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> report(JsonObject event) throws Exception {
    return post(token(COUNCIL_REPORTER, councilKey), "application/json", event.encode());
  }

  static long storedRows(String id) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery("SELECT count(*) FROM notification_event WHERE event_id = $1")
        .execute(Tuple.of(id))
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  static List<Row> reports(NhsNumber person) {
    return fixture.auditFor(person).stream()
        .filter(r -> r.getString("action").equals("event-report"))
        .toList();
  }

  @Test
  void report_sameEventTwice_isStoredOnce_201Then200_eachAudited() throws Exception {
    NhsNumber person = NhsNumber.parse("9990000069");
    JsonObject event = moved("asc-move-1", person.toString());

    HttpResponse<String> first = report(event);
    HttpResponse<String> again = report(event);

    assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    JsonObject stored = new JsonObject(again.body());
    assertThat(stored.getString("id")).isEqualTo("asc-move-1");
    assertThat(stored.getJsonObject("change").getString("postcode")).isEqualTo("CV1 2AB");
    assertThat(stored.getString("receivedAt"))
        .isEqualTo(new JsonObject(first.body()).getString("receivedAt"));
    assertThat(storedRows("asc-move-1")).isEqualTo(1);
    List<Row> audited = reports(person);
    assertThat(audited).extracting(r -> r.getInteger("http_status")).containsExactly(201, 200);
    assertThat(audited.get(0).getValue("detail").toString())
        .contains("address-changed event asc-move-1 from council-asc received, stored as ");
    assertThat(audited.get(1).getValue("detail").toString())
        .contains("asc-move-1 from council-asc received again (already stored)");
  }

  @Test
  void report_personTheFhirSourceHolds_is201() throws Exception {
    HttpResponse<String> r = report(moved("held-1", "9990000050"));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(storedRows("held-1")).isEqualTo(1);
  }

  @Test
  void report_personTheFhirSourceDoesNotHold_is422_auditedAndNothingStored() throws Exception {
    NhsNumber person = NhsNumber.parse(NOT_HELD);

    HttpResponse<String> r = report(moved("not-held-1", NOT_HELD));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(new JsonObject(r.body()).getString("resourceType")).isEqualTo("OperationOutcome");
    assertThat(r.body()).contains("not a person of this source");
    assertThat(storedRows("not-held-1")).isZero();
    assertThat(reports(person)).extracting(x -> x.getInteger("http_status")).containsExactly(422);
    assertThat(reports(person).get(0).getValue("detail").toString())
        .contains("event not-held-1 about a person source council-asc does not hold");
  }

  @Test
  void report_fhirSourceDown_is503WithOutcome_nothingStored_andAResendLaterIs201()
      throws Exception {
    JsonObject event = moved("housing-1", "9990000085").put("source", HOUSING_SOURCE);
    housingSource.close();
    HttpResponse<String> down;
    try {
      down = report(event);
    } finally {
      housingSource = FhirSourceServer.start(housingPort, patients());
    }

    assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
    JsonObject outcome = new JsonObject(down.body());
    assertThat(outcome.getString("resourceType")).isEqualTo("OperationOutcome");
    assertThat(outcome.getJsonArray("issue").getJsonObject(0).getString("code"))
        .isEqualTo("transient");
    assertThat(down.body()).contains("resend the event later");
    assertThat(storedRows("housing-1")).isZero();

    HttpResponse<String> resent = report(event);
    assertThat(resent.statusCode()).as(resent.body()).isEqualTo(201);
    assertThat(storedRows("housing-1")).isEqualTo(1);
  }

  @Test
  void report_resendOfAStoredEvent_isNotCheckedAgainstTheSource_200EvenWithTheSourceDown()
      throws Exception {
    JsonObject event = moved("housing-2", "9990000085").put("source", HOUSING_SOURCE);
    assertThat(report(event).statusCode()).isEqualTo(201);

    housingSource.close();
    HttpResponse<String> again;
    try {
      again = report(event);
    } finally {
      housingSource = FhirSourceServer.start(housingPort, patients());
    }

    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    assertThat(storedRows("housing-2")).isEqualTo(1);
  }

  /**
   * The same change as {@link #moved} as a FHIR R4 message Bundle, shaped as the gateway's own
   * notifications.
   */
  static JsonObject message(String id, String nhsNumber, JsonObject event) {
    JsonObject moved = event == null ? moved(id, nhsNumber) : event;
    JsonArray parts = new JsonArray();
    JsonObject change = moved.getJsonObject("change");
    parts.add(part("postcode", change.getString("postcode")));
    change.getJsonArray("lines").forEach(line -> parts.add(part("lines", (String) line)));
    JsonObject header =
        new JsonObject()
            .put("resourceType", "MessageHeader")
            .put(
                "eventCoding",
                new JsonObject()
                    .put("system", "https://placeshare.example/fhir/CodeSystem/event-kind")
                    .put("code", moved.getString("kind")))
            .put("source", new JsonObject().put("endpoint", "https://asc.council.example/fhir"))
            .put(
                "focus",
                new JsonArray().add(new JsonObject().put("reference", "urn:uuid:patient-1")));
    JsonObject patient =
        new JsonObject()
            .put("resourceType", "Patient")
            .put(
                "identifier",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("system", Fhir.NHS_NUMBER_SYSTEM)
                            .put("value", moved.getString("nhsNumber"))));
    JsonObject parameters =
        new JsonObject()
            .put("resourceType", "Parameters")
            .put(
                "parameter",
                new JsonArray()
                    .add(new JsonObject().put("name", "event-id").put("valueString", id))
                    .add(
                        new JsonObject()
                            .put("name", "event-kind")
                            .put("valueCode", moved.getString("kind")))
                    .add(
                        new JsonObject()
                            .put("name", "source")
                            .put("valueString", moved.getString("source")))
                    .add(
                        new JsonObject()
                            .put("name", "occurred-at")
                            .put("valueInstant", moved.getString("occurredAt")))
                    .add(new JsonObject().put("name", "change").put("part", parts)));
    return new JsonObject()
        .put("resourceType", "Bundle")
        .put("type", "message")
        .put(
            "entry",
            new JsonArray()
                .add(new JsonObject().put("fullUrl", "urn:uuid:header-1").put("resource", header))
                .add(new JsonObject().put("fullUrl", "urn:uuid:patient-1").put("resource", patient))
                .add(
                    new JsonObject()
                        .put("fullUrl", "urn:uuid:change-1")
                        .put("resource", parameters)));
  }

  private static JsonObject part(String name, String value) {
    return new JsonObject().put("name", name).put("valueString", value);
  }

  static HttpResponse<String> reportMessage(JsonObject bundle) throws Exception {
    return post(token(COUNCIL_REPORTER, councilKey), "application/fhir+json", bundle.encode());
  }

  @Test
  void report_fhirMessageBundle_isTheSameEventAsItsJson_201ThenTheJsonResendIs200()
      throws Exception {
    JsonObject json = moved("msg-1", "9990000085");

    HttpResponse<String> first = reportMessage(message("msg-1", "9990000085", json));
    HttpResponse<String> asJson = report(json);

    assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
    JsonObject stored = new JsonObject(first.body());
    assertThat(stored.getString("kind")).isEqualTo("address-changed");
    assertThat(stored.getString("nhsNumber")).isEqualTo("9990000085");
    assertThat(stored.getJsonObject("change").getJsonArray("lines"))
        .containsExactly("12 Spon Street", "Coventry");
    assertThat(asJson.statusCode()).as("the same event: " + asJson.body()).isEqualTo(200);
    assertThat(storedRows("msg-1")).isEqualTo(1);
  }

  @Test
  void report_fhirMessageBundle_aboutAPersonTheSourceDoesNotHold_is422() throws Exception {
    HttpResponse<String> r = reportMessage(message("msg-2", "9990000093", null));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(storedRows("msg-2")).isZero();
  }

  @Test
  void report_fhirMessageBundle_withAnotherParameter_is400NamingIt() throws Exception {
    JsonObject bundle = message("msg-3", "9990000085", null);
    bundle
        .getJsonArray("entry")
        .getJsonObject(2)
        .getJsonObject("resource")
        .getJsonArray("parameter")
        .add(new JsonObject().put("name", "note").put("valueString", "moved in with her son"));

    HttpResponse<String> r = reportMessage(bundle);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body())
        .contains(
            "Parameters.parameter[5].name: expected event-id, event-kind, source, occurred-at or"
                + " change, got 'note'");
    assertThat(storedRows("msg-3")).isZero();
  }

  @Test
  void report_fhirMessageBundle_eventCodingOfAnotherSystem_is400() throws Exception {
    JsonObject bundle = message("msg-4", "9990000085", null);
    bundle
        .getJsonArray("entry")
        .getJsonObject(0)
        .getJsonObject("resource")
        .getJsonObject("eventCoding")
        .put("system", "http://example.org/other");

    HttpResponse<String> r = reportMessage(bundle);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body())
        .contains(
            "MessageHeader.eventCoding: expected a code of"
                + " https://placeshare.example/fhir/CodeSystem/event-kind");
  }

  @Test
  void report_fhirMessageBundle_patientWithAName_is400_onlyTheNhsNumberIsTaken() throws Exception {
    JsonObject bundle = message("msg-5", "9990000085", null);
    bundle
        .getJsonArray("entry")
        .getJsonObject(1)
        .getJsonObject("resource")
        .put("name", new JsonArray().add(new JsonObject().put("family", "Example")));

    HttpResponse<String> r = reportMessage(bundle);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains("Patient.name: not expected here");
  }

  @Test
  void report_fhirMessageBundle_focusNotOnThePatient_is400() throws Exception {
    JsonObject bundle = message("msg-6", "9990000085", null);
    bundle
        .getJsonArray("entry")
        .getJsonObject(0)
        .getJsonObject("resource")
        .put("focus", new JsonArray().add(new JsonObject().put("reference", "urn:uuid:change-1")));

    HttpResponse<String> r = reportMessage(bundle);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body())
        .contains("MessageHeader.focus: expected a reference to the Patient entry's fullUrl");
  }

  @Test
  void report_changedBodyUnderSameId_is409_andTheStoredEventStands() throws Exception {
    NhsNumber person = NhsNumber.parse("9990000026");
    JsonObject event = moved("asc-move-2", person.toString());
    assertThat(report(event).statusCode()).isEqualTo(201);

    event.getJsonObject("change").put("postcode", "CV3 4CD");
    HttpResponse<String> clash = report(event);

    assertThat(clash.statusCode()).as(clash.body()).isEqualTo(409);
    assertThat(clash.body()).contains("another event was reported under this id");
    assertThat(storedRows("asc-move-2")).isEqualTo(1);
    assertThat(reports(person)).extracting(r -> r.getInteger("http_status")).contains(409);
  }

  @Test
  void report_clientWithoutTheRole_is403_audited_andNothingStored() throws Exception {
    String analyst = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");

    HttpResponse<String> r =
        post(analyst, "application/json", moved("asc-move-3", "9990000034").encode());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(r.body()).contains("reporting events is for clients registered as event-reporter");
    assertThat(storedRows("asc-move-3")).isZero();
  }

  @Test
  void report_reporterOfAnotherOrganisation_is403_auditedNamingThePerson() throws Exception {
    NhsNumber person = NhsNumber.parse("9990000042");

    HttpResponse<String> r =
        post(
            token(TRUST_REPORTER, trustKey),
            "application/json",
            moved("asc-move-4", person.toString()).encode());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(r.body()).contains("its own organisation's sources only");
    assertThat(storedRows("asc-move-4")).isZero();
    assertThat(reports(person)).extracting(x -> x.getInteger("http_status")).containsExactly(403);
  }

  @Test
  void report_unknownSource_is403_asAnotherOrganisationsIs() throws Exception {
    HttpResponse<String> r = report(moved("asc-move-5", "9990000050").put("source", "nowhere"));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(storedRows("asc-move-5")).isZero();
  }

  @Test
  void report_unknownKind_is400() throws Exception {
    HttpResponse<String> r = report(moved("bad-1", "9990000018").put("kind", "moved-house"));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("kind: expected one of address-changed, died");
  }

  @Test
  void report_invalidNhsNumber_is400() throws Exception {
    HttpResponse<String> r = report(moved("bad-2", "9990000019"));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("nhsNumber: NHS number is not valid");
    assertThat(storedRows("bad-2")).isZero();
  }

  @Test
  void report_occurredInTheFutureBeyondSkew_is400() throws Exception {
    JsonObject event =
        moved("bad-3", "9990000018")
            .put(
                "occurredAt",
                GatewayFixture.CLOCK.instant().plus(Duration.ofMinutes(10)).toString());

    HttpResponse<String> r = report(event);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("occurredAt: expected no later than now");
  }

  @Test
  void report_occurredWithinSkew_isAccepted() throws Exception {
    JsonObject event =
        moved("skew-1", "9990000018")
            .put(
                "occurredAt",
                GatewayFixture.CLOCK.instant().plus(Duration.ofMinutes(2)).toString());

    assertThat(report(event).statusCode()).isEqualTo(201);
  }

  @Test
  void report_occurredBeforeTheFloor_is400_andNothingStored() throws Exception {
    // PostgreSQL would store this as 4714 BC.
    JsonObject event = moved("ancient-1", "9990000018").put("occurredAt", "-5000-01-01T00:00:00Z");

    HttpResponse<String> r = report(event);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains("occurredAt: expected no earlier than ");
    assertThat(storedRows("ancient-1")).isZero();
  }

  @Test
  void report_occurredJustOverTheMaximumAge_is400_andJustWithinIt_isAccepted() throws Exception {
    java.time.Instant now = GatewayFixture.CLOCK.instant();
    JsonObject tooOld =
        moved("aged-1", "9990000018")
            .put(
                "occurredAt",
                now.minus(org.placeshare.gateway.notify.ChangeEvent.MAX_EVENT_AGE)
                    .minusSeconds(60)
                    .toString());
    JsonObject old =
        moved("aged-2", "9990000018")
            .put(
                "occurredAt",
                now.minus(org.placeshare.gateway.notify.ChangeEvent.MAX_EVENT_AGE)
                    .plusSeconds(3600)
                    .toString());

    assertThat(report(tooOld).statusCode()).isEqualTo(400);
    assertThat(report(old).statusCode()).isEqualTo(201);
  }

  @Test
  void report_deathDatedBeforeTheFloor_is400() throws Exception {
    JsonObject died =
        moved("died-ancient-1", "9990000018")
            .put("kind", "died")
            .put("change", new JsonObject().put("date", "-5000-01-01"));
    JsonObject diedIn1899 =
        moved("died-ancient-2", "9990000018")
            .put("kind", "died")
            .put("change", new JsonObject().put("date", "1899-12-31"));

    HttpResponse<String> r = report(diedIn1899);

    assertThat(report(died).statusCode()).isEqualTo(400);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains("change.date: expected no earlier than 1900-01-01");
    assertThat(storedRows("died-ancient-2")).isZero();
  }

  @Test
  void report_eventIdCarryingAnNhsNumber_is400_andNothingStored() throws Exception {
    HttpResponse<String> r = report(moved("9990000018-move", "9990000018"));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains("id: expected at most 9 digits in a row");
    assertThat(storedRows("9990000018-move")).isZero();
    // Nine digits in a row are an ordinary id.
    assertThat(report(moved("asc-123456789", "9990000018")).statusCode()).isEqualTo(201);
  }

  @Test
  void report_addressLineWithBidiOverrideOrZeroWidthCharacter_is400() throws Exception {
    List<String> lines = List.of("12 Spon \u202EteertS", "12 Spon\u200B Street", "\uFEFF12 Spon");
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      JsonObject event = moved("cf-" + i, "9990000018");
      event.getJsonObject("change").put("lines", new JsonArray().add(line).add("Coventry"));

      HttpResponse<String> r = report(event);

      assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      assertThat(r.body()).contains("no control or format characters");
      assertThat(storedRows("cf-" + i)).isZero();
    }
  }

  /**
   * A database that refuses the write (a trigger raising, as a full disk or a broken table would):
   * the source is told 503 transient, and the refusal is audited naming the person, not hidden
   * behind "audit unavailable".
   */
  @Test
  void report_storageFails_is503Transient_auditedNamingThePerson() throws Exception {
    NhsNumber person = NhsNumber.parse("9990000050");
    io.vertx.sqlclient.Pool pool = fixture.gateway.database().pool();
    pool.query(
            "CREATE OR REPLACE FUNCTION refuse_event() RETURNS trigger AS $$ BEGIN RAISE"
                + " EXCEPTION 'disk full (test)'; END $$ LANGUAGE plpgsql")
        .execute()
        .await();
    pool.query(
            "CREATE TRIGGER refuse_event BEFORE INSERT ON notification_event FOR EACH ROW"
                + " EXECUTE FUNCTION refuse_event()")
        .execute()
        .await();
    HttpResponse<String> r;
    try {
      r = report(moved("storage-1", person.toString()));
    } finally {
      pool.query("DROP TRIGGER refuse_event ON notification_event").execute().await();
    }

    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    JsonObject outcome = new JsonObject(r.body());
    assertThat(outcome.getJsonArray("issue").getJsonObject(0).getString("code"))
        .isEqualTo("transient");
    assertThat(r.body()).contains("the event could not be stored").doesNotContain("audit");
    assertThat(storedRows("storage-1")).isZero();
    List<Row> audited =
        reports(person).stream()
            .filter(x -> x.getValue("detail").toString().contains("storage-1"))
            .toList();
    assertThat(audited).extracting(x -> x.getInteger("http_status")).containsExactly(503);
    assertThat(audited.get(0).getValue("detail").toString())
        .contains("event storage-1 not stored")
        .doesNotContain("disk full");
    // The store back: the resend is taken.
    assertThat(report(moved("storage-1", person.toString())).statusCode()).isEqualTo(201);
  }

  @Test
  void report_addressLineOverItsCap_is400() throws Exception {
    JsonObject event = moved("bad-4", "9990000018");
    event.getJsonObject("change").put("lines", new JsonArray().add("x".repeat(101)));

    HttpResponse<String> r = report(event);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("change.lines: expected lines of 1 to 100 printable characters");
  }

  @Test
  void report_freeTextInTheChange_is400() throws Exception {
    JsonObject event = moved("bad-5", "9990000018");
    event.getJsonObject("change").put("note", "moved in with her sister after the fire");

    HttpResponse<String> r = report(event);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body())
        .contains("change.note: unknown key, expected one of lines, postcode, uprn");
  }

  @Test
  void report_changeNotOfItsKind_is400() throws Exception {
    JsonObject event =
        moved("bad-6", "9990000018")
            .put("kind", "gp-changed")
            .put("change", new JsonObject().put("practice", "not an ods code"));

    HttpResponse<String> r = report(event);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("change.practice");
  }

  @Test
  void report_eachKindsChange_isAccepted() throws Exception {
    JsonObject died =
        moved("kind-died", "9990000018")
            .put("kind", "died")
            .put("change", new JsonObject().put("date", "2026-11-21"));
    JsonObject gp =
        moved("kind-gp", "9990000018")
            .put("kind", "gp-changed")
            .put("change", new JsonObject().put("practice", "Y90001"));
    JsonObject episode =
        moved("kind-episode", "9990000018")
            .put("kind", "care-episode-opened")
            .put("change", new JsonObject().put("episode", "EOC-123").put("service", "asc"));

    assertThat(report(died).statusCode()).isEqualTo(201);
    assertThat(report(gp).statusCode()).isEqualTo(201);
    assertThat(report(episode).statusCode()).isEqualTo(201);
  }

  @Test
  void report_eventIdWithUnsafeCharacters_is400() throws Exception {
    HttpResponse<String> r = report(moved("../etc/passwd", "9990000018"));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("id: expected 1 to 64 letters");
  }

  @Test
  void report_otherContentType_is415() throws Exception {
    HttpResponse<String> r =
        post(
            token(COUNCIL_REPORTER, councilKey),
            "text/plain",
            moved("ct-1", "9990000018").encode());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(415);
    assertThat(storedRows("ct-1")).isZero();
  }

  @Test
  void report_bodyOverTheCap_is413() throws Exception {
    JsonObject event = moved("big-1", "9990000018");
    event.getJsonObject("change").put("padding", "x".repeat(5000));

    HttpResponse<String> r =
        post(token(COUNCIL_REPORTER, councilKey), "application/json", event.encode());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
  }

  @Test
  void report_withoutToken_is401() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(fixture.url("/events"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(moved("anon-1", "9990000018").encode()))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(storedRows("anon-1")).isZero();
  }
}
