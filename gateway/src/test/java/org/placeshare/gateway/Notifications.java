package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntUnaryOperator;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * What the notification tests share: a gateway whose council and A&E clients subscribe, notified on
 * loopback, beside the council's event reporter and a live council source; a receiver recording
 * what it is sent; and the steps of a test: a cohort registered and subscribed to, an event
 * reported, a delivery row read, delivery rounds driven until something holds.
 */
final class Notifications {

  /** The council's event-reporting client, registered by {@link #notifying}. */
  static final String REPORTER = "council-events";

  /** The council source the reported events come from unless a test says otherwise. */
  static final String COUNCIL_SOURCE = "council-asc";

  /** The test agreement telling the council and the trust of changes about their cohorts. */
  static final String AGREEMENT = "notify-test.yaml";

  /** Short waits: three tries, 50 ms then 100 ms apart; the worker's timer is left to the test. */
  static final DeliveryWorker.Settings FAST =
      new DeliveryWorker.Settings(
          Duration.ofHours(1),
          20,
          Duration.ofSeconds(10),
          Duration.ofSeconds(2),
          Duration.ofMillis(50),
          Duration.ofMillis(200),
          3);

  private Notifications() {}

  /** The reporter's key, its pair written into {@code dir}, where {@link #notifying} reads it. */
  static SigningKey reporterKey(Path dir) {
    SigningKey key = SigningKey.generate();
    key.writePem(dir.resolve("ce.key.pem"), dir.resolve("ce.pub.pem"));
    return key;
  }

  /**
   * A gateway (in {@code dir/gw}, on a fresh database) with these delivery timings, configured as
   * {@link #notifying} says, with the notification agreement loaded.
   */
  static GatewayFixture start(
      Path dir,
      FhirSourceServer councilSource,
      DeliveryWorker.Settings timings,
      GatewayConfig.Client... more)
      throws Exception {
    GatewayFixture fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> notifying(c, dir, councilSource, more),
            timings);
    fixture.addAgreement(AGREEMENT);
    assertThat(fixture.gateway.policy().status().lastError()).isEmpty();
    return fixture;
  }

  /**
   * The configuration with the council and the trust as {@link #subscriber}s, the reporter
   * registered (its public key in {@code dir}), these further clients after it, and {@code
   * council-asc} read from the live source: the gateway asks a source whether it holds the person
   * before it takes an event, and the fixture's own is down.
   */
  static GatewayConfig notifying(
      GatewayConfig c, Path dir, FhirSourceServer councilSource, GatewayConfig.Client... more) {
    List<GatewayConfig.Client> clients = new ArrayList<>();
    for (GatewayConfig.Client client : c.clients()) {
      clients.add(
          switch (client.id()) {
            case GatewayFixture.COUNCIL_CLIENT, GatewayFixture.AE_CLIENT -> subscriber(client);
            default -> client;
          });
    }
    clients.add(
        new GatewayConfig.Client(
            REPORTER,
            "E08000026",
            dir.resolve("ce.pub.pem"),
            Set.of("HOPERAT"),
            Set.of("event-reporter")));
    clients.addAll(List.of(more));
    return GatewayFixture.withSourceAt(
        GatewayFixture.withClients(c, clients), "council-asc", councilSource);
  }

  /** The client as a subscriber and analyst for HOPERAT, notified at 127.0.0.1. */
  static GatewayConfig.Client subscriber(GatewayConfig.Client c) {
    Set<String> roles = new HashSet<>(c.roles());
    roles.add("subscriber");
    roles.add("analyst");
    Set<String> purposes = new HashSet<>(c.purposes());
    purposes.add("HOPERAT");
    return new GatewayConfig.Client(
            c.id(), c.organisation(), c.publicKey(), purposes, roles, c.status())
        .withNotificationHosts(Set.of("127.0.0.1"));
  }

  /** An HTTP server on this loopback port (0: any) answering with this handler. */
  static HttpServer listen(Vertx vertx, int port, Handler<HttpServerRequest> handler) {
    return vertx.createHttpServer().requestHandler(handler).listen(port, "127.0.0.1").await();
  }

  /** What a receiver was sent in one request. */
  record Received(String path, String idempotencyKey, String signature, String body) {}

  /**
   * A subscriber's receiver on loopback: records every request and answers 200, or what a test says
   * for a path (by the request's number on that path, from 1); a 302 points elsewhere on it.
   */
  static final class Receiver {

    private final Queue<Received> received = new ConcurrentLinkedQueue<>();
    private final Map<String, IntUnaryOperator> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private volatile HttpServer server;

    private Receiver() {}

    static Receiver start(Vertx vertx) {
      Receiver r = new Receiver();
      r.server = listen(vertx, 0, r::take);
      return r;
    }

    private void take(HttpServerRequest req) {
      req.body()
          .onSuccess(
              body -> {
                String path = req.path();
                int n = hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                received.add(
                    new Received(
                        path,
                        req.getHeader("Idempotency-Key"),
                        req.getHeader(DeliveryWorker.SIGNATURE_HEADER),
                        body.toString()));
                int status = answers.getOrDefault(path, x -> 200).applyAsInt(n);
                if (status == 302) {
                  req.response()
                      .setStatusCode(302)
                      .putHeader("Location", "http://localhost:" + port() + "/elsewhere")
                      .end();
                } else {
                  req.response().setStatusCode(status).end();
                }
              });
    }

    /** Requests to this path are answered with this status, given the request's number. */
    void answer(String path, IntUnaryOperator status) {
      answers.put(path, status);
    }

    int port() {
      return server.actualPort();
    }

    /** The URL of this path on the receiver, as a subscription's endpoint. */
    String endpoint(String path) {
      return "http://127.0.0.1:" + port() + path;
    }

    /** What was sent to this path, in the order it came. */
    List<Received> at(String path) {
      return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    void close() {
      if (server != null) {
        server.close().await();
      }
    }
  }

  /** Stops what a test started, each part if it was. */
  static void stop(Receiver receiver, GatewayFixture fixture, FhirSourceServer councilSource)
      throws Exception {
    if (receiver != null) {
      receiver.close();
    }
    if (fixture != null) {
      fixture.close();
    }
    if (councilSource != null) {
      councilSource.close();
    }
  }

  /** Registers a Group of these people as the client's analyst (HOPERAT); answers its id. */
  static String cohort(GatewayFixture fixture, String client, List<NhsNumber> people)
      throws Exception {
    JsonArray members = new JsonArray();
    for (NhsNumber person : people) {
      members.add(
          new JsonObject()
              .put(
                  "entity",
                  new JsonObject()
                      .put(
                          "identifier",
                          new JsonObject()
                              .put("system", Fhir.NHS_NUMBER_SYSTEM)
                              .put("value", person.toString()))));
    }
    HttpResponse<String> group =
        fixture.post(
            "/fhir/Group",
            fixture.token(client, "analyst", "HOPERAT"),
            new JsonObject()
                .put("resourceType", "Group")
                .put("type", "person")
                .put("actual", true)
                .put("member", members)
                .encode());
    assertThat(group.statusCode()).as(group.body()).isEqualTo(201);
    return new JsonObject(group.body()).getString("id");
  }

  /** A rest-hook Subscription to these criteria, sent to this endpoint, as a client asks it. */
  static String subscription(String criteria, String endpoint) {
    return new JsonObject()
        .put("resourceType", "Subscription")
        .put("status", "requested")
        .put("reason", "tell us once")
        .put("criteria", criteria)
        .put(
            "channel",
            new JsonObject()
                .put("type", "rest-hook")
                .put("endpoint", endpoint)
                .put("payload", "application/fhir+json"))
        .encode();
  }

  /** {@code POST /fhir/Subscription} of a rest-hook to this endpoint: the answer, unchecked. */
  static HttpResponse<String> subscribe(
      GatewayFixture fixture, String token, String criteria, String endpoint) throws Exception {
    return fixture.post("/fhir/Subscription", token, subscription(criteria, endpoint));
  }

  /** As {@link #subscribe}, asserted made (201): the subscription's id. */
  static String subscribed(GatewayFixture fixture, String token, String criteria, String endpoint)
      throws Exception {
    HttpResponse<String> r = subscribe(fixture, token, criteria, endpoint);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return new JsonObject(r.body()).getString("id");
  }

  /**
   * This client registers a cohort of these people and subscribes, for this purpose, to these kinds
   * of event (comma-separated) about it: the subscription's id.
   */
  static String cohortSubscribes(
      GatewayFixture fixture,
      String client,
      String purpose,
      String kinds,
      List<NhsNumber> people,
      String endpoint)
      throws Exception {
    String group = cohort(fixture, client, people);
    return subscribed(
        fixture,
        fixture.token(client, "subscriber", purpose),
        "Patient?_event=" + kinds + "&_cohort=Group/" + group,
        endpoint);
  }

  /** As above, for HOPERAT, to changes of address. */
  static String subscribesToMoves(
      GatewayFixture fixture, String client, List<NhsNumber> people, String endpoint)
      throws Exception {
    return cohortSubscribes(fixture, client, "HOPERAT", "address-changed", people, endpoint);
  }

  /** An event as a reporter posts it. */
  static JsonObject event(
      String id,
      String kind,
      NhsNumber person,
      String source,
      Instant occurredAt,
      JsonObject change) {
    return new JsonObject()
        .put("id", id)
        .put("kind", kind)
        .put("nhsNumber", person.toString())
        .put("source", source)
        .put("occurredAt", occurredAt.toString())
        .put("change", change);
  }

  /** A new address: this first line, then Coventry CV1 2AB. */
  static JsonObject newAddress(String firstLine) {
    return new JsonObject()
        .put("postcode", "CV1 2AB")
        .put("lines", new JsonArray().add(firstLine).add("Coventry"));
  }

  /** The person moved to 12 Spon Street a minute ago, by the fixture's clock, says the council. */
  static JsonObject moved(String id, NhsNumber person) {
    return event(
        id,
        "address-changed",
        person,
        COUNCIL_SOURCE,
        GatewayFixture.CLOCK.instant().minusSeconds(60),
        newAddress("12 Spon Street"));
  }

  /** An access token of the reporter's, from this gateway. */
  static String reporterToken(GatewayFixture fixture, SigningKey reporterKey) throws Exception {
    HttpResponse<String> r =
        fixture.tokenRequest(
            fixture.assertion(REPORTER, reporterKey, "feed", "event-reporter", "HOPERAT"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  /** The reporter posts this event: the answer, unchecked. */
  static HttpResponse<String> post(GatewayFixture fixture, SigningKey reporterKey, JsonObject event)
      throws Exception {
    return fixture.post("/events", reporterToken(fixture, reporterKey), event.encode());
  }

  /** The reporter posts this event, asserted taken as new (201). */
  static void report(GatewayFixture fixture, SigningKey reporterKey, JsonObject event)
      throws Exception {
    HttpResponse<String> posted = post(fixture, reporterKey, event);
    assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);
  }

  /** The person's opt-out, set in the gateway's patient register (never restricted). */
  static void setOptOut(GatewayFixture fixture, NhsNumber person, boolean optedOut) {
    fixture
        .gateway
        .database()
        .pool()
        .preparedQuery(
            "INSERT INTO patient_register (nhs_number, opted_out, restricted, updated_at)"
                + " VALUES ($1, $2, false, now()) ON CONFLICT (nhs_number)"
                + " DO UPDATE SET opted_out = $2, restricted = false")
        .execute(Tuple.of(person.toString(), optedOut))
        .await();
  }

  /** The delivery of this subscription's only event: id, status, attempts, last error, key. */
  static Row delivery(GatewayFixture fixture, String subscription) {
    return deliveries(fixture, subscription).get(0);
  }

  /** This subscription's deliveries, in the order their events arrived. */
  static List<Row> deliveries(GatewayFixture fixture, String subscription) {
    List<Row> rows = new ArrayList<>();
    fixture
        .gateway
        .database()
        .pool()
        .preparedQuery(
            "SELECT id, status, attempts, last_error, idempotency_key FROM notification_delivery"
                + " WHERE subscription_id = $1 ORDER BY event_seq")
        .execute(Tuple.of(UUID.fromString(subscription)))
        .await()
        .forEach(rows::add);
    return rows;
  }

  /** Runs delivery rounds until the condition holds, as the timer would, for at most so long. */
  static void deliverUntil(GatewayFixture fixture, Duration within, BooleanSupplier done)
      throws Exception {
    long until = System.nanoTime() + within.toNanos();
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as("delivery did not settle in time").isLessThan(until);
      fixture.gateway.delivery().deliverDue().await();
      Thread.sleep(20);
    }
  }
}
