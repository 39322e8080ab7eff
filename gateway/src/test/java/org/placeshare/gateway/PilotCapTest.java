package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pilot's daily volume under concurrent requests: each read a count under the cap before any was
 * released, yet no more than the cap are released, because the count is taken, under the cap, as
 * the records leave.
 */
class PilotCapTest {

  static final int CAP = 3;
  static final int AT_ONCE = 12;

  @TempDir static Path dir;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    Path gm = fixture.agreements.resolve("gm-connect-council-intelligence.yaml");
    Files.writeString(gm, Files.readString(gm).replace("dailyVolume: 200", "dailyVolume: " + CAP));
    fixture.gateway.policy().reload(fixture.vertx).await();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void concurrentRequests_releaseNoMoreThanTheCap_andTheRestAreRefusedAndAudited()
      throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    ExecutorService threads = Executors.newFixedThreadPool(AT_ONCE);
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < AT_ONCE; i++) {
        String person = fixture.people.get(i).nhsNumber().toString();
        answers.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return fixture.everything(person, council);
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

    List<Integer> statuses = answers.stream().map(a -> a.join().statusCode()).toList();
    assertThat(statuses).filteredOn(s -> s == 200).hasSize(CAP);
    assertThat(statuses).filteredOn(s -> s == 403).hasSize(AT_ONCE - CAP);
    assertThat(
            answers.stream()
                .map(CompletableFuture::join)
                .filter(r -> r.statusCode() == 403)
                .map(HttpResponse::body))
        .allSatisfy(b -> assertThat(b).contains("no data-sharing agreement permits this request"));
    var db = fixture.gateway.database().pool();
    assertThat(
            db.query("SELECT released FROM pilot_usage")
                .execute()
                .await()
                .iterator()
                .next()
                .getInteger(0))
        .isEqualTo(CAP);
    long refusedForVolume =
        db.query(
                "SELECT count(*) FROM audit_event WHERE outcome = 'refused'"
                    + " AND detail->>'detail' LIKE '%daily volume of "
                    + CAP
                    + "%'")
            .execute()
            .await()
            .iterator()
            .next()
            .getLong(0);
    assertThat(refusedForVolume).isEqualTo(AT_ONCE - CAP);
  }
}
