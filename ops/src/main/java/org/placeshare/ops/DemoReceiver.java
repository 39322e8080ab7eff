package org.placeshare.ops;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.placeshare.gateway.notify.DeliveryWorker;

/**
 * One agency's notification receiver in the demo, as its own system would be: plain http on
 * loopback (the only place the gateway sends plain http), one path. It checks each notification's
 * {@code X-Placeshare-Signature} against the gateway's JWKS (docs/notifications.md, "How a receiver
 * checks the signature"), remembers the {@code Idempotency-Key}s it has processed so that a repeat
 * is seen as one, and prints one line per notification: the agency, the kind, the event id, whether
 * the signature verified, first delivery or repeat. Never the person: the line names no NHS number.
 */
final class DemoReceiver implements AutoCloseable {

  /** Where the demo's receivers listen; the subscriber clients' registered notification host. */
  static final String HOST = "127.0.0.1";

  /** A notification is a Bundle of three small entries; a larger body is not one. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  /** A detached ES256 JWS is a few hundred characters. */
  static final int MAX_SIGNATURE_CHARS = 2048;

  /** The most idempotency keys a receiver remembers (a demo runs for minutes, not months). */
  static final int MAX_KEYS = 100_000;

  private static final Duration JWKS_DEADLINE = Duration.ofSeconds(5);

  /** One notification as the receiver took it, and the line it printed. */
  record Delivery(
      String idempotencyKey,
      String kind,
      String eventId,
      boolean verified,
      boolean repeat,
      String line) {}

  private final String agency;
  private final String path;
  private final URI jwksUrl;
  private final PrintStream out;
  private final HttpServer server;
  private final ExecutorService executor;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(JWKS_DEADLINE)
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();
  private final Set<String> processed = ConcurrentHashMap.newKeySet();
  private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
  private volatile JWKSet jwks = new JWKSet();

  private DemoReceiver(
      String agency,
      String path,
      URI gateway,
      PrintStream out,
      HttpServer server,
      ExecutorService executor) {
    this.agency = agency;
    this.path = path;
    this.jwksUrl = gateway.resolve("/.well-known/jwks.json");
    this.out = out;
    this.server = server;
    this.executor = executor;
  }

  /**
   * @param agency how the printed lines name the agency, e.g. "GP practice Y90001"
   * @param path the one path it answers, e.g. "/gp"
   * @param gateway the gateway's base URL, whose JWKS holds the signing keys
   */
  static DemoReceiver start(String agency, String path, URI gateway, PrintStream out)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(HOST, 0), 0);
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "demo-receiver" + path.replace('/', '-'));
              t.setDaemon(true);
              return t;
            });
    DemoReceiver receiver = new DemoReceiver(agency, path, gateway, out, server, executor);
    server.createContext("/", receiver::handle);
    server.setExecutor(executor);
    server.start();
    return receiver;
  }

  /** The URL to subscribe with. */
  URI endpoint() {
    return URI.create("http://" + HOST + ":" + server.getAddress().getPort() + path);
  }

  /** The notifications taken so far, in order. */
  List<Delivery> deliveries() {
    return List.copyOf(deliveries);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestURI().getPath().equals(path)) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      if (!exchange.getRequestMethod().equals("POST")) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(MAX_BODY_BYTES + 1);
      }
      if (body.length > MAX_BODY_BYTES) {
        exchange.sendResponseHeaders(413, -1);
        return;
      }
      String key =
          Optional.ofNullable(exchange.getRequestHeaders().getFirst("Idempotency-Key")).orElse("");
      boolean verified =
          verified(exchange.getRequestHeaders().getFirst(DeliveryWorker.SIGNATURE_HEADER), body);
      Optional<JsonObject> bundle = bundle(body);
      String kind = field(() -> bundle.flatMap(DemoReceiver::kind));
      String eventId = field(() -> bundle.flatMap(b -> parameter(b, "event-id")));
      // Only a verified notification is processed, so only its key is remembered.
      boolean repeat = verified && !remember(key);
      String line =
          "[tell us once] "
              + agency
              + ": "
              + kind
              + ", event "
              + eventId
              + ", signature "
              + (verified ? "ok" : "FAILED (refused)")
              + (verified ? (repeat ? ", repeat (already processed)" : ", first delivery") : "");
      deliveries.add(new Delivery(key, kind, eventId, verified, repeat, line));
      out.println(line);
      // A refused signature is not acknowledged: the gateway tries again, and an operator sees it.
      exchange.sendResponseHeaders(verified ? 200 : 401, -1);
    }
  }

  /** Whether this key is new (and now remembered); past the cap, nothing more is remembered. */
  private boolean remember(String key) {
    if (processed.contains(key)) {
      return false;
    }
    if (processed.size() < MAX_KEYS) {
      processed.add(key);
    }
    return true;
  }

  /**
   * The check docs/notifications.md describes: a detached compact JWS, ES256, type
   * notification+jws, over the exact body bytes, by a key of the gateway's JWKS.
   */
  private boolean verified(String signature, byte[] body) {
    if (signature == null || signature.length() > MAX_SIGNATURE_CHARS) {
      return false;
    }
    try {
      JWSObject jws = JWSObject.parse(signature, new Payload(body));
      if (!JWSAlgorithm.ES256.equals(jws.getHeader().getAlgorithm())
          || !DeliveryWorker.SIGNATURE_TYPE.equals(jws.getHeader().getType())) {
        return false;
      }
      Optional<ECKey> key = key(jws.getHeader().getKeyID());
      return key.isPresent() && jws.verify(new ECDSAVerifier(key.get()));
    } catch (ParseException | JOSEException | IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The gateway's key by id, from the cached JWKS, fetched again once for an unknown id. */
  private Optional<ECKey> key(String kid) throws IOException, InterruptedException {
    if (kid == null) {
      return Optional.empty();
    }
    JWK key = jwks.getKeyByKeyId(kid);
    if (key == null) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(jwksUrl).timeout(JWKS_DEADLINE).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return Optional.empty();
      }
      try {
        jwks = JWKSet.parse(response.body());
      } catch (ParseException e) {
        return Optional.empty();
      }
      key = jwks.getKeyByKeyId(kid);
    }
    return key instanceof ECKey ec ? Optional.of(ec) : Optional.empty();
  }

  private static Optional<JsonObject> bundle(byte[] body) {
    try {
      return Optional.of(new JsonObject(io.vertx.core.buffer.Buffer.buffer(body)));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** A field of the body for the printed line; a body not shaped as a notification says so. */
  private static String field(Supplier<Optional<String>> read) {
    try {
      return read.get().orElse("(unreadable)");
    } catch (ClassCastException e) {
      return "(unreadable)";
    }
  }

  /** The kind, from the MessageHeader's event coding. */
  private static Optional<String> kind(JsonObject bundle) {
    return resource(bundle, "MessageHeader")
        .map(h -> h.getJsonObject("eventCoding"))
        .map(c -> c.getString("code"));
  }

  /** A named value of the Parameters entry (the event's id, source, time). */
  private static Optional<String> parameter(JsonObject bundle, String name) {
    return resource(bundle, "Parameters")
        .map(p -> p.getJsonArray("parameter"))
        .flatMap(
            ps ->
                ps.stream()
                    .filter(JsonObject.class::isInstance)
                    .map(JsonObject.class::cast)
                    .filter(p -> name.equals(p.getString("name")))
                    .map(p -> p.getString("valueString"))
                    .filter(v -> v != null)
                    .findFirst());
  }

  private static Optional<JsonObject> resource(JsonObject bundle, String type) {
    JsonArray entries = bundle.getJsonArray("entry");
    if (entries == null) {
      return Optional.empty();
    }
    return entries.stream()
        .filter(JsonObject.class::isInstance)
        .map(e -> ((JsonObject) e).getJsonObject("resource"))
        .filter(r -> r != null && type.equals(r.getString("resourceType")))
        .findFirst();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
