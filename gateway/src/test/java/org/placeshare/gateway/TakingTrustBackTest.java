package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.identity.SigningKey;

/**
 * Taking trust back while the fleet runs: two gateway instances on one PostgreSQL, sharing the
 * token key and the agreements but each reading its own copy of the clients file (as two hosts
 * would). A client suspended in one instance's file is refused at once on both, its new token
 * requests, console sessions and running cohort jobs stop, and the suspension is audited once; a
 * broken clients file leaves the running registry in force; an IG lead revokes one access token by
 * its jti on every instance while the client's other tokens go on working.
 */
class TakingTrustBackTest {

  /** A second IG client, for the console session that a suspension ends. */
  static final String DEPUTY = "ig-deputy";

  @TempDir static Path dir;
  static GatewayFixture a;
  static GatewayFixture b;
  static HeldGp gp;
  static SigningKey deputyKey = SigningKey.generate();
  static List<GatewayConfig.Client> clients;

  /** Each instance's clients file and the statuses it states now. */
  static final Map<Path, Map<String, String>> statuses = new ConcurrentHashMap<>();

  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    String database = TestPostgres.freshDatabase();
    Path secret = dir.resolve("pseudonym.secret");
    Files.createDirectories(dir);
    Files.writeString(secret, com.nimbusds.jose.util.Base64URL.encode(new byte[32]).toString());
    deputyKey.writePem(dir.resolve("deputy.key.pem"), dir.resolve("deputy.pub.pem"));
    // Both instances' GP, so a cohort job is caught running whichever instance takes it.
    gp = new HeldGp();
    a =
        GatewayFixture.start(
            dir.resolve("a"),
            database,
            SigningKey.generate(),
            c -> gp.in(fleet(c, dir.resolve("a"), dir.resolve("a/clients.yaml"), secret)));
    a.addAgreement("gm-connect-population-health.yaml");
    b =
        GatewayFixture.start(
            dir.resolve("b"),
            database,
            a.gpConsentKey,
            c ->
                gp.in(
                    fleet(
                        GatewayFixture.sharing(c, dir.resolve("a")),
                        dir.resolve("a"),
                        dir.resolve("b/clients.yaml"),
                        secret)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (gp != null) {
      gp.close();
    }
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  /**
   * An instance of the fleet: the token key of instance A's folder, the clients (and a deputy IG
   * client) in its own clients file, and cohort jobs one member at a time.
   */
  static GatewayConfig fleet(GatewayConfig c, Path shared, Path clientsFile, Path secret) {
    List<GatewayConfig.Client> registered = new ArrayList<>(c.clients());
    registered.add(
        new GatewayConfig.Client(
            DEPUTY, "QWU", dir.resolve("deputy.pub.pem"), Set.of("HOPERAT"), Set.of("ig-lead")));
    clients = List.copyOf(registered);
    writeClients(clientsFile, new ConcurrentHashMap<>());
    return new GatewayConfig(
        c.host(),
        c.port(),
        c.publicUrl(),
        c.dataDir(),
        c.databaseUrl(),
        shared.resolve("gateway.key.pem"),
        c.agreements(),
        c.agreementSigners(),
        c.agreementSignaturesRequired(),
        c.policyPoll(),
        c.organisations(),
        registered,
        c.sources(),
        c.consentKey(),
        c.consentIssuers(),
        c.issuerTrustCa(),
        c.nationalOptOuts(),
        c.tls(),
        Optional.of(secret),
        c.auditKey(),
        c.maxConcurrentRequests(),
        c.clientRequestsPerMinute(),
        new GatewayConfig.Cohorts(
            5000, 1, Duration.ofSeconds(30), Duration.ofHours(1), 10, 2, dir.resolve("exports")),
        Optional.of(new GatewayConfig.ClientsFile(clientsFile, false)),
        c.management());
  }

  /** Writes a clients file: every client, each with the status given or active. */
  static void writeClients(Path file, Map<String, String> status) {
    statuses.put(file, status);
    StringBuilder yaml = new StringBuilder("clients:\n");
    for (GatewayConfig.Client c : clients) {
      yaml.append("  - id: ")
          .append(c.id())
          .append("\n    organisation: ")
          .append(c.organisation())
          .append("\n    publicKey: ")
          .append(
              c.publicKey().getFileName().toString().equals("deputy.pub.pem")
                  ? c.publicKey()
                  : dir.resolve("a").resolve(c.publicKey().getFileName()))
          .append("\n    purposes: [")
          .append(String.join(", ", c.purposes().stream().sorted().toList()))
          .append("]\n    roles: [")
          .append(String.join(", ", c.roles().stream().sorted().toList()))
          .append("]\n    status: ")
          .append(status.getOrDefault(c.id(), "active"))
          .append('\n');
    }
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, yaml);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Sets a client's status in one instance's clients file and has that instance reload it. */
  private static HttpResponse<String> setStatusAt(GatewayFixture at, String clientId, String status)
      throws Exception {
    Path file = (at == a ? dir.resolve("a") : dir.resolve("b")).resolve("clients.yaml");
    Map<String, String> now = statuses.get(file);
    now.put(clientId, status);
    writeClients(file, now);
    return at.post("/trust/clients/reload", ig(), "");
  }

  private static String ig() throws Exception {
    return a.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
  }

  /** A token asked of instance B with the client's one key (the fleet shares registrations). */
  private static HttpResponse<String> tokenAtB(String client, String role, String purpose)
      throws Exception {
    return b.tokenRequest(b.assertion(client, a.clientKeys.get(client), role, purpose));
  }

  private static long audited(String action, String detail) {
    Row row =
        a.gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT count(*) FROM audit_event WHERE action = $1 AND detail->>'detail' LIKE $2")
            .execute(Tuple.of(action, detail))
            .await()
            .iterator()
            .next();
    return row.getLong(0);
  }

  @Test
  void aSuspendedClient_isRefusedAtOnceOnBothInstances_getsNoNewToken_andIsAuditedOnce()
      throws Exception {
    String atA = a.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    String atB =
        new JsonObject(tokenAtB(GatewayFixture.AE_CLIENT, "clinician", "TREAT").body())
            .getString("access_token");
    assertThat(a.get("/agreements", atA).statusCode()).isEqualTo(200);
    assertThat(b.get("/agreements", atB).statusCode()).isEqualTo(200);

    // Only instance A's copy of the file changes: B learns of it from the fleet's record.
    HttpResponse<String> reloaded = setStatusAt(a, GatewayFixture.AE_CLIENT, "suspended");
    assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
    assertThat(new JsonObject(reloaded.body()).getInteger("suspended")).isEqualTo(1);

    assertThat(a.get("/agreements", atA).statusCode()).isEqualTo(401);
    assertThat(b.get("/agreements", atB).statusCode()).isEqualTo(401);
    assertThat(b.get("/agreements", atA).statusCode()).isEqualTo(401);
    var newAtA =
        a.tokenRequest(
            a.assertion(
                GatewayFixture.AE_CLIENT,
                a.clientKeys.get(GatewayFixture.AE_CLIENT),
                "clinician",
                "TREAT"));
    var newAtB = tokenAtB(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    assertThat(newAtA.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(newAtA.body()).getString("error_description"))
        .isEqualTo("client assertion refused: client coventry-ae is suspended");
    assertThat(newAtB.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(newAtB.body()).getString("error_description"))
        .startsWith("client assertion refused: client coventry-ae was suspended at ");
    // Each refusal is audited with its reason.
    assertThat(audited("read-agreements", "access token refused: client coventry-ae is suspended"))
        .isEqualTo(1);
    assertThat(
            audited(
                "read-agreements", "access token refused: client coventry-ae was suspended at %"))
        .isEqualTo(2);

    // B's copy catches up: the change is recorded already, so it is audited once, not twice.
    assertThat(setStatusAt(b, GatewayFixture.AE_CLIENT, "suspended").statusCode()).isEqualTo(200);
    assertThat(audited("client-status", "client coventry-ae (R9A) suspended%")).isEqualTo(1);
  }

  @Test
  void aRoleTakenFromAClient_inTheClientsFile_isRefusedFromTheNextReload() throws Exception {
    Path file = dir.resolve("a/clients.yaml");
    String good = Files.readString(file);
    assertThat(good).containsOnlyOnce("roles: [gp]");
    assertThat(a.token(GatewayFixture.GP_CLIENT, "gp", "TREAT")).isNotBlank();
    try {
      // Only the role changes: a reload must still see a change (the registry's fingerprint once
      // left roles out, and the old registry stayed in force).
      Files.writeString(file, good.replace("roles: [gp]", "roles: [reception]"));
      HttpResponse<String> reloaded = a.post("/trust/clients/reload", ig(), "");
      assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);

      HttpResponse<String> asGp =
          a.tokenRequest(
              a.assertion(
                  GatewayFixture.GP_CLIENT,
                  a.clientKeys.get(GatewayFixture.GP_CLIENT),
                  "gp",
                  "TREAT"));
      assertThat(asGp.statusCode()).as(asGp.body()).isEqualTo(401);
      assertThat(new JsonObject(asGp.body()).getString("error")).isEqualTo("invalid_client");
    } finally {
      Files.writeString(file, good);
    }
    assertThat(a.post("/trust/clients/reload", ig(), "").statusCode()).isEqualTo(200);
    assertThat(a.token(GatewayFixture.GP_CLIENT, "gp", "TREAT")).isNotBlank();
  }

  @Test
  void aBrokenClientsFile_isRefused_andTheRunningRegistryStaysInForce() throws Exception {
    String gp = a.token(GatewayFixture.GP_CLIENT, "gp", "TREAT");
    Path file = dir.resolve("a/clients.yaml");
    String good = Files.readString(file);
    try {
      Files.writeString(
          file, good.replace("status: active", "status: sleeping").replace("clients:", "clients:"));
      HttpResponse<String> refused = a.post("/trust/clients/reload", ig(), "");
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
      JsonObject status = new JsonObject(refused.body());
      assertThat(status.getString("lastError"))
          .contains("status: expected active or suspended, got sleeping");
      assertThat(status.getLong("refusedReloads")).isGreaterThanOrEqualTo(1);
      assertThat(status.getJsonArray("clients")).hasSize(clients.size());

      Files.writeString(file, "clients: [ { id: half-written");
      assertThat(a.post("/trust/clients/reload", ig(), "").statusCode()).isEqualTo(422);

      // The registry in force still stands behind the client's tokens, old and new.
      assertThat(a.get("/agreements", gp).statusCode()).isEqualTo(200);
      assertThat(a.token(GatewayFixture.GP_CLIENT, "gp", "TREAT")).isNotBlank();
    } finally {
      Files.writeString(file, good);
    }
    HttpResponse<String> restored = a.post("/trust/clients/reload", ig(), "");
    assertThat(restored.statusCode()).as(restored.body()).isEqualTo(200);
    assertThat(new JsonObject(restored.body()).getString("lastError")).isNull();
  }

  @Test
  void aRevokedAccessToken_isRefusedOnBothInstances_andTheClientsOtherTokensStillWork()
      throws Exception {
    String revoked = a.token(GatewayFixture.GP_CLIENT, "gp", "TREAT");
    String other = a.token(GatewayFixture.GP_CLIENT, "gp", "TREAT");
    String jti = SignedJWT.parse(revoked).getJWTClaimsSet().getJWTID();
    assertThat(audited("token-request", "access token " + jti + " issued to earlsdon-gp%"))
        .isEqualTo(1);
    assertThat(b.get("/agreements", revoked).statusCode()).isEqualTo(200);

    HttpResponse<String> r =
        b.post("/trust/tokens/" + jti + "/revoke", ig(), "{\"reason\": \"laptop stolen\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("jti")).isEqualTo(jti);

    assertThat(a.get("/agreements", revoked).statusCode()).isEqualTo(401);
    assertThat(b.get("/agreements", revoked).statusCode()).isEqualTo(401);
    assertThat(a.get("/agreements", other).statusCode()).isEqualTo(200);
    assertThat(b.get("/agreements", other).statusCode()).isEqualTo(200);
    assertThat(
            audited(
                "token-revoke",
                "access token " + jti + " revoked on every instance: laptop stolen"))
        .isEqualTo(1);
    assertThat(
            audited(
                "read-agreements",
                "access token refused: access token " + jti + " was revoked at %"))
        .isEqualTo(2);
  }

  @Test
  void aRevocation_ofSomethingThatIsNotATokenId_isABadRequest() throws Exception {
    HttpResponse<String> r = a.post("/trust/tokens/not-a-jti/revoke", ig(), "");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("jti: expected an access token id (a UUID)");
    String gp = a.token(GatewayFixture.GP_CLIENT, "gp", "TREAT");
    String jti = SignedJWT.parse(gp).getJWTClaimsSet().getJWTID();
    // Not an IG lead: refused, and the token stands.
    assertThat(a.post("/trust/tokens/" + jti + "/revoke", gp, "").statusCode()).isEqualTo(403);
    assertThat(a.get("/agreements", gp).statusCode()).isEqualTo(200);
  }

  @Test
  void aSuspendedClientsConsoleSession_endsAtItsNextPage() throws Exception {
    String deputy =
        new JsonObject(b.tokenRequest(b.assertion(DEPUTY, deputyKey, "ig-lead", "HOPERAT")).body())
            .getString("access_token");
    HttpResponse<String> signedIn =
        http.send(
            HttpRequest.newBuilder(b.url("/console/session"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "token=" + URLEncoder.encode(deputy, StandardCharsets.UTF_8)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    assertThat(page(b, cookie).statusCode()).isEqualTo(200);

    assertThat(setStatusAt(a, DEPUTY, "suspended").statusCode()).isEqualTo(200);

    HttpResponse<String> ended = page(b, cookie);
    assertThat(ended.statusCode()).isEqualTo(401);
    assertThat(ended.body()).contains("your console session has ended");
    // The session is gone: the cookie now leads to the sign-in page.
    assertThat(page(b, cookie).statusCode()).isEqualTo(303);
    assertThat(audited("console", "console session ended: client ig-deputy was suspended at %"))
        .isEqualTo(1);
  }

  @Test
  void aRevokedTokensConsoleSession_staysEnded_afterALaterRevocationSweepsOldOnes()
      throws Exception {
    String stolen = ig();
    String jti = SignedJWT.parse(stolen).getJWTClaimsSet().getJWTID();
    HttpResponse<String> signedIn =
        http.send(
            HttpRequest.newBuilder(b.url("/console/session"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "token=" + URLEncoder.encode(stolen, StandardCharsets.UTF_8)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    assertThat(page(b, cookie).statusCode()).isEqualTo(200);
    // Revoked while the thief holding the session is away from it.
    HttpResponse<String> r =
        a.post("/trust/tokens/" + jti + "/revoke", ig(), "{\"reason\": \"laptop stolen\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

    // 29 minutes on (the session is not idle for 30 yet) the IG lead revokes another token, which
    // sweeps the revocations it thinks no longer needed: as that revocation's sweep would run.
    a.gateway
        .database()
        .pool()
        .preparedQuery("DELETE FROM revoked_token WHERE keep_until < $1")
        .execute(
            io.vertx.sqlclient.Tuple.of(
                GatewayFixture.CLOCK
                    .instant()
                    .plus(Duration.ofMinutes(29))
                    .atOffset(ZoneOffset.UTC)))
        .await();

    HttpResponse<String> back = page(b, cookie);
    assertThat(back.statusCode()).isEqualTo(401);
    assertThat(back.body()).contains("your console session has ended");
  }

  private HttpResponse<String> page(GatewayFixture at, String cookie) throws Exception {
    return http.send(
        HttpRequest.newBuilder(at.url("/console/audit")).header("Cookie", cookie).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aSuspendedClientsRunningCohortJob_stopsWhicheverInstanceRunsIt_andSaysWhy()
      throws Exception {
    String council = a.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
    List<String> members = CohortExportTest.everyone(a);
    String group = CohortExportTest.registered(b, council, members);
    gp.arm();
    String status = CohortExportTest.kickOff(b, council, group, "$export");
    UUID job = UUID.fromString(status.substring(status.lastIndexOf('/') + 1));
    // The job's first chunk is in hand while the client is suspended.
    gp.awaitSecondMember();
    Row running = jobRow(job);
    assertThat(running.getString("status")).isEqualTo("running");

    // The change is made at the instance that does not hold the job.
    GatewayFixture runner =
        running.getString("lease_owner").equals(a.gateway.exportRunnerOwner()) ? a : b;
    GatewayFixture other = runner == a ? b : a;
    assertThat(setStatusAt(other, GatewayFixture.COUNCIL_CLIENT, "suspended").statusCode())
        .isEqualTo(200);
    gp.letGo();

    Row ended = awaitEnded(job);
    assertThat(ended.getString("status")).isEqualTo("failed");
    assertThat(ended.getString("error")).startsWith("client council-intel was suspended at ");
    assertThat(ended.getInteger("position")).isLessThan(members.size());
    // The runner marks the job failed, then appends its audit event: wait for the event.
    long failed = 0;
    for (int i = 0; i < 100 && failed == 0; i++) {
      failed =
          a.gateway
              .database()
              .pool()
              .preparedQuery(
                  "SELECT count(*) FROM audit_event WHERE request_id = $1 AND outcome = 'failed'"
                      + " AND detail->>'detail' LIKE '%client council-intel was suspended at%'")
              .execute(Tuple.of(job.toString()))
              .await()
              .iterator()
              .next()
              .getLong(0);
      if (failed == 0) {
        Thread.sleep(50);
      }
    }
    assertThat(failed).isEqualTo(1);
    assertThat(audited("client-status", "client council-intel (E08000026) suspended%"))
        .isEqualTo(1);
  }

  private static Row jobRow(UUID job) {
    return a.gateway
        .database()
        .pool()
        .preparedQuery("SELECT status, position, error, lease_owner FROM export_job WHERE id = $1")
        .execute(Tuple.of(job))
        .await()
        .iterator()
        .next();
  }

  private static Row awaitEnded(UUID job) throws Exception {
    for (int i = 0; i < 400; i++) {
      Row row = jobRow(job);
      if (!List.of("queued", "running").contains(row.getString("status"))) {
        return row;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the job did not end");
  }
}
