package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.policy.identity.SigningKey;

/**
 * A client's rate limit claimed in batches (issue 22): two instances on one database, a burst of
 * one client's requests spread over both at once. Together they admit no more than the limit in the
 * minute, and no fewer than the limit less one batch (less one request) for the other instance; the
 * rest are answered 429 with Retry-After as before; and the shared row is claimed a batch at a
 * time, not written once a request.
 */
class RateLimitFleetTest {

  /** A limit whose batch is 4 requests ({@code ClientAllowances.batch}). */
  static final int LIMIT = 200;

  static final int BATCH = 4;
  static final int REQUESTS = 260;
  static final int AT_ONCE = 8;

  @TempDir static Path dir;
  static GatewayFixture a;
  static GatewayFixture b;

  @BeforeAll
  static void start() throws Exception {
    String database = TestPostgres.freshDatabase();
    a =
        GatewayFixture.start(
            dir.resolve("a"),
            database,
            SigningKey.generate(),
            config -> GatewayFixture.withClientLimit(config, LIMIT));
    b =
        GatewayFixture.start(
            dir.resolve("b"),
            database,
            a.gpConsentKey,
            config ->
                GatewayFixture.withClientLimit(
                    GatewayFixture.sharing(config, dir.resolve("a")), LIMIT));
  }

  @AfterAll
  static void stop() throws Exception {
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  @Test
  void aBurstOverTwoInstances_admitsTheLimitWithinABatch_andClaimsTheRowInBatches()
      throws Exception {
    String igA = a.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    String igB =
        new io.vertx.core.json.JsonObject(
                b.tokenRequest(
                        b.assertion(
                            GatewayFixture.IG_CLIENT,
                            a.clientKeys.get(GatewayFixture.IG_CLIENT),
                            "ig-lead",
                            "HOPERAT"))
                    .body())
            .getString("access_token");
    String person = a.people.get(2).nhsNumber().toString();
    // The limit counts per clock minute: start early in one, so the burst cannot straddle two.
    while (GatewayFixture.CLOCK.instant().atZone(ZoneOffset.UTC).getSecond() > 20) {
      Thread.sleep(200);
    }
    ExecutorService threads = Executors.newFixedThreadPool(AT_ONCE);
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < REQUESTS; i++) {
        GatewayFixture at = i % 2 == 0 ? a : b;
        String token = i % 2 == 0 ? igA : igB;
        answers.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return at.everything(person, token);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                threads));
      }
      CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();
    } finally {
      threads.shutdown();
    }
    List<HttpResponse<String>> responses = answers.stream().map(CompletableFuture::join).toList();

    // The IG client has no agreement for records: admitted requests are refused by policy (403).
    long admitted = responses.stream().filter(r -> r.statusCode() == 403).count();
    List<HttpResponse<String>> limited =
        responses.stream().filter(r -> r.statusCode() == 429).toList();
    assertThat(admitted + limited.size()).isEqualTo(REQUESTS);
    assertThat(admitted).isBetween((long) LIMIT - (BATCH - 1), (long) LIMIT);
    assertThat(limited)
        .allSatisfy(
            r -> {
              assertThat(r.headers().firstValue("Retry-After")).isPresent();
              assertThat(r.body()).contains("limit of " + LIMIT + " requests a minute");
            });
    // Claimed in batches: at most the limit and a batch an instance, not a write a request.
    int claimed =
        a.gateway
            .database()
            .pool()
            .query("SELECT sum(requests)::int FROM client_rate")
            .execute()
            .await()
            .iterator()
            .next()
            .getInteger(0);
    assertThat(claimed).isBetween(LIMIT, LIMIT + 2 * BATCH);
  }
}
