package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The figures an IG lead judges an agreement by are true: the console's use of each agreement
 * counts the members a bulk export released under it, as the audit holds them, and counts a request
 * once however many sources it decided.
 */
class AgreementUsageTest {

  static final String POPULATION = "gm-connect-population-health";
  static final String INTELLIGENCE = "gm-connect-council-intelligence";

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String cookie;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    Path secret = dir.resolve("pseudonym.secret");
    Files.writeString(secret, com.nimbusds.jose.util.Base64URL.encode(key).toString());
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            org.placeshare.policy.identity.SigningKey.generate(),
            c ->
                GatewayFixture.withCohorts(
                    c, CohortExportTest.cohorts(dir.resolve("exports")), Optional.of(secret)));
    fixture.addAgreement(POPULATION + ".yaml");
    HttpResponse<String> signedIn =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(fixture.url("/console/session"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "token="
                                + URLEncoder.encode(
                                    fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT"),
                                    StandardCharsets.UTF_8)))
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

  @Test
  void console_afterACohortExport_countsEveryReleaseTheAuditHolds() throws Exception {
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
    String group = CohortExportTest.registered(fixture, token, CohortExportTest.everyone(fixture));
    HttpResponse<String> done =
        CohortExportTest.await(
            fixture, token, CohortExportTest.kickOff(fixture, token, group, "$export"));
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);

    // Each member released by the job is one permitted event in the audit, with its records.
    long releases =
        count(
            "SELECT count(*) FROM audit_event WHERE action = 'cohort-export'"
                + " AND outcome = 'permitted' AND nhs_number IS NOT NULL"
                + " AND EXISTS (SELECT 1 FROM jsonb_array_elements(detail->'decisions') d"
                + " WHERE d->>'effect' = 'permit' AND d->>'agreement' LIKE '"
                + POPULATION
                + "@%')");
    long records =
        count(
            "SELECT coalesce(sum(jsonb_array_length(r.value)), 0) FROM audit_event,"
                + " jsonb_each(detail->'released') r WHERE action = 'cohort-export'");
    long[] row = todaysUse(POPULATION);

    assertThat(releases).isPositive();
    assertThat(row[1]).as("permitted").isEqualTo(releases);
    assertThat(row[3]).as("people").isEqualTo(releases);
    assertThat(row[4]).as("records shared").isEqualTo(records).isPositive();
    // The per-agreement metrics count them too.
    String metrics = fixture.management("/metrics").body();
    assertThat(
            metric(metrics, "placeshare_records_released_total{agreement=\"" + POPULATION + "\"}"))
        .isEqualTo(records);
    assertThat(
            metric(
                metrics,
                "placeshare_decisions_total{agreement=\"" + POPULATION + "\",effect=\"permit\"}"))
        .isGreaterThanOrEqualTo(releases);
  }

  /** A counter's value in the Prometheus text, 0 when it is absent. */
  private static long metric(String scrape, String series) {
    return scrape
        .lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(series.length() + 1)))
        .sum();
  }

  @Test
  void console_aViewDecidingThreeSources_countsOneRequest() throws Exception {
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    long[] before = todaysUse(INTELLIGENCE);

    HttpResponse<String> view =
        fixture.everything(fixture.firstPerson().nhsNumber().toString(), token);

    assertThat(view.statusCode()).as(view.body()).isEqualTo(200);
    long sources =
        count(
            "SELECT jsonb_array_length(detail->'decisions') FROM audit_event"
                + " WHERE request_id = '"
                + view.headers().firstValue("X-Request-ID").orElseThrow()
                + "' AND action = 'read-person-view'");
    assertThat(sources).isEqualTo(3);
    long[] after = todaysUse(INTELLIGENCE);
    assertThat(after[0] - before[0]).as("requests").isEqualTo(1);
    assertThat(after[1] - before[1]).as("permitted").isEqualTo(1);
    assertThat(after[2] - before[2]).as("refused").isZero();
  }

  @Test
  void agreementsApiAndConsole_showTheBusinessCase_escapedOnTheConsole() throws Exception {
    // The parties' own words: a hostile one must stay text on the console.
    Path file = fixture.agreements.resolve(POPULATION + ".yaml");
    Files.writeString(
        file,
        Files.readString(file)
            .replace(
                "Cohort figures published on time each quarter",
                "Cohort figures <script>alert(1)</script> & on time"));
    fixture.gateway.policy().reload(fixture.vertx).await();
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");

    HttpResponse<String> api = fixture.get("/agreements/" + POPULATION, ig);
    String page =
        http.send(
                HttpRequest.newBuilder(fixture.url("/console/agreements"))
                    .header("Cookie", cookie)
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();

    assertThat(api.statusCode()).as(api.body()).isEqualTo(200);
    io.vertx.core.json.JsonObject businessCase =
        new io.vertx.core.json.JsonObject(api.body()).getJsonObject("businessCase");
    assertThat(businessCase.getJsonArray("costs").getJsonObject(0).encode())
        .isEqualTo(
            "{\"text\":\"Setting up pseudonymised cohort exports and small-number suppression\","
                + "\"amount\":25000,\"currency\":\"GBP\",\"period\":\"once\"}");
    assertThat(businessCase.getJsonArray("expectedSavings").getJsonObject(0).containsKey("amount"))
        .isFalse();
    assertThat(businessCase.getJsonArray("measures").getJsonObject(1).getString("text"))
        .isEqualTo("Cohort figures <script>alert(1)</script> & on time");
    // Beside its use: in the agreement's own section, before its table of use.
    String section =
        page.substring(
            page.indexOf("(" + POPULATION + "@1)"), page.indexOf("<caption>Use of " + POPULATION));
    assertThat(section)
        .contains("<h3>Business case</h3>")
        .contains("<li>Analyst time for cohort figures: GBP 40,000 a year</li>")
        .contains("<li>Cohort figures &lt;script&gt;alert(1)&lt;/script&gt; &amp; on time</li>");
    assertThat(page).doesNotContain("<script>");
  }

  /**
   * Today's row of an agreement's table on the console: requests, permitted, refused, people,
   * records.
   */
  private long[] todaysUse(String agreement) throws Exception {
    HttpResponse<String> page =
        http.send(
            HttpRequest.newBuilder(fixture.url("/console/agreements"))
                .header("Cookie", cookie)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    String body = page.body();
    int table = body.indexOf("<caption>Use of " + agreement + " by day");
    assertThat(table).as(body).isPositive();
    String section = body.substring(table, body.indexOf("</table>", table));
    LocalDate today = LocalDate.ofInstant(GatewayFixture.CLOCK.instant(), ZoneOffset.UTC);
    Matcher m =
        Pattern.compile(
                "<tr><td>"
                    + today
                    + "</td><td>(\\d+)</td><td>(\\d+)</td><td>(\\d+)</td><td>(\\d+)</td><td>(\\d+)</td></tr>")
            .matcher(section);
    if (!m.find()) {
      return new long[5];
    }
    long[] row = new long[5];
    for (int i = 0; i < 5; i++) {
      row[i] = Long.parseLong(m.group(i + 1));
    }
    return row;
  }

  private static long count(String sql) {
    List<io.vertx.sqlclient.Row> rows = new java.util.ArrayList<>();
    fixture.gateway.database().pool().query(sql).execute().await().forEach(rows::add);
    return rows.get(0).getLong(0);
  }
}
