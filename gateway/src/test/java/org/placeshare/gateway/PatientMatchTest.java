package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.synthetic.ReferenceIndexServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.TracingPopulation.IndexPerson;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.http.fhir.PatientMatch;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.NotificationClause;
import org.placeshare.policy.identity.SigningKey;

/**
 * {@code POST /fhir/Patient/$match} over HTTP: a real gateway on port 0, a real reference index
 * (HAPI in Jetty), the model agreement sunderland-intelligence allowing the council's analysts to
 * trace. The last two tests stop the index and use up the client's traces, so they run last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PatientMatchTest {

  private static final NhsNumber ANNA = nhs("999400000");
  private static final NhsNumber ANNE = nhs("999400001");
  private static final NhsNumber JON = nhs("999400003");
  private static final NhsNumber JOHN_OPTED_OUT = nhs("999400004");
  private static final LocalDate BROTHERS_BORN = LocalDate.of(1990, 3, 8);
  private static final NhsNumber OPTED_OUT = nhs("999400002");
  private static final LocalDate TWINS_BORN = LocalDate.of(2009, 6, 14);
  private static final LocalDate OPTED_OUT_BORN = LocalDate.of(1962, 4, 30);

  @TempDir static Path dir;
  static ReferenceIndexServer index;
  static GatewayFixture fixture;
  static String council;
  static final List<SyntheticPerson> PEOPLE = SyntheticPopulation.generate(20, 42);

  @BeforeAll
  static void start() throws Exception {
    List<IndexPerson> people = new ArrayList<>(ReferenceIndexServer.indexPeople(PEOPLE));
    people.add(person(ANNA, "Dodds", "Anna", TWINS_BORN, "SR2 8HU"));
    people.add(person(ANNE, "Dodds", "Anne", TWINS_BORN, "SR2 8HU"));
    // Twins whose names are as alike as Anna and Anne; one has opted out.
    people.add(person(JON, "Pattinson", "Jon", BROTHERS_BORN, "SR6 0AB"));
    people.add(person(JOHN_OPTED_OUT, "Pattinson", "John", BROTHERS_BORN, "SR6 0AB"));
    people.add(person(OPTED_OUT, "Charlton", "Ruth", OPTED_OUT_BORN, "SR5 1QT"));
    index = ReferenceIndexServer.start(0, people);
    fixture =
        GatewayFixture.start(
            dir.resolve("gateway"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            config ->
                GatewayFixture.withOrganisations(
                        GatewayFixture.withClients(config, alsoSubscriber(config.clients())),
                        AgencyViewTest.agencies())
                    .withReferenceIndex(
                        new GatewayConfig.ReferenceIndexConfig(
                            index.baseUrl(), Duration.ofSeconds(5))));
    fixture.addAgreement("sunderland-intelligence.yaml");
    fixture
        .register()
        .upsert(
            List.of(
                new PatientRegister.Entry(OPTED_OUT, true, false, Optional.empty()),
                new PatientRegister.Entry(JOHN_OPTED_OUT, true, false, Optional.empty())),
            GatewayFixture.CLOCK.instant())
        .await();
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
  }

  /** The council's client is registered as a subscriber too (as a notification receiver). */
  private static List<GatewayConfig.Client> alsoSubscriber(List<GatewayConfig.Client> clients) {
    List<GatewayConfig.Client> out = new ArrayList<>();
    for (GatewayConfig.Client c : clients) {
      if (c.id().equals(GatewayFixture.COUNCIL_CLIENT)) {
        Set<String> roles = new HashSet<>(c.roles());
        roles.add(NotificationClause.SUBSCRIBER_ROLE);
        c =
            new GatewayConfig.Client(
                c.id(), c.organisation(), c.publicKey(), c.purposes(), roles, c.status());
      }
      out.add(c);
    }
    return out;
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    index.close();
  }

  @Test
  void match_knownPerson_isCertainAndCarriesOnlyTheNhsNumberAndTheSentFields() throws Exception {
    SyntheticPerson person = PEOPLE.get(3);
    Patient sent = patient(person.family(), person.given(), person.birthDate(), person.postcode());
    sent.setGender(Enumerations.AdministrativeGender.fromCode(person.gender()));

    HttpResponse<String> response = match(parameters(sent, null, null));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    Bundle bundle = Fhir.json().parseResource(Bundle.class, response.body());
    assertThat(bundle.getType()).isEqualTo(Bundle.BundleType.SEARCHSET);
    Bundle.BundleEntryComponent best = bundle.getEntryFirstRep();
    assertThat(best.getSearch().getMode()).isEqualTo(Bundle.SearchEntryMode.MATCH);
    assertThat(best.getSearch().getScore().doubleValue()).isBetween(0.99, 1.0);
    assertThat(best.getSearch().getExtensionString(PatientMatch.MATCH_GRADE)).isEqualTo("certain");
    // Nothing the index holds leaks but the NHS number: the rest is the caller's own words.
    JsonObject returned =
        new JsonObject(response.body())
            .getJsonArray("entry")
            .getJsonObject(0)
            .getJsonObject("resource");
    JsonObject expected = new JsonObject(Fhir.encode(sent));
    expected.put(
        "identifier",
        new JsonArray()
            .add(
                new JsonObject()
                    .put("system", Fhir.NHS_NUMBER_SYSTEM)
                    .put("value", person.nhsNumber().toString())));
    assertThat(returned).isEqualTo(expected);

    List<Row> audit = fixture.auditFor(person.nhsNumber());
    assertThat(audit).hasSize(1);
    assertThat(audit.get(0).getString("action")).isEqualTo("match");
    assertThat(audit.get(0).getValue("detail").toString()).contains("sunderland-intelligence@1");
  }

  @Test
  void match_twinsAtOneAddress_areNeverCertain() throws Exception {
    // Ann is a short form of both twins' names.
    Patient sent = patient("Dodds", "Ann", TWINS_BORN, "SR2 8HU");

    Bundle all = bundle(match(parameters(sent, null, 10)));
    Bundle onlyCertain = bundle(match(parameters(sent, true, 10)));

    assertThat(all.getEntry())
        .extracting(e -> ((Patient) e.getResource()).getIdentifierFirstRep().getValue())
        .containsExactlyInAnyOrder(ANNA.toString(), ANNE.toString());
    assertThat(all.getEntry())
        .extracting(e -> e.getSearch().getExtensionString(PatientMatch.MATCH_GRADE))
        .doesNotContain("certain");
    assertThat(onlyCertain.getEntry()).isEmpty();
  }

  @Test
  void match_twinOfAPersonWithAnOptOut_isNoMatch_notAProbableThatWouldBetrayTheHiddenTwin()
      throws Exception {
    // Alone, Jon would be certain; beside an opted-out John who also scores certain, he would be
    // graded probable, which would say that a hidden person with his details exists.
    Bundle bundle =
        bundle(match(Fhir.encode(patient("Pattinson", "Jon", BROTHERS_BORN, "SR6 0AB"))));

    assertThat(bundle.getEntry()).isEmpty();
    assertThat(fixture.auditFor(JON)).isEmpty();
    assertThat(fixture.auditFor(JOHN_OPTED_OUT)).isEmpty();
  }

  @Test
  void match_familyNameAndBirthDateAlone_areRefused400AsTooLittleToFindAPersonBy()
      throws Exception {
    HttpResponse<String> response =
        match(Fhir.encode(patient("Dodds", null, TWINS_BORN, "SR2 8HU")));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("expected a Patient with a given name");
  }

  @Test
  void match_score_saysNoMoreThanTheGrade_soAGuessedGenderIsNotConfirmed() throws Exception {
    SyntheticPerson person = PEOPLE.get(5);
    Patient right = patient(person.family(), person.given(), person.birthDate(), person.postcode());
    right.setGender(Enumerations.AdministrativeGender.fromCode(person.gender()));
    Patient unsaid =
        patient(person.family(), person.given(), person.birthDate(), person.postcode());

    Bundle.BundleEntryComponent withGender = bundle(match(Fhir.encode(right))).getEntryFirstRep();
    Bundle.BundleEntryComponent without = bundle(match(Fhir.encode(unsaid))).getEntryFirstRep();

    // The weights differ by the gender's agreement; the answers do not.
    assertThat(withGender.getSearch().getExtensionString(PatientMatch.MATCH_GRADE))
        .isEqualTo(without.getSearch().getExtensionString(PatientMatch.MATCH_GRADE))
        .isEqualTo("certain");
    assertThat(withGender.getSearch().getScore())
        .isEqualByComparingTo(without.getSearch().getScore())
        .isEqualByComparingTo(new BigDecimal("0.999"));
  }

  @Test
  void match_personWithANationalOptOut_isNoMatch() throws Exception {
    Bundle bundle =
        bundle(match(Fhir.encode(patient("Charlton", "Ruth", OPTED_OUT_BORN, "SR5 1QT"))));

    assertThat(bundle.getTotal()).isZero();
    assertThat(bundle.getEntry()).isEmpty();
    assertThat(fixture.auditFor(OPTED_OUT)).isEmpty();
  }

  @Test
  void match_clientWithoutATracingAgreement_isRefused403AndAudited() throws Exception {
    String ae = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    SyntheticPerson person = PEOPLE.get(0);

    HttpResponse<String> response =
        fixture.post(
            "/fhir/Patient/$match",
            ae,
            Fhir.encode(patient(person.family(), person.given(), person.birthDate(), null)));

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.body()).contains("no data-sharing agreement lets this client trace people");
    assertThat(auditedStatuses(GatewayFixture.AE_CLIENT)).contains(403);
  }

  /**
   * A subscriber is told of changes about the people it may hear of; tracing would let it find
   * anyone's NHS number and so choose whom it hears of. Refused even where the agreement names the
   * role subscriber and permits tracing.
   */
  @Test
  void match_roleSubscriberUnderAnAgreementNamingItWithTracing_isRefused403AndAudited()
      throws Exception {
    Path file = fixture.agreements.resolve("sunderland-intelligence.yaml");
    String original = Files.readString(file);
    assertThat(original).contains("roles: [analyst]");
    Files.writeString(file, original.replace("roles: [analyst]", "roles: [analyst, subscriber]"));
    fixture.gateway.policy().reload(fixture.vertx).await();
    try {
      String subscriber =
          fixture.token(
              GatewayFixture.COUNCIL_CLIENT, NotificationClause.SUBSCRIBER_ROLE, "HOPERAT");
      SyntheticPerson person = PEOPLE.get(7);
      String body =
          Fhir.encode(
              patient(person.family(), person.given(), person.birthDate(), person.postcode()));

      HttpResponse<String> response = fixture.post("/fhir/Patient/$match", subscriber, body);

      assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
      assertThat(response.body())
          .contains("no data-sharing agreement lets this client trace people")
          .doesNotContain(person.nhsNumber().toString());
      assertThat(auditedStatuses(GatewayFixture.COUNCIL_CLIENT)).contains(403);
      // The same agreement still lets the council's analysts trace.
      assertThat(match(body).statusCode()).isEqualTo(200);
    } finally {
      Files.writeString(file, original);
      fixture.gateway.policy().reload(fixture.vertx).await();
    }
  }

  @Test
  void match_badBodies_are400OperationOutcomes() throws Exception {
    Patient noFamily = patient("Dodds", "Anna", TWINS_BORN, null);
    noFamily.getNameFirstRep().setFamily(null);
    Patient noBirthDate = patient("Dodds", "Anna", TWINS_BORN, null);
    noBirthDate.setBirthDate(null);
    Patient badPostcode = patient("Dodds", "Anna", TWINS_BORN, "SR1 ABC");
    Patient identified = patient("Dodds", "Anna", TWINS_BORN, null);
    identified.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(ANNA.toString());

    assertInvalid("{not json", "expected a FHIR R4 Parameters or Patient resource in JSON");
    assertInvalid(
        "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}",
        "expected a Parameters or a Patient, got Observation");
    assertInvalid(Fhir.encode(noFamily), "expected a Patient with a family name");
    assertInvalid(Fhir.encode(noBirthDate), "expected a Patient with a full birth date");
    assertInvalid(Fhir.encode(badPostcode), "expected a UK postcode such as SR1 3AB");
    assertInvalid(Fhir.encode(identified), "expected a Patient without identifiers");
    assertInvalid(
        parameters(patient("Dodds", "Anna", TWINS_BORN, null), null, 11),
        "expected count from 1 to 10, got 11");
    assertThat(auditedStatuses(GatewayFixture.COUNCIL_CLIENT)).contains(400);
  }

  @Test
  void match_bodyOverTheCap_isRefused413() throws Exception {
    Patient huge = patient("Dodds", "Anna", TWINS_BORN, null);
    huge.getAddressFirstRep().addLine("x".repeat(PatientMatch.MAX_BODY_BYTES));

    HttpResponse<String> response = match(Fhir.encode(huge));

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(response.body()).contains("OperationOutcome");
  }

  @Test
  @Order(Integer.MAX_VALUE - 1)
  void match_indexDown_isA503SayingTheIndexCannotBeReached() throws Exception {
    index.close();
    SyntheticPerson person = PEOPLE.get(1);

    HttpResponse<String> response =
        match(Fhir.encode(patient(person.family(), person.given(), person.birthDate(), null)));

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body())
        .contains("OperationOutcome")
        .contains("the reference index could not be reached (connection refused)");
    assertThat(auditedStatuses(GatewayFixture.COUNCIL_CLIENT)).contains(503);
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void match_overTheClientsTracesAMinute_is429WithRetryAfter() throws Exception {
    String body = Fhir.encode(patient("Dodds", "Anna", TWINS_BORN, null));
    HttpResponse<String> response = null;
    // Earlier tests' traces count too; a minute boundary may reset the count once.
    for (int i = 0; i < 2 * PatientMatch.TRACES_PER_MINUTE + 2; i++) {
      response = match(body);
      if (response.statusCode() == 429) {
        break;
      }
    }

    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("Retry-After")).isPresent();
    assertThat(response.body()).contains("limit of 30 traces a minute");
    assertThat(auditedStatuses(GatewayFixture.COUNCIL_CLIENT)).contains(429);
  }

  private static void assertInvalid(String body, String message) throws Exception {
    HttpResponse<String> response = match(body);
    assertThat(response.statusCode()).as(body).isEqualTo(400);
    assertThat(response.body()).contains("OperationOutcome").contains(message);
  }

  private static List<Integer> auditedStatuses(String client) {
    List<Integer> statuses = new ArrayList<>();
    fixture
        .gateway
        .database()
        .pool()
        .preparedQuery(
            "SELECT http_status FROM audit_event WHERE action = 'match' AND client_id = $1")
        .execute(Tuple.of(client))
        .await()
        .forEach(r -> statuses.add(r.getInteger(0)));
    return statuses;
  }

  private static HttpResponse<String> match(String body) throws Exception {
    return fixture.post("/fhir/Patient/$match", council, body);
  }

  private static Bundle bundle(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Fhir.json().parseResource(Bundle.class, response.body());
  }

  private static String parameters(Patient patient, Boolean onlyCertain, Integer count) {
    Parameters parameters = new Parameters();
    parameters.addParameter().setName("resource").setResource(patient);
    if (onlyCertain != null) {
      parameters
          .addParameter()
          .setName("onlyCertainMatches")
          .setValue(new BooleanType(onlyCertain));
    }
    if (count != null) {
      parameters.addParameter().setName("count").setValue(new IntegerType(count));
    }
    return Fhir.encode(parameters);
  }

  private static Patient patient(String family, String given, LocalDate born, String postcode) {
    Patient patient = new Patient();
    HumanName name = patient.addName().setUse(HumanName.NameUse.OFFICIAL).setFamily(family);
    if (given != null) {
      name.addGiven(given);
    }
    patient.getBirthDateElement().setValueAsString(born.toString());
    if (postcode != null) {
      patient.addAddress().setUse(Address.AddressUse.HOME).setPostalCode(postcode);
    }
    return patient;
  }

  private static IndexPerson person(
      NhsNumber nhs, String family, String given, LocalDate born, String postcode) {
    return new IndexPerson(
        nhs, family, given, List.of(), born, "female", postcode, List.of(), null);
  }

  private static NhsNumber nhs(String nineDigits) {
    return NhsNumber.withCheckDigit(nineDigits).orElseThrow();
  }
}
