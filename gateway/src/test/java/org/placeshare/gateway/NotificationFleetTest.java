package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * Issue 19, two instances sharing the work: two gateways on one PostgreSQL, both delivery workers
 * polling, deliver to a receiver slow enough that their rounds overlap. While both run, each
 * idempotency key is sent exactly once and audited once, and both instances take a share; when one
 * dies holding leases, the other delivers what it held once the leases expire.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NotificationFleetTest {

  /** Both poll every 50 ms, lease 4 rows at a time for 2 s; a send has 1 s. */
  /** Subscriptions to the cohort, each told of every event: more than one instance's batch. */
  static final int SUBSCRIPTIONS = 6;

  static final DeliveryWorker.Settings SHARED =
      new DeliveryWorker.Settings(
          Duration.ofMillis(50),
          4,
          Duration.ofSeconds(2),
          Duration.ofSeconds(1),
          Duration.ofMillis(50),
          Duration.ofMillis(200),
          5);

  @TempDir static Path dir;
  static GatewayFixture a;
  static GatewayFixture b;
  static SigningKey reporterKey;
  static HttpServer receiver;
  static org.placeshare.fhir.synthetic.FhirSourceServer councilSource;
  static final long ANSWER_DELAY_MILLIS = 100;

  /** The instance whose sends the receiver takes but never answers: a send B holds, B holds. */
  static volatile String neverAnswer;

  static volatile boolean bDied;
  static String cohortSubscriptionCouncil;
  static String cohortSubscriptionTrust;
  static List<NhsNumber> people;

  /** What the receiver took, and which instance held the delivery's lease as it was sent. */
  record Received(String idempotencyKey, String body, String leaseOwner, long row) {}

  static final Queue<Received> received = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void start() throws Exception {
    reporterKey = Notifications.reporterKey(dir);
    councilSource = GatewayFixture.liveCouncilSource();
    String database = TestPostgres.freshDatabase();
    a =
        GatewayFixture.start(
            dir.resolve("a"),
            database,
            SigningKey.generate(),
            c -> Notifications.notifying(c, dir, councilSource),
            SHARED);
    a.addAgreement(Notifications.AGREEMENT);
    b =
        GatewayFixture.start(
            dir.resolve("b"),
            database,
            a.gpConsentKey,
            c ->
                Notifications.notifying(
                    GatewayFixture.sharing(c, dir.resolve("a")), dir, councilSource),
            SHARED);
    assertThat(b.gateway.policy().status().lastError()).isEmpty();
    // The receiver reads, as each POST arrives, which instance holds that delivery's lease: the
    // sender, since an outcome is written only under the lease and the lease is still held.
    receiver =
        Notifications.listen(
            a.vertx,
            0,
            req ->
                req.body()
                    .onSuccess(
                        body -> {
                          String key = req.getHeader("Idempotency-Key");
                          a.gateway
                              .database()
                              .pool()
                              .preparedQuery(
                                  "SELECT id, lease_owner FROM notification_delivery"
                                      + " WHERE idempotency_key = $1")
                              .execute(Tuple.of(key))
                              .onComplete(
                                  rows -> {
                                    Row r = rows.result().iterator().next();
                                    received.add(
                                        new Received(
                                            key,
                                            body.toString(),
                                            r.getString("lease_owner"),
                                            r.getLong("id")));
                                    if (!r.getString("lease_owner").equals(neverAnswer)) {
                                      a.vertx.setTimer(
                                          ANSWER_DELAY_MILLIS,
                                          t -> req.response().setStatusCode(200).end());
                                    }
                                  });
                        }));
    people = a.people.subList(10, 15).stream().map(p -> p.nhsNumber()).toList();
    cohortSubscriptionCouncil = subscribe(GatewayFixture.COUNCIL_CLIENT, "/council");
    cohortSubscriptionTrust = subscribe(GatewayFixture.AE_CLIENT, "/trust");
    // More subscriptions than one instance sends to at once (batch 4, one send in flight per
    // subscription): the other instance always has work to lease, so both take a share.
    for (int i = 2; i < SUBSCRIPTIONS / 2 + 1; i++) {
      subscribe(GatewayFixture.COUNCIL_CLIENT, "/council-" + i);
      subscribe(GatewayFixture.AE_CLIENT, "/trust-" + i);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (councilSource != null) {
      councilSource.close();
    }
    if (receiver != null) {
      receiver.close().await();
    }
    // B's Vert.x died under it in the second test: there is nothing left of it to stop.
    if (b != null && !bDied) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  /** This client registers a cohort of the five people and subscribes to their moves. */
  private static String subscribe(String client, String path) throws Exception {
    return Notifications.subscribesToMoves(
        a, client, people, "http://127.0.0.1:" + receiver.actualPort() + path);
  }

  /** Reports this many moves, spread over the five people, at alternate instances. */
  private static void report(String prefix, int count) throws Exception {
    // Each instance signs its own access tokens: one token from each.
    Map<GatewayFixture, String> tokens =
        Map.of(
            a,
            Notifications.reporterToken(a, reporterKey),
            b,
            Notifications.reporterToken(b, reporterKey));
    for (int i = 0; i < count; i++) {
      GatewayFixture at = i % 2 == 0 ? a : b;
      JsonObject event =
          Notifications.event(
              prefix + i,
              "address-changed",
              people.get(i % people.size()),
              Notifications.COUNCIL_SOURCE,
              GatewayFixture.CLOCK.instant().minusSeconds(60),
              Notifications.newAddress(i + " Spon Street"));
      HttpResponse<String> posted = at.post("/events", tokens.get(at), event.encode());
      assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);
    }
  }

  /** The delivery rows of events whose id starts so: id to status. */
  private static Map<Long, String> rows(String prefix) {
    Map<Long, String> rows = new HashMap<>();
    a.gateway
        .database()
        .pool()
        .preparedQuery(
            "SELECT d.id, d.status FROM notification_delivery d"
                + " JOIN notification_event e ON e.seq = d.event_seq WHERE e.event_id LIKE $1")
        .execute(Tuple.of(prefix + "%"))
        .await()
        .forEach(r -> rows.put(r.getLong("id"), r.getString("status")));
    return rows;
  }

  private static void await(BooleanSupplier done, Duration within) throws Exception {
    long until = System.nanoTime() + within.toNanos();
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as("not settled within " + within).isLessThan(until);
      Thread.sleep(50);
    }
  }

  @Test
  @Order(1)
  void twoInstances_shareTheDeliveries_eachKeySentOnceAndAuditedOnce() throws Exception {
    report("both-", 30);
    Map<Long, String> rows = rows("both-");
    assertThat(rows).hasSize(30 * SUBSCRIPTIONS);
    await(
        () -> rows("both-").values().stream().allMatch("delivered"::equals),
        Duration.ofSeconds(30));

    List<Received> got = received.stream().filter(r -> rows.containsKey(r.row())).toList();
    Map<String, Long> perKey =
        got.stream()
            .collect(Collectors.groupingBy(Received::idempotencyKey, Collectors.counting()));
    assertThat(perKey).hasSize(30 * SUBSCRIPTIONS);
    assertThat(perKey.values()).as("no key sent twice while the leases hold").containsOnly(1L);
    Set<String> owners = got.stream().map(Received::leaseOwner).collect(Collectors.toSet());
    assertThat(owners)
        .as("both instances took a share")
        .containsExactlyInAnyOrder(a.gateway.delivery().owner(), b.gateway.delivery().owner());
    Map<String, Long> audited = new HashMap<>();
    a.gateway
        .database()
        .pool()
        .preparedQuery(
            "SELECT request_id, count(*) FROM audit_event WHERE action = $1"
                + " AND request_id = ANY ($2) GROUP BY request_id")
        .execute(
            Tuple.tuple()
                .addString(DeliveryWorker.ACTION)
                .addArrayOfString(
                    rows.keySet().stream().map(id -> "delivery-" + id).toArray(String[]::new)))
        .await()
        .forEach(r -> audited.put(r.getString(0), r.getLong(1)));
    assertThat(audited).hasSize(30 * SUBSCRIPTIONS);
    assertThat(audited.values()).as("each delivery audited once").containsOnly(1L);
  }

  @Test
  @Order(2)
  void anInstanceDyingWithLeasesHeld_theOtherDeliversThemWhenTheLeasesExpire() throws Exception {
    String dying = b.gateway.delivery().owner();
    // What B sends stays unanswered, so what it holds when it dies is still pending, however
    // slow the machine between the look and the death.
    neverAnswer = dying;
    report("takeover-", 20);
    List<Long> heldByB = new ArrayList<>();
    await(
        () -> {
          a.gateway
              .database()
              .pool()
              .preparedQuery(
                  "SELECT id FROM notification_delivery WHERE lease_owner = $1"
                      + " AND status = 'pending'")
              .execute(Tuple.of(dying))
              .await()
              .forEach(r -> heldByB.add(r.getLong(0)));
          return !heldByB.isEmpty();
        },
        Duration.ofSeconds(20));
    // B dies: its pool and HTTP client go with its Vert.x, nothing it holds is settled.
    bDied = true;
    b.vertx.close().await();

    Map<Long, String> rows = rows("takeover-");
    assertThat(rows).hasSize(20 * SUBSCRIPTIONS);
    await(
        () -> rows("takeover-").values().stream().allMatch("delivered"::equals),
        Duration.ofSeconds(30));

    List<Received> got = received.stream().filter(r -> rows.containsKey(r.row())).toList();
    assertThat(got.stream().map(Received::row).collect(Collectors.toSet()))
        .containsExactlyInAnyOrderElementsOf(rows.keySet());
    Map<String, String> bodies = new HashMap<>();
    for (Received r : got) {
      String before = bodies.putIfAbsent(r.idempotencyKey(), r.body());
      assertThat(before == null || before.equals(r.body()))
          .as("a repeat of %s is the same bytes", r.idempotencyKey())
          .isTrue();
    }
    String survivor = a.gateway.delivery().owner();
    // B was never answered, so every delivery it held was A's to deliver.
    assertThat(
            got.stream()
                .filter(r -> survivor.equals(r.leaseOwner()))
                .map(Received::row)
                .collect(Collectors.toSet()))
        .as("A sent what B held when it died")
        .containsAll(heldByB);
  }
}
