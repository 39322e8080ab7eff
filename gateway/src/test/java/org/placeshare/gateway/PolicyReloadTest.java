package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.policy.identity.SigningKey;

/** Hot reload: whole sets swapped while requests run, bad sets refused, the old set kept. */
class PolicyReloadTest {

  @TempDir Path dir;
  GatewayFixture fixture;
  Path council;
  String original;

  @BeforeEach
  void start() throws Exception {
    // No per-minute limit to meet: how many requests the concurrent case makes depends on the
    // machine, and a 429 part way would be about the limit, not the reload.
    fixture =
        GatewayFixture.start(
            dir,
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> GatewayFixture.withClientLimit(c, 1_000_000));
    council = fixture.agreements.resolve("gm-connect-council-intelligence.yaml");
    original = Files.readString(council);
  }

  @AfterEach
  void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private void awaitFingerprintChange(String before) throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (fixture.gateway.policy().status().fingerprint().equals(before)
        && fixture.gateway.policy().status().lastError().isEmpty()
        && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
    }
  }

  @Test
  void reload_validChange_takesEffectWithoutRestart() throws Exception {
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    String nhs = fixture.firstPerson().nhsNumber().toString();
    assertThat(fixture.everything(nhs, token).statusCode()).isEqualTo(200);
    String before = fixture.gateway.policy().status().fingerprint();

    Files.writeString(
        council,
        original
            .replace("status: pilot", "status: suspended")
            .replaceAll("(?s)\npilot:.*?\n\n", "\n\n"));
    awaitFingerprintChange(before);

    assertThat(fixture.gateway.policy().status().lastError()).isEmpty();
    assertThat(fixture.gateway.policy().status().reloads()).isEqualTo(1);
    assertThat(fixture.everything(nhs, token).statusCode()).isEqualTo(403);
  }

  @Test
  void reload_invalidChange_keepsTheRunningSetAndReportsTheError() throws Exception {
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    String nhs = fixture.firstPerson().nhsNumber().toString();
    String before = fixture.gateway.policy().status().fingerprint();

    Files.writeString(council, original.replace("status: pilot", "status: live"));
    awaitFingerprintChange(before);

    HttpResponse<String> status = fixture.get("/policy/status", ig);
    JsonObject json = new JsonObject(status.body());
    assertThat(json.getString("fingerprint")).isEqualTo(before);
    assertThat(json.getLong("refusedReloads")).isEqualTo(1);
    assertThat(json.getString("lastError"))
        .isEqualTo(
            "gm-connect-council-intelligence.yaml:10:9: status: expected one of draft, pilot, active, suspended, expired, got 'live'");
    assertThat(fixture.everything(nhs, token).statusCode()).isEqualTo(200);

    Files.writeString(council, original);
    HttpResponse<String> reload = fixture.post("/policy/reload", ig, "");
    assertThat(reload.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(reload.body()).getString("lastError")).isNull();
  }

  @Test
  void reload_underConcurrentRequests_eachRequestSeesOneWholeSet() throws Exception {
    // Two versions that name every provider: a request decided half under each would show two
    // versions among its own decisions. The pilot's daily cap is raised first: how many requests
    // the clients make while the set swaps ten times depends on the machine, and a cap reached
    // part way would answer 403 for a reason this test is not about.
    String v1 = original.replace("dailyVolume: 200 ", "dailyVolume: 1000000 ");
    // Of another size too: the poll stamps a file by size and modification time, and a filesystem
    // that keeps times to the second would not see two same-size writes within one.
    String v2 = v1.replace("version: 1", "version: 2") + "# version 2\n";
    assertThat(v1).isNotEqualTo(original);
    String uncapped = fixture.gateway.policy().status().fingerprint();
    Files.writeString(council, v1);
    awaitFingerprintChange(uncapped);
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    List<String> people = fixture.people.stream().map(p -> p.nhsNumber().toString()).toList();
    AtomicBoolean running = new AtomicBoolean(true);
    ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> clients = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int offset = t;
      clients.add(
          pool.submit(
              () -> {
                int i = offset;
                while (running.get()) {
                  statuses.add(
                      fixture.everything(people.get(i++ % people.size()), token).statusCode());
                }
                return null;
              }));
    }
    for (int swap = 0; swap < 10; swap++) {
      String before = fixture.gateway.policy().status().fingerprint();
      Files.writeString(council, swap % 2 == 0 ? v2 : v1);
      awaitFingerprintChange(before);
    }
    running.set(false);
    for (Future<?> client : clients) {
      client.get();
    }
    pool.shutdown();

    assertThat(fixture.gateway.policy().status().reloads()).isEqualTo(11);
    assertThat(statuses).isNotEmpty().allMatch(s -> s == 200);
    List<Row> events =
        fixture
            .gateway
            .database()
            .pool()
            .query("SELECT detail FROM audit_event WHERE action = 'read-person-view'")
            .execute()
            .await()
            .stream()
            .toList();
    assertThat(events).hasSize(statuses.size());
    Set<String> versionsSeen = new HashSet<>();
    for (Row event : events) {
      JsonArray decisions = event.getJsonObject("detail").getJsonArray("decisions");
      Set<String> versions = new HashSet<>();
      for (int i = 0; i < decisions.size(); i++) {
        String agreement = decisions.getJsonObject(i).getString("agreement");
        if (agreement != null) {
          versions.add(agreement);
        }
      }
      assertThat(versions).as(event.toString()).hasSize(1);
      versionsSeen.addAll(versions);
    }
    assertThat(versionsSeen)
        .containsExactlyInAnyOrder(
            "gm-connect-council-intelligence@1", "gm-connect-council-intelligence@2");
  }
}
