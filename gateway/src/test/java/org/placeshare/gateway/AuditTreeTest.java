package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.ECKey;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.gateway.audit.Checkpoint;
import org.placeshare.gateway.audit.Merkle;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.policy.identity.SigningKey;

/**
 * The audit log as a Merkle tree over HTTP and in the database: two instances appending to one log,
 * signed checkpoints, inclusion and consistency proofs, and the verifier naming rows altered, moved
 * or deleted directly in the database. The tests run in order: the tampering comes last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditTreeTest {

  @TempDir static Path dir;
  static String database;
  static GatewayFixture fixture;
  static ECKey auditKey;
  static String ig;

  @BeforeAll
  static void start() throws Exception {
    database = TestPostgres.freshDatabase();
    fixture = GatewayFixture.start(dir.resolve("one"), database);
    auditKey = SigningKey.readPublicPem(dir.resolve("one/audit.pub.pem"));
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
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

  private static AuditVerifier.Report verify() {
    AuditExport.Contents contents = AuditExport.read(pool()).await();
    return AuditVerifier.verify(contents.leaves().iterator(), contents.checkpoints(), auditKey);
  }

  private static Checkpoint checkpoint() {
    fixture.gateway.auditTree().checkpoint().await();
    return Checkpoint.verify(fixture.gateway.auditTree().latest().await().orElseThrow(), auditKey);
  }

  @Test
  @Order(1)
  void twoInstances_appendToOneLog_withOneContiguousSequence() throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    Checkpoint before;
    try (GatewayFixture second =
        GatewayFixture.start(
            dir.resolve("two"),
            database,
            SigningKey.generate(),
            config -> GatewayFixture.withAuditKey(config, dir.resolve("one/audit.key.pem")))) {
      String secondCouncil = second.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        GatewayFixture target = i % 2 == 0 ? fixture : second;
        String token = i % 2 == 0 ? council : secondCouncil;
        String nhs = fixture.people.get(i % 10).nhsNumber().toString();
        calls.add(pool.submit(() -> target.everything(nhs, token).statusCode()));
        if (i == 19) {
          for (Future<Integer> f : calls) {
            f.get();
          }
        }
      }
      for (Future<Integer> f : calls) {
        f.get();
      }
      pool.shutdown();
    }
    long events =
        pool()
            .query("SELECT count(*) FROM audit_event")
            .execute()
            .await()
            .iterator()
            .next()
            .getLong(0);
    Checkpoint now = checkpoint();

    assertThat(now.size()).isEqualTo(events).isGreaterThanOrEqualTo(40);
    assertThat(
            pool()
                .query("SELECT min(leaf_index), max(leaf_index) FROM audit_event")
                .execute()
                .await()
                .iterator()
                .next()
                .getLong(1))
        .isEqualTo(events - 1);
    assertThat(verify().intact()).as(verify().summary()).isTrue();
  }

  @Test
  @Order(2)
  void proofsOverHttp_verifyAgainstTheSignedCheckpoint() throws Exception {
    Checkpoint earlier = checkpoint();
    fixture.everything(fixture.people.get(1).nhsNumber().toString(), ig);
    Checkpoint later = checkpoint();

    JsonObject signed = new JsonObject(fixture.get("/audit/checkpoint.json", ig).body());
    assertThat(Checkpoint.verify(signed.getString("signed"), auditKey).size())
        .isEqualTo(later.size());
    for (long index : new long[] {0, later.size() / 2, later.size() - 1}) {
      JsonObject proof =
          new JsonObject(
              fixture
                  .get("/audit/proof/inclusion?index=" + index + "&size=" + later.size(), ig)
                  .body());
      Merkle.verifyInclusion(
          index, later.size(), b64(proof.getString("leafHash")), hashes(proof), later.root());
    }
    JsonObject consistency =
        new JsonObject(
            fixture
                .get("/audit/proof/consistency?from=" + earlier.size() + "&to=" + later.size(), ig)
                .body());
    Merkle.verifyConsistency(
        earlier.size(), later.size(), hashes(consistency), earlier.root(), later.root());
    assertThat(fixture.get("/audit/proof/inclusion?index=5&size=x", ig).statusCode())
        .isEqualTo(400);
    assertThat(fixture.get("/audit/proof/consistency?from=0&to=3", ig).statusCode()).isEqualTo(400);
  }

  @Test
  @Order(2)
  void exportOverHttp_carriesTheCheckpointNotes_whichVerifyWithTheNoteKey() throws Exception {
    checkpoint();
    var response = fixture.get("/audit/export", ig);
    assertThat(response.statusCode()).isEqualTo(200);
    Path export = dir.resolve("notes.jsonl");
    Files.writeString(export, response.body());
    NoteVerifierKey noteKey =
        NoteSigner.parse(Files.readString(dir.resolve("one/audit-note.key")).strip()).verifierKey();

    AuditExport.Contents exported = AuditExport.read(export);
    AuditVerifier.Report report =
        AuditVerifier.verify(
            exported.leaves().iterator(),
            exported.checkpoints(),
            auditKey,
            exported.notes(),
            Optional.of(noteKey));

    assertThat(exported.notes()).isNotEmpty();
    // Every note stored when the export was made, in order; the export's own audit event may have
    // been checkpointed since, so the store may hold one more.
    assertThat(fixture.gateway.auditTree().notes().await())
        .startsWith(exported.notes().toArray(String[]::new));
    assertThat(report.intact()).as(report.summary()).isTrue();
    assertThat(report.notesVerified()).isEqualTo(exported.notes().size());
  }

  @Test
  @Order(3)
  void alteringARow_isNamedByIndex_andPuttingItBackVerifiesAgain() {
    checkpoint();
    Tuple at = Tuple.of(3L);
    String user =
        pool()
            .preparedQuery("SELECT user_id FROM audit_event WHERE leaf_index = $1")
            .execute(at)
            .await()
            .iterator()
            .next()
            .getString(0);
    pool()
        .preparedQuery("UPDATE audit_event SET user_id = 'someone-else' WHERE leaf_index = $1")
        .execute(at)
        .await();

    try {
      assertThat(verify().summary()).startsWith("the event at index 3 (event ").contains("altered");
    } finally {
      pool()
          .preparedQuery("UPDATE audit_event SET user_id = $2 WHERE leaf_index = $1")
          .execute(Tuple.of(3L, user))
          .await();
    }
    assertThat(verify().intact()).isTrue();
  }

  @Test
  @Order(4)
  void alteringARowAndItsHash_isCaughtByTheSignedCheckpoint() {
    List<AuditVerifier.StoredLeaf> leaves = AuditExport.read(pool()).await().leaves();
    byte[] forged =
        Merkle.leafHash(
            new String(leaves.get(2).data(), java.nio.charset.StandardCharsets.UTF_8)
                .replace("\"outcome\":\"", "\"outcome\":\"x")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Tuple original = Tuple.of(2L);
    String outcome =
        pool()
            .preparedQuery("SELECT outcome FROM audit_event WHERE leaf_index = $1")
            .execute(original)
            .await()
            .iterator()
            .next()
            .getString(0);
    pool()
        .preparedQuery(
            "UPDATE audit_event SET outcome = 'x' || outcome, leaf_hash = $2 WHERE leaf_index = $1")
        .execute(Tuple.of(2L, io.vertx.core.buffer.Buffer.buffer(forged)))
        .await();

    try {
      // Which signed stretch catches it depends on when checkpoints were signed; the one it
      // names must hold index 2.
      String summary = verify().summary();
      java.util.regex.Matcher range =
          java.util.regex.Pattern.compile("an event from index (\\d+) to (\\d+) was altered")
              .matcher(summary);
      assertThat(summary).startsWith("the log does not match the checkpoint of size");
      assertThat(range.find()).as(summary).isTrue();
      assertThat(Long.parseLong(range.group(1))).isLessThanOrEqualTo(2);
      assertThat(Long.parseLong(range.group(2))).isGreaterThanOrEqualTo(2);
    } finally {
      pool()
          .preparedQuery(
              "UPDATE audit_event SET outcome = $2, leaf_hash = $3 WHERE leaf_index = $1")
          .execute(
              Tuple.of(2L, outcome, io.vertx.core.buffer.Buffer.buffer(leaves.get(2).storedHash())))
          .await();
    }
    assertThat(verify().intact()).isTrue();
  }

  @Test
  @Order(5)
  void reorderingTwoRows_isNamed() {
    swap(5, 6);
    try {
      assertThat(verify().summary()).startsWith("the event at index 5 ");
    } finally {
      swap(5, 6);
    }
    assertThat(verify().intact()).isTrue();
  }

  @Test
  @Order(6)
  void deletingARow_isNamed_andDeletingTheLastIsCaughtByTheCheckpoint() throws Exception {
    Path export = dir.resolve("audit.jsonl");
    try (var out = java.nio.file.Files.newBufferedWriter(export)) {
      AuditExport.write(AuditExport.read(pool()).await(), out);
    }
    long last = checkpoint().size() - 1;

    pool().query("DELETE FROM audit_event WHERE leaf_index = 7").execute().await();
    assertThat(verify().summary()).isEqualTo("the event at index 7 is missing (the next is 8)");

    pool()
        .preparedQuery("DELETE FROM audit_event WHERE leaf_index >= $1")
        .execute(Tuple.of(last))
        .await();
    // Close the gap, as someone hiding the deletion would: only the signed checkpoints remain.
    pool()
        .query("UPDATE audit_event SET leaf_index = -leaf_index WHERE leaf_index > 7")
        .execute()
        .await();
    pool()
        .query("UPDATE audit_event SET leaf_index = -leaf_index - 1 WHERE leaf_index < 0")
        .execute()
        .await();
    assertThat(verify().summary()).startsWith("the event at index 7 ");

    // The export taken before the tampering still verifies offline.
    AuditExport.Contents exported = AuditExport.read(export);
    assertThat(
            AuditVerifier.verify(exported.leaves().iterator(), exported.checkpoints(), auditKey)
                .intact())
        .isTrue();
  }

  /** Swaps two rows' places in the log, as someone reordering it would. */
  private static void swap(long a, long b) {
    pool()
        .preparedQuery("UPDATE audit_event SET leaf_index = -1 WHERE leaf_index = $1")
        .execute(Tuple.of(a))
        .await();
    pool()
        .preparedQuery("UPDATE audit_event SET leaf_index = $1 WHERE leaf_index = $2")
        .execute(Tuple.of(a, b))
        .await();
    pool()
        .preparedQuery("UPDATE audit_event SET leaf_index = $1 WHERE leaf_index = -1")
        .execute(Tuple.of(b))
        .await();
  }

  private static byte[] b64(String s) {
    return Base64.getDecoder().decode(s);
  }

  private static List<byte[]> hashes(JsonObject proof) {
    List<byte[]> out = new ArrayList<>();
    proof.getJsonArray("proof").forEach(h -> out.add(b64((String) h)));
    return out;
  }
}
