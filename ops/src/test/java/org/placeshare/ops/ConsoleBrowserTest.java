package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The IG console in a real headless Chromium (Debian's chromium and chromium-driver) against the
 * running demo: sign in, search the audit for a demo person, open an event, review a break-glass
 * access, see an agreement's chart, verify the log. A screenshot of each page goes to {@code
 * target/console-screenshots/}. Without Chromium the test is skipped with a message, unless {@code
 * PLACESHARE_BROWSER_TESTS=required} (as in CI), when a missing browser fails it.
 */
class ConsoleBrowserTest {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SHOTS = Path.of("target", "console-screenshots");

  static Demo demo;
  static WebDriver browser;
  static String person;

  @BeforeAll
  static void start() throws Exception {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!present && "required".equals(System.getenv("PLACESHARE_BROWSER_TESTS"))) {
      throw new AssertionError(
          "PLACESHARE_BROWSER_TESTS=required but Chromium is missing: install chromium and chromium-driver");
    }
    Assumptions.assumeTrue(
        present,
        "Chromium not found: install Debian's chromium and chromium-driver"
            + " (apt-get install chromium chromium-driver) to run the IG console's browser tests");
    Files.createDirectories(SHOTS);
    Path folder = Files.createDirectories(Path.of("target", "console-demo-" + System.nanoTime()));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    demo = Demo.start(new DemoFolder(folder), "127.0.0.1", port, Clock.systemUTC());
    person = demo.people.get(0).nhsNumber().toString();
    // Real demo traffic for the console to show: a council view, a break-glass view, a refusal.
    String base = demo.baseUrl();
    Clock clock = Clock.systemUTC();
    request(
        base,
        TokenCommand.fetch(demo.folder, base, DemoClient.COUNCIL_INTEL, "HOPERAT", clock),
        null);
    request(
        base,
        TokenCommand.fetch(demo.folder, base, DemoClient.COVENTRY_AE, "ETREAT", clock),
        "unconscious on arrival");
    request(
        base, TokenCommand.fetch(demo.folder, base, DemoClient.COVENTRY_AE, "TREAT", clock), null);
    // And the household of the demo's family (person 0 is its first parent): the partner and one
    // child shown, the opted-out child left out.
    HttpResponse<String> household =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(base + "/fhir/Patient/" + person + "/$household"))
                    .header(
                        "Authorization",
                        "Bearer "
                            + TokenCommand.fetch(
                                demo.folder,
                                base,
                                DemoClient.COUNCIL_SAFEGUARDING,
                                "HOPERAT",
                                clock))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(household.statusCode()).as(household.body()).isEqualTo(200);

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
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
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().implicitlyWait(Duration.ofSeconds(5));
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (demo != null) {
      demo.close();
    }
  }

  private static void request(String base, String token, String emergencyReason) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(base + "/fhir/Patient/" + person + "/$everything"))
            .header("Authorization", "Bearer " + token);
    if (emergencyReason != null) {
      r.header("X-Emergency-Reason", emergencyReason);
    }
    HttpClient.newHttpClient().send(r.build(), HttpResponse.BodyHandlers.discarding());
  }

  /** Clicks something that loads a new page, and waits until the new page has replaced the old. */
  private static void go(WebElement target) throws Exception {
    WebElement old = browser.findElement(By.tagName("html"));
    target.click();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    boolean changed = false;
    while (!changed && System.nanoTime() < deadline) {
      try {
        old.isEnabled();
        Thread.sleep(50);
      } catch (org.openqa.selenium.WebDriverException gone) {
        // Stale, or (mid-navigation) "node does not belong to the document": the page changed.
        changed = true;
      }
    }
    if (!changed) {
      throw new AssertionError("the page did not change after a click");
    }
    while (System.nanoTime() < deadline
        && !"complete"
            .equals(
                ((org.openqa.selenium.JavascriptExecutor) browser)
                    .executeScript("return document.readyState"))) {
      Thread.sleep(50);
    }
  }

  private static void shot(String name) throws Exception {
    Path png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(png, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void anIgLead_signsIn_searches_reviews_andChecksAgreementsAndIntegrity() throws Exception {
    browser.get(demo.baseUrl() + "/console/");
    shot("01-sign-in");
    browser
        .findElement(By.id("token"))
        .sendKeys(
            TokenCommand.fetch(
                demo.folder, demo.baseUrl(), DemoClient.IG_CONSOLE, "HOPERAT", Clock.systemUTC()));
    go(browser.findElement(By.cssSelector("button[type=submit]")));
    assertThat(browser.getTitle()).startsWith("Audit search");
    assertThat(browser.findElement(By.tagName("header")).getText())
        .contains("signed in as ig.lead");

    browser.findElement(By.id("patient")).sendKeys(person);
    go(browser.findElement(By.xpath("//button[text()='Search']")));
    assertThat(browser.findElement(By.tagName("caption")).getText())
        .endsWith("events, newest first");
    assertThat(browser.findElements(By.xpath("//td[text()='" + person + "']")))
        .hasSizeGreaterThanOrEqualTo(3);
    shot("02-audit-search");

    go(browser.findElement(By.linkText("Details")));
    assertThat(browser.findElement(By.tagName("h1")).getText()).startsWith("Audit event");
    assertThat(browser.findElement(By.tagName("main")).getText()).contains("Decisions, per source");
    shot("03-event");

    go(browser.findElement(By.linkText("Emergency reviews")));
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains("unconscious on arrival");
    shot("04-reviews");
    WebElement form = browser.findElement(By.tagName("section")).findElement(By.tagName("form"));
    form.findElement(By.cssSelector("option[value=appropriate]")).click();
    form.findElement(By.name("comment"))
        .sendKeys("A&E break-glass, patient unconscious; appropriate");
    go(form.findElement(By.tagName("button")));
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains("No break-glass access is awaiting review.");

    go(browser.findElement(By.linkText("Agreements")));
    // One timeline per model agreement.
    assertThat(browser.findElements(By.tagName("svg"))).hasSize(DemoFolder.AGREEMENTS.size());
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains("gm-connect-council-intelligence")
        .contains("gm-connect-population-health")
        .contains("sunderland-intelligence");
    shot("05-agreements");

    go(browser.findElement(By.linkText("Who has seen this record")));
    browser.findElement(By.id("nhs")).sendKeys(person);
    go(browser.findElement(By.xpath("//button[text()='Show accesses']")));
    // The council's view and the non-emergency A&E view, and the family's household view.
    assertThat(browser.findElement(By.tagName("caption")).getText()).contains("(3)");
    shot("06-accesses");

    // The partner was seen as a member of that household: said in words, never naming person 0.
    String partner = demo.people.get(DemoHouseholds.FAMILY.get(1)).nhsNumber().toString();
    browser.findElement(By.id("nhs")).clear();
    browser.findElement(By.id("nhs")).sendKeys(partner);
    go(browser.findElement(By.xpath("//button[text()='Show accesses']")));
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains("seen as a member of a household viewed in request")
        .contains("by client " + DemoClient.COUNCIL_SAFEGUARDING.id)
        .doesNotContain(person)
        .doesNotContain(demo.people.get(0).nhsNumber().formatted());
    shot("06b-household-member-accesses");

    // The audit search offers household views; the view's event counts and links its members.
    go(browser.findElement(By.linkText("Audit search")));
    browser.findElement(By.id("action")).sendKeys("read-household-view");
    go(browser.findElement(By.xpath("//button[text()='Search']")));
    assertThat(
            browser.findElements(By.xpath("//td[text()='household view (read-household-view)']")))
        .hasSize(1);
    go(browser.findElement(By.linkText("Details")));
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains("2 of 3 other members shown");
    assertThat(browser.findElements(By.partialLinkText("Shown: "))).hasSize(2);
    assertThat(browser.findElements(By.partialLinkText("Left out ("))).hasSize(1);
    shot("06c-household-view");

    go(browser.findElement(By.linkText("Alerts")));
    shot("07-alerts");

    go(browser.findElement(By.linkText("Log integrity")));
    go(browser.findElement(By.xpath("//button[text()='Verify now']")));
    assertThat(browser.findElement(By.tagName("main")).getText())
        .contains("Last verified: the audit log verifies");
    shot("08-integrity");

    go(browser.findElement(By.linkText("Audit search")));
    browser.findElement(By.id("user")).sendKeys("<script>alert('x')</script>");
    go(browser.findElement(By.xpath("//button[text()='Search']")));
    assertThat(browser.findElement(By.cssSelector(".message")).getText())
        .startsWith("user: expected 1 to 128 letters");
    shot("09-hostile-search");
    assertThat(SHOTS.resolve("05-agreements.png")).exists();
  }
}
