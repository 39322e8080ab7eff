package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evidence of what was released (issue 21): a release's audit event binds the SHA-256 of the body
 * exactly as the client received it, and holds no clinical content.
 */
class EvidenceOfReleaseTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String ig;
  static String council;
  static String person;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig.lead", "ig-lead", "HOPERAT");
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    person = fixture.firstPerson().nhsNumber().toString();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  /** The body as bytes, as they came off the wire (no decoding and re-encoding). */
  private static HttpResponse<byte[]> everythingAsBytes(String format) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(
                fixture.url("/fhir/Patient/" + person + "/$everything?_format=" + format))
            .header("Authorization", "Bearer " + council)
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static JsonObject eventOf(HttpResponse<?> r) throws Exception {
    String request = r.headers().firstValue("X-Request-ID").orElseThrow();
    HttpResponse<String> found = fixture.get("/audit/events?request=" + request, ig);
    assertThat(found.statusCode()).as(found.body()).isEqualTo(200);
    JsonArray events = new JsonObject(found.body()).getJsonArray("events");
    assertThat(events).hasSize(1);
    return events.getJsonObject(0);
  }

  private static String sha256(byte[] body) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
  }

  @Test
  void release_auditEventBindsTheSha256OfTheBytesTheClientReceived() throws Exception {
    HttpResponse<byte[]> r = everythingAsBytes("json");
    assertThat(r.statusCode()).isEqualTo(200);

    JsonObject sent = eventOf(r).getJsonObject("detail").getJsonObject("sent");

    assertThat(sent).as("the release's audit event binds what was sent").isNotNull();
    assertThat(sent.getString("sha256")).isEqualTo(sha256(r.body()));
    assertThat(sent.getLong("bytes")).isEqualTo(r.body().length);
    assertThat(sent.getString("mediaType")).isEqualTo("application/fhir+json");
  }

  @Test
  void release_inXml_bindsTheXmlBytesAsSent() throws Exception {
    HttpResponse<byte[]> r = everythingAsBytes("xml");
    assertThat(r.statusCode()).isEqualTo(200);

    JsonObject sent = eventOf(r).getJsonObject("detail").getJsonObject("sent");

    assertThat(sent.getString("sha256")).isEqualTo(sha256(r.body()));
    assertThat(sent.getString("mediaType")).isEqualTo("application/fhir+xml");
  }

  @Test
  void release_auditEventHoldsNoClinicalContent_onlyReferencesAndTheDigest() throws Exception {
    HttpResponse<byte[]> r = everythingAsBytes("json");
    String body = new String(r.body(), StandardCharsets.UTF_8);
    JsonObject event = eventOf(r);

    // The released Bundle's clinical text (names, codes' displays) is in the body, not the log.
    String family =
        new JsonObject(body)
            .getJsonArray("entry").stream()
                .map(JsonObject.class::cast)
                .map(e -> e.getJsonObject("resource"))
                .filter(res -> "Patient".equals(res.getString("resourceType")))
                .findFirst()
                .orElseThrow()
                .getJsonArray("name")
                .getJsonObject(0)
                .getString("family");
    assertThat(event.encode()).doesNotContain(family);
    assertThat(event.getJsonObject("detail").getInteger("releasedCount")).isPositive();
  }

  @Test
  void refusal_sentNoRecords_soItsEventHasNoDigest() throws Exception {
    String treat = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    HttpResponse<String> r = fixture.everything(person, treat);
    assertThat(r.statusCode()).isEqualTo(403);

    assertThat(eventOf(r).getJsonObject("detail").containsKey("sent")).isFalse();
  }
}
