package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * Issue 19, deliveries made visible: {@code /metrics} and the IG console's Notifications page over
 * one outbox made by the real code paths (events posted, subscriptions made and deliveries tried
 * through the real gateway, to a real receiver on loopback): one delivery dead after its tries, one
 * delivered, one refused at delivery (an opt-out), one pending, and one event sent twice.
 */
class NotificationOversightTest {

  static final String REPORTER = "council-events";

  /** Three tries, 50 ms then 100 ms apart; the timer is left to the test. */
  static final DeliveryWorker.Settings FAST =
      new DeliveryWorker.Settings(
          Duration.ofHours(1),
          20,
          Duration.ofSeconds(10),
          Duration.ofSeconds(2),
          Duration.ofMillis(50),
          Duration.ofMillis(200),
          3);

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static final SigningKey reporterKey = SigningKey.generate();
  static HttpServer receiver;
  static org.placeshare.fhir.synthetic.FhirSourceServer councilSource;
  static int port;
  static final List<NhsNumber> people = new ArrayList<>();
  static String deadSubscription;
  static String deliveredSubscription;
  static String refusedSubscription;
  static String pendingSubscription;
  // One instant for every event, so a resend is the same event.
  static final Instant OCCURRED = GatewayFixture.CLOCK.instant().minusSeconds(60);

  @BeforeAll
  static void start() throws Exception {
    reporterKey.writePem(dir.resolve("ce.key.pem"), dir.resolve("ce.pub.pem"));
    councilSource = GatewayFixture.liveCouncilSource();
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> {
              List<GatewayConfig.Client> clients = new ArrayList<>();
              for (GatewayConfig.Client client : c.clients()) {
                clients.add(
                    switch (client.id()) {
                      case GatewayFixture.COUNCIL_CLIENT, GatewayFixture.AE_CLIENT ->
                          subscriber(client);
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
              return GatewayFixture.withCouncilSourceAt(
                  GatewayFixture.withClients(c, clients), councilSource);
            },
            FAST);
    fixture.addAgreement("notify-test.yaml");
    assertThat(fixture.gateway.policy().status().lastError()).isEmpty();
    receiver =
        fixture
            .vertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            b ->
                                req.response()
                                    .setStatusCode(req.path().equals("/down") ? 503 : 200)
                                    .end()))
            .listen(0, "127.0.0.1")
            .await();
    port = receiver.actualPort();
    for (int i = 1; i <= 4; i++) {
      NhsNumber n = fixture.people.get(i).nhsNumber();
      setOptOut(n, false);
      people.add(n);
    }

    deadSubscription = cohortSubscribes(GatewayFixture.COUNCIL_CLIENT, people.get(0), "/down");
    deliveredSubscription = cohortSubscribes(GatewayFixture.COUNCIL_CLIENT, people.get(1), "/up");
    refusedSubscription = cohortSubscribes(GatewayFixture.AE_CLIENT, people.get(2), "/refused");
    pendingSubscription = cohortSubscribes(GatewayFixture.COUNCIL_CLIENT, people.get(3), "/later");

    report("ov-dead", people.get(0));
    report("ov-delivered", people.get(1));
    report("ov-delivered", people.get(1)); // a resend: 200, nothing new
    report("ov-refused", people.get(2));
    setOptOut(people.get(2), true);
    deliverUntil(
        () ->
            status(deadSubscription).equals("dead")
                && status(deliveredSubscription).equals("delivered")
                && status(refusedSubscription).equals("refused"));
    // Reported after the last round: it waits.
    report("ov-pending", people.get(3));
  }

  @AfterAll
  static void stop() throws Exception {
    if (councilSource != null) {
      councilSource.close();
    }
    if (receiver != null) {
      receiver.close().await();
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  private static GatewayConfig.Client subscriber(GatewayConfig.Client c) {
    Set<String> roles = new HashSet<>(c.roles());
    roles.add("subscriber");
    roles.add("analyst");
    Set<String> purposes = new HashSet<>(c.purposes());
    purposes.add("HOPERAT");
    return new GatewayConfig.Client(
            c.id(), c.organisation(), c.publicKey(), purposes, roles, c.status())
        .withNotificationHosts(Set.of("127.0.0.1"));
  }

  private static void setOptOut(NhsNumber n, boolean optedOut) {
    fixture
        .gateway
        .database()
        .pool()
        .preparedQuery(
            "INSERT INTO patient_register (nhs_number, opted_out, restricted, updated_at)"
                + " VALUES ($1, $2, false, now()) ON CONFLICT (nhs_number)"
                + " DO UPDATE SET opted_out = $2, restricted = false")
        .execute(Tuple.of(n.toString(), optedOut))
        .await();
  }

  /** This client subscribes, for HOPERAT, to changes of address of a cohort of one. */
  private static String cohortSubscribes(String client, NhsNumber person, String path)
      throws Exception {
    String analyst = fixture.token(client, "analyst", "HOPERAT");
    JsonObject member =
        new JsonObject()
            .put(
                "entity",
                new JsonObject()
                    .put(
                        "identifier",
                        new JsonObject()
                            .put("system", Fhir.NHS_NUMBER_SYSTEM)
                            .put("value", person.toString())));
    HttpResponse<String> group =
        fixture.post(
            "/fhir/Group",
            analyst,
            new JsonObject()
                .put("resourceType", "Group")
                .put("type", "person")
                .put("actual", true)
                .put("member", new JsonArray().add(member))
                .encode());
    assertThat(group.statusCode()).as(group.body()).isEqualTo(201);
    HttpResponse<String> r =
        fixture.post(
            "/fhir/Subscription",
            fixture.token(client, "subscriber", "HOPERAT"),
            SubscriptionTest.subscription(
                "Patient?_event=address-changed&_cohort=Group/"
                    + new JsonObject(group.body()).getString("id"),
                "http://127.0.0.1:" + port + path));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return new JsonObject(r.body()).getString("id");
  }

  private static void report(String id, NhsNumber person) throws Exception {
    HttpResponse<String> t =
        fixture.tokenRequest(
            fixture.assertion(REPORTER, reporterKey, "feed", "event-reporter", "HOPERAT"));
    assertThat(t.statusCode()).as(t.body()).isEqualTo(200);
    JsonObject event =
        new JsonObject()
            .put("id", id)
            .put("kind", "address-changed")
            .put("nhsNumber", person.toString())
            .put("source", "council-asc")
            .put("occurredAt", OCCURRED.toString())
            .put(
                "change",
                new JsonObject()
                    .put("postcode", "CV1 2AB")
                    .put("lines", new JsonArray().add("12 Spon Street").add("Coventry")));
    HttpResponse<String> posted =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(fixture.url("/events"))
                    .header(
                        "Authorization",
                        "Bearer " + new JsonObject(t.body()).getString("access_token"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(event.encode()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(posted.statusCode()).as(posted.body()).isIn(200, 201);
  }

  private static Row delivery(String subscription) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery(
            "SELECT id, status, idempotency_key FROM notification_delivery"
                + " WHERE subscription_id = $1")
        .execute(Tuple.of(UUID.fromString(subscription)))
        .await()
        .iterator()
        .next();
  }

  private static String status(String subscription) {
    return delivery(subscription).getString("status");
  }

  private static void deliverUntil(BooleanSupplier done) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as("delivery did not settle in time").isLessThan(until);
      fixture.gateway.delivery().deliverDue().await();
      Thread.sleep(20);
    }
  }

  /** One sample's value in a Prometheus scrape. */
  private static double sample(String scrape, String series) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.Ee+-]+)$").matcher(scrape);
    assertThat(m.find()).as(series + " in the scrape").isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static String consoleCookie() throws Exception {
    String token = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    HttpResponse<String> signedIn =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(fixture.url("/console/session"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  private static HttpResponse<String> console(String path, String cookie) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(fixture.url(path)).GET();
    if (cookie != null) {
      r.header("Cookie", cookie);
    }
    return HttpClient.newHttpClient().send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metrics_countDeliveryOutcomesAndEvents_andGaugePendingAndDeadFromTheTable()
      throws Exception {
    HttpResponse<String> r = fixture.management("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    String scrape = r.body();
    // Dead after three tries: two failed tries, then dead.
    assertThat(sample(scrape, "placeshare_notifications_deliveries_total{outcome=\"failed-try\"}"))
        .isEqualTo(2.0);
    assertThat(sample(scrape, "placeshare_notifications_deliveries_total{outcome=\"dead\"}"))
        .isEqualTo(1.0);
    assertThat(sample(scrape, "placeshare_notifications_deliveries_total{outcome=\"delivered\"}"))
        .isEqualTo(1.0);
    assertThat(sample(scrape, "placeshare_notifications_deliveries_total{outcome=\"refused\"}"))
        .isEqualTo(1.0);
    assertThat(
            sample(
                scrape,
                "placeshare_notifications_events_total{kind=\"address-changed\",outcome=\"new\"}"))
        .isEqualTo(4.0);
    assertThat(
            sample(
                scrape,
                "placeshare_notifications_events_total{kind=\"address-changed\",outcome=\"repeat\"}"))
        .isEqualTo(1.0);
    assertThat(sample(scrape, "placeshare_notifications_pending")).isEqualTo(1.0);
    assertThat(sample(scrape, "placeshare_notifications_dead")).isEqualTo(1.0);
    for (NhsNumber p : people) {
      assertThat(scrape).doesNotContain(p.toString());
    }
  }

  @Test
  void console_notifications_showsDeadLettersFirst_pendingAndSubscriptions_withoutNhsNumbers()
      throws Exception {
    assertThat(console("/console/notifications", null).statusCode())
        .as("no session: sent to sign in")
        .isIn(303, 401, 403);

    String cookie = consoleCookie();
    HttpResponse<String> r = console("/console/notifications", cookie);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String page = r.body();
    String deadKey = delivery(deadSubscription).getString("idempotency_key");
    String pendingKey = delivery(pendingSubscription).getString("idempotency_key");
    assertThat(page)
        .contains("<a href=\"/console/notifications\">Notifications</a>")
        .contains("Dead letters (1)")
        .contains("Pending (1)")
        .contains(deadKey)
        .contains("receiver answered 503")
        .contains(pendingKey)
        .contains(deadSubscription)
        .contains(refusedSubscription)
        .contains("127.0.0.1")
        .contains("address-changed");
    assertThat(page.indexOf(deadKey))
        .as("dead letters come before what is pending")
        .isLessThan(page.indexOf(pendingKey));
    // The delivered and refused rows are counted, not listed.
    assertThat(page)
        .doesNotContain(delivery(deliveredSubscription).getString("idempotency_key"))
        .doesNotContain(delivery(refusedSubscription).getString("idempotency_key"));
    for (NhsNumber p : people) {
      assertThat(page).doesNotContain(p.toString()).doesNotContain(p.formatted());
    }

    // The dead letter's audit trail, one click away, names the person.
    Matcher link =
        Pattern.compile(
                "href=\"(/console/audit\\?action=notification-deliver&amp;request=[^\"]+)\"")
            .matcher(page);
    assertThat(link.find()).isTrue();
    HttpResponse<String> trail = console(link.group(1).replace("&amp;", "&"), cookie);
    assertThat(trail.statusCode()).as(trail.body()).isEqualTo(200);
    assertThat(trail.body()).contains(people.get(0).toString()).contains(DeliveryWorker.ACTION);

    // The page read is itself audited.
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    HttpResponse<String> audit = fixture.get("/audit/events?limit=20", ig);
    assertThat(audit.body()).contains("console notifications: 1 pending, 1 dead");
  }

  @Test
  void console_notifications_inHeadlessChromium_findsTheDeadLetterFromTheNavigation()
      throws Exception {
    Path chromium = Path.of("/usr/bin/chromium");
    Path driver = Path.of("/usr/bin/chromedriver");
    boolean present = Files.isExecutable(chromium) && Files.isExecutable(driver);
    if (!present && "required".equals(System.getenv("PLACESHARE_BROWSER_TESTS"))) {
      throw new AssertionError("PLACESHARE_BROWSER_TESTS=required but Chromium is missing");
    }
    Assumptions.assumeTrue(present, "Chromium not found: apt-get install chromium chromium-driver");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1600",
        "--user-data-dir=" + Files.createTempDirectory("chromium").toAbsolutePath());
    WebDriver browser =
        new ChromeDriver(
            new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).build(),
            options);
    try {
      browser.manage().timeouts().implicitlyWait(Duration.ofSeconds(5));
      browser.get(fixture.url("/console/").toString());
      browser
          .findElement(By.id("token"))
          .sendKeys(fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT"));
      browser.findElement(By.cssSelector("button[type=submit]")).click();
      awaitTitle(browser, "Audit search");
      browser.findElement(By.linkText("Notifications")).click();
      awaitTitle(browser, "Notifications");
      String dead = browser.findElement(By.id("dead")).getText();
      assertThat(dead)
          .contains("Dead letters (1)")
          .contains(delivery(deadSubscription).getString("idempotency_key"))
          .contains("receiver answered 503");
      assertThat(browser.findElement(By.id("counts")).getText()).contains("pending dead");
      browser.findElement(By.id("dead")).findElement(By.linkText("Audit trail")).click();
      awaitTitle(browser, "Audit search");
      assertThat(browser.findElement(By.tagName("main")).getText())
          .contains(people.get(0).toString());
    } finally {
      browser.quit();
    }
  }

  private static void awaitTitle(WebDriver browser, String prefix) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (browser.getTitle() == null || !browser.getTitle().startsWith(prefix)) {
      assertThat(System.nanoTime())
          .as("page titled " + prefix + ", got " + browser.getTitle())
          .isLessThan(until);
      Thread.sleep(50);
    }
  }
}
