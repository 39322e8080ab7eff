package org.placeshare.gateway.witness;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.placeshare.gateway.TestPostgres;
import org.placeshare.gateway.audit.Cosignature;
import org.placeshare.gateway.audit.Merkle;
import org.placeshare.gateway.audit.NoteCheckpoint;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.SignedNote;

/**
 * C2SP tlog-witness {@code add-checkpoint}, each MUST a case, over real HTTP against the started
 * witness with a real PostgreSQL. Each test witnesses its own log (its own origin), so the tests
 * share one witness and one database without seeing each other's state.
 */
class WitnessServerTest {

  static final SecureRandom RANDOM = new SecureRandom();
  static final Instant T0 = Instant.parse("2025-03-01T09:00:00Z");
  static final int LOGS = 40;
  static final int LEAVES = 64;

  static Vertx vertx;
  static Pool pool;
  static TestClock clock = new TestClock(T0);
  static NoteSigner cosigner = NoteSigner.generateCosigner("witness.example/w1", RANDOM);
  static List<NoteSigner> logKeys = new ArrayList<>();
  static WitnessConfig config;
  static WitnessServer witness;
  static HttpClient http = HttpClient.newHttpClient();
  static int nextLog;

  /** A clock the tests move. */
  static final class TestClock extends Clock {
    final AtomicReference<Instant> now;

    TestClock(Instant start) {
      now = new AtomicReference<>(start);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    pool =
        PgBuilder.pool()
            .connectingTo(PgConnectOptions.fromUri(TestPostgres.freshDatabase()))
            .using(vertx)
            .build();
    List<WitnessConfig.WitnessedLog> logs = new ArrayList<>();
    for (int i = 0; i < LOGS; i++) {
      NoteSigner key = NoteSigner.generate("audit.placeshare.example/log" + i, RANDOM);
      logKeys.add(key);
      logs.add(WitnessConfig.WitnessedLog.of(key.verifierKey()));
    }
    config =
        new WitnessConfig(
            "127.0.0.1", 0, cosigner, logs, Optional.empty(), Path.of("target/unused-witness"));
    witness = WitnessServer.start(vertx, config, pool, clock).await();
  }

  @AfterAll
  static void stop() {
    if (witness != null) {
      witness.close().await();
    }
    if (pool != null) {
      pool.close().await();
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  /** A log of its own for one test: a key the witness trusts and its leaves. */
  record Log(NoteSigner key, List<byte[]> leaves) {
    String checkpoint(int size) {
      return NoteCheckpoint.sign(key, size, root(size)).note();
    }

    byte[] root(int size) {
      return Merkle.root(leaves.subList(0, size));
    }

    List<byte[]> proof(int from, int to) {
      return Merkle.consistencyProof(from, leaves.subList(0, to));
    }

    /** A well-formed request from {@code from} to {@code to}, with the right proof. */
    String request(int from, int to) {
      return body(from, from == 0 ? List.of() : proof(from, to), checkpoint(to));
    }
  }

  static synchronized Log newLog() {
    NoteSigner key = logKeys.get(nextLog++);
    List<byte[]> leaves = new ArrayList<>();
    for (int i = 0; i < LEAVES; i++) {
      leaves.add(Merkle.leafHash((key.name() + " event " + i).getBytes(StandardCharsets.UTF_8)));
    }
    return new Log(key, leaves);
  }

  static String body(long old, List<byte[]> proof, String note) {
    StringBuilder b = new StringBuilder("old ").append(old).append('\n');
    for (byte[] h : proof) {
      b.append(Base64.getEncoder().encodeToString(h)).append('\n');
    }
    return b.append('\n').append(note).toString();
  }

  static HttpResponse<String> post(String body) throws Exception {
    return send(HttpRequest.newBuilder(uri()).POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static URI uri() {
    return URI.create("http://127.0.0.1:" + witness.port() + "/add-checkpoint");
  }

  static String contentType(HttpResponse<?> r) {
    return r.headers().firstValue("Content-Type").orElse("");
  }

  /** The cosignature verified with the log's and the witness's keys; answers its time. */
  static long verifiedCosignatureTime(Log log, String checkpoint, String cosignature) {
    SignedNote.Opened opened =
        SignedNote.open(
            (checkpoint + cosignature).getBytes(StandardCharsets.UTF_8),
            List.of(log.key().verifierKey(), cosigner.verifierKey()));
    assertThat(opened.signedBy(cosigner.verifierKey())).isTrue();
    return opened.verified().stream()
        .filter(s -> s.name().equals(cosigner.name()))
        .mapToLong(s -> Cosignature.timestamp(s.signature()))
        .findFirst()
        .orElseThrow();
  }

  static Optional<Long> storedSize(Log log) {
    var rows =
        pool.preparedQuery("SELECT size FROM witness_checkpoint WHERE origin = $1")
            .execute(Tuple.of(log.key().name()))
            .await();
    return rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getLong(0));
  }

  static List<Row> evidence(Log log) {
    List<Row> out = new ArrayList<>();
    pool.preparedQuery(
            "SELECT origin, body, received_at, reason FROM witness_evidence WHERE origin = $1")
        .execute(Tuple.of(log.key().name()))
        .await()
        .forEach(out::add);
    return out;
  }

  @Test
  void addCheckpoint_firstFromZero_answersTheCosignatureAndStoresTheCheckpoint() throws Exception {
    Log log = newLog();

    HttpResponse<String> r = post(log.request(0, 5));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(contentType(r)).isEqualTo("text/plain; charset=utf-8");
    assertThat(r.body()).startsWith("\u2014 witness.example/w1 ").endsWith("\n");
    assertThat(r.body().lines()).hasSize(1);
    assertThat(verifiedCosignatureTime(log, log.checkpoint(5), r.body()))
        .isEqualTo(clock.instant().getEpochSecond());
    assertThat(storedSize(log)).contains(5L);
  }

  @Test
  void addCheckpoint_inStepWithAValidProof_advances() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 3)).statusCode()).isEqualTo(200);

    HttpResponse<String> r = post(log.request(3, 13));

    assertThat(r.statusCode()).isEqualTo(200);
    verifiedCosignatureTime(log, log.checkpoint(13), r.body());
    assertThat(storedSize(log)).contains(13L);
  }

  @Test
  void addCheckpoint_oldSizeNotTheCosignedSize_answers409WithTheCosignedSize() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 7)).statusCode()).isEqualTo(200);

    HttpResponse<String> behind = post(log.request(0, 9));
    HttpResponse<String> ahead = post(log.request(8, 9));

    for (HttpResponse<String> r : List.of(behind, ahead)) {
      assertThat(r.statusCode()).isEqualTo(409);
      assertThat(contentType(r)).isEqualTo("text/x.tlog.size");
      assertThat(r.body()).isEqualTo("7\n");
    }
    assertThat(storedSize(log)).contains(7L);
  }

  @Test
  void addCheckpoint_neverCosignedAndOldSizeNotZero_answers409WithZero() throws Exception {
    Log log = newLog();

    HttpResponse<String> r = post(log.request(4, 9));

    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(contentType(r)).isEqualTo("text/x.tlog.size");
    assertThat(r.body()).isEqualTo("0\n");
  }

  @Test
  void addCheckpoint_sameSizeAndRootAgain_answersAFreshCosignature() throws Exception {
    Log log = newLog();
    HttpResponse<String> first = post(log.request(0, 6));
    clock.now.updateAndGet(t -> t.plusSeconds(60));

    HttpResponse<String> retry = post(log.request(6, 6));

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(retry.statusCode()).isEqualTo(200);
    long firstTime = verifiedCosignatureTime(log, log.checkpoint(6), first.body());
    long retryTime = verifiedCosignatureTime(log, log.checkpoint(6), retry.body());
    assertThat(retryTime).isEqualTo(clock.instant().getEpochSecond()).isGreaterThan(firstTime);
    assertThat(storedSize(log)).contains(6L);
  }

  @Test
  void addCheckpoint_sameSizeDifferentRoot_answers409AndKeepsTheEvidence() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 6)).statusCode()).isEqualTo(200);
    byte[] otherRoot = log.root(7);
    String forked = body(6, List.of(), NoteCheckpoint.sign(log.key(), 6, otherRoot).note());

    HttpResponse<String> r = post(forked);

    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.body()).isEqualTo("6\n");
    List<Row> kept = evidence(log);
    assertThat(kept).hasSize(1);
    assertThat(kept.get(0).getBuffer("body").toString(StandardCharsets.UTF_8)).isEqualTo(forked);
    assertThat(kept.get(0).getString("reason")).isEqualTo("a second root for size 6");
  }

  @Test
  void addCheckpoint_consistencyProofFails_answers422AndKeepsTheRequestAsEvidence()
      throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 5)).statusCode()).isEqualTo(200);
    // A log that rewrote leaf 2: its new tree does not extend the cosigned one.
    List<byte[]> rewritten = new ArrayList<>(log.leaves());
    rewritten.set(2, Merkle.leafHash("rewritten".getBytes(StandardCharsets.UTF_8)));
    Log forged = new Log(log.key(), rewritten);
    String request = body(5, forged.proof(5, 11), forged.checkpoint(11));

    HttpResponse<String> r = post(request);

    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(contentType(r)).isEqualTo("text/plain; charset=utf-8");
    assertThat(r.body()).startsWith("the consistency proof from 5 to 11 fails: ");
    assertThat(storedSize(log)).contains(5L);
    List<Row> kept = evidence(log);
    assertThat(kept).hasSize(1);
    assertThat(kept.get(0).getString("origin")).isEqualTo(log.key().name());
    assertThat(kept.get(0).getBuffer("body").toString(StandardCharsets.UTF_8)).isEqualTo(request);
    assertThat(kept.get(0).getOffsetDateTime("received_at").toInstant()).isEqualTo(clock.instant());
    assertThat(kept.get(0).getString("reason")).startsWith("the consistency proof from 5 to 11");
  }

  @Test
  void addCheckpoint_evidenceBeyondTheCap_isNotKept() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 5)).statusCode()).isEqualTo(200);
    String bad = body(5, log.proof(4, 11), log.checkpoint(11));

    for (int i = 0; i < WitnessServer.MAX_EVIDENCE_PER_LOG + 3; i++) {
      assertThat(post(bad).statusCode()).isEqualTo(422);
    }

    assertThat(evidence(log)).hasSize(WitnessServer.MAX_EVIDENCE_PER_LOG);
  }

  @Test
  void addCheckpoint_proofFromZeroNotEmpty_answers422() throws Exception {
    Log log = newLog();

    HttpResponse<String> r = post(body(0, log.proof(3, 9), log.checkpoint(9)));

    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(storedSize(log)).isEmpty();
  }

  @Test
  void addCheckpoint_unknownOrigin_answers404() throws Exception {
    NoteSigner stranger = NoteSigner.generate("audit.elsewhere.example/log", RANDOM);
    String note = NoteCheckpoint.sign(stranger, 3, new byte[32]).note();

    HttpResponse<String> r = post(body(0, List.of(), note));

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).isEqualTo("unknown log origin\n");
  }

  @Test
  void addCheckpoint_signedOnlyByAnUnknownKeyForTheOrigin_answers403() throws Exception {
    Log log = newLog();
    NoteSigner impostor = NoteSigner.generate(log.key().name(), RANDOM);
    String note = NoteCheckpoint.sign(impostor, 3, log.root(3)).note();

    HttpResponse<String> r = post(body(0, List.of(), note));

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body().lines()).hasSize(1);
    assertThat(storedSize(log)).isEmpty();
  }

  @Test
  void addCheckpoint_badSignatureByTheTrustedKey_answers403() throws Exception {
    Log log = newLog();
    String good = log.checkpoint(3);
    // The same signature over another root: the log's key name and hash, a signature that fails.
    String text = good.substring(0, good.lastIndexOf("\n\n") + 1);
    String sigs = good.substring(good.lastIndexOf("\n\n") + 1);
    String tampered =
        text.replace(Base64.getEncoder().encodeToString(log.root(3)), b64(log.root(4))) + sigs;

    HttpResponse<String> r = post(body(0, List.of(), tampered));

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(storedSize(log)).isEmpty();
  }

  @Test
  void addCheckpoint_anUnknownKeysSignatureBesideTheLogs_isIgnored() throws Exception {
    Log log = newLog();
    NoteSigner other = NoteSigner.generate("someone.example/else", RANDOM);
    String text = NoteCheckpoint.sign(log.key(), 4, log.root(4)).note();
    String bodyText = text.substring(0, text.lastIndexOf("\n\n") + 1);
    String both = SignedNote.sign(bodyText, other, log.key());

    HttpResponse<String> r = post(body(0, List.of(), both));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(storedSize(log)).contains(4L);
  }

  @Test
  void addCheckpoint_oldSizeAboveTheCheckpointSize_answers400() throws Exception {
    Log log = newLog();

    HttpResponse<String> r = post(body(9, List.of(), log.checkpoint(5)));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(contentType(r)).isEqualTo("text/plain; charset=utf-8");
    assertThat(r.body()).isEqualTo("old size 9 is above the checkpoint's 5\n");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "leadingZero",
        "signedSize",
        "sizeBeyondLong",
        "noOldLine",
        "shortHash",
        "longHash",
        "nonCanonicalBase64",
        "sixtyFourProofLines",
        "noEmptyLine",
        "noCheckpoint",
        "checkpointWithoutSignatures",
        "checkpointSizeWithLeadingZero",
        "crlfLines"
      })
  void addCheckpoint_malformed_answers400WithAOneLineReason(String mutation) throws Exception {
    Log log = newLog();
    String note = log.checkpoint(9);
    String hash = b64(log.root(1));
    String request =
        switch (mutation) {
          case "leadingZero" -> "old 03\n\n" + note;
          case "signedSize" -> "old +3\n\n" + note;
          case "sizeBeyondLong" -> "old 9223372036854775808\n\n" + note;
          case "noOldLine" -> hash + "\n\n" + note;
          case "shortHash" -> "old 3\n" + b64(new byte[31]) + "\n\n" + note;
          case "longHash" -> "old 3\n" + b64(new byte[33]) + "\n\n" + note;
          case "nonCanonicalBase64" ->
              "old 3\n"
                  + hash.substring(0, 42)
                  // B (000001) and C (000010) set the low bits a 32-byte hash's last character
                  // leaves zero: never a canonical encoding ('A' would be, for some hashes).
                  + (hash.charAt(42) == 'B' ? "C" : "B")
                  + "=\n\n"
                  + note;
          case "sixtyFourProofLines" -> "old 3\n" + (hash + "\n").repeat(64) + "\n" + note;
          case "noEmptyLine" -> "old 3\n" + hash + "\n" + note;
          case "noCheckpoint" -> "old 0\n\n";
          case "checkpointWithoutSignatures" ->
              "old 0\n\n" + note.substring(0, note.indexOf("\n\n") + 1);
          case "checkpointSizeWithLeadingZero" ->
              "old 0\n\n"
                  + SignedNote.sign(
                      log.key().name() + "\n09\n" + b64(log.root(9)) + "\n", log.key());
          case "crlfLines" -> "old 0\r\n\r\n" + note;
          default -> throw new IllegalArgumentException(mutation);
        };

    HttpResponse<String> r = post(request);

    assertThat(r.statusCode()).as(mutation).isEqualTo(400);
    assertThat(contentType(r)).isEqualTo("text/plain; charset=utf-8");
    assertThat(r.body()).endsWith("\n");
    assertThat(r.body().lines()).hasSize(1);
    assertThat(storedSize(log)).isEmpty();
  }

  @Test
  void addCheckpoint_bodyOverTheCap_answers413() throws Exception {
    Log log = newLog();
    String huge = log.request(0, 3) + "x".repeat(WitnessServer.MAX_BODY_BYTES);

    HttpResponse<String> r = post(huge);

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(storedSize(log)).isEmpty();
  }

  @Test
  void addCheckpoint_otherThanPost_answers405() throws Exception {
    for (String method : List.of("GET", "PUT", "DELETE")) {
      HttpResponse<String> r =
          send(
              HttpRequest.newBuilder(uri())
                  .method(method, HttpRequest.BodyPublishers.ofString("old 0\n\n")));

      assertThat(r.statusCode()).as(method).isEqualTo(405);
      assertThat(r.headers().firstValue("Allow")).contains("POST");
    }
  }

  @Test
  void addCheckpoint_anyContentType_isAccepted() throws Exception {
    Log log = newLog();

    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(uri())
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofString(log.request(0, 2))));

    assertThat(r.statusCode()).isEqualTo(200);
  }

  @Test
  void addCheckpoint_asAFormPostOfALargeCheckpoint_isReadAsSent() throws Exception {
    Log log = newLog();
    // curl --data-binary sends a form's Content-Type; a checkpoint may carry extension lines.
    String text =
        log.key().name() + "\n4\n" + b64(log.root(4)) + "\nextension " + "x".repeat(20_000) + "\n";
    String note = SignedNote.sign(text, log.key());

    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(uri())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body(0, List.of(), note))));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    verifiedCosignatureTime(log, note, r.body());
    assertThat(storedSize(log)).contains(4L);
  }

  @Test
  void addCheckpoint_concurrentRequestsFromOneSize_cosignOneAndNeverRollBack() throws Exception {
    Log log = newLog();
    int stored = 0;
    for (int round = 0; round < 6; round++) {
      int from = stored;
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int to = from + 1; to <= from + 8; to++) {
        answers.add(
            http.sendAsync(
                HttpRequest.newBuilder(uri())
                    .POST(HttpRequest.BodyPublishers.ofString(log.request(from, to)))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      List<Integer> cosigned = new ArrayList<>();
      for (int i = 0; i < answers.size(); i++) {
        HttpResponse<String> r = answers.get(i).join();
        if (r.statusCode() == 200) {
          cosigned.add(from + 1 + i);
          verifiedCosignatureTime(log, log.checkpoint(from + 1 + i), r.body());
        } else {
          assertThat(r.statusCode()).isEqualTo(409);
          assertThat(Long.parseLong(r.body().strip())).isGreaterThan(from);
        }
      }

      // Every request started from one size: one may move the log on, no other after it.
      assertThat(cosigned).hasSize(1);
      assertThat(storedSize(log)).contains((long) cosigned.get(0));
      stored = cosigned.get(0);
      assertThat(stored).isGreaterThan(from);
    }
  }

  @Test
  void restart_onTheSameDatabase_keepsTheCosignedSize() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 8)).statusCode()).isEqualTo(200);

    witness.close().await();
    witness = WitnessServer.start(vertx, config, pool, clock).await();

    HttpResponse<String> stale = post(log.request(0, 9));
    assertThat(stale.statusCode()).isEqualTo(409);
    assertThat(stale.body()).isEqualTo("8\n");
    assertThat(post(log.request(8, 9)).statusCode()).isEqualTo(200);
  }

  @Test
  void twoWitnessesOfOneLog_onOneDatabase_keepEachTheirOwnView() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 8)).statusCode()).isEqualTo(200);
    WitnessConfig second =
        new WitnessConfig(
            "127.0.0.1",
            0,
            NoteSigner.generateCosigner("witness.council.example/w1", RANDOM),
            config.logs(),
            Optional.empty(),
            Path.of("target/unused-witness"));
    WitnessServer other = WitnessServer.start(vertx, second, pool, clock).await();
    try {
      URI otherUri = URI.create("http://127.0.0.1:" + other.port() + "/add-checkpoint");
      // The second has cosigned nothing of this log: it starts from 0, not from the first's 8.
      HttpResponse<String> fromZero =
          http.send(
              HttpRequest.newBuilder(otherUri)
                  .POST(HttpRequest.BodyPublishers.ofString(log.request(0, 5)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(fromZero.statusCode()).isEqualTo(200);
      // And the first is still at 8: the second's cosigning of 5 did not move it back.
      HttpResponse<String> stale = post(log.request(5, 9));
      assertThat(stale.statusCode()).isEqualTo(409);
      assertThat(stale.body()).isEqualTo("8\n");
    } finally {
      other.close().await();
    }
  }

  static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }
}
