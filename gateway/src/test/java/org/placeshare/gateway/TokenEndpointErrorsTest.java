package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token endpoint's one failure door: every answer, issued or refused, is OAuth JSON (RFC 6749
 * sections 5.1 and 5.2) that is never cached, and every refusal is audited.
 */
class TokenEndpointErrorsTest {

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

  @Test
  void token_oversizedAssertion_isAnOAuthErrorNotCachedAndAudited() throws Exception {
    HttpResponse<String> response =
        fixture.tokenRequest("x".repeat(17 * 1024)); // over MAX_TOKEN_REQUEST_BYTES

    assertOAuthError(response, 413, "invalid_request");
    assertThat(new JsonObject(response.body()).getString("error_description"))
        .contains("larger than 16384 bytes");
  }

  @Test
  void token_oversizedAssertionSentChunked_is413AsWithAContentLength() throws Exception {
    String form =
        "grant_type=client_credentials&client_assertion_type=x&client_assertion="
            + "x".repeat(17 * 1024);
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(fixture.url("/oauth2/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    // No length known: sent with Transfer-Encoding: chunked.
                    .POST(
                        HttpRequest.BodyPublishers.ofInputStream(
                            () ->
                                new java.io.ByteArrayInputStream(
                                    form.getBytes(java.nio.charset.StandardCharsets.US_ASCII))))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertOAuthError(response, 413, "invalid_request");
    assertThat(new JsonObject(response.body()).getString("error_description"))
        .contains("larger than 16384 bytes");
  }

  @Test
  void token_missingGrantType_isInvalidRequest() throws Exception {
    HttpResponse<String> response = fixture.tokenForm("client_assertion_type=x&client_assertion=y");

    assertOAuthError(response, 400, "invalid_request");
  }

  @Test
  void token_jsonBody_isInvalidRequest() throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(fixture.url("/oauth2/token"))
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"grant_type\":\"client_credentials\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertOAuthError(response, 400, "invalid_request");
    assertThat(new JsonObject(response.body()).getString("error_description"))
        .contains("application/x-www-form-urlencoded");
  }

  @Test
  void token_parameterSentTwice_isInvalidRequest() throws Exception {
    HttpResponse<String> response =
        fixture.tokenForm("grant_type=client_credentials&grant_type=client_credentials");

    assertOAuthError(response, 400, "invalid_request");
  }

  @Test
  void token_unsupportedGrantType_isNotCachedEither() throws Exception {
    assertOAuthError(fixture.tokenForm("grant_type=password"), 400, "unsupported_grant_type");
  }

  @Test
  void token_getWithABody_isAnOAuthError405NotCachedAndAudited() throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(fixture.url("/oauth2/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .method(
                        "GET", HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertOAuthError(response, 405, "invalid_request");
    assertThat(response.headers().firstValue("Allow")).hasValue("POST");
    assertThat(new JsonObject(response.body()).getString("error_description")).contains("GET");
  }

  @Test
  void token_issued_isNotCached() throws Exception {
    HttpResponse<String> response =
        fixture.tokenRequest(
            fixture.assertion(
                GatewayFixture.COUNCIL_CLIENT,
                fixture.clientKeys.get(GatewayFixture.COUNCIL_CLIENT),
                "analyst",
                "HOPERAT"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(response.headers().firstValue("Pragma")).hasValue("no-cache");
  }

  /** An OAuth JSON error with no-store and no-cache, and a refused token request in the audit. */
  private static void assertOAuthError(HttpResponse<String> response, int status, String error)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    assertThat(new JsonObject(response.body()).getString("error")).isEqualTo(error);
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(response.headers().firstValue("Pragma")).hasValue("no-cache");
    String requestId = response.headers().firstValue("X-Request-ID").orElseThrow();
    var row =
        fixture
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT action, outcome, http_status FROM audit_event WHERE request_id = $1")
            .execute(io.vertx.sqlclient.Tuple.of(requestId))
            .await()
            .iterator()
            .next();
    assertThat(row.getString("action")).isEqualTo("token-request");
    assertThat(row.getString("outcome")).isEqualTo("refused");
    assertThat(row.getInteger("http_status")).isEqualTo(status);
  }
}
