package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code _since} outside what a source can be asked (REVIEW20, finding 1): refused at the door with
 * a 400 naming it, so it never reaches a source, fails the fetch there, and opens the source's
 * breaker for every other caller.
 */
class SinceBoundsTest {

  /** Before the year 1, and beyond what a java.util.Date holds. */
  static final String EXTREME = "-999999999-01-01T00:00:00Z";

  static final String EMERGENCY = "X-Emergency-Reason";

  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static String clinician(String user) throws Exception {
    return fixture.token(GatewayFixture.AE_CLIENT, user, "clinician", "ETREAT");
  }

  private static HttpResponse<String> view(int person, String query, String token)
      throws Exception {
    return fixture.everything(
        fixture.people.get(person).nhsNumber() + query,
        token,
        EMERGENCY,
        "collapsed in the waiting room");
  }

  @Test
  void view_extremeSinceFiveTimes_is400_andAnotherUsersViewOfAnotherPersonStays200()
      throws Exception {
    String attacker = clinician("user-1");
    String query = "?_since=" + URLEncoder.encode(EXTREME, StandardCharsets.UTF_8);

    List<String> answers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = view(0, query, attacker);
      answers.add(r.statusCode() + " " + r.body());
    }
    // The sources' breakers stayed closed: another user's plain view reaches every one.
    HttpResponse<String> plain = view(1, "", clinician("user-2"));

    SoftAssertions.assertSoftly(
        soft -> {
          soft.assertThat(answers)
              .allSatisfy(a -> assertThat(a).startsWith("400 ").contains("_since: expected"));
          soft.assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
          soft.assertThat(plain.body()).doesNotContain("is not being asked for now");
        });
  }

  @Test
  void view_sinceBeforeTheFloor_is400NamingTheFloor() throws Exception {
    HttpResponse<String> r = view(0, "?_since=1899-12-31T23:59:59Z", clinician("user-1"));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("_since: expected an instant not before 1900-01-01T00:00:00Z");
  }

  @Test
  void view_sinceInTheFuture_is400() throws Exception {
    HttpResponse<String> r = view(0, "?_since=2027-01-01T00:00:00Z", clinician("user-1"));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("_since: 2027-01-01T00:00:00Z is in the future");
  }

  @Test
  void everythingByPost_sinceBeforeTheFloor_is400NamingSince() throws Exception {
    String parameters =
        "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"_since\","
            + "\"valueInstant\":\"1800-01-01T00:00:00Z\"}]}";
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    fixture.url(
                        "/fhir/Patient/" + fixture.people.get(0).nhsNumber() + "/$everything"))
                .header("Authorization", "Bearer " + clinician("user-1"))
                .header("Content-Type", "application/fhir+json")
                .header(EMERGENCY, "collapsed in the waiting room")
                .POST(HttpRequest.BodyPublishers.ofString(parameters))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains("_since: expected an instant not before 1900-01-01T00:00:00Z");
  }
}
