package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.policy.identity.SigningKey;

/**
 * Tell us once from the README: the demo's printed curl lines subscribe and report a move at the
 * council; the GP practice's and the housing association's receivers get a signed notification that
 * verifies against the gateway's JWKS; the police, whom no agreement names a recipient, could not
 * subscribe (their token has no Patient scope), and their receiver gets nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DemoTellUsOnceTest {

  private static final Pattern CURL_LINE = Pattern.compile("(?m)^curl -s (.+)$");
  private static final Pattern HEADER = Pattern.compile("-H '([^:']+): ([^']*)'");
  private static final Pattern METHOD = Pattern.compile("-X (\\w+)");
  private static final Pattern DATA = Pattern.compile("-d '([^']*)'");
  private static final Pattern URL = Pattern.compile("'?(http://\\S+?)'?(?: |$)");

  /** The person the agencies hold (AgencyPopulation.DEMO_PERSON of the demo's people). */
  private static final String DEMO_PERSON = "9990000301";

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static final HttpClient http = HttpClient.newHttpClient();
  private static Path folder;
  private static Demo demo;
  private static String output;

  @BeforeAll
  static void startDemo() throws Exception {
    // Under target/ (not @TempDir): its folders must be enterable by the server user under root.
    folder = Files.createDirectories(Path.of("target", "demo-tell-" + System.nanoTime()));
    Clock clock = Clock.systemUTC();
    demo = Demo.start(new DemoFolder(folder), "127.0.0.1", freePort(), clock);
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    demo.printTellUsOnce(new PrintStream(buffer, true, StandardCharsets.UTF_8), clock);
    output = buffer.toString(StandardCharsets.UTF_8);
  }

  @AfterAll
  static void stopDemo() throws Exception {
    if (demo != null) {
      demo.close();
    }
  }

  @Test
  @Order(1)
  void demo_councilReportsAMove_gpAndHousingToldSigned_policeCouldNotSubscribe() throws Exception {
    List<String> lines = CURL_LINE.matcher(output).results().map(m -> m.group(1)).toList();
    String report = only(lines, "/events ");
    String audit = only(lines, "/audit/events");
    DemoReceiver gp = demo.tellUsOnce.receiver(DemoTellUsOnce.GP);
    DemoReceiver housing = demo.tellUsOnce.receiver(DemoTellUsOnce.HOUSING);
    DemoReceiver police = demo.tellUsOnce.receiver(DemoTellUsOnce.POLICE);
    String event = demo.tellUsOnce.eventId();

    // A newcomer runs one line: the subscriptions were made at start.
    assertThat(run(report).statusCode()).isEqualTo(201);
    await(() -> deliveries(audit).size() == 2);
    for (DemoReceiver told : List.of(gp, housing)) {
      assertThat(told.deliveries())
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.verified()).isTrue();
                assertThat(d.repeat()).isFalse();
                assertThat(d.kind()).isEqualTo("address-changed");
                assertThat(d.eventId()).isEqualTo(event);
                assertThat(d.line())
                    .endsWith(
                        ": address-changed, event " + event + ", signature ok, first delivery")
                    .doesNotContain(DEMO_PERSON);
              });
    }
    assertThat(gp.deliveries().get(0).line()).startsWith("[tell us once] GP practice Y90001: ");
    assertThat(housing.deliveries().get(0).line())
        .startsWith("[tell us once] housing association GHA01: ");
    // The police could not subscribe (their token has no Patient scope): never sent anything.
    assertThat(demo.tellUsOnce.subscription(DemoTellUsOnce.POLICE)).isNull();
    assertThat(police.deliveries()).isEmpty();
    JsonArray audited = deliveries(audit);
    assertThat(outcomes(audited, "police-notify")).isEmpty();
    assertThat(outcomes(audited, "gp-notify")).containsExactly("permitted");
    assertThat(outcomes(audited, "housing-notify")).containsExactly("permitted");
    // The printed example line is what the receiver printed.
    assertThat(output).contains("#   " + housing.deliveries().get(0).line());

    // The same report again: the same event, nothing sent twice.
    assertThat(run(report).statusCode()).isEqualTo(200);

    // The printed lines are the ones the demo ran at start: a Group may be registered again, a
    // subscription made again is a duplicate (409), so each agency still has one; the police's
    // is refused again (403), as the line says.
    for (String line : lines) {
      if (line.contains("/fhir/Group ")) {
        HttpResponse<String> made = run(line);
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
      } else if (line.contains("/fhir/Subscription ") && line.contains("/police")) {
        HttpResponse<String> refused = run(line);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        assertThat(refused.body()).contains("does not grant Patient");
      } else if (line.contains("/fhir/Subscription ")) {
        HttpResponse<String> again = run(line);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
        assertThat(again.body()).contains("OperationOutcome").contains("duplicate");
      }
    }
    // A second move (the printed line with a new event id): told once per subscription.
    assertThat(run(report.replace(event, event + "-2")).statusCode()).isEqualTo(201);
    await(() -> deliveries(audit).size() == 2 + 2);
    for (DemoReceiver told : List.of(gp, housing)) {
      assertThat(told.deliveries()).hasSize(2).allMatch(d -> d.verified() && !d.repeat());
      assertThat(told.deliveries().stream().map(DemoReceiver.Delivery::idempotencyKey))
          .doesNotHaveDuplicates();
    }
    assertThat(police.deliveries()).isEmpty();
    assertThat(outcomes(deliveries(audit), "police-notify")).isEmpty();
  }

  /**
   * A signed notification replayed: one the housing association was sent, posted to the GP
   * practice's receiver, is refused (signed for another destination and subscription); posted to
   * the housing association again under a new Idempotency-Key header, it is a repeat (the receiver
   * dedupes on the signed Bundle.id).
   */
  @Test
  @Order(2)
  void replay_notificationSignedForOneAgency_isRefusedByAnother_andUnderANewKeyIsARepeat()
      throws Exception {
    List<String> lines = CURL_LINE.matcher(output).results().map(m -> m.group(1)).toList();
    String event = demo.tellUsOnce.eventId() + "-replay";
    assertThat(run(only(lines, "/events ").replace(demo.tellUsOnce.eventId(), event)).statusCode())
        .isEqualTo(201);
    DemoReceiver gp = demo.tellUsOnce.receiver(DemoTellUsOnce.GP);
    DemoReceiver housing = demo.tellUsOnce.receiver(DemoTellUsOnce.HOUSING);
    await(() -> housing.deliveries().stream().anyMatch(d -> event.equals(d.eventId())));
    DemoReceiver.Delivery sent =
        housing.deliveries().stream().filter(d -> event.equals(d.eventId())).findFirst().get();

    int toGp = post(gp, "replayed-" + System.nanoTime(), sent.body(), sent.signature());
    int again = post(housing, "replayed-" + System.nanoTime(), sent.body(), sent.signature());

    assertThat(toGp).isEqualTo(403);
    assertThat(gp.deliveries().get(gp.deliveries().size() - 1))
        .satisfies(
            d -> {
              assertThat(d.verified()).isFalse();
              assertThat(d.line())
                  .isEqualTo(
                      "[tell us once] GP practice Y90001: refused, signed for another receiver"
                          + " (destination)");
            });
    assertThat(again).isEqualTo(200);
    assertThat(housing.deliveries().get(housing.deliveries().size() - 1))
        .satisfies(
            d -> {
              assertThat(d.idempotencyKey()).isNotEqualTo(sent.idempotencyKey());
              assertThat(d.notificationId()).isEqualTo(sent.notificationId());
              assertThat(d.repeat()).isTrue();
              assertThat(d.line()).endsWith(", repeat (already processed)");
            });
  }

  @Test
  void receiver_checksSignatureTypeDestinationSubscriptionAndAge_andDedupesOnTheSignedId()
      throws Exception {
    Clock clock = Clock.systemUTC();
    // A receiver of the demo's kind, checking against the demo gateway's JWKS.
    try (DemoReceiver receiver =
        DemoReceiver.start(
            "test agency",
            "/test",
            URI.create(demo.baseUrl()),
            () ->
                TokenCommand.fetch(
                    demo.folder,
                    demo.baseUrl(),
                    DemoClient.HOUSING_NOTIFY,
                    DemoTellUsOnce.PURPOSE,
                    clock),
            clock,
            new PrintStream(OutputStream.nullOutputStream()))) {
      receiver.subscribed("sub-1");
      SigningKey gateway = SigningKey.readPrivatePem(folder.resolve("keys/gateway.key.pem"));
      URI own = receiver.endpoint();
      Instant now = clock.instant();
      String body = notification(own, "Subscription/sub-1", "n-1", now, "e-1");
      String other = notification(own, "Subscription/sub-1", "n-2", now, "e-2");

      assertThat(post(receiver, "k-1", body, signed(gateway, body))).isEqualTo(200);
      assertThat(post(receiver, "k-1", body, signed(gateway, body))).isEqualTo(200);
      // A signature over another body; a key the gateway's JWKS does not hold; another type.
      assertThat(post(receiver, "k-2", other, signed(gateway, body))).isEqualTo(401);
      assertThat(post(receiver, "k-3", body, signed(SigningKey.generate(), body))).isEqualTo(401);
      assertThat(
              post(
                  receiver,
                  "k-4",
                  body,
                  gateway.signDetached(
                      com.nimbusds.jose.JOSEObjectType.JWT, body.getBytes(StandardCharsets.UTF_8))))
          .isEqualTo(401);
      // Signed by the gateway, and for another receiver or another subscription, or too old.
      String elsewhere =
          notification(URI.create(own + "-other"), "Subscription/sub-1", "n-5", now, "e-5");
      String theirs =
          notification(own, "Subscription/00000000-0000-0000-0000-000000000000", "n-6", now, "e-6");
      String stale =
          notification(
              own,
              "Subscription/sub-1",
              "n-7",
              now.minus(DemoReceiver.MAX_AGE).minusSeconds(60),
              "e-7");
      assertThat(post(receiver, "k-5", elsewhere, signed(gateway, elsewhere))).isEqualTo(403);
      assertThat(post(receiver, "k-6", theirs, signed(gateway, theirs))).isEqualTo(403);
      assertThat(post(receiver, "k-7", stale, signed(gateway, stale))).isEqualTo(400);

      assertThat(receiver.deliveries())
          .extracting(DemoReceiver.Delivery::line)
          .containsExactly(
              "[tell us once] test agency: died, event e-1, signature ok, first delivery",
              "[tell us once] test agency: died, event e-1, signature ok, repeat (already"
                  + " processed)",
              "[tell us once] test agency: refused, signature FAILED",
              "[tell us once] test agency: refused, signature FAILED",
              "[tell us once] test agency: refused, signature FAILED",
              "[tell us once] test agency: refused, signed for another receiver (destination)",
              "[tell us once] test agency: refused, not one of its subscriptions",
              "[tell us once] test agency: refused, older than 24 hours");
    }
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void restart_endsTheLastStartsSubscriptionsAndMakesNewOnes() throws Exception {
    Clock clock = Clock.systemUTC();
    String before = demo.tellUsOnce.subscription(DemoTellUsOnce.HOUSING);
    demo.close();
    demo = Demo.start(new DemoFolder(folder), "127.0.0.1", freePort(), clock);
    String token =
        TokenCommand.fetch(
            demo.folder, demo.baseUrl(), DemoClient.HOUSING_NOTIFY, DemoTellUsOnce.PURPOSE, clock);

    // The old one pointed at a receiver that is gone: deleted, so nothing is sent to it.
    assertThat(subscription(before, token)).isEqualTo(404);
    String after = demo.tellUsOnce.subscription(DemoTellUsOnce.HOUSING);
    assertThat(after).isNotEqualTo(before);
    assertThat(subscription(after, token)).isEqualTo(200);
  }

  private static int subscription(String id, String token) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(demo.baseUrl() + "/fhir/Subscription/" + id))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /**
   * A notification shaped as the gateway's ({@code Notification}): what a receiver checks of it.
   */
  private static String notification(
      URI destination, String subscription, String id, Instant timestamp, String eventId) {
    return new JsonObject()
        .put("resourceType", "Bundle")
        .put("id", id)
        .put("type", "message")
        .put("timestamp", timestamp.toString())
        .put(
            "entry",
            new JsonArray()
                .add(
                    new JsonObject()
                        .put(
                            "resource",
                            new JsonObject()
                                .put("resourceType", "MessageHeader")
                                .put("eventCoding", new JsonObject().put("code", "died"))
                                .put(
                                    "destination",
                                    new JsonArray()
                                        .add(
                                            new JsonObject()
                                                .put("endpoint", destination.toString())))))
                .add(
                    new JsonObject()
                        .put(
                            "resource",
                            new JsonObject()
                                .put("resourceType", "Parameters")
                                .put(
                                    "parameter",
                                    new JsonArray()
                                        .add(
                                            new JsonObject()
                                                .put("name", "event-id")
                                                .put("valueString", eventId))
                                        .add(
                                            new JsonObject()
                                                .put("name", "subscription")
                                                .put(
                                                    "valueReference",
                                                    new JsonObject()
                                                        .put("reference", subscription)))))))
        .encode();
  }

  private static String signed(SigningKey key, String body) throws Exception {
    return key.signDetached(DeliveryWorker.SIGNATURE_TYPE, body.getBytes(StandardCharsets.UTF_8));
  }

  private static int post(DemoReceiver receiver, String key, String body, String signature)
      throws Exception {
    return http.send(
            HttpRequest.newBuilder(receiver.endpoint())
                .header("Content-Type", "application/fhir+json")
                .header("Idempotency-Key", key)
                .header(DeliveryWorker.SIGNATURE_HEADER, signature)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** The outcomes of one client's deliveries in the audit trail, newest first. */
  private static List<String> outcomes(JsonArray events, String client) {
    return events.stream()
        .map(JsonObject.class::cast)
        .filter(e -> e.getJsonObject("detail").getString("detail").contains(" of " + client + " "))
        .map(e -> e.getString("outcome"))
        .toList();
  }

  /** The audit trail's delivery events, as the printed IG line reads them. */
  private static JsonArray deliveries(String auditLine) {
    try {
      return new JsonObject(run(auditLine).body()).getJsonArray("events");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String only(List<String> lines, String containing) {
    List<String> found = lines.stream().filter(l -> l.contains(containing)).toList();
    assertThat(found).as(containing).hasSize(1);
    return found.get(0);
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited " + WAIT).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** Runs one printed curl command line (-X, -H, -d and a URL) with Java's HTTP client. */
  private static HttpResponse<String> run(String arguments) throws Exception {
    Matcher url = URL.matcher(arguments.replaceAll("-[HXd] ('[^']*'|\\w+)", ""));
    assertThat(url.find()).as(arguments).isTrue();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url.group(1).replace("\\$", "$")));
    Matcher header = HEADER.matcher(arguments);
    while (header.find()) {
      request.header(header.group(1), header.group(2));
    }
    Matcher data = DATA.matcher(arguments);
    Matcher method = METHOD.matcher(arguments);
    if (data.find()) {
      request.POST(HttpRequest.BodyPublishers.ofString(data.group(1)));
    } else if (method.find()) {
      request.method(method.group(1), HttpRequest.BodyPublishers.noBody());
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
