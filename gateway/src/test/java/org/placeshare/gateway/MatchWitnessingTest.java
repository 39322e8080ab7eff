package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
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
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.WitnessingConfig;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.witness.WitnessConfig;
import org.placeshare.gateway.witness.WitnessServer;
import org.placeshare.policy.identity.SigningKey;

/**
 * Tracing ({@code $match}) while the audit log is not witnessed and the gateway fails closed: a
 * trace discloses an NHS number, so none is given until a witness cosigns again.
 */
class MatchWitnessingTest {

  @TempDir static Path dir;
  static final List<SyntheticPerson> PEOPLE = SyntheticPopulation.generate(20, 42);
  static ReferenceIndexServer index;
  static Vertx witnessVertx;
  static Pool witnessPool;
  static NoteSigner cosigner =
      NoteSigner.generateCosigner("witness.gpfed.example", new SecureRandom());
  static NoteSigner logKey;
  static int witnessPort;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    index = ReferenceIndexServer.start(0, ReferenceIndexServer.indexPeople(PEOPLE));
    witnessVertx = Vertx.vertx();
    witnessPool =
        PgBuilder.pool()
            .connectingTo(PgConnectOptions.fromUri(TestPostgres.freshDatabase()))
            .using(witnessVertx)
            .build();
    try (ServerSocket free = new ServerSocket(0)) {
      witnessPort = free.getLocalPort(); // nothing listens there until the witness starts
    }
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            config -> {
              try {
                logKey = NoteSigner.parse(Files.readString(config.auditNoteKey().orElseThrow()));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
              return GatewayFixture.withOrganisations(config, AgencyViewTest.agencies())
                  .withReferenceIndex(
                      new GatewayConfig.ReferenceIndexConfig(
                          index.baseUrl(), Duration.ofSeconds(5)))
                  .withWitnessing(
                      new WitnessingConfig(
                          List.of(
                              new WitnessingConfig.Witness(
                                  URI.create("http://127.0.0.1:" + witnessPort),
                                  cosigner.verifierKey())),
                          1,
                          WitnessingConfig.MIN_MAX_LAG,
                          true));
            });
    fixture.addAgreement("sunderland-intelligence.yaml");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    index.close();
    witnessPool.close().await();
    witnessVertx.close().await();
  }

  @Test
  void match_whileWitnessingFailsClosedAndIsBehind_is503AndAudited_thenTracesWhenItCatchesUp()
      throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    SyntheticPerson person = PEOPLE.get(3);
    String body = parameters(person);
    // No witness answers: after maxLag, the alert; a trace then gives no NHS number.
    WitnessingTest.await(
        () -> {
          try {
            return fixture.get("/audit/alerts", ig).body().contains("witnessing-behind");
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(20));

    HttpResponse<String> held = fixture.post("/fhir/Patient/$match", council, body);

    assertThat(held.statusCode()).isEqualTo(503);
    assertThat(held.body())
        .contains("OperationOutcome")
        .contains("witness")
        .doesNotContain(person.nhsNumber().toString());
    assertThat(fixture.get("/audit/events?action=match&outcome=refused", ig).body())
        .contains("\"httpStatus\":503");

    WitnessServer witness =
        WitnessServer.start(
                witnessVertx,
                new WitnessConfig(
                    "127.0.0.1",
                    witnessPort,
                    cosigner,
                    List.of(WitnessConfig.WitnessedLog.of(logKey.verifierKey())),
                    Optional.empty(),
                    dir.resolve("unused")),
                witnessPool,
                GatewayFixture.CLOCK)
            .await();
    try {
      WitnessingTest.await(
          () -> {
            try {
              return fixture.post("/fhir/Patient/$match", council, body).statusCode() == 200;
            } catch (Exception e) {
              return false;
            }
          },
          Duration.ofSeconds(20));
    } finally {
      witness.close().await();
    }
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
