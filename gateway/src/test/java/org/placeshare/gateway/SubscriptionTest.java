package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.identity.SigningKey;

/**
 * Issue 19, part S: {@code POST /fhir/Subscription} on a real gateway. The council and the acute
 * trust are registered as subscribers, each with its own notification hosts; the GP practice is not
 * a subscriber.
 */
class SubscriptionTest {

  static final String COUNCIL_HOST = "receiver.council.example";
  static final String TRUST_HOST = "receiver.trust.example";

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String council;

  @BeforeAll
  static void start() throws Exception {
    fixture =
        GatewayFixture.start(
            dir,
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> {
              List<GatewayConfig.Client> clients = new ArrayList<>();
              for (GatewayConfig.Client client : c.clients()) {
                clients.add(
                    switch (client.id()) {
                      case GatewayFixture.COUNCIL_CLIENT ->
                          subscriber(client, Set.of(COUNCIL_HOST, "127.0.0.1", "10.0.0.7"));
                      case GatewayFixture.AE_CLIENT -> subscriber(client, Set.of(TRUST_HOST));
                      default -> client;
                    });
              }
              return GatewayFixture.withClients(c, clients);
            });
    // A notification names the person: subscribing needs the Patient scope, which a subscriber's
    // token has while an agreement names it a recipient of Patient records (as one must, for any
    // notification to reach it).
    fixture.addAgreement("notify-test.yaml");
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "subscriber", "HOPERAT");
  }

  @AfterAll
  static void stop() throws Exception {
    fixture.close();
  }

  private static GatewayConfig.Client subscriber(GatewayConfig.Client c, Set<String> hosts) {
    Set<String> roles = new java.util.HashSet<>(c.roles());
    roles.add("subscriber");
    return new GatewayConfig.Client(
            c.id(), c.organisation(), c.publicKey(), c.purposes(), roles, c.status())
        .withNotificationHosts(hosts);
  }

  private HttpResponse<String> subscribe(String token, String criteria, String endpoint)
      throws Exception {
    return Notifications.subscribe(fixture, token, criteria, endpoint);
  }

  private static String diagnostics(HttpResponse<String> r) {
    return new JsonObject(r.body()).getJsonArray("issue").getJsonObject(0).getString("diagnostics");
  }

  private String registeredGroup() throws Exception {
    return Notifications.cohort(
        fixture, GatewayFixture.COUNCIL_CLIENT, List.of(fixture.people.get(0).nhsNumber()));
  }

  @Test
  void subscribe_cohortAndRegisteredHost_isActiveWithItsLocation() throws Exception {
    String group = registeredGroup();

    HttpResponse<String> r =
        subscribe(
            council,
            "Patient?_event=address-changed,died&_cohort=Group/" + group,
            "https://" + COUNCIL_HOST + "/notifications");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonObject made = new JsonObject(r.body());
    assertThat(made.getString("status")).isEqualTo("active");
    assertThat(made.getString("criteria"))
        .isEqualTo("Patient?_event=address-changed,died&_cohort=Group/" + group);
    assertThat(r.headers().firstValue("Location"))
        .hasValue(GatewayFixture.PUBLIC_URL + "/fhir/Subscription/" + made.getString("id"));
    HttpResponse<String> read = fixture.get("/fhir/Subscription/" + made.getString("id"), council);
    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
    assertThat(new JsonObject(read.body()).getJsonObject("channel").getString("endpoint"))
        .isEqualTo("https://" + COUNCIL_HOST + "/notifications");
  }

  @Test
  void subscribe_careRelationshipsOverLoopbackHttp_isAccepted() throws Exception {
    HttpResponse<String> r =
        subscribe(
            council,
            "Patient?_event=gp-changed&_cohort=care-relationship",
            "http://127.0.0.1:9999/hook");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  @Test
  void subscribe_endpointOnAnUnregisteredHost_isForbiddenAndAudited() throws Exception {
    HttpResponse<String> r =
        subscribe(
            council,
            "Patient?_event=died&_cohort=care-relationship",
            "https://metadata.internal.example/latest");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(diagnostics(r))
        .isEqualTo(
            "Subscription.channel.endpoint: expected a host registered for your client, got"
                + " metadata.internal.example");
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    HttpResponse<String> audit = fixture.get("/audit/events?action=subscription-create", ig);
    assertThat(audit.statusCode()).as(audit.body()).isEqualTo(200);
    assertThat(audit.body()).contains("metadata.internal.example");
  }

  @Test
  void subscribe_anotherClientsHost_isForbidden() throws Exception {
    HttpResponse<String> r =
        subscribe(
            council, "Patient?_event=died&_cohort=care-relationship", "https://" + TRUST_HOST);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
  }

  @Test
  void subscribe_endpointWithUserinfo_isRefused() throws Exception {
    HttpResponse<String> r =
        subscribe(
            council,
            "Patient?_event=died&_cohort=care-relationship",
            "https://evil.example@" + COUNCIL_HOST + "/hook");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(diagnostics(r))
        .isEqualTo("Subscription.channel.endpoint: expected no user or password in the URL");
  }

  @Test
  void subscribe_plainHttpOffLoopback_isRefused() throws Exception {
    HttpResponse<String> r =
        subscribe(
            council,
            "Patient?_event=died&_cohort=care-relationship",
            "http://" + COUNCIL_HOST + "/hook");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(diagnostics(r))
        .isEqualTo(
            "Subscription.channel.endpoint: expected https, got http to "
                + COUNCIL_HOST
                + " (plain http is accepted only to a loopback host)");
  }

  @Test
  void subscribe_ipLiteralNotRegistered_isForbidden() throws Exception {
    HttpResponse<String> unregistered =
        subscribe(
            council,
            "Patient?_event=died&_cohort=care-relationship",
            "https://169.254.169.254/latest/meta-data");
    HttpResponse<String> registered =
        subscribe(council, "Patient?_event=died&_cohort=care-relationship", "https://10.0.0.7/h");

    assertThat(unregistered.statusCode()).as(unregistered.body()).isEqualTo(403);
    assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
  }

  @Test
  void subscribe_criteriaOutsideTheEventKinds_isRefused() throws Exception {
    HttpResponse<String> unknownKind =
        subscribe(
            council,
            "Patient?_event=died,moved-school&_cohort=care-relationship",
            "https://" + COUNCIL_HOST);
    HttpResponse<String> searchCriteria =
        subscribe(council, "Observation?code=1234-5", "https://" + COUNCIL_HOST);

    assertThat(unknownKind.statusCode()).as(unknownKind.body()).isEqualTo(400);
    assertThat(diagnostics(unknownKind))
        .isEqualTo(
            "Subscription.criteria: _event: expected address-changed, died, gp-changed,"
                + " care-episode-opened, care-episode-closed or safeguarding-concern, got"
                + " 'moved-school'");
    assertThat(searchCriteria.statusCode()).as(searchCriteria.body()).isEqualTo(400);
  }

  @Test
  void subscribe_cohortOfAnotherOrganisation_isForbidden() throws Exception {
    String group = registeredGroup();
    String trust = fixture.token(GatewayFixture.AE_CLIENT, "subscriber", "TREAT");

    HttpResponse<String> r =
        subscribe(trust, "Patient?_event=died&_cohort=Group/" + group, "https://" + TRUST_HOST);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
  }

  @Test
  void readOrDelete_byAnotherClient_isNotFound() throws Exception {
    HttpResponse<String> made =
        subscribe(
            council, "Patient?_event=died&_cohort=care-relationship", "https://" + COUNCIL_HOST);
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    String path = "/fhir/Subscription/" + new JsonObject(made.body()).getString("id");
    String trust = fixture.token(GatewayFixture.AE_CLIENT, "subscriber", "TREAT");

    assertThat(fixture.get(path, trust).statusCode()).isEqualTo(404);
    assertThat(fixture.delete(path, trust).statusCode()).isEqualTo(404);
    assertThat(fixture.get(path, council).statusCode()).isEqualTo(200);
    assertThat(fixture.delete(path, council).statusCode()).isEqualTo(204);
    assertThat(fixture.get(path, council).statusCode()).isEqualTo(404);
  }

  @Test
  void subscribe_clientWithoutTheSubscriberRole_isForbidden() throws Exception {
    String gp = fixture.token(GatewayFixture.GP_CLIENT, "gp", "TREAT");
    String analyst = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");

    HttpResponse<String> asGp =
        subscribe(gp, "Patient?_event=died&_cohort=care-relationship", "https://" + COUNCIL_HOST);
    HttpResponse<String> asAnalyst =
        subscribe(
            analyst, "Patient?_event=died&_cohort=care-relationship", "https://" + COUNCIL_HOST);

    assertThat(asGp.statusCode()).as(asGp.body()).isEqualTo(403);
    assertThat(diagnostics(asGp))
        .isEqualTo("subscriptions are for clients registered for role subscriber");
    assertThat(asAnalyst.statusCode()).as(asAnalyst.body()).isEqualTo(403);
  }

  @Test
  void subscribe_groupOnlyScope_is403() throws Exception {
    String groupOnly =
        BulkExportScopeTest.scoped(
            fixture, GatewayFixture.COUNCIL_CLIENT, "subscriber", "HOPERAT", "system/Group.rs");

    HttpResponse<String> r =
        subscribe(
            groupOnly,
            "Patient?_event=died&_cohort=Group/" + registeredGroup(),
            "https://" + COUNCIL_HOST + "/notifications");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(diagnostics(r))
        .isEqualTo("the access token's scope does not grant Patient; ask for system/Patient.rs");
  }
}
