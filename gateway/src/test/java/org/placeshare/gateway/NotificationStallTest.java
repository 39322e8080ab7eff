package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.gateway.notify.SubscriptionStore;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * Issue 19, the attack on delivery's availability: subscribers whose receiver accepts each request
 * and never answers, as many subscriptions as the cap lets each client hold, try to hold up every
 * other subscriber's notifications. The real gateway and its worker's own timer, a real hanging
 * receiver and a real honest one on loopback; a send has 1 s.
 */
class NotificationStallTest {

  // A second client of the acute trust, subscribing for itself: the honest subscriber.
  static final String HONEST = "trust-notify";
  // A client that only subscribes, to show the cap.
  static final String FLOOD = "council-flood";

  /** Polls every 100 ms, 20 sends in flight, 1 s a send; a failed receiver is let alone 10 s. */
  static final DeliveryWorker.Settings TIMED =
      new DeliveryWorker.Settings(
          Duration.ofMillis(100),
          20,
          Duration.ofSeconds(10),
          Duration.ofSeconds(1),
          Duration.ofSeconds(10),
          Duration.ofSeconds(10),
          3);

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static org.placeshare.fhir.synthetic.FhirSourceServer councilSource;
  static SigningKey reporterKey;
  static final SigningKey honestKey = SigningKey.generate();
  static final SigningKey floodKey = SigningKey.generate();
  static HttpServer hanging;
  static HttpServer honest;
  static final AtomicInteger hung = new AtomicInteger();
  static final AtomicLong honestArrivedAt = new AtomicLong();

  @BeforeAll
  static void start() throws Exception {
    reporterKey = Notifications.reporterKey(dir);
    honestKey.writePem(dir.resolve("tn.key.pem"), dir.resolve("tn.pub.pem"));
    floodKey.writePem(dir.resolve("cf.key.pem"), dir.resolve("cf.pub.pem"));
    councilSource = GatewayFixture.liveCouncilSource();
    fixture =
        Notifications.start(
            dir,
            councilSource,
            TIMED,
            Notifications.subscriber(
                new GatewayConfig.Client(
                    HONEST,
                    "R9A",
                    dir.resolve("tn.pub.pem"),
                    Set.of("HOPERAT"),
                    Set.of("subscriber"))),
            Notifications.subscriber(
                new GatewayConfig.Client(
                    FLOOD,
                    "E08000026",
                    dir.resolve("cf.pub.pem"),
                    Set.of("HOPERAT"),
                    Set.of("subscriber"))));
    // Takes every request and never answers it.
    hanging = Notifications.listen(fixture.vertx, 0, req -> hung.incrementAndGet());
    honest =
        Notifications.listen(
            fixture.vertx,
            0,
            req ->
                req.body()
                    .onSuccess(
                        body -> {
                          honestArrivedAt.compareAndSet(0, System.nanoTime());
                          req.response().setStatusCode(200).end();
                        }));
  }

  @AfterAll
  static void stop() throws Exception {
    for (HttpServer s : new HttpServer[] {hanging, honest}) {
      if (s != null) {
        s.close().await();
      }
    }
    if (fixture != null) {
      fixture.close();
    }
    if (councilSource != null) {
      councilSource.close();
    }
  }

  private static String token(String client, SigningKey key, String role) throws Exception {
    HttpResponse<String> r = fixture.tokenRequest(fixture.assertion(client, key, role, "HOPERAT"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  /** A Group of these people, registered by this client's analyst; answers its id. */
  private static String group(String client, List<NhsNumber> people) throws Exception {
    return Notifications.cohort(fixture, client, people);
  }

  private static HttpResponse<String> subscribe(String token, String criteria, String endpoint)
      throws Exception {
    return Notifications.subscribe(fixture, token, criteria, endpoint);
  }

  private static void report(String id, NhsNumber person) throws Exception {
    Notifications.report(fixture, reporterKey, Notifications.moved(id, person));
  }

  @Test
  void
      deliver_twoClientsEachAtTheCapToAReceiverThatNeverAnswers_anotherSubscriberIsToldWithinOneDeadline()
          throws Exception {
    List<NhsNumber> crowd = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      crowd.add(fixture.people.get(i).nhsNumber());
    }
    NhsNumber person = fixture.people.get(6).nhsNumber();
    // The council and the trust each hold as many subscriptions as the cap lets them, about five
    // people, each to its own path on the hanging receiver: twenty, as many as sends in flight.
    for (String client : List.of(GatewayFixture.COUNCIL_CLIENT, GatewayFixture.AE_CLIENT)) {
      String cohort = group(client, crowd);
      String token = fixture.token(client, "subscriber", "HOPERAT");
      for (int i = 1; i <= SubscriptionStore.MAX_ACTIVE_PER_CLIENT; i++) {
        HttpResponse<String> r =
            subscribe(
                token,
                "Patient?_event=address-changed&_cohort=Group/" + cohort,
                "http://127.0.0.1:" + hanging.actualPort() + "/" + client + "/" + i);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      }
    }
    // The honest subscriber: the trust's own notification client, about one other person.
    String honestCohort = group(GatewayFixture.AE_CLIENT, List.of(person));
    HttpResponse<String> s =
        subscribe(
            token(HONEST, honestKey, "subscriber"),
            "Patient?_event=address-changed&_cohort=Group/" + honestCohort,
            "http://127.0.0.1:" + honest.actualPort() + "/honest");
    assertThat(s.statusCode()).as(s.body()).isEqualTo(201);

    // A hundred deliveries that will hang, five to each subscription, then the honest one.
    for (int i = 0; i < crowd.size(); i++) {
      report("crowd-move-" + i, crowd.get(i));
    }
    long before = System.nanoTime();
    report("honest-move", person);
    long acknowledged = System.nanoTime();

    long until = acknowledged + Duration.ofSeconds(15).toNanos();
    while (honestArrivedAt.get() == 0 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(honestArrivedAt.get()).as("the honest notification never arrived").isNotZero();
    Duration waited = Duration.ofNanos(honestArrivedAt.get() - before);
    // One deadline (the hung sends holding every slot let go) and a poll, measured at 0.5-0.8 s;
    // a round barrier with old rows first took five deadlines here. The bound sits halfway, so a
    // busy machine's pauses do not read as a stall.
    assertThat(waited)
        .as("the honest subscriber waited %s", waited)
        .isLessThan(TIMED.deadline().multipliedBy(5).dividedBy(2));
    assertThat(hung.get()).as("the hanging receiver was tried").isPositive();
    assertThat(hung.get())
        .as("at most one send in flight per hung subscription: twenty, not a hundred")
        .isLessThanOrEqualTo(2 * SubscriptionStore.MAX_ACTIVE_PER_CLIENT);
  }

  @Test
  void subscribe_eleventhOfOneClientOrADuplicate_isRefusedWithAnOperationOutcome()
      throws Exception {
    String token = token(FLOOD, floodKey, "subscriber");
    String criteria = "Patient?_event=died&_cohort=care-relationship";
    String at = "http://127.0.0.1:9/flood/";
    List<String> made = new ArrayList<>();
    for (int i = 1; i <= SubscriptionStore.MAX_ACTIVE_PER_CLIENT; i++) {
      HttpResponse<String> r = subscribe(token, criteria, at + i);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      made.add(new JsonObject(r.body()).getString("id"));
    }

    HttpResponse<String> duplicate = subscribe(token, criteria, at + 1);
    assertThat(duplicate.statusCode()).as(duplicate.body()).isEqualTo(409);
    JsonObject dup = new JsonObject(duplicate.body());
    assertThat(dup.getString("resourceType")).isEqualTo("OperationOutcome");
    assertThat(dup.getJsonArray("issue").getJsonObject(0).getString("code")).isEqualTo("duplicate");
    assertThat(duplicate.body()).contains("Subscription/" + made.get(0));

    HttpResponse<String> eleventh = subscribe(token, criteria, at + 11);
    assertThat(eleventh.statusCode()).as(eleventh.body()).isEqualTo(422);
    JsonObject outcome = new JsonObject(eleventh.body());
    assertThat(outcome.getString("resourceType")).isEqualTo("OperationOutcome");
    assertThat(outcome.getJsonArray("issue").getJsonObject(0).getString("code"))
        .isEqualTo("business-rule");
    assertThat(eleventh.body())
        .contains("expected at most 10 active subscriptions per client, you have 10");

    // Both refusals are audited, as every call.
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    HttpResponse<String> audit =
        fixture.get("/audit/events?action=subscription-create&client=" + FLOOD, ig);
    assertThat(audit.statusCode()).as(audit.body()).isEqualTo(200);
    assertThat(audit.body())
        .contains("duplicate subscription")
        .contains("subscriptions per client capped");

    // The cap counts what is active: one deleted, one more may be made.
    HttpResponse<String> deleted = fixture.delete("/fhir/Subscription/" + made.get(9), token);
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(subscribe(token, criteria, at + 11).statusCode()).isEqualTo(201);
  }
}
