package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.synthetic.ReferenceIndexServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.identity.SigningKey;

/**
 * Tracing ({@code $match}) while the audit log is not witnessed and the gateway fails closed: a
 * trace discloses an NHS number, so none is given until a witness cosigns again.
 */
class MatchWitnessingTest {

  @TempDir static Path dir;
  static final List<SyntheticPerson> PEOPLE = SyntheticPopulation.generate(20, 42);
  static ReferenceIndexServer index;
  static TestWitness witness;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    index = ReferenceIndexServer.start(0, ReferenceIndexServer.indexPeople(PEOPLE));
    witness = TestWitness.reserve("witness.gpfed.example");
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            config ->
                witness.failingClosed(
                    GatewayFixture.withOrganisations(config, AgencyViewTest.agencies())
                        .withReferenceIndex(
                            new GatewayConfig.ReferenceIndexConfig(
                                index.baseUrl(), Duration.ofSeconds(5)))));
    fixture.addAgreement("sunderland-intelligence.yaml");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    index.close();
    witness.close();
  }

  @Test
  void match_whileWitnessingFailsClosedAndIsBehind_is503AndAudited_thenTracesWhenItCatchesUp()
      throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    SyntheticPerson person = PEOPLE.get(3);
    String body = parameters(person);
    // No witness answers: after maxLag, the alert; a trace then gives no NHS number.
    TestWitness.awaitBehind(fixture);

    HttpResponse<String> held = fixture.post("/fhir/Patient/$match", council, body);

    assertThat(held.statusCode()).isEqualTo(503);
    assertThat(held.body())
        .contains("OperationOutcome")
        .contains("witness")
        .doesNotContain(person.nhsNumber().toString());
    assertThat(fixture.get("/audit/events?action=match&outcome=refused", ig).body())
        .contains("\"httpStatus\":503");

    witness.start();
    WitnessingTest.await(
        () -> {
          try {
            return fixture.post("/fhir/Patient/$match", council, body).statusCode() == 200;
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(20));
  }

  private static String parameters(SyntheticPerson person) {
    Patient patient = new Patient();
    patient.addName().setFamily(person.family()).addGiven(person.given());
    patient.setBirthDate(java.sql.Date.valueOf(person.birthDate()));
    patient.addAddress().setPostalCode(person.postcode());
    Parameters parameters = new Parameters();
    parameters.addParameter().setName("resource").setResource(patient);
    return Fhir.json().encodeResourceToString(parameters);
  }
}
