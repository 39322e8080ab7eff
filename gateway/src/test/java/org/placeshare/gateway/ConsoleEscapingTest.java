package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile text stored in the audit log (a clinician's stated break-glass reason, an IG lead's
 * review comment) and hostile text echoed from a form into an attribute reach the console's pages
 * only as text: the templates escape by context, whoever wrote the value.
 */
class ConsoleEscapingTest {

  static final String REASON = "<script>alert(1)</script> \"unconscious\" & alone";
  static final String COMMENT = "<script>alert(2)</script> ask the \"ward\"";

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String cookie;
  static String event;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig.lead", "ig-lead", "HOPERAT");
    String person = fixture.firstPerson().nhsNumber().toString();
    String emergency = fixture.token(GatewayFixture.AE_CLIENT, "dr.jones", "clinician", "ETREAT");
    HttpResponse<String> seen = fixture.everything(person, emergency, "X-Emergency-Reason", REASON);
    assertThat(seen.statusCode()).as(seen.body()).isEqualTo(200);
    event =
        new JsonObject(
                fixture.get("/audit/events?emergency=true&limit=1&patient=" + person, ig).body())
            .getJsonArray("events")
            .getJsonObject(0)
            .getString("eventId");
    // A follow-up keeps the access in the review queue, so the queue shows its stated reason too.
    HttpResponse<String> reviewed =
        fixture.post(
            "/audit/reviews/" + event,
            ig,
            new JsonObject().put("outcome", "needs-follow-up").put("comment", COMMENT).encode());
    assertThat(reviewed.statusCode()).as(reviewed.body()).isEqualTo(201);
    HttpResponse<String> signedIn =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(fixture.url("/console/session"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "token=" + URLEncoder.encode(ig, StandardCharsets.UTF_8)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
    cookie = setCookie.substring(0, setCookie.indexOf(';'));
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private String page(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(fixture.url(path)).header("Cookie", cookie).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  @Test
  void eventPage_storedScriptInReasonAndReviewComment_showsAsText() throws Exception {
    String page = page("/console/events/" + event);

    assertThat(page)
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        .contains("&lt;script&gt;alert(2)&lt;/script&gt;")
        .contains("&amp; alone")
        .doesNotContainIgnoringCase("<script");
  }

  @Test
  void reviewQueue_storedScriptInStatedReason_showsAsText() throws Exception {
    String page = page("/console/reviews");

    assertThat(page)
        .contains("Stated reason: &lt;script&gt;alert(1)&lt;/script&gt;")
        .contains("action=\"/console/reviews/" + event + "\"")
        .doesNotContainIgnoringCase("<script");
  }

  @Test
  void searchForm_quoteAndScriptInAValue_cannotLeaveTheAttribute() throws Exception {
    String hostile = "\"><script>alert(3)</script>";

    String page = page("/console/audit?user=" + URLEncoder.encode(hostile, StandardCharsets.UTF_8));

    assertThat(page)
        .contains("name=\"user\" value=\"&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;\"")
        .doesNotContainIgnoringCase("<script");
  }
}
