package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.gateway.Notifications.Received;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.SensitiveCategory;
import org.placeshare.policy.identity.SigningKey;

/**
 * Issue 19, deciding at delivery what was not decided before: the subscriber checked again against
 * the client registry in force (suspended, removed, a role or a notification host taken away, moved
 * to another organisation, each in the clients file reloaded while the gateway runs), and the
 * person's consents weighed as a release weighs them. The gateway, its PostgreSQL, the council's
 * FHIR source and the receiver are real; each test drives the delivery rounds.
 */
class NotificationDecisionTest {

  static final String YOUTH_OFFENDING = "council-yos";

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static FhirSourceServer councilSource;
  static SigningKey reporterKey;
  static Notifications.Receiver receiver;
  static Path clientsFile;
  static List<GatewayConfig.Client> registered;

  @BeforeAll
  static void start() throws Exception {
    reporterKey = Notifications.reporterKey(dir);
    clientsFile = dir.resolve("clients.yaml");
    // The council's source holds every synthetic person, so its events are about its people.
    councilSource = GatewayFixture.liveCouncilSource();
    UnaryOperator<GatewayConfig> change =
        c -> {
          GatewayConfig notifying = Notifications.notifying(c, dir, councilSource);
          registered = List.copyOf(notifying.clients());
          writeClients(Map.of());
          List<GatewayConfig.Source> sources = new ArrayList<>();
          // The council's youth offending service: the same people, criminal offence data as a
          // whole (sources[].holds), which no notification agreement here names.
          sources.add(
              new GatewayConfig.Source(
                  YOUTH_OFFENDING,
                  "E08000026",
                  councilSource.baseUrl().toString(),
                  Duration.ofSeconds(5),
                  List.of("Patient"),
                  GatewayConfig.Source.FHIR,
                  Optional.empty(),
                  Optional.empty(),
                  Optional.empty(),
                  Optional.empty(),
                  Optional.empty(),
                  Set.of(SensitiveCategory.CRIMINAL_OFFENCE)));
          sources.addAll(notifying.sources());
          return withClientsFile(GatewayFixture.withSources(notifying, sources));
        };
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            change,
            Notifications.FAST);
    fixture.addAgreement(Notifications.AGREEMENT);
    fixture.addAgreement("notify-consent-test.yaml");
    fixture.addAgreement("notify-pilot-test.yaml");
    assertThat(fixture.gateway.policy().status().lastError()).isEmpty();
    receiver = Notifications.Receiver.start(fixture.vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    Notifications.stop(receiver, fixture, councilSource);
  }

  /** Every test leaves the registry as it found it. */
  @AfterEach
  void restoreRegistry() throws Exception {
    writeClients(Map.of());
    reload();
  }

  /** The registered clients with these changes, a client mapped to null being removed. */
  private static void writeClients(Map<String, UnaryOperator<GatewayConfig.Client>> changes) {
    StringBuilder yaml = new StringBuilder("clients:\n");
    for (GatewayConfig.Client registeredClient : registered) {
      GatewayConfig.Client c =
          changes.getOrDefault(registeredClient.id(), x -> x).apply(registeredClient);
      if (c == null) {
        continue;
      }
      yaml.append("  - id: ")
          .append(c.id())
          .append("\n    organisation: ")
          .append(c.organisation())
          .append("\n    publicKey: ")
          .append(c.publicKey())
          .append("\n    purposes: [")
          .append(String.join(", ", c.purposes().stream().sorted().toList()))
          .append("]\n    roles: [")
          .append(String.join(", ", c.roles().stream().sorted().toList()))
          .append("]\n    status: ")
          .append(c.status())
          .append('\n');
      if (!c.notificationHosts().isEmpty()) {
        yaml.append("    notificationHosts: [")
            .append(String.join(", ", c.notificationHosts().stream().sorted().toList()))
            .append("]\n");
      }
    }
    try {
      Files.writeString(clientsFile, yaml);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void reload() throws Exception {
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    HttpResponse<String> r = fixture.post("/trust/clients/reload", ig, "");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("lastError")).as(r.body()).isNull();
  }

  /** The registry changed in the file and reloaded, as an IG lead does while the gateway runs. */
  private static void change(String client, UnaryOperator<GatewayConfig.Client> change)
      throws Exception {
    Map<String, UnaryOperator<GatewayConfig.Client>> changes = new HashMap<>();
    changes.put(client, change);
    writeClients(changes);
    reload();
  }

  private static GatewayConfig.Client withStatus(GatewayConfig.Client c, String status) {
    return new GatewayConfig.Client(
        c.id(),
        c.organisation(),
        c.publicKey(),
        c.purposes(),
        c.roles(),
        status,
        c.notificationHosts());
  }

  private static GatewayConfig withClientsFile(GatewayConfig c) {
    return new GatewayConfig(
        c.host(),
        c.port(),
        c.publicUrl(),
        c.dataDir(),
        c.databaseUrl(),
        c.signingKey(),
        c.agreements(),
        c.agreementSigners(),
        c.agreementSignaturesRequired(),
        c.policyPoll(),
        c.organisations(),
        c.clients(),
        c.sources(),
        c.consentKey(),
        c.consentIssuers(),
        c.issuerTrustCa(),
        c.nationalOptOuts(),
        c.tls(),
        c.pseudonymKey(),
        c.auditKey(),
        c.maxConcurrentRequests(),
        c.clientRequestsPerMinute(),
        c.cohorts(),
        Optional.of(new GatewayConfig.ClientsFile(clientsFile, false)),
        c.management(),
        c.linkage(),
        c.referenceIndex(),
        c.notifications());
  }

  private static NhsNumber person(int i) {
    NhsNumber n = fixture.people.get(i).nhsNumber();
    Notifications.setOptOut(fixture, n, false);
    return n;
  }

  /** This client subscribes, for this purpose, to these kinds about a cohort of one. */
  private static String subscribes(
      String client, String purpose, String kinds, NhsNumber person, String path) throws Exception {
    return Notifications.cohortSubscribes(
        fixture, client, purpose, kinds, List.of(person), receiver.endpoint(path));
  }

  private static String councilSubscribes(NhsNumber person, String path) throws Exception {
    return subscribes(GatewayFixture.COUNCIL_CLIENT, "HOPERAT", "address-changed", person, path);
  }

  private static void report(String id, NhsNumber person, String kind, JsonObject change)
      throws Exception {
    report(id, person, kind, change, Notifications.COUNCIL_SOURCE);
  }

  private static void report(
      String id, NhsNumber person, String kind, JsonObject change, String source) throws Exception {
    Notifications.report(
        fixture,
        reporterKey,
        Notifications.event(
            id, kind, person, source, GatewayFixture.CLOCK.instant().minusSeconds(60), change));
  }

  private static void moved(String id, NhsNumber person) throws Exception {
    Notifications.report(fixture, reporterKey, Notifications.moved(id, person));
  }

  private static void died(String id, NhsNumber person) throws Exception {
    report(id, person, "died", new JsonObject().put("date", "2026-11-20"));
  }

  private static Row delivery(String subscription) {
    return Notifications.delivery(fixture, subscription);
  }

  private static String subscriptionStatus(String subscription) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery("SELECT status FROM subscription WHERE id = $1")
        .execute(Tuple.of(UUID.fromString(subscription)))
        .await()
        .iterator()
        .next()
        .getString("status");
  }

  private static void deliverUntilSettled(String subscription) throws Exception {
    deliverUntil(() -> !delivery(subscription).getString("status").equals("pending"));
  }

  private static void deliverUntil(BooleanSupplier done) throws Exception {
    Notifications.deliverUntil(fixture, Duration.ofSeconds(5), done);
  }

  private static List<Received> at(String path) {
    return receiver.at(path);
  }

  /** The delivery audit's details (with the decisions) for this subscription. */
  private static List<String> audited(String subscription) {
    List<String> details = new ArrayList<>();
    fixture
        .gateway
        .database()
        .pool()
        .preparedQuery(
            "SELECT detail::text AS detail FROM audit_event WHERE action = $1"
                + " AND detail::text LIKE $2 ORDER BY seq")
        .execute(Tuple.of(DeliveryWorker.ACTION, "%" + subscription + "%"))
        .await()
        .forEach(r -> details.add(r.getString("detail")));
    return details;
  }

  @Test
  void deliver_subscriberSuspendedAfterTheEvent_isRefusedNothingSentAndAudited() throws Exception {
    NhsNumber person = person(1);
    String subscription = councilSubscribes(person, "/suspended");
    moved("move-suspended", person);

    change(GatewayFixture.COUNCIL_CLIENT, c -> withStatus(c, "suspended"));
    deliverUntilSettled(subscription);

    assertThat(delivery(subscription).getString("status")).isEqualTo("refused");
    assertThat(delivery(subscription).getString("last_error"))
        .isEqualTo("client council-intel is suspended");
    assertThat(at("/suspended")).isEmpty();
    assertThat(audited(subscription))
        .singleElement()
        .asString()
        .contains("refused at delivery: client council-intel is suspended");
    assertThat(subscriptionStatus(subscription))
        .as("a suspension may be lifted: the subscription stays")
        .isEqualTo("active");
  }

  @Test
  void deliver_subscriberRemovedFromTheRegistry_isRefusedAndTheSubscriptionTurnedOff()
      throws Exception {
    NhsNumber person = person(2);
    String subscription = councilSubscribes(person, "/removed");
    moved("move-removed", person);

    change(GatewayFixture.COUNCIL_CLIENT, c -> null);
    deliverUntilSettled(subscription);

    assertThat(delivery(subscription).getString("status")).isEqualTo("refused");
    assertThat(at("/removed")).isEmpty();
    assertThat(audited(subscription))
        .singleElement()
        .asString()
        .contains(
            "refused at delivery: client council-intel is no longer registered;"
                + " subscription turned off");
    assertThat(subscriptionStatus(subscription)).isEqualTo("off");
  }

  @Test
  void deliver_subscriberRoleTakenAway_isRefused() throws Exception {
    NhsNumber person = person(3);
    String subscription = councilSubscribes(person, "/no-role");
    moved("move-no-role", person);

    change(
        GatewayFixture.COUNCIL_CLIENT,
        c ->
            new GatewayConfig.Client(
                c.id(),
                c.organisation(),
                c.publicKey(),
                c.purposes(),
                Set.of("analyst"),
                c.status(),
                c.notificationHosts()));
    deliverUntilSettled(subscription);

    assertThat(delivery(subscription).getString("status")).isEqualTo("refused");
    assertThat(delivery(subscription).getString("last_error"))
        .isEqualTo("client council-intel is no longer registered for role subscriber");
    assertThat(at("/no-role")).isEmpty();
  }

  @Test
  void deliver_endpointHostRemovedFromNotificationHosts_isRefused() throws Exception {
    NhsNumber person = person(4);
    String subscription = councilSubscribes(person, "/host-gone");
    moved("move-host-gone", person);

    change(
        GatewayFixture.COUNCIL_CLIENT,
        c -> c.withNotificationHosts(Set.of("receiver.council.example")));
    deliverUntilSettled(subscription);

    assertThat(delivery(subscription).getString("status")).isEqualTo("refused");
    assertThat(delivery(subscription).getString("last_error"))
        .isEqualTo("client council-intel: the endpoint's host is no longer registered for it");
    assertThat(at("/host-gone")).isEmpty();
  }

  @Test
  void deliver_subscriberNowOfAnotherOrganisation_isRefused() throws Exception {
    NhsNumber person = person(5);
    String subscription = councilSubscribes(person, "/moved-org");
    moved("move-other-org", person);

    change(
        GatewayFixture.COUNCIL_CLIENT,
        c ->
            new GatewayConfig.Client(
                c.id(),
                "R9A",
                c.publicKey(),
                c.purposes(),
                c.roles(),
                c.status(),
                c.notificationHosts()));
    deliverUntilSettled(subscription);

    assertThat(delivery(subscription).getString("status")).isEqualTo("refused");
    assertThat(delivery(subscription).getString("last_error"))
        .isEqualTo("client council-intel now acts for R9A, not the subscription's E08000026");
    assertThat(at("/moved-org")).isEmpty();
  }

  @Test
  void deliver_subscriberStillInGoodStanding_afterAnUnrelatedReload_isDelivered() throws Exception {
    NhsNumber person = person(6);
    String subscription = councilSubscribes(person, "/standing");
    moved("move-standing", person);

    change(GatewayFixture.AE_CLIENT, c -> withStatus(c, "suspended"));
    deliverUntilSettled(subscription);

    assertThat(delivery(subscription).getString("status")).isEqualTo("delivered");
    assertThat(at("/standing")).hasSize(1);
  }

  @Test
  void deliver_underAnAgreementRequiringConsent_withConsentRecorded_isDelivered() throws Exception {
    NhsNumber person = person(7);
    String subscription =
        subscribes(GatewayFixture.AE_CLIENT, "TREAT", "died", person, "/consented");
    recordConsent("notify-consent-1", person);
    died("died-consented", person);

    deliverUntilSettled(subscription);

    assertThat(delivery(subscription).getString("status")).isEqualTo("delivered");
    assertThat(at("/consented")).hasSize(1);
    assertThat(at("/consented").get(0).body()).contains("died").contains(person.toString());
  }

  @Test
  void deliver_underAnAgreementRequiringConsent_consentWithdrawnBeforeDelivery_isRefused()
      throws Exception {
    NhsNumber person = person(8);
    String subscription =
        subscribes(GatewayFixture.AE_CLIENT, "TREAT", "died", person, "/withdrawn");
    recordConsent("notify-consent-2", person);
    died("died-withdrawn", person);

    String gp = fixture.token(GatewayFixture.GP_CLIENT, "gp", "TREAT");
    HttpResponse<String> withdrawn = fixture.delete("/consents/notify-consent-2", gp);
    assertThat(withdrawn.statusCode()).as(withdrawn.body()).isEqualTo(200);
    deliverUntilSettled(subscription);

    assertThat(delivery(subscription).getString("status")).isEqualTo("refused");
    assertThat(at("/withdrawn")).isEmpty();
    assertThat(audited(subscription))
        .singleElement()
        .asString()
        .contains(subscription + " of coventry-ae (R9A): refused at delivery")
        .contains("notify-consent-test@1: consent is required and none was presented");
  }

  @Test
  void deliver_changeFromASourceHoldingCriminalOffenceData_agreementNotNamingIt_isRefused()
      throws Exception {
    // A move reported by the youth offending service tells whoever hears it that the person is
    // known to it: the agreement must name criminal offence data, as for its records.
    NhsNumber person = person(9);
    String subscription = councilSubscribes(person, "/offending");
    report(
        "move-offending",
        person,
        "address-changed",
        Notifications.newAddress("12 Spon Street"),
        YOUTH_OFFENDING);

    deliverUntilSettled(subscription);

    assertThat(delivery(subscription).getString("status")).isEqualTo("refused");
    assertThat(at("/offending")).isEmpty();
    assertThat(audited(subscription))
        .singleElement()
        .asString()
        .contains("refused at delivery")
        .contains("the source holds criminal-offence data, which this agreement does not name");
  }

  @Test
  void deliver_underAPilotWithADailyVolume_stopsAtTheCapAndCountsAsReleases() throws Exception {
    NhsNumber person = person(10);
    String subscription =
        subscribes(GatewayFixture.AE_CLIENT, "HOPERAT", "gp-changed", person, "/pilot");
    report("gp-pilot-1", person, "gp-changed", new JsonObject().put("practice", "Y90001"));
    report("gp-pilot-2", person, "gp-changed", new JsonObject().put("practice", "Y90002"));

    deliverUntil(() -> deliveries(subscription).stream().noneMatch(r -> r.equals("pending")));

    assertThat(deliveries(subscription))
        .as("the pilot's daily volume of 1: the first told, the second refused")
        .containsExactly("delivered", "refused");
    assertThat(at("/pilot")).hasSize(1);
    assertThat(at("/pilot").get(0).body()).contains("gp-pilot-1");
    assertThat(audited(subscription).get(1))
        .contains("refused at delivery")
        .contains("the pilot's daily volume of 1 for R9A is reached");
    Row used =
        fixture
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT released FROM pilot_usage WHERE agreement_id = 'notify-pilot-test'"
                    + " AND recipient = 'R9A'")
            .execute()
            .await()
            .iterator()
            .next();
    assertThat(used.getInteger("released")).isEqualTo(1);
  }

  /** The statuses of this subscription's deliveries, in the order their events arrived. */
  private static List<String> deliveries(String subscription) {
    return Notifications.deliveries(fixture, subscription).stream()
        .map(r -> r.getString("status"))
        .toList();
  }

  /** The person's GP practice records their consent through the gateway, standing. */
  private static void recordConsent(String id, NhsNumber person) throws Exception {
    String gp = fixture.token(GatewayFixture.GP_CLIENT, "gp", "TREAT");
    HttpResponse<String> r =
        fixture.post(
            "/consents",
            gp,
            new JsonObject().put("token", fixture.gpConsent(id, person, "TREAT")).encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }
}
