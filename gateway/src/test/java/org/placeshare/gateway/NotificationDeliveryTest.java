package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.Notifications.Received;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * Issue 19, delivery: the outbox on the real gateway and PostgreSQL, delivering to a real Vert.x
 * receiver on loopback registered as the subscribers' notification host. The worker's timer is
 * slowed right down and each test drives its rounds, so what happens between an event and its
 * delivery is the test's to say; retries wait 50 ms.
 */
class NotificationDeliveryTest {

  static final DeliveryWorker.Settings FAST = Notifications.FAST;

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static org.placeshare.fhir.synthetic.FhirSourceServer councilSource;
  static SigningKey reporterKey;
  static Notifications.Receiver receiver;

  @BeforeAll
  static void start() throws Exception {
    reporterKey = Notifications.reporterKey(dir);
    // The gateway asks a source whether it holds the person before it takes an event: the
    // council's source is up here (the fixture's is down) and holds every synthetic person.
    councilSource = GatewayFixture.liveCouncilSource();
    fixture = Notifications.start(dir, councilSource, FAST);
    receiver = Notifications.Receiver.start(fixture.vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    Notifications.stop(receiver, fixture, councilSource);
  }

  private static NhsNumber person(int i) throws Exception {
    NhsNumber n = fixture.people.get(i).nhsNumber();
    setOptOut(n, false);
    return n;
  }

  private static void setOptOut(NhsNumber n, boolean optedOut) {
    Notifications.setOptOut(fixture, n, optedOut);
  }

  /** The council subscribes to changes of address of a cohort of one, to this receiver path. */
  private static String councilSubscribes(NhsNumber person, String path) throws Exception {
    return cohortSubscribes(GatewayFixture.COUNCIL_CLIENT, person, path);
  }

  /** This client subscribes, for HOPERAT, to changes of address of a cohort of one. */
  private static String cohortSubscribes(String client, NhsNumber person, String path)
      throws Exception {
    return cohortSubscribes(client, person, path, receiver.port());
  }

  /** As above, to a receiver on this loopback port. */
  private static String cohortSubscribes(
      String client, NhsNumber person, String path, int receiverPort) throws Exception {
    return Notifications.subscribesToMoves(
        fixture, client, List.of(person), "http://127.0.0.1:" + receiverPort + path);
  }

  private static String subscribe(String token, String criteria, String path) throws Exception {
    return Notifications.subscribed(fixture, token, criteria, receiver.endpoint(path));
  }

  private static void report(String id, NhsNumber person) throws Exception {
    Notifications.report(fixture, reporterKey, Notifications.moved(id, person));
  }

  /** The delivery of this subscription's only event: status, attempts, last error. */
  private static Row delivery(String subscription) {
    return Notifications.delivery(fixture, subscription);
  }

  /** Runs delivery rounds until the condition holds, as the timer would, for at most 5 s. */
  private static void deliverUntil(BooleanSupplier done) throws Exception {
    Notifications.deliverUntil(fixture, Duration.ofSeconds(5), done);
  }

  private static List<Received> at(String path) {
    return receiver.at(path);
  }

  private static String auditOf(String subscription) throws Exception {
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    HttpResponse<String> audit = fixture.get("/audit/events?action=" + DeliveryWorker.ACTION, ig);
    assertThat(audit.statusCode()).as(audit.body()).isEqualTo(200);
    return audit.body();
  }

  @Test
  void deliver_matchingEvent_reachesTheSubscriberSignedWithTheJwksKey() throws Exception {
    NhsNumber person = person(1);
    String subscription = councilSubscribes(person, "/signed");

    report("move-signed", person);
    deliverUntil(() -> !at("/signed").isEmpty());

    Received got = at("/signed").get(0);
    JsonObject bundle = new JsonObject(got.body());
    assertThat(bundle.getString("resourceType")).isEqualTo("Bundle");
    assertThat(bundle.getString("type")).isEqualTo("message");
    assertThat(got.body())
        .contains(person.toString())
        .contains("address-changed")
        .contains("CV1 2AB");
    assertThat(got.idempotencyKey()).isEqualTo(delivery(subscription).getString("idempotency_key"));
    JWKSet jwks = JWKSet.parse(fixture.get("/.well-known/jwks.json").body());
    JWSObject jws = JWSObject.parse(got.signature(), new Payload(got.body()));
    ECKey key = (ECKey) jwks.getKeyByKeyId(jws.getHeader().getKeyID());
    assertThat(key).as("the signing key is in the JWKS").isNotNull();
    assertThat(jws.verify(new ECDSAVerifier(key))).isTrue();
    JWSObject tampered =
        JWSObject.parse(got.signature(), new Payload(got.body().replace("CV1 2AB", "CV9 9ZZ")));
    assertThat(tampered.verify(new ECDSAVerifier(key))).isFalse();
    assertThat(delivery(subscription).getString("status")).isEqualTo("delivered");
    assertThat(auditOf(subscription))
        .contains(subscription + " of council-intel (E08000026): delivered");
    // The IG lead finds what an organisation was told by searching for it.
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    JsonObject byOrganisation =
        new JsonObject(
            fixture
                .get(
                    "/audit/events?action="
                        + DeliveryWorker.ACTION
                        + "&organisation=E08000026&client=council-intel",
                    ig)
                .body());
    assertThat(byOrganisation.encode()).contains(subscription + " of council-intel");
  }

  @Test
  void deliver_idempotencyKey_isRandomAndTellsNothingOfTheEventSequence() throws Exception {
    // Two subscriptions to one event: each row its own key, neither built from the event's
    // sequence number (which would tell a receiver how many events the gateway takes).
    NhsNumber person = person(7);
    String first = councilSubscribes(person, "/key-1");
    String second = cohortSubscribes(GatewayFixture.AE_CLIENT, person, "/key-2");
    report("move-key", person);
    deliverUntil(() -> !at("/key-1").isEmpty() && !at("/key-2").isEmpty());

    long seq =
        fixture
            .gateway
            .database()
            .pool()
            .preparedQuery("SELECT seq FROM notification_event WHERE event_id = 'move-key'")
            .execute()
            .await()
            .iterator()
            .next()
            .getLong("seq");
    String uuid = "ps-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    String one = at("/key-1").get(0).idempotencyKey();
    String two = at("/key-2").get(0).idempotencyKey();
    assertThat(one).matches(uuid).isEqualTo(delivery(first).getString("idempotency_key"));
    assertThat(two).matches(uuid).isEqualTo(delivery(second).getString("idempotency_key"));
    assertThat(one).isNotEqualTo(two).doesNotContain(first).doesNotContain("-" + seq + "-");
    assertThat(new JsonObject(at("/key-1").get(0).body()).getString("id"))
        .as("Bundle.id is the key")
        .isEqualTo(one);
  }

  @Test
  void deliver_optOutRegisteredAfterTheEvent_isNotDeliveredAndAuditedAsRefused() throws Exception {
    // The trust, for HOPERAT (not care, so the opt-out applies; to the council's own records it
    // would not).
    NhsNumber person = person(2);
    String subscription = cohortSubscribes(GatewayFixture.AE_CLIENT, person, "/opted-out");
    report("move-opted-out", person);

    setOptOut(person, true);
    deliverUntil(() -> !delivery(subscription).getString("status").equals("pending"));

    assertThat(delivery(subscription).getString("status")).isEqualTo("refused");
    assertThat(at("/opted-out")).isEmpty();
    assertThat(auditOf(subscription))
        .contains(subscription + " of coventry-ae (R9A): refused at delivery");
  }

  @Test
  void deliver_receiverAnswering503Then200_getsItOnRetryWithTheSameIdempotencyKey()
      throws Exception {
    NhsNumber person = person(3);
    receiver.answer("/flaky", n -> n == 1 ? 503 : 200);
    String subscription = councilSubscribes(person, "/flaky");

    report("move-flaky", person);
    deliverUntil(() -> delivery(subscription).getString("status").equals("delivered"));

    List<Received> got = at("/flaky");
    assertThat(got).hasSize(2);
    assertThat(got.get(1).idempotencyKey()).isEqualTo(got.get(0).idempotencyKey());
    assertThat(got.get(1).body()).as("a retry is the same bytes").isEqualTo(got.get(0).body());
    assertThat(delivery(subscription).getInteger("attempts")).isEqualTo(2);
  }

  @Test
  void deliver_receiverNeverSucceeding_goesDeadAfterTheNamedTriesWhileAnotherGetsTheirs()
      throws Exception {
    NhsNumber person = person(4);
    receiver.answer("/down", n -> 503);
    String dead = councilSubscribes(person, "/down");
    fixture
        .gateway
        .database()
        .pool()
        .preparedQuery(
            "INSERT INTO care_relationship (nhs_number, organisation, kind, recorded_at)"
                + " VALUES ($1, 'R9A', 'inpatient', now())")
        .execute(Tuple.of(person.toString()))
        .await();
    String trust = fixture.token(GatewayFixture.AE_CLIENT, "subscriber", "TREAT");
    String alive =
        subscribe(trust, "Patient?_event=address-changed&_cohort=care-relationship", "/up");

    report("move-dead", person);
    deliverUntil(() -> delivery(dead).getString("status").equals("dead"));

    assertThat(at("/down")).hasSize(FAST.maxAttempts());
    assertThat(delivery(dead).getInteger("attempts")).isEqualTo(FAST.maxAttempts());
    assertThat(delivery(dead).getString("last_error")).isEqualTo("receiver answered 503");
    assertThat(delivery(alive).getString("status")).isEqualTo("delivered");
    assertThat(at("/up")).hasSize(1);
  }

  @Test
  void deliver_redirectToAnotherHost_isNotFollowed() throws Exception {
    NhsNumber person = person(5);
    receiver.answer("/moved", n -> 302);
    String subscription = councilSubscribes(person, "/moved");

    report("move-redirect", person);
    deliverUntil(() -> delivery(subscription).getInteger("attempts") >= 1);

    assertThat(at("/moved")).hasSize(1);
    assertThat(at("/elsewhere")).isEmpty();
    assertThat(delivery(subscription).getString("status")).isEqualTo("pending");
    assertThat(delivery(subscription).getString("last_error")).isEqualTo("receiver answered 302");
  }

  @Test
  void
      deliver_receiverRefusingConnectionsThenBackOnItsPort_getsEverythingInOrder_whileADeadOneDoesNotHoldItUp()
          throws Exception {
    NhsNumber person = person(6);
    int backPort = freePort();
    int neverPort = freePort();
    String back = cohortSubscribes(GatewayFixture.COUNCIL_CLIENT, person, "/back", backPort);
    String never = cohortSubscribes(GatewayFixture.AE_CLIENT, person, "/never", neverPort);
    List<String> moves = List.of("move-back-1", "move-back-2", "move-back-3");
    for (String move : moves) {
      report(move, person);
    }

    // Nothing listens on either port: the first of each is tried and refused, the rest wait.
    fixture.gateway.delivery().deliverDue().await();
    assertThat(deliveries(back).get(0).getInteger("attempts")).isEqualTo(1);
    assertThat(deliveries(back).get(0).getString("last_error")).startsWith("request failed");
    Queue<String> arrived = new ConcurrentLinkedQueue<>();
    HttpServer restarted =
        Notifications.listen(
            fixture.vertx,
            backPort,
            req ->
                req.body()
                    .onSuccess(
                        body -> {
                          arrived.add(req.getHeader("Idempotency-Key") + " " + body);
                          req.response().setStatusCode(200).end();
                        }));
    try {
      deliverUntil(
          () ->
              deliveries(back).stream().allMatch(r -> r.getString("status").equals("delivered"))
                  && deliveries(never).stream()
                      .allMatch(r -> r.getString("status").equals("dead")));
    } finally {
      restarted.close().await();
    }

    List<String> keys = deliveries(back).stream().map(r -> r.getString("idempotency_key")).toList();
    assertThat(arrived.stream().map(a -> a.substring(0, a.indexOf(' '))).toList())
        .as("each once, in the order the events arrived")
        .containsExactlyElementsOf(keys);
    List<String> order = new ArrayList<>();
    for (String a : arrived) {
      moves.stream().filter(m -> a.contains("\"" + m + "\"")).forEach(order::add);
    }
    assertThat(order).containsExactlyElementsOf(moves);
    assertThat(deliveries(never))
        .hasSize(3)
        .allSatisfy(r -> assertThat(r.getInteger("attempts")).isEqualTo(FAST.maxAttempts()));
  }

  private static int freePort() throws java.io.IOException {
    try (var socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** This subscription's deliveries, in the order their events arrived. */
  private static List<Row> deliveries(String subscription) {
    return Notifications.deliveries(fixture, subscription);
  }
}
