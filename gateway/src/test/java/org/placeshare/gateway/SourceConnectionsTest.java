package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;

/**
 * The gateway keeps its connections to a source open and reuses them (issue 22): the sources' TCP
 * connections are counted where they are accepted, so a change that defeats keep-alive (a body not
 * read to its end, a {@code Connection: close}, a client made per request) fails here, not only as
 * a slower benchmark. A&E's consented view asks the GP four times (the Patient search, then three
 * searches at once) and the acute trust twice (the Patient search, then its encounters).
 */
class SourceConnectionsTest {

  /**
   * Views asked one after another. Reused, the GP's connections number about its three searches at
   * once (three or four were seen: now and then the pool opens one as another is being returned);
   * one a request would be 160, one a view 40.
   */
  private static final int VIEWS = 40;

  /** Most connections either source may accept over {@link #VIEWS} views: one in four views. */
  private static final int MOST_CONNECTIONS = VIEWS / 4;

  @TempDir static Path dir;
  static FhirSourceServer gp;
  static FhirSourceServer acute;
  static GatewayFixture fixture;
  static String clinician;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    gp = fixture.gpSource();
    acute = fixture.acuteSource();
    clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void viewsOneAfterAnother_reuseTheSourcesConnections() throws Exception {
    int gpBefore = gp.connectionsOpened();
    int acuteBefore = acute.connectionsOpened();

    for (int i = 0; i < VIEWS; i++) {
      assertThat(view(i).statusCode()).isEqualTo(200);
    }

    assertThat(gp.connectionsOpened() - gpBefore)
        .as("connections the GP accepted over %d views of 4 requests", VIEWS)
        .isLessThanOrEqualTo(MOST_CONNECTIONS);
    assertThat(acute.connectionsOpened() - acuteBefore)
        .as("connections the acute trust accepted over %d views of 2 requests", VIEWS)
        .isLessThanOrEqualTo(MOST_CONNECTIONS);
  }

  @Test
  void viewsInFlightTogether_openNoMoreThanThePoolHolds() throws Exception {
    int gpBefore = gp.connectionsOpened();
    int acuteBefore = acute.connectionsOpened();

    // Three rounds of 16 views at once: 192 GP requests, up to 48 in flight together.
    int atOnce = 16;
    ExecutorService callers = Executors.newFixedThreadPool(atOnce);
    try {
      for (int round = 0; round < 3; round++) {
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < atOnce; i++) {
          int person = i;
          answers.add(callers.submit(() -> view(person)));
        }
        for (Future<HttpResponse<String>> answer : answers) {
          assertThat(answer.get().statusCode()).isEqualTo(200);
        }
      }
    } finally {
      callers.shutdownNow();
    }

    assertThat(gp.connectionsOpened() - gpBefore)
        .as("connections the GP accepted over 48 views of 4 requests, 16 views at once")
        .isLessThanOrEqualTo(SourceAccess.MAX_CONNECTIONS);
    assertThat(acute.connectionsOpened() - acuteBefore)
        .as("connections the acute trust accepted over 48 views of 2 requests, 16 views at once")
        .isLessThanOrEqualTo(SourceAccess.MAX_CONNECTIONS);
  }

  /** A&E's consented view of the fixture's person {@code i}, each with a consent of its own. */
  private static HttpResponse<String> view(int i) throws Exception {
    SyntheticPerson person = fixture.people.get(i % fixture.people.size());
    String consent =
        fixture.gpConsent(
            "connections-" + i + "-" + System.nanoTime(), person.nhsNumber(), "TREAT");
    return fixture.everything(person.nhsNumber().toString(), clinician, "X-Consent-Token", consent);
  }
}
