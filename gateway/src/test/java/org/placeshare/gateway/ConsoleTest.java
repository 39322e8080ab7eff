package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IG console over plain HTTP: sign-in and its cookie, the security headers, hostile search
 * values rendered inert, CSRF on every change, and no way in without an IG token. The pages in a
 * real browser are {@code ConsoleBrowserTest}'s.
 */
class ConsoleTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String cookie;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    HttpResponse<String> signedIn =
        signIn(fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT"));
    String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
    cookie = setCookie.substring(0, setCookie.indexOf(';'));
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  static HttpResponse<String> signIn(String token) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(fixture.url("/console/session"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path, String cookie) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(fixture.url(path)).GET();
    if (cookie != null) {
      r.header("Cookie", cookie);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String form) throws Exception {
    return http.send(
        HttpRequest.newBuilder(fixture.url(path))
            .header("Cookie", cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void signIn_withAnIgToken_setsAStrictHttpOnlyCookie_andRedirects() throws Exception {
    HttpResponse<String> r = signIn(fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT"));

    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue("/console/audit");
    assertThat(r.headers().firstValue("Set-Cookie").orElseThrow())
        .containsIgnoringCase("HttpOnly")
        .contains("SameSite=Strict")
        .contains("Path=/console")
        .doesNotContain("Secure"); // loopback: the demo runs plain http
  }

  @Test
  void signIn_withANonIgToken_orGarbage_isRefused_andNothingBehindItOpens() throws Exception {
    HttpResponse<String> council =
        signIn(fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT"));
    HttpResponse<String> garbage = signIn("not-a-token");

    assertThat(council.statusCode()).isEqualTo(401);
    assertThat(council.body()).contains("The console is for information governance leads.");
    assertThat(council.headers().firstValue("Set-Cookie")).isEmpty();
    assertThat(garbage.statusCode()).isEqualTo(401);
    assertThat(get("/console/audit", null).statusCode()).isEqualTo(303);
    assertThat(get("/console/audit", "placeshare_console=forged").headers().firstValue("Location"))
        .hasValue("/console/");
  }

  @Test
  void everyPage_hasAStrictPolicy_andNoScript() throws Exception {
    for (String page :
        new String[] {
          "/console/",
          "/console/audit",
          "/console/reviews",
          "/console/alerts",
          "/console/agreements",
          "/console/integrity",
          "/console/accesses"
        }) {
      HttpResponse<String> r = get(page, cookie);
      assertThat(r.statusCode()).as(page).isEqualTo(page.equals("/console/") ? 303 : 200);
      assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow())
          .startsWith("default-src 'none'");
      assertThat(r.body()).doesNotContainIgnoringCase("<script");
    }
  }

  @Test
  void hostileSearchValues_areRenderedInert_withAClearMessage() throws Exception {
    String script = URLEncoder.encode("<script>alert(1)</script>", StandardCharsets.UTF_8);

    HttpResponse<String> r = get("/console/audit?user=" + script, cookie);
    HttpResponse<String> sql = get("/console/audit?user=x%27%20OR%201%3D1--", cookie);
    HttpResponse<String> longValue = get("/console/audit?organisation=" + "A".repeat(3000), cookie);
    HttpResponse<String> nhs = get("/console/accesses?nhs=1234567890", cookie);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body())
        .contains("user: expected 1 to 128 letters")
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        .doesNotContain("<script>");
    assertThat(sql.body()).contains("user: expected 1 to 128 letters");
    assertThat(longValue.body()).contains("organisation: expected 1 to 128");
    assertThat(nhs.body()).contains("That is not a valid NHS number");
  }

  @Test
  void anEvent_linksToEveryEventOfItsRequest() throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    assertThat(
            fixture.everything(fixture.people.get(5).nhsNumber().toString(), council).statusCode())
        .isEqualTo(200);
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    JsonObject latest =
        new JsonObject(fixture.get("/audit/events?organisation=E08000026&limit=1", ig).body())
            .getJsonArray("events")
            .getJsonObject(0);
    String request = latest.getString("requestId");
    int ofRequest =
        new JsonObject(fixture.get("/audit/events?request=" + request, ig).body())
            .getJsonArray("events")
            .size();

    String page = get("/console/events/" + latest.getString("eventId"), cookie).body();
    Matcher link = Pattern.compile("href=\"(/console/audit\\?request=[^\"]+)\"").matcher(page);
    assertThat(link.find()).as(page).isTrue();
    String listed = get(link.group(1), cookie).body();

    assertThat(ofRequest).isPositive();
    assertThat(listed)
        .contains(ofRequest + " events, newest first")
        .contains("/console/events/" + latest.getString("eventId"));
  }

  @Test
  void changesWithoutTheFormsCsrfToken_areRefused() throws Exception {
    HttpResponse<String> r =
        post(
            "/console/reviews/00000000-0000-0000-0000-000000000000",
            "outcome=appropriate&comment=ok");
    HttpResponse<String> verify = post("/console/integrity/verify", "csrf=wrong");

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("this form has expired");
    assertThat(verify.statusCode()).isEqualTo(403);
  }

  @Test
  void verifyNow_checksTheLogAndSaysSo() throws Exception {
    String integrity = get("/console/integrity", cookie).body();
    Matcher csrf = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(integrity);
    assertThat(csrf.find()).isTrue();

    HttpResponse<String> r = post("/console/integrity/verify", "csrf=" + csrf.group(1));

    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(get("/console/integrity", cookie).body())
        .contains("Last verified: the audit log verifies");
  }
}
