package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.household.AddressKey;
import org.placeshare.policy.NhsNumber;

/**
 * Household views in the IG console over HTTP: the audit search finds them and says so in words, a
 * household view's event counts and links its members' events, a member's event links back to the
 * request, and a member's "who has seen this record" says they were seen as a member of a household
 * without naming the person whose household it was.
 *
 * <p>The household: person 0 (asked about) lives with 1 and 2, and with 3, who has opted out and is
 * left out of the view; the council asks under {@code council-household-support}, whose family
 * clause releases the others.
 */
class ConsoleHouseholdTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String cookie;
  static String ig;

  /** The household view's request id, and its own event. */
  static String request;

  static String viewEvent;

  static final AddressKey HOUSE = AddressKey.uprn("100070000031").orElseThrow();

  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    fixture = Households.startWithFamilyClause(dir);
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
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

    Households.optOut(fixture, person(3));
    Households.record(
        fixture,
        Households.lives(person(0), HOUSE, "2020-01-01", null),
        Households.lives(person(1), HOUSE, "2020-01-01", null),
        Households.lives(person(2), HOUSE, "2020-01-01", null),
        Households.lives(person(3), HOUSE, "2020-01-01", null));
    HttpResponse<String> view =
        Households.household(
            fixture,
            person(0),
            "",
            fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT"));
    assertThat(view.statusCode()).as(view.body()).isEqualTo(200);
    request = view.headers().firstValue("X-Request-ID").orElseThrow();
    viewEvent =
        new JsonObject(
                fixture
                    .get("/audit/events?request=" + request + "&action=read-household-view", ig)
                    .body())
            .getJsonArray("events")
            .getJsonObject(0)
            .getString("eventId");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  static NhsNumber person(int i) {
    return fixture.people.get(i).nhsNumber();
  }

  private String page(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(fixture.url(path)).header("Cookie", cookie).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return r.body();
  }

  /** The first event of this request with this action and person, by the audit API. */
  private static String eventOf(String action, NhsNumber who) throws Exception {
    return new JsonObject(
            fixture
                .get(
                    "/audit/events?request=" + request + "&action=" + action + "&patient=" + who,
                    ig)
                .body())
        .getJsonArray("events")
        .getJsonObject(0)
        .getString("eventId");
  }

  @Test
  void auditSearch_offersHouseholdViewsAsAChoice_andFindsThemInWords() throws Exception {
    String form = page("/console/audit");
    String found = page("/console/audit?action=read-household-view");
    String members = page("/console/audit?action=read-household-member&request=" + request);

    assertThat(form)
        .contains("list=\"actions\"")
        .contains("<option value=\"read-household-view\" label=\"household view\">")
        .contains("<option value=\"read-household-member\" label=\"household member seen\">");
    assertThat(found)
        .contains("1 events, newest first")
        .contains("<td>household view (read-household-view)</td>")
        .contains("<td>" + person(0) + "</td>")
        .contains("/console/events/" + viewEvent);
    // The two shown and the one left out, each its own event of the request.
    assertThat(members)
        .contains("3 events, newest first")
        .contains("<td>household member seen (read-household-member)</td>")
        .contains("<td>" + person(1) + "</td>")
        .contains("<td>" + person(2) + "</td>")
        .contains("<td>" + person(3) + "</td>");
  }

  @Test
  void householdViewEvent_countsTheMembersShown_andLinksToEachMembersEvent() throws Exception {
    String page = page("/console/events/" + viewEvent);

    assertThat(page)
        .contains("<h2>Household view</h2>")
        .contains("2 of 3 other members shown")
        .contains(
            "<a href=\"/console/events/"
                + eventOf("read-household-member", person(1))
                + "\">Shown: "
                + person(1)
                + "</a>")
        .contains(
            "<a href=\"/console/events/"
                + eventOf("read-household-member", person(2))
                + "\">Shown: "
                + person(2))
        .contains(
            "<a href=\"/console/events/"
                + eventOf("read-household-member", person(3))
                + "\">Left out (refused, not told): "
                + person(3));
  }

  @Test
  void memberEvent_saysHowTheyWereSeen_andLinksToTheRequestsOwnEvent() throws Exception {
    String page = page("/console/events/" + eventOf("read-household-member", person(1)));

    assertThat(page)
        .contains(
            "This person was seen as a member of a household viewed in request "
                + request
                + ", by client "
                + GatewayFixture.COUNCIL_CLIENT
                + " of organisation E08000026 (analyst), under council-household-support")
        .contains(
            "<a href=\"/console/events/"
                + viewEvent
                + "\">The household view of request "
                + request);
  }

  @Test
  void accessReport_ofAMember_saysSeenAsAMemberOfAHousehold_neverNamingWhose() throws Exception {
    String report = page("/console/accesses?nhs=" + person(1));
    JsonObject api =
        new JsonObject(fixture.get("/audit/patients/" + person(1) + "/accesses", ig).body());
    String words =
        "seen as a member of a household viewed in request "
            + request
            + ", by client "
            + GatewayFixture.COUNCIL_CLIENT
            + " of organisation E08000026 (analyst), under council-household-support";

    assertThat(report).contains("<td>" + words).contains("How seen");
    JsonObject household = api.getJsonArray("accesses").getJsonObject(0).getJsonObject("household");
    assertThat(household.getString("words")).startsWith(words);
    assertThat(household.getString("request")).isEqualTo(request);
    // Neither the page nor the API hands the member the NHS number of the person asked about.
    for (String told : List.of(report, api.encode())) {
      assertThat(told)
          .doesNotContain(person(0).toString())
          .doesNotContain(person(0).formatted())
          .doesNotContain(URLEncoder.encode(person(0).formatted(), StandardCharsets.UTF_8));
    }
    // The person asked about's own report shows their access as their own, not as a household's.
    assertThat(page("/console/accesses?nhs=" + person(0)))
        .contains("<td>E08000026</td>")
        .doesNotContain("seen as a member of a household");
  }
}
