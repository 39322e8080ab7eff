package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.gateway.audit.Merkle;
import org.placeshare.gateway.audit.Tiles;
import org.placeshare.policy.NhsNumber;

/**
 * The audit log as C2SP tlog-tiles over HTTP, against a real gateway and PostgreSQL: tiles written
 * as appends commit hold exactly the leaf hashes and subtree roots of the log; entry bundles hash
 * to the leaves and are for IG leads only; proofs from tiles are the full recompute's on random
 * sizes; a log stored before tiles existed gets its tiles on start.
 */
class AuditTilesTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String ig;
  static String council;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    // Past one full level-0 tile and into the next, in batches of many sizes.
    AuditLog log = new AuditLog(pool());
    List<Future<Long>> appended = new ArrayList<>();
    for (int i = 0; i < 700; i++) {
      appended.add(log.append(event(i)));
      if (i % 97 == 0) {
        Future.all(appended).await();
      }
    }
    Future.all(appended).await();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static Pool pool() {
    return fixture.gateway.database().pool();
  }

  private static AuditEvent event(int i) {
    return new AuditEvent(
        UUID.randomUUID(),
        Instant.now(),
        "tiles-" + i,
        "read-person-view",
        AuditEvent.Outcome.PERMITTED,
        200,
        Optional.of(NhsNumber.parse("9990000018")),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of(),
        Map.of("gp", List.of("Condition/c" + i)),
        List.of(),
        "1 resource released",
        3);
  }

  private static HttpResponse<byte[]> tile(String path, String token) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(fixture.url("/audit/tile/" + path))
            .header("Authorization", "Bearer " + token)
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static List<byte[]> leafHashes() {
    return AuditExport.read(pool()).await().leaves().stream()
        .map(AuditVerifier.StoredLeaf::storedHash)
        .toList();
  }

  private static List<byte[]> split(byte[] tile) {
    List<byte[]> hashes = new ArrayList<>();
    for (int at = 0; at < tile.length; at += Merkle.HASH_BYTES) {
      hashes.add(Arrays.copyOfRange(tile, at, at + Merkle.HASH_BYTES));
    }
    return hashes;
  }

  @Test
  void hashTiles_holdTheLeafHashesAndSubtreeRoots_andFullOnesAreImmutable() throws Exception {
    List<byte[]> leaves = leafHashes();
    int size = leaves.size();
    assertThat(size).isGreaterThan(2 * Tiles.WIDTH);

    HttpResponse<byte[]> first = tile("0/000", council);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("Cache-Control"))
        .hasValueSatisfying(v -> assertThat(v).contains("immutable"));
    assertThat(split(first.body())).containsExactlyElementsOf(leaves.subList(0, Tiles.WIDTH));
    assertThat(split(tile("0/001", council).body()))
        .containsExactlyElementsOf(leaves.subList(Tiles.WIDTH, 2 * Tiles.WIDTH));

    int width = size - 2 * Tiles.WIDTH;
    HttpResponse<byte[]> partial = tile("0/002.p/" + Math.min(width, 255), council);
    assertThat(partial.statusCode()).isEqualTo(200);
    assertThat(split(partial.body()))
        .containsExactlyElementsOf(
            leaves.subList(2 * Tiles.WIDTH, 2 * Tiles.WIDTH + Math.min(width, 255)));

    // Level 1 entry k is the root of level-0 tile k.
    HttpResponse<byte[]> level1 = tile("1/000.p/2", council);
    assertThat(split(level1.body()))
        .containsExactly(
            Merkle.root(leaves.subList(0, Tiles.WIDTH)),
            Merkle.root(leaves.subList(Tiles.WIDTH, 2 * Tiles.WIDTH)));

    // Not yet filled, not canonical, or not a tile: 404, never a guess.
    assertThat(tile("0/009", council).statusCode()).isEqualTo(404);
    assertThat(tile("1/000", council).statusCode()).isEqualTo(404);
    assertThat(tile("1/000.p/3", council).statusCode()).isEqualTo(404);
    assertThat(tile("0/x000/000", council).statusCode()).isEqualTo(404);
    assertThat(tile("0/000.p/256", council).statusCode()).isEqualTo(404);
    assertThat(tile("0/0", council).statusCode()).isEqualTo(404);
    assertThat(tile("0/000", "not-a-token").statusCode()).isEqualTo(401);
  }

  @Test
  void entryBundles_hashToTheLeaves_andAreForIgLeadsOnly() throws Exception {
    List<byte[]> leaves = leafHashes();
    HttpResponse<byte[]> bundle = tile("entries/001", ig);
    assertThat(bundle.statusCode()).isEqualTo(200);
    ByteBuffer in = ByteBuffer.wrap(bundle.body());
    int n = 0;
    while (in.hasRemaining()) {
      byte[] entry = new byte[Short.toUnsignedInt(in.getShort())];
      in.get(entry);
      assertThat(Merkle.leafHash(entry)).isEqualTo(leaves.get(Tiles.WIDTH + n));
      n++;
    }
    assertThat(n).isEqualTo(Tiles.WIDTH);
    // The entries hold NHS numbers and callers: a reader of proofs is not a reader of the audit.
    assertThat(tile("entries/001", council).statusCode()).isEqualTo(403);
    assertThat(tile("entries/009", ig).statusCode()).isEqualTo(404);
  }

  @Test
  void anEntryBundleHoldingARedactedEvent_isGone_whileItsHashTileStillServes() throws Exception {
    String redact = "UPDATE audit_event SET redacted_at = now() WHERE leaf_index = 300";
    try {
      pool().query(redact).execute().await();
      HttpResponse<byte[]> gone = tile("entries/001", ig);
      assertThat(gone.statusCode()).isEqualTo(410);
      assertThat(new String(gone.body())).contains("index 300", "redacted");
      assertThat(tile("0/001", council).statusCode()).isEqualTo(200);
    } finally {
      pool()
          .query("UPDATE audit_event SET redacted_at = NULL WHERE leaf_index = 300")
          .execute()
          .await();
    }
  }

  @Test
  void proofsFromTiles_areTheFullRecomputesProofs_onRandomSizes() throws Exception {
    List<byte[]> leaves = leafHashes();
    Random random = new Random(16);
    for (int k = 0; k < 12; k++) {
      int size = 1 + random.nextInt(leaves.size());
      int index = random.nextInt(size);
      List<byte[]> upTo = leaves.subList(0, size);
      JsonObject inclusion =
          new JsonObject(
              fixture
                  .get("/audit/proof/inclusion?index=" + index + "&size=" + size, council)
                  .body());
      assertThat(inclusion.getString("leafHash")).isEqualTo(b64(leaves.get(index)));
      assertThat(inclusion.getString("root")).isEqualTo(b64(Merkle.root(upTo)));
      assertThat(strings(inclusion.getJsonArray("proof")))
          .containsExactlyElementsOf(b64(Merkle.inclusionProof(index, upTo)));
      int from = 1 + random.nextInt(size);
      JsonObject consistency =
          new JsonObject(
              fixture.get("/audit/proof/consistency?from=" + from + "&to=" + size, council).body());
      assertThat(consistency.getString("fromRoot"))
          .isEqualTo(b64(Merkle.root(leaves.subList(0, from))));
      assertThat(consistency.getString("toRoot")).isEqualTo(b64(Merkle.root(upTo)));
      assertThat(strings(consistency.getJsonArray("proof")))
          .containsExactlyElementsOf(b64(Merkle.consistencyProof(from, upTo)));
    }
    HttpResponse<String> beyond =
        fixture.get("/audit/proof/inclusion?index=0&size=" + (leaves.size() + 1000), council);
    assertThat(beyond.statusCode()).isEqualTo(400);
    assertThat(beyond.body()).contains("the log holds");
  }

  @Test
  void aLogStoredBeforeTiles_getsItsTilesOnStart() throws Exception {
    byte[] before = tile("0/001", council).body();
    // As the log of an older gateway is (no HTTP in between: each request appends an audit event,
    // and an append that finds its tile missing fails, as the next test shows).
    pool().query("DELETE FROM audit_tile").execute().await();

    new AuditLog(pool()).adoptUntreed().await();

    assertThat(tile("0/001", council).body()).isEqualTo(before);
    List<byte[]> leaves = leafHashes();
    JsonObject inclusion =
        new JsonObject(
            fixture.get("/audit/proof/inclusion?index=300&size=" + leaves.size(), council).body());
    assertThat(inclusion.getString("root")).isEqualTo(b64(Merkle.root(leaves)));
  }

  private static long treeSize() {
    return pool()
        .query("SELECT size FROM audit_tree")
        .execute()
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  @Test
  void anAppendWhoseTileIsMissing_failsAndCommitsNothing_tillTheTilesAreRebuilt() {
    AuditLog log = new AuditLog(pool());
    if (treeSize() % Tiles.WIDTH == 0) {
      log.append(event(-1)).await();
    }
    long size = treeSize();
    pool()
        .query("DELETE FROM audit_tile WHERE level = 0 AND idx = " + size / Tiles.WIDTH)
        .execute()
        .await();

    assertThatThrownBy(() -> log.append(event(-2)).await())
        .hasMessageContaining("the audit tiles do not match the tree");
    assertThat(treeSize()).isEqualTo(size);

    new AuditLog(pool()).adoptUntreed().await();
    assertThat(log.append(event(-3)).await()).isEqualTo(size);
  }

  /** ops/conformance/verify_tiles.py, run as CI runs it; its output and exit status. */
  private static String[] verifier(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("python3", "../ops/conformance/verify_tiles.py"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("PLACESHARE_TOKEN", council);
    builder.environment().put("PLACESHARE_IG_TOKEN", ig);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes());
    return new String[] {Integer.toString(process.waitFor()), output};
  }

  @Test
  void anIndependentRfc9162Verifier_checksEveryLeafTileAndEntry_andCatchesATamperedTile()
      throws Exception {
    String[] vectors = verifier("--vectors", "src/test/resources/merkle");
    assertThat(vectors[0]).as(vectors[1]).isEqualTo("0");

    fixture.gateway.auditTree().checkpoint().await();
    String base = "http://127.0.0.1:" + fixture.gateway.port();
    String[] verified = verifier(base);
    assertThat(verified[0]).as(verified[1]).isEqualTo("0");
    assertThat(verified[1]).contains("every leaf included", "every entry hashed");

    Buffer original =
        pool()
            .query("SELECT hashes FROM audit_tile WHERE level = 0 AND idx = 1")
            .execute()
            .await()
            .iterator()
            .next()
            .getBuffer("hashes");
    byte[] tampered = original.getBytes();
    tampered[40] ^= 1;
    try {
      pool()
          .preparedQuery("UPDATE audit_tile SET hashes = $1 WHERE level = 0 AND idx = 1")
          .execute(Tuple.of(Buffer.buffer(tampered)))
          .await();
      String[] caught = verifier(base);
      assertThat(caught[0]).as(caught[1]).isEqualTo("1");
      assertThat(caught[1]).contains("NOT VERIFIED");
    } finally {
      pool()
          .preparedQuery("UPDATE audit_tile SET hashes = $1 WHERE level = 0 AND idx = 1")
          .execute(Tuple.of(original))
          .await();
    }
  }

  private static String b64(byte[] hash) {
    return Base64.getEncoder().encodeToString(hash);
  }

  private static List<String> b64(List<byte[]> hashes) {
    return hashes.stream().map(AuditTilesTest::b64).toList();
  }

  private static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>();
    array.forEach(v -> out.add((String) v));
    return out;
  }
}
