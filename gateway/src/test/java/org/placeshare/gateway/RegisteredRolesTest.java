package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.policy.identity.AccessTokens;

/**
 * Roles are bound to client registrations (issue 15, part 1): a client cannot make itself an IG
 * lead or a consent recorder by asking; IG capabilities need the claim and a client registered for
 * it; break-glass reviews keep separation of duties and keep a history. All over HTTP on the real
 * gateway.
 */
class RegisteredRolesTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String ig;
  static String person;

  /** The A&E clinician who breaks the glass, and the id of that access's audit event. */
  static final String CLINICIAN = "dr.jones";

  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig.lead", "ig-lead", "HOPERAT");
    person = fixture.firstPerson().nhsNumber().toString();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  // --- the token endpoint ---

  @Test
  void token_councilClientAskingToBeAnIgLead_isRefusedAndAudited() throws Exception {
    HttpResponse<String> r =
        fixture.tokenRequest(
            fixture.assertion(
                GatewayFixture.COUNCIL_CLIENT,
                fixture.clientKeys.get(GatewayFixture.COUNCIL_CLIENT),
                "ig-lead",
                "HOPERAT"));

    assertThat(r.statusCode()).isEqualTo(401);
    JsonObject error = new JsonObject(r.body());
    assertThat(error.getString("error")).isEqualTo("invalid_client");
    assertThat(error.getString("error_description"))
        .isEqualTo("client assertion refused: role ig-lead is not registered for this client");
    assertThat(auditDetails("token-request", "refused"))
        .contains("client assertion refused: role ig-lead is not registered for this client");
  }

  @Test
  void token_aeClientAskingToBeAnIgLead_isRefused() throws Exception {
    HttpResponse<String> r =
        fixture.tokenRequest(
            fixture.assertion(
                GatewayFixture.AE_CLIENT,
                fixture.clientKeys.get(GatewayFixture.AE_CLIENT),
                "ig-lead",
                "TREAT"));

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("role ig-lead is not registered for this client");
  }

  @Test
  void token_councilClientAskingToBeAConsentRecorder_isRefused() throws Exception {
    HttpResponse<String> r =
        fixture.tokenRequest(
            fixture.assertion(
                GatewayFixture.COUNCIL_CLIENT,
                fixture.clientKeys.get(GatewayFixture.COUNCIL_CLIENT),
                "consent-recorder",
                "HOPERAT"));

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("role consent-recorder is not registered for this client");
  }

  // --- IG capabilities need the claim and a client registered for it ---

  /**
   * A token with the ig-lead claim for the council client, signed with the gateway's own key, as if
   * issued before the role was taken off the client or by a flaw at the token endpoint.
   */
  private static String councilTokenClaimingIgLead() throws Exception {
    String genuine = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(SignedJWT.parse(genuine).getJWTClaimsSet())
            .claim("user_role", "ig-lead")
            .jwtID(UUID.randomUUID().toString())
            .build();
    return AccessTokens.sign(fixture.gatewayKey, new JOSEObjectType(AccessTokens.TYPE), claims);
  }

  @Test
  void igCapabilities_igLeadClaimFromAClientNotRegisteredForIt_openNothing() throws Exception {
    String forged = councilTokenClaimingIgLead();
    String event = breakGlassEventId(CLINICIAN);
    Map<String, HttpResponse<String>> answers = new LinkedHashMap<>();

    answers.put("audit export", fixture.get("/audit/export", forged));
    answers.put("audit search", fixture.get("/audit/events?patient=" + person, forged));
    answers.put("accesses", fixture.get("/audit/patients/" + person + "/accesses", forged));
    answers.put("alerts", fixture.get("/audit/alerts", forged));
    answers.put(
        "policy evaluate",
        fixture.post(
            "/policy/evaluate",
            forged,
            new JsonObject()
                .put("patient", person)
                .put("recipient", "E08000026")
                .put("role", "analyst")
                .put("purpose", "HOPERAT")
                .encode()));
    answers.put("policy status", fixture.get("/policy/status", forged));
    answers.put("policy reload", fixture.post("/policy/reload", forged, ""));
    answers.put("consents list", fixture.get("/consents?patient=" + person, forged));
    answers.put("consent withdraw", fixture.delete("/consents/some-consent", forged));
    answers.put("review queue", fixture.get("/audit/reviews", forged));
    answers.put(
        "review",
        fixture.post(
            "/audit/reviews/" + event,
            forged,
            new JsonObject().put("outcome", "appropriate").put("comment", "fine").encode()));
    answers.put(
        "retention",
        fixture.post("/audit/retention", forged, new JsonObject().put("apply", true).encode()));
    answers.put("console sign-in", signIn(forged));

    answers.forEach(
        (capability, r) ->
            assertThat(r.statusCode()).as(capability + ": " + r.body()).isIn(401, 403));
    assertThat(signIn(forged).headers().firstValue("Set-Cookie")).isEmpty();
    // The access the forged token tried to review is still awaiting a real review.
    assertThat(fixture.get("/audit/reviews", ig).body()).contains(event);
  }

  @Test
  void igCapabilities_forARegisteredIgLead_stillOpen() throws Exception {
    assertThat(fixture.get("/audit/export", ig).statusCode()).isEqualTo(200);
    assertThat(fixture.get("/policy/status", ig).statusCode()).isEqualTo(200);
    assertThat(fixture.get("/consents?patient=" + person, ig).statusCode()).isEqualTo(200);
    assertThat(signIn(ig).statusCode()).isEqualTo(303);
  }

  // --- separation of duties in break-glass reviews ---

  @Test
  void review_byTheTrustsOwnIgLead_ofItsOwnBreakGlassAccess_is403AndAudited() throws Exception {
    String event = breakGlassEventId(CLINICIAN);
    String trustIg =
        fixture.token(GatewayFixture.TRUST_IG_CLIENT, "trust.ig", "ig-lead", "HOPERAT");

    HttpResponse<String> r = review(event, trustIg, "appropriate", "our own clinician, fine");

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(r.body()).getString("resourceType")).isEqualTo("OperationOutcome");
    assertThat(r.body())
        .contains(
            "a break-glass access by your own organisation is reviewed by another organisation's"
                + " IG lead");
    assertThat(auditDetails("emergency-review", "refused"))
        .anySatisfy(
            d ->
                assertThat(d)
                    .isEqualTo(
                        "review refused, separation of duties: trust.ig is of R9A, which made"
                            + " break-glass access "
                            + event));
    assertThat(fixture.get("/audit/reviews", ig).body()).contains(event);
  }

  @Test
  void review_byTheUserWhoMadeTheAccess_is403AndAudited() throws Exception {
    // The clinician who broke the glass is also an IG lead at the ICB, under the same user id.
    String event = breakGlassEventId("dr.both");
    String sameUser = fixture.token(GatewayFixture.IG_CLIENT, "dr.both", "ig-lead", "HOPERAT");

    HttpResponse<String> r = review(event, sameUser, "appropriate", "it was me, it was fine");

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("nobody may review their own break-glass access");
    assertThat(auditDetails("emergency-review", "refused"))
        .contains("review refused, separation of duties: dr.both made break-glass access " + event);
    assertThat(fixture.get("/audit/reviews", ig).body()).contains(event);
  }

  @Test
  void review_byTheSameUserUnderAnotherCase_is403AndAudited() throws Exception {
    // The IG team's system spells the clinician's login with capitals; it is the same person.
    String event = breakGlassEventId("dr.case");
    String sameUser = fixture.token(GatewayFixture.IG_CLIENT, "Dr.Case", "ig-lead", "HOPERAT");

    HttpResponse<String> r = review(event, sameUser, "appropriate", "it was me, it was fine");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(r.body()).contains("nobody may review their own break-glass access");
    assertThat(auditDetails("emergency-review", "refused"))
        .contains("review refused, separation of duties: Dr.Case made break-glass access " + event);
    assertThat(fixture.get("/audit/reviews", ig).body()).contains(event);
  }

  @Test
  void review_byTwoIgLeadsAtOnce_recordsOneClosingReviewAndRefusesTheOther() throws Exception {
    String deputy = fixture.token(GatewayFixture.IG_CLIENT, "ig.deputy", "ig-lead", "HOPERAT");
    for (int round = 0; round < 5; round++) {
      String event = breakGlassEventId(CLINICIAN);
      CompletableFuture<HttpResponse<String>> first =
          reviewAsync(event, ig, "appropriate", "collapsed in A&E");
      CompletableFuture<HttpResponse<String>> second =
          reviewAsync(event, deputy, "inappropriate", "no reason on file");

      List<Integer> statuses =
          List.of(first.get().statusCode(), second.get().statusCode()).stream().sorted().toList();

      assertThat(statuses).as("round " + round).containsExactly(201, 409);
      assertThat(
              new JsonObject(fixture.get("/audit/reviews/" + event, ig).body())
                  .getJsonArray("reviews"))
          .as("round " + round)
          .hasSize(1);
    }
  }

  @Test
  void consoleReview_byTheTrustsOwnIgLead_showsNoFormAndIsRefused() throws Exception {
    String event = breakGlassEventId(CLINICIAN);
    String cookie =
        cookie(signIn(fixture.token(GatewayFixture.TRUST_IG_CLIENT, "ig-lead", "HOPERAT")));
    String queue = console("/console/reviews", cookie).body();
    Matcher csrf = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(queue);
    assertThat(csrf.find()).isTrue();

    HttpResponse<String> r =
        consolePost(
            "/console/reviews/" + event,
            cookie,
            "csrf=" + csrf.group(1) + "&outcome=appropriate&comment=fine");

    assertThat(queue)
        .contains("reviewed by another organisation")
        .doesNotContain("action=\"/console/reviews/" + event + "\"");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("reviewed by another organisation");
    assertThat(fixture.get("/audit/reviews", ig).body()).contains(event);
  }

  // --- review history ---

  @Test
  void reviewHistory_recordsWhoWhenAndOutcome_andAFollowUpKeepsTheEventOpen() throws Exception {
    String event = breakGlassEventId(CLINICIAN);
    String other = fixture.token(GatewayFixture.IG_CLIENT, "ig.deputy", "ig-lead", "HOPERAT");

    HttpResponse<String> first = review(event, ig, "needs-follow-up", "ask the ward");
    String queueAfterFirst = fixture.get("/audit/reviews", ig).body();
    HttpResponse<String> second = review(event, other, "appropriate", "ward confirmed");
    HttpResponse<String> third = review(event, ig, "inappropriate", "changed my mind");
    HttpResponse<String> history = fixture.get("/audit/reviews/" + event, ig);

    assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
    assertThat(queueAfterFirst).contains(event);
    assertThat(second.statusCode()).as(second.body()).isEqualTo(201);
    assertThat(third.statusCode()).isEqualTo(409);
    assertThat(fixture.get("/audit/reviews", ig).body()).doesNotContain(event);
    assertThat(history.statusCode()).as(history.body()).isEqualTo(200);
    JsonObject h = new JsonObject(history.body());
    assertThat(h.getString("eventId")).isEqualTo(event);
    assertThat(h.getString("status")).isEqualTo("reviewed");
    JsonArray reviews = h.getJsonArray("reviews");
    assertThat(reviews).hasSize(2);
    JsonObject followUp = reviews.getJsonObject(0);
    assertThat(followUp.getString("outcome")).isEqualTo("needs-follow-up");
    assertThat(followUp.getString("comment")).isEqualTo("ask the ward");
    assertThat(followUp.getJsonObject("reviewer").getString("user")).isEqualTo("ig.lead");
    assertThat(followUp.getJsonObject("reviewer").getString("client"))
        .isEqualTo(GatewayFixture.IG_CLIENT);
    assertThat(followUp.getJsonObject("reviewer").getString("organisation")).isEqualTo("QWU");
    assertThat(followUp.getString("reviewedAt")).isNotBlank();
    assertThat(followUp.getLong("index")).isEqualTo(new JsonObject(first.body()).getLong("index"));
    assertThat(reviews.getJsonObject(1).getString("outcome")).isEqualTo("appropriate");
    assertThat(reviews.getJsonObject(1).getJsonObject("reviewer").getString("user"))
        .isEqualTo("ig.deputy");
    // Each review is an audit event of its own, by its reviewer.
    assertThat(auditDetails("emergency-review", "permitted"))
        .contains(
            "review of break-glass event " + event + ": needs-follow-up; ask the ward",
            "review of break-glass event " + event + ": appropriate; ward confirmed");

    String page = console("/console/events/" + event, cookie(signIn(ig))).body();
    assertThat(page)
        .contains("Reviews of this break-glass access")
        .contains("ig.lead (ig-console, QWU)")
        .contains("ig.deputy (ig-console, QWU)")
        .contains("ask the ward")
        .contains("ward confirmed");
  }

  @Test
  void reviewHistory_ofAnEventThatIsNotBreakGlass_is404() throws Exception {
    JsonObject anyEvent =
        new JsonObject(fixture.get("/audit/events?limit=1&emergency=false", ig).body())
            .getJsonArray("events")
            .getJsonObject(0);

    assertThat(fixture.get("/audit/reviews/" + anyEvent.getString("eventId"), ig).statusCode())
        .isEqualTo(404);
    assertThat(fixture.get("/audit/reviews/not-a-uuid", ig).statusCode()).isEqualTo(400);
  }

  // --- who may record a consent through the gateway ---

  @Test
  void consentIssue_byAClinicianNotAConsentRecorder_is403AndAudited() throws Exception {
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, CLINICIAN, "clinician", "TREAT");
    JsonObject request =
        new JsonObject()
            .put("patient", fixture.people.get(3).nhsNumber().toString())
            .put("recipients", new JsonArray().add("R9A"))
            .put("purposes", new JsonArray().add("TREAT"))
            .put("method", "verbal")
            .put("expires", GatewayFixture.CLOCK.instant().plusSeconds(86_400).toString());

    HttpResponse<String> r = fixture.post("/consents/issue", clinician, request.encode());

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("only a consent recorder (role consent-recorder)");
    assertThat(auditDetails("consent-issue", "refused"))
        .contains("consent not recorded: role clinician is not consent-recorder");
  }

  // --- helpers ---

  /** A fresh break-glass access by this A&E user; the id of its audit event. */
  private static String breakGlassEventId(String user) throws Exception {
    String emergency = fixture.token(GatewayFixture.AE_CLIENT, user, "clinician", "ETREAT");
    String reason = "unconscious, no next of kin " + UUID.randomUUID();
    HttpResponse<String> r = fixture.everything(person, emergency, "X-Emergency-Reason", reason);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonArray events =
        new JsonObject(
                fixture.get("/audit/events?emergency=true&limit=1&patient=" + person, ig).body())
            .getJsonArray("events");
    JsonObject event = events.getJsonObject(0);
    assertThat(event.getJsonObject("detail").getString("emergencyReason")).isEqualTo(reason);
    return event.getString("eventId");
  }

  private static HttpResponse<String> review(
      String event, String token, String outcome, String comment) throws Exception {
    return fixture.post(
        "/audit/reviews/" + event,
        token,
        new JsonObject().put("outcome", outcome).put("comment", comment).encode());
  }

  private CompletableFuture<HttpResponse<String>> reviewAsync(
      String event, String token, String outcome, String comment) {
    return http.sendAsync(
        HttpRequest.newBuilder(fixture.url("/audit/reviews/" + event))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    new JsonObject().put("outcome", outcome).put("comment", comment).encode()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The audit details of events with this action and outcome, oldest first. */
  private static List<String> auditDetails(String action, String outcome) {
    List<String> details = new ArrayList<>();
    for (Row row :
        fixture
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT detail FROM audit_event WHERE action = $1 AND outcome = $2 ORDER BY seq")
            .execute(Tuple.of(action, outcome))
            .await()) {
      details.add(row.getJsonObject("detail").getString("detail"));
    }
    return details;
  }

  private static HttpResponse<String> signIn(String token) throws Exception {
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

  private static String cookie(HttpResponse<String> signedIn) {
    assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(303);
    String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  private HttpResponse<String> console(String path, String cookie) throws Exception {
    return http.send(
        HttpRequest.newBuilder(fixture.url(path)).header("Cookie", cookie).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> consolePost(String path, String cookie, String form)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(fixture.url(path))
            .header("Cookie", cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
