package org.placeshare.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.gateway.storage.EmbeddedPostgres;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.ClientAssertions;
import org.placeshare.policy.identity.SigningKey;

/**
 * A gateway as a real process (as {@code AuditCrashTest} starts it) configured for change
 * notifications: a GP practice reporting events about its patients, subscriber clients on loopback
 * under an agreement whose {@code notifications:} clause names some of them, and a receiver in this
 * JVM recording every POST. Shared by the crash test and the throughput benchmark.
 */
final class NotificationRig implements AutoCloseable {

  /** The reporting client: the GP practice of source {@code gp-y90001}. */
  static final String REPORTER = "gp-events";

  static final String REPORTER_ORG = "Y90001";
  static final String SOURCE = "gp-y90001";

  /** A subscriber client: its id, organisation, and whether the agreement's clause names it. */
  record Subscriber(String id, String organisation, boolean entitled) {}

  /** One POST the receiver took. */
  record Received(String path, String idempotencyKey, String signature, String body) {

    /** The source's event id the notification carries (its Parameters' {@code event-id}). */
    String eventId() {
      for (Object e : new JsonObject(body).getJsonArray("entry")) {
        JsonObject resource = ((JsonObject) e).getJsonObject("resource");
        if ("Parameters".equals(resource.getString("resourceType"))) {
          for (Object p : resource.getJsonArray("parameter")) {
            JsonObject part = (JsonObject) p;
            if ("event-id".equals(part.getString("name"))) {
              return part.getString("valueString", part.getString("valueId"));
            }
          }
        }
      }
      throw new AssertionError("no event-id in " + body);
    }
  }

  final Path dir;
  final List<Subscriber> subscribers;
  final int port;
  final String base;
  final Queue<Received> received = new ConcurrentLinkedQueue<>();
  final HttpClient http = HttpClient.newHttpClient();
  private final EmbeddedPostgres postgres;
  private final HttpServer receiver;
  private final FhirSourceServer source;
  private final java.util.concurrent.ExecutorService receiving = Executors.newFixedThreadPool(8);
  private final Path config;
  private Process gateway;

  /**
   * Writes the configuration and starts the GP practice's source holding {@code people} (the
   * gateway asks it whether it holds a person before taking an event) and the receiver (answering
   * 200 after {@code answerDelay}), not yet the gateway.
   */
  NotificationRig(
      Path dir,
      List<SyntheticPerson> people,
      List<Subscriber> subscribers,
      Map<String, Object> timings,
      Duration answerDelay)
      throws Exception {
    this.dir = dir;
    this.source =
        FhirSourceServer.start(
            0, SyntheticRecords.forSource(SyntheticRecords.Kind.GP, "gp", people));
    this.subscribers = subscribers;
    this.postgres = EmbeddedPostgres.start(dir.resolve("postgres"));
    try (ServerSocket s = new ServerSocket(0)) {
      this.port = s.getLocalPort();
    }
    this.base = "http://127.0.0.1:" + port;
    this.receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    receiver.setExecutor(receiving);
    receiver.createContext(
        "/",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!answerDelay.isZero()) {
              Thread.sleep(answerDelay.toMillis());
            }
            received.add(
                new Received(
                    exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Idempotency-Key"),
                    exchange.getRequestHeaders().getFirst(DeliveryWorker.SIGNATURE_HEADER),
                    body));
            exchange.sendResponseHeaders(200, -1);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            exchange.close();
          }
        });
    receiver.start();
    this.config = writeConfig(timings);
  }

  /** Where this subscriber's notifications go. */
  String endpoint(Subscriber s) {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/" + s.id();
  }

  /** What this subscriber's path received. */
  List<Received> at(Subscriber s) {
    return received.stream().filter(r -> r.path().equals("/" + s.id())).toList();
  }

  /** Starts the gateway process and waits until it answers. */
  void launch() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    gateway =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Ops.class.getName(),
                "gateway",
                config.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("gateway.log").toFile()))
            .start();
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)) {
      try {
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json")).build(),
            HttpResponse.BodyHandlers.discarding());
        return;
      } catch (IOException e) {
        if (!gateway.isAlive()) {
          break;
        }
        Thread.sleep(100);
      }
    }
    throw new AssertionError("the gateway did not start; see " + dir.resolve("gateway.log"));
  }

  /** SIGKILL: no shutdown hook, no flush, leases left held. */
  void kill() throws InterruptedException {
    if (gateway != null) {
      gateway.destroyForcibly();
      gateway.waitFor();
    }
  }

  /** An access token for this client, role and HOPERAT. */
  String token(String client, String role) throws Exception {
    String assertion =
        ClientAssertions.sign(
            SigningKey.readPrivatePem(dir.resolve(client + ".key.pem")),
            client,
            base + "/oauth2/token",
            "a.user",
            role,
            PurposeOfUse.of("HOPERAT"),
            Clock.systemUTC());
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "grant_type=client_credentials&client_assertion_type="
                            + URLEncoder.encode(
                                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                StandardCharsets.UTF_8)
                            + "&client_assertion="
                            + assertion))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("token for " + client + ": " + r.statusCode() + " " + r.body());
    }
    return new JsonObject(r.body()).getString("access_token");
  }

  /**
   * Records a care relationship of every subscriber's organisation with these people, and
   * subscribes every subscriber to their changes of address.
   */
  void subscribeAll(List<String> people) throws Exception {
    try (Database db = database()) {
      for (String person : people) {
        for (String org : subscribers.stream().map(Subscriber::organisation).distinct().toList()) {
          db.pool
              .preparedQuery(
                  "INSERT INTO care_relationship (nhs_number, organisation, kind, recorded_at)"
                      + " VALUES ($1, $2, 'registered', now()) ON CONFLICT DO NOTHING")
              .execute(Tuple.of(person, org))
              .await();
        }
      }
    }
    for (Subscriber s : subscribers) {
      String body =
          new JsonObject()
              .put("resourceType", "Subscription")
              .put("status", "requested")
              .put("reason", "tell us once")
              .put("criteria", "Patient?_event=address-changed&_cohort=care-relationship")
              .put(
                  "channel",
                  new JsonObject()
                      .put("type", "rest-hook")
                      .put("endpoint", endpoint(s))
                      .put("payload", "application/fhir+json"))
              .encode();
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/fhir/Subscription"))
                  .header("Authorization", "Bearer " + token(s.id(), "subscriber"))
                  .header("Content-Type", "application/fhir+json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 201) {
        throw new AssertionError("subscription of " + s.id() + ": " + r.statusCode() + r.body());
      }
    }
  }

  /** Posts one change of address; answers the status (an IOException if the gateway died). */
  int report(String token, String eventId, String person) throws Exception {
    JsonObject event =
        new JsonObject()
            .put("id", eventId)
            .put("kind", "address-changed")
            .put("nhsNumber", person)
            .put("source", SOURCE)
            .put("occurredAt", Instant.now().minusSeconds(60).toString())
            .put(
                "change",
                new JsonObject()
                    .put("postcode", "CV1 2AB")
                    .put("lines", new JsonArray().add("12 Spon Street").add("Coventry")));
    return http.send(
            HttpRequest.newBuilder(URI.create(base + "/events"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(event.encode()))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** Whether the notification's signature verifies with a key of the gateway's JWKS. */
  boolean signedByTheGateway(Received r) throws Exception {
    JWKSet jwks =
        JWKSet.parse(
            http.send(
                    HttpRequest.newBuilder(URI.create(base + "/.well-known/jwks.json")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    JWSObject jws = JWSObject.parse(r.signature(), new Payload(r.body()));
    ECKey key = (ECKey) jwks.getKeyByKeyId(jws.getHeader().getKeyID());
    return key != null
        && jws.getHeader().getAlgorithm().getName().equals("ES256")
        && jws.verify(new ECDSAVerifier(key));
  }

  /** A connection to the gateway's database, for what the test sets up or reads there. */
  Database database() {
    Vertx vertx = Vertx.vertx();
    return new Database(
        vertx,
        PgBuilder.pool()
            .connectingTo(PgConnectOptions.fromUri(postgres.url("notify")))
            .using(vertx)
            .build());
  }

  record Database(Vertx vertx, Pool pool) implements AutoCloseable {
    @Override
    public void close() {
      pool.close().await();
      vertx.close().await();
    }
  }

  private Path writeConfig(Map<String, Object> timings) throws Exception {
    SigningKey.generate().writePem(dir.resolve("gateway.key.pem"), dir.resolve("gateway.pub.pem"));
    SigningKey.generate().writePem(dir.resolve("audit.key.pem"), dir.resolve("audit.pub.pem"));
    List<Map<String, Object>> clients = new ArrayList<>();
    SigningKey.generate()
        .writePem(dir.resolve(REPORTER + ".key.pem"), dir.resolve(REPORTER + ".pub.pem"));
    clients.add(
        Map.of(
            "id",
            REPORTER,
            "organisation",
            REPORTER_ORG,
            "publicKey",
            REPORTER + ".pub.pem",
            "purposes",
            List.of("HOPERAT"),
            "roles",
            List.of("event-reporter")));
    for (Subscriber s : subscribers) {
      SigningKey.generate()
          .writePem(dir.resolve(s.id() + ".key.pem"), dir.resolve(s.id() + ".pub.pem"));
      clients.add(
          Map.of(
              "id", s.id(),
              "organisation", s.organisation(),
              "publicKey", s.id() + ".pub.pem",
              "purposes", List.of("HOPERAT"),
              "roles", List.of("subscriber"),
              "notificationHosts", List.of("127.0.0.1")));
    }
    Path agreements = Files.createDirectories(dir.resolve("agreements"));
    Files.writeString(agreements.resolve("notify-crash.yaml"), agreement());
    try (Database db = databaseOn(postgres.url())) {
      db.pool.query("CREATE DATABASE notify").execute().await();
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("host", "127.0.0.1");
    config.put("port", port);
    config.put("dataDir", "data");
    config.put("databaseUrl", postgres.url("notify"));
    config.put("signingKey", "gateway.key.pem");
    config.put("auditKey", "audit.key.pem");
    config.put("agreements", "agreements");
    List<Map<String, Object>> organisations = new ArrayList<>();
    organisations.add(Map.of("code", REPORTER_ORG, "name", "GP"));
    for (String org : subscribers.stream().map(Subscriber::organisation).distinct().toList()) {
      organisations.add(Map.of("code", org, "name", "Agency " + org));
    }
    config.put("organisations", organisations);
    config.put("clients", clients);
    // Asked once per new event whether it holds the person.
    config.put(
        "sources",
        List.of(
            Map.of(
                "id",
                SOURCE,
                "organisation",
                REPORTER_ORG,
                "baseUrl",
                source.baseUrl().toString(),
                "resourceTypes",
                List.of("Patient"))));
    config.put("notifications", timings);
    Path file = dir.resolve("gateway.yaml");
    new ObjectMapper(new YAMLFactory()).writeValue(file.toFile(), config);
    return file;
  }

  private static Database databaseOn(String url) {
    Vertx vertx = Vertx.vertx();
    return new Database(
        vertx, PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(url)).using(vertx).build());
  }

  /** The GP practice tells the entitled subscribers of a change of address, and only them. */
  private String agreement() {
    List<String> orgs = subscribers.stream().map(Subscriber::organisation).distinct().toList();
    List<String> entitled =
        subscribers.stream()
            .filter(Subscriber::entitled)
            .map(Subscriber::organisation)
            .distinct()
            .toList();
    StringBuilder y = new StringBuilder();
    y.append(
        """
        id: notify-crash
        version: 1
        title: Tell us once - change of address from the GP practice
        status: active
        effective: 2026-01-01
        expires: 2099-12-31
        review: 2099-03-31
        signatories:
          - organisation: Y90001
            name: Dr Asha Example
            role: Caldicott Guardian
            date: 2025-12-11
        purpose:
          problem: Agencies learn of a move late.
          resolves: The practice tells the others of a change of address once.
          benefit: Letters and visits reach the person's new home.
        providers:
          - Y90001
        recipients:
        """);
    for (String org : orgs) {
      y.append("  - organisation: ").append(org).append("\n    roles: [subscriber]\n");
    }
    y.append(
        """
        purposesOfUse: [HOPERAT]
        lawfulBasis:
          article6: 6(1)(e)
          article9: 9(2)(h)
          commonLaw: overriding-public-interest
        data:
          resourceTypes: [Patient]
        notifications:
        """);
    for (String org : entitled) {
      y.append("  - organisation: ")
          .append(org)
          .append("\n    roles: [subscriber]\n    kinds: [address-changed]\n")
          .append("    purposesOfUse: [HOPERAT]\n");
    }
    y.append(
        """
        consent:
          rule: none
        nationalOptOut: applied
        restrictedRecords: withhold
        audit:
          retainYears: 8
        """);
    return y.toString();
  }

  @Override
  public void close() throws Exception {
    kill();
    receiver.stop(0);
    receiving.shutdownNow();
    source.close();
    postgres.close();
  }
}
