package org.placeshare.gateway.witness;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
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
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
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
  static final int LOGS = 60;
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
  static class TestClock extends Clock {
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

  static Instant storedCosignedAt(Log log) {
    return pool.preparedQuery("SELECT cosigned_at FROM witness_checkpoint WHERE origin = $1")
        .execute(Tuple.of(log.key().name()))
        .await()
        .iterator()
        .next()
        .getOffsetDateTime(0)
        .toInstant();
  }

  static List<Row> evidence(Log log) {
    List<Row> out = new ArrayList<>();
    pool.preparedQuery(
            "SELECT origin, size, root, note, cosigned_root, cosigned_note, received_at"
                + " FROM witness_evidence WHERE origin = $1 ORDER BY received_at, size")
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
  void addCheckpoint_sameSizeAndRootReplayed_writesNothingAndLogsNoInfo() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 6)).statusCode()).isEqualTo(200);
    Instant cosignedAt = storedCosignedAt(log);
    clock.now.updateAndGet(t -> t.plusSeconds(60));
    List<String> lines = new ArrayList<>();
    Handler capture = capture(lines);

    try {
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> replay = post(log.request(6, 6));
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(verifiedCosignatureTime(log, log.checkpoint(6), replay.body()))
            .isEqualTo(clock.instant().getEpochSecond());
      }
    } finally {
      Logger.getLogger(WitnessServer.class.getName()).removeHandler(capture);
    }

    // The row is as the first cosigning left it: a replay did not write.
    assertThat(storedCosignedAt(log)).isEqualTo(cosignedAt);
    synchronized (lines) {
      assertThat(lines).noneMatch(l -> l.contains(log.key().name()));
    }
  }

  @Test
  void addCheckpoint_onAMovingClock_storesAndSignsOneInstant() throws Exception {
    Log log = newLog();
    // Each reading of this clock is a second later than the last.
    TestClock ticking =
        new TestClock(T0) {
          @Override
          public Instant instant() {
            return now.getAndUpdate(t -> t.plusSeconds(1));
          }
        };
    WitnessServer other = WitnessServer.start(vertx, config, pool, ticking).await();
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + other.port() + "/add-checkpoint"))
                  .POST(HttpRequest.BodyPublishers.ofString(log.request(0, 4)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(verifiedCosignatureTime(log, log.checkpoint(4), r.body()))
          .isEqualTo(storedCosignedAt(log).getEpochSecond());
    } finally {
      other.close().await();
    }
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
  void addCheckpoint_sameSizeDifferentRoot_answers409AndKeepsBothHalvesOfTheSplitView()
      throws Exception {
    Log log = newLog();
    String cosignedNote = log.checkpoint(6);
    assertThat(post(log.request(0, 6)).statusCode()).isEqualTo(200);
    byte[] otherRoot = log.root(7);
    String secondNote = NoteCheckpoint.sign(log.key(), 6, otherRoot).note();

    HttpResponse<String> r = post(body(6, List.of(), secondNote));

    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.body()).isEqualTo("6\n");
    List<Row> kept = evidence(log);
    assertThat(kept).hasSize(1);
    assertThat(kept.get(0).getLong("size")).isEqualTo(6L);
    assertThat(kept.get(0).getBuffer("root").getBytes()).isEqualTo(otherRoot);
    assertThat(kept.get(0).getString("note")).isEqualTo(secondNote);
    assertThat(kept.get(0).getBuffer("cosigned_root").getBytes()).isEqualTo(log.root(6));
    assertThat(kept.get(0).getString("cosigned_note")).isEqualTo(cosignedNote);
    assertThat(kept.get(0).getOffsetDateTime("received_at").toInstant()).isEqualTo(clock.instant());
  }

  @Test
  void addCheckpoint_splitViewAfterTheLogMovedOn_stillHoldsTheNoteCosignedForThatSize()
      throws Exception {
    Log log = newLog();
    String cosignedNote = log.checkpoint(6);
    assertThat(post(log.request(0, 6)).statusCode()).isEqualTo(200);
    String secondNote = NoteCheckpoint.sign(log.key(), 6, log.root(7)).note();
    assertThat(post(body(6, List.of(), secondNote)).statusCode()).isEqualTo(409);

    // The log moves on: the witness's own row for the log now holds size 9.
    assertThat(post(log.request(6, 9)).statusCode()).isEqualTo(200);

    List<Row> kept = evidence(log);
    assertThat(kept).hasSize(1);
    assertThat(kept.get(0).getString("note")).isEqualTo(secondNote);
    assertThat(kept.get(0).getString("cosigned_note")).isEqualTo(cosignedNote);
    // Both halves verify with the log's key alone: proof of a split view whoever reads it.
    for (String half : List.of(secondNote, cosignedNote)) {
      SignedNote.open(half.getBytes(StandardCharsets.UTF_8), List.of(log.key().verifierKey()));
    }
  }

  @Test
  void addCheckpoint_secondRootSentWithAnOlderOldSize_isKeptAsEvidence() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 6)).statusCode()).isEqualTo(200);
    String secondNote = NoteCheckpoint.sign(log.key(), 6, log.root(7)).note();

    HttpResponse<String> r = post(body(0, List.of(), secondNote));

    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.body()).isEqualTo("6\n");
    assertThat(evidence(log)).hasSize(1);
    assertThat(evidence(log).get(0).getString("note")).isEqualTo(secondNote);
  }

  @Test
  void addCheckpoint_splitViewReplayed_isKeptOnce() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 6)).statusCode()).isEqualTo(200);
    String forked = body(6, List.of(), NoteCheckpoint.sign(log.key(), 6, log.root(7)).note());

    for (int i = 0; i < 5; i++) {
      clock.now.updateAndGet(t -> t.plusSeconds(1));
      assertThat(post(forked).statusCode()).isEqualTo(409);
    }

    assertThat(evidence(log)).hasSize(1);
  }

  @Test
  void addCheckpoint_consistencyProofFails_answers422AndKeepsNothing() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 5)).statusCode()).isEqualTo(200);
    // Garbage hashes beside a genuine checkpoint the log signed: anyone could send this.
    String request = body(5, log.proof(4, 11), log.checkpoint(11));
    clock.now.updateAndGet(t -> t.plus(WitnessServer.WARNING_INTERVAL));
    List<String> lines = new ArrayList<>();
    Handler capture = capture(lines);

    HttpResponse<String> r;
    try {
      r = post(request);
      assertThat(post(request).statusCode()).isEqualTo(422);
    } finally {
      Logger.getLogger(WitnessServer.class.getName()).removeHandler(capture);
    }

    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(contentType(r)).isEqualTo("text/plain; charset=utf-8");
    assertThat(r.body()).startsWith("the consistency proof from 5 to 11 fails: ");
    assertThat(storedSize(log)).contains(5L);
    assertThat(evidence(log)).isEmpty();
    // One WARNING for the two (at most one a minute), naming origin and size, never the body.
    synchronized (lines) {
      assertThat(lines).hasSize(1);
      assertThat(lines.get(0))
          .startsWith("WARNING refused " + log.key().name() + " at size 11: ")
          .doesNotContain(b64(log.root(11)))
          .doesNotContain(b64(log.proof(4, 11).get(0)));
    }
  }

  @Test
  void addCheckpoint_manyFailingProofsThenASplitView_keepsTheSplitView() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 5)).statusCode()).isEqualTo(200);
    String bad = body(5, log.proof(4, 11), log.checkpoint(11));
    for (int i = 0; i < WitnessServer.MAX_SPLIT_VIEWS_PER_LOG + 3; i++) {
      assertThat(post(bad).statusCode()).isEqualTo(422);
    }

    String secondNote = NoteCheckpoint.sign(log.key(), 5, log.root(6)).note();
    assertThat(post(body(5, List.of(), secondNote)).statusCode()).isEqualTo(409);

    List<Row> kept = evidence(log);
    assertThat(kept).hasSize(1);
    assertThat(kept.get(0).getString("note")).isEqualTo(secondNote);
  }

  @Test
  void addCheckpoint_splitViewsBeyondTheCap_areNotKept() throws Exception {
    Log log = newLog();
    assertThat(post(log.request(0, 5)).statusCode()).isEqualTo(200);

    // A misbehaving log signing ever new roots for size 5: only the log can, and it is capped.
    for (int i = 0; i < WitnessServer.MAX_SPLIT_VIEWS_PER_LOG + 3; i++) {
      byte[] root = Merkle.leafHash(("fork " + i).getBytes(StandardCharsets.UTF_8));
      String note = NoteCheckpoint.sign(log.key(), 5, root).note();
      assertThat(post(body(5, List.of(), note)).statusCode()).isEqualTo(409);
    }

    assertThat(evidence(log)).hasSize(WitnessServer.MAX_SPLIT_VIEWS_PER_LOG);
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
  void addCheckpoint_bodySentOneByteASecond_isCutOffAtTheRequestDeadline() throws Exception {
    Log log = newLog();
    byte[] request = log.request(0, 3).getBytes(StandardCharsets.UTF_8);
    long deadline = WitnessServer.REQUEST_DEADLINE.toMillis();
    try (Socket socket = new Socket("127.0.0.1", witness.port())) {
      socket.setSoTimeout(1000); // also the pace: one byte a second, each well within the idle time
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write(headers("Content-Length: " + request.length));
      long start = System.nanoTime();
      boolean closed = false;
      for (int sent = 0; sent < request.length - 1 && !closed; sent++) {
        if (millisSince(start) > deadline + 6000) {
          break;
        }
        try {
          out.write(request[sent]);
          out.flush();
          closed = in.read() == -1;
        } catch (SocketTimeoutException e) {
          // still open
        } catch (IOException e) {
          closed = true; // reset
        }
      }
      long elapsed = millisSince(start);

      assertThat(closed).as("closed after %d ms", elapsed).isTrue();
      assertThat(elapsed).isBetween(deadline - 1000, deadline + 6000);
    }
    assertThat(storedSize(log)).isEmpty();
  }

  @Test
  void addCheckpoint_contentLengthOverTheCap_answers413BeforeAnyBody() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", witness.port())) {
      socket.setSoTimeout(5000);
      socket
          .getOutputStream()
          .write(headers("Content-Length: " + (WitnessServer.MAX_BODY_BYTES + 1)));

      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(answer).startsWith("HTTP/1.1 413 ");
    }
  }

  @Test
  void addCheckpoint_chunkedBodyPassingTheCap_answers413AndCloses() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", witness.port())) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(headers("Transfer-Encoding: chunked"));
      byte[] chunk = "x".repeat(8192).getBytes(StandardCharsets.US_ASCII);
      // No length declared: the last chunk sent takes the bytes received past the cap.
      try {
        for (int sent = 0; sent <= WitnessServer.MAX_BODY_BYTES; sent += chunk.length) {
          out.write(("2000\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(chunk);
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
      } catch (IOException e) {
        // closed while sending: the answer is read below
      }
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(answer).startsWith("HTTP/1.1 413 ");
    }
  }

  @Test
  void addCheckpoint_aFormContentTypeBodyOverRawHttp_isReadAsSent() throws Exception {
    Log log = newLog();
    // As a form it would be thousands of empty fields; it is a checkpoint, read as bytes.
    String text =
        log.key().name() + "\n4\n" + b64(log.root(4)) + "\nextension " + "&".repeat(34_000) + "\n";
    String note = SignedNote.sign(text, log.key());
    byte[] request = body(0, List.of(), note).getBytes(StandardCharsets.UTF_8);

    String answer;
    try (Socket socket = new Socket("127.0.0.1", witness.port())) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(
          headers(
              "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n"
                  + "Content-Length: "
                  + request.length));
      out.write(request);
      out.flush();
      answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    assertThat(answer).startsWith("HTTP/1.1 200 ");
    verifiedCosignatureTime(log, note, answer.substring(answer.indexOf("\r\n\r\n") + 4));
    assertThat(storedSize(log)).contains(4L);
  }

  static byte[] headers(String more) {
    return ("POST /add-checkpoint HTTP/1.1\r\nHost: 127.0.0.1\r\n" + more + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
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

  /** Collects the witness's log lines at {@code level} and above; remove it when done. */
  static Handler capture(List<String> lines) {
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            synchronized (lines) {
              lines.add(record.getLevel() + " " + record.getMessage());
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    handler.setLevel(Level.ALL);
    Logger.getLogger(WitnessServer.class.getName()).addHandler(handler);
    return handler;
  }

  static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }
}
