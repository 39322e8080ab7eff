package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.sqlclient.Row;
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
import java.util.List;
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

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static SigningKey reporterKey;
  static Notifications.Receiver receiver;
  static org.placeshare.fhir.synthetic.FhirSourceServer councilSource;
  static final List<NhsNumber> people = new ArrayList<>();
  static String deadSubscription;
  static String deliveredSubscription;
  static String refusedSubscription;
  static String pendingSubscription;
  // One instant for every event, so a resend is the same event.
  static final Instant OCCURRED = GatewayFixture.CLOCK.instant().minusSeconds(60);

  @BeforeAll
  static void start() throws Exception {
    reporterKey = Notifications.reporterKey(dir);
    councilSource = GatewayFixture.liveCouncilSource();
    fixture = Notifications.start(dir, councilSource, Notifications.FAST);
    receiver = Notifications.Receiver.start(fixture.vertx);
    receiver.answer("/down", n -> 503);
    for (int i = 1; i <= 4; i++) {
      NhsNumber n = fixture.people.get(i).nhsNumber();
      Notifications.setOptOut(fixture, n, false);
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
    Notifications.setOptOut(fixture, people.get(2), true);
    Notifications.deliverUntil(
        fixture,
        Duration.ofSeconds(10),
        () ->
            status(deadSubscription).equals("dead")
                && status(deliveredSubscription).equals("delivered")
                && status(refusedSubscription).equals("refused"));
    // Reported after the last round: it waits.
    report("ov-pending", people.get(3));
  }

  @AfterAll
  static void stop() throws Exception {
    Notifications.stop(receiver, fixture, councilSource);
  }

  /** This client subscribes, for HOPERAT, to changes of address of a cohort of one. */
  private static String cohortSubscribes(String client, NhsNumber person, String path)
      throws Exception {
    return Notifications.subscribesToMoves(
        fixture, client, List.of(person), receiver.endpoint(path));
  }

  /** The council reports a move, at one instant whenever it is sent. */
  private static void report(String id, NhsNumber person) throws Exception {
    HttpResponse<String> posted =
        Notifications.post(
            fixture,
            reporterKey,
            Notifications.event(
                id,
                "address-changed",
                person,
                Notifications.COUNCIL_SOURCE,
                OCCURRED,
                Notifications.newAddress("12 Spon Street")));
    assertThat(posted.statusCode()).as(posted.body()).isIn(200, 201);
  }

  private static Row delivery(String subscription) {
    return Notifications.delivery(fixture, subscription);
  }

  private static String status(String subscription) {
    return delivery(subscription).getString("status");
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
    // And the audit search offers deliveries among its actions, in words.
    assertThat(console("/console/audit", cookie).body())
        .contains("notification delivered or refused");

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
