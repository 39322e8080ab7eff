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
import io.vertx.core.buffer.Buffer;
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
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.placeshare.gateway.notify.DeliveryWorker;

/**
 * One agency's notification receiver in the demo, as its own system would be: plain http on
 * loopback (the only place the gateway sends plain http), one path. It takes a notification only
 * when every check of docs/notifications.md ("How a receiver checks the signature") passes: the
 * {@code X-Placeshare-Signature} verifies against the gateway's JWKS (ES256, type {@code
 * notification+jws}); the signed {@code MessageHeader.destination[0].endpoint} is this receiver's
 * own URL and the signed {@code Subscription/{id}} one of its own subscriptions (so a notification
 * signed for another agency, replayed here, is refused); the signed {@code Bundle.timestamp} lies
 * within {@link #MAX_AGE}; and it dedupes on the signed {@code Bundle.id}, not the unsigned {@code
 * Idempotency-Key} header (so a replay under a new header is seen as a repeat). It prints one line
 * per notification: the agency, the kind, the event id, first delivery or repeat; a refused one
 * prints why, and nothing read from its body. Never the person: no line names an NHS number.
 */
final class DemoReceiver implements AutoCloseable {

  /** Where the demo's receivers listen; the subscriber clients' registered notification host. */
  static final String HOST = "127.0.0.1";

  /** A notification is a Bundle of three small entries; a larger body is not one. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  /** A detached ES256 JWS is a few hundred characters. */
  static final int MAX_SIGNATURE_CHARS = 2048;

  /** The most notification ids a receiver remembers (a demo runs for minutes, not months). */
  static final int MAX_KEYS = 100_000;

  /**
   * The oldest notification taken, by its signed {@code Bundle.timestamp} (when the delivery was
   * written): longer than the gateway's whole retry schedule (8 tries over about an hour by
   * default, later when a person's earlier delivery holds one back), and the ids taken are
   * remembered at least this long, so a replay is either too old or a repeat.
   */
  static final Duration MAX_AGE = Duration.ofHours(24);

  /** A clock a little ahead at the gateway is tolerated. */
  static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

  /** The signed {@code Bundle.id}: the gateway's idempotency key, a short safe string. */
  private static final Pattern NOTIFICATION_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  /** The signed subscription reference: {@code Subscription/{id}}. */
  private static final Pattern SUBSCRIPTION = Pattern.compile("Subscription/([A-Za-z0-9-]{1,64})");

  private static final Duration JWKS_DEADLINE = Duration.ofSeconds(5);

  /**
   * One notification as the receiver took it, and the line it printed.
   *
   * @param idempotencyKey the unsigned {@code Idempotency-Key} header, as it came
   * @param notificationId the signed {@code Bundle.id}; null when refused
   * @param kind the event kind, read only from a notification taken; null otherwise
   * @param eventId the event's id, read only from a notification taken; null otherwise
   * @param verified whether every check passed and it was taken
   * @param repeat whether its {@code Bundle.id} was taken before
   * @param body the exact bytes received (UTF-8), kept in memory for the demo's tests to replay
   * @param signature the {@code X-Placeshare-Signature} header, as it came
   */
  record Delivery(
      String idempotencyKey,
      String notificationId,
      String kind,
      String eventId,
      boolean verified,
      boolean repeat,
      String line,
      String body,
      String signature) {}

  /** Why a notification is refused: the status answered and the words printed. */
  private record Refused(int status, String why) {}

  private final String agency;
  private final String path;
  private final URI gateway;
  private final URI jwksUrl;
  private final Callable<String> token;
  private final Clock clock;
  private final PrintStream out;
  private final HttpServer server;
  private final ExecutorService executor;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(JWKS_DEADLINE)
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();
  // Notification id taken -> its signed timestamp, to forget it once past MAX_AGE.
  private final Map<String, Instant> processed = new ConcurrentHashMap<>();
  private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
  private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
  private volatile JWKSet jwks = new JWKSet();

  private DemoReceiver(
      String agency,
      String path,
      URI gateway,
      Callable<String> token,
      Clock clock,
      PrintStream out,
      HttpServer server,
      ExecutorService executor) {
    this.agency = agency;
    this.path = path;
    this.gateway = gateway;
    this.jwksUrl = gateway.resolve("/.well-known/jwks.json");
    this.token = token;
    this.clock = clock;
    this.out = out;
    this.server = server;
    this.executor = executor;
  }

  /**
   * @param agency how the printed lines name the agency, e.g. "GP practice Y90001"
   * @param path the one path it answers, e.g. "/gp"
   * @param gateway the gateway's base URL, whose JWKS holds the signing keys
   * @param token a fresh token of the agency's subscriber client, to ask the gateway whether a
   *     subscription it did not make here (e.g. one made with the printed curl line) is its own
   */
  static DemoReceiver start(
      String agency, String path, URI gateway, Callable<String> token, Clock clock, PrintStream out)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(HOST, 0), 0);
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "demo-receiver" + path.replace('/', '-'));
              t.setDaemon(true);
              return t;
            });
    DemoReceiver receiver =
        new DemoReceiver(agency, path, gateway, token, clock, out, server, executor);
    server.createContext("/", receiver::handle);
    server.setExecutor(executor);
    server.start();
    return receiver;
  }

  /** The URL to subscribe with. */
  URI endpoint() {
    return URI.create("http://" + HOST + ":" + server.getAddress().getPort() + path);
  }

  /** A subscription this agency made, whose notifications it takes. */
  void subscribed(String id) {
    subscriptions.add(id);
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
      String signature = exchange.getRequestHeaders().getFirst(DeliveryWorker.SIGNATURE_HEADER);
      String received = new String(body, StandardCharsets.UTF_8);
      String prefix = "[tell us once] " + agency + ": ";
      if (!verified(signature, body)) {
        // Nothing of an unverified body is read, let alone printed.
        refuse(exchange, key, received, signature, prefix, new Refused(401, "signature FAILED"));
        return;
      }
      JsonObject bundle;
      try {
        bundle = new JsonObject(Buffer.buffer(body));
      } catch (RuntimeException e) {
        refuse(exchange, key, received, signature, prefix, new Refused(400, "not a notification"));
        return;
      }
      Optional<Refused> refused = refusal(bundle);
      if (refused.isPresent()) {
        refuse(exchange, key, received, signature, prefix, refused.get());
        return;
      }
      String id = bundle.getString("id");
      String kind = field(() -> kind(bundle));
      String eventId = field(() -> parameter(bundle, "event-id"));
      Optional<Boolean> first = remember(id, Instant.parse(bundle.getString("timestamp")));
      if (first.isEmpty()) {
        // Full of ids still within MAX_AGE: not taken, so the gateway tries again later.
        refuse(exchange, key, received, signature, prefix, new Refused(503, "too many to track"));
        return;
      }
      boolean repeat = !first.get();
      String line =
          prefix
              + kind
              + ", event "
              + eventId
              + ", signature ok"
              + (repeat ? ", repeat (already processed)" : ", first delivery");
      deliveries.add(new Delivery(key, id, kind, eventId, true, repeat, line, received, signature));
      out.println(line);
      exchange.sendResponseHeaders(200, -1);
    }
  }

  /**
   * A refused notification: not acknowledged (the gateway tries again, and an operator sees it),
   * and its line says why in the receiver's own words, nothing read from the body.
   */
  private void refuse(
      HttpExchange exchange,
      String key,
      String received,
      String signature,
      String prefix,
      Refused refused)
      throws IOException {
    String line = prefix + "refused, " + refused.why();
    deliveries.add(new Delivery(key, null, null, null, false, false, line, received, signature));
    out.println(line);
    exchange.sendResponseHeaders(refused.status(), -1);
  }

  /**
   * The checks of a verified notification, each on its signed content: a message Bundle with an id,
   * addressed to this receiver's endpoint, for one of its subscriptions, with a timestamp within
   * {@link #MAX_AGE}. Empty when it may be taken.
   */
  private Optional<Refused> refusal(JsonObject bundle) {
    try {
      String id = bundle.getString("id");
      if (!"Bundle".equals(bundle.getString("resourceType"))
          || !"message".equals(bundle.getString("type"))
          || id == null
          || !NOTIFICATION_ID.matcher(id).matches()) {
        return Optional.of(new Refused(400, "not a notification"));
      }
      String destination =
          resource(bundle, "MessageHeader")
              .map(h -> h.getJsonArray("destination"))
              .filter(d -> d.size() == 1)
              .map(d -> d.getJsonObject(0).getString("endpoint"))
              .orElse(null);
      if (!endpoint().toString().equals(destination)) {
        return Optional.of(new Refused(403, "signed for another receiver (destination)"));
      }
      Optional<String> subscription =
          resource(bundle, "Parameters")
              .map(p -> p.getJsonArray("parameter"))
              .flatMap(
                  ps ->
                      ps.stream()
                          .filter(JsonObject.class::isInstance)
                          .map(JsonObject.class::cast)
                          .filter(x -> "subscription".equals(x.getString("name")))
                          .map(x -> x.getJsonObject("valueReference"))
                          .filter(r -> r != null)
                          .map(r -> r.getString("reference"))
                          .filter(r -> r != null)
                          .findFirst());
      if (subscription.isEmpty() || !ownSubscription(subscription.get())) {
        return Optional.of(new Refused(403, "not one of its subscriptions"));
      }
      Instant timestamp;
      try {
        timestamp = Instant.parse(bundle.getString("timestamp", ""));
      } catch (DateTimeParseException e) {
        return Optional.of(new Refused(400, "not a notification"));
      }
      Instant now = clock.instant();
      if (timestamp.isBefore(now.minus(MAX_AGE))) {
        return Optional.of(new Refused(400, "older than " + MAX_AGE.toHours() + " hours"));
      }
      if (timestamp.isAfter(now.plus(MAX_CLOCK_SKEW))) {
        return Optional.of(new Refused(400, "dated in the future"));
      }
      return Optional.empty();
    } catch (ClassCastException | IndexOutOfBoundsException e) {
      return Optional.of(new Refused(400, "not a notification"));
    }
  }

  /**
   * Whether {@code Subscription/{id}} is this agency's and points here: one it made at start, or
   * one the gateway, asked with the agency's own token, shows with this receiver's endpoint (a
   * subscription made with the printed curl line). Another client's is 404 to it.
   */
  private boolean ownSubscription(String reference) {
    Matcher m = SUBSCRIPTION.matcher(reference);
    if (!m.matches()) {
      return false;
    }
    String id = m.group(1);
    if (subscriptions.contains(id)) {
      return true;
    }
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(gateway.resolve("/fhir/Subscription/" + id))
                  .timeout(JWKS_DEADLINE)
                  .header("Authorization", "Bearer " + token.call())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      boolean own =
          response.statusCode() == 200
              && endpoint()
                  .toString()
                  .equals(
                      new JsonObject(response.body())
                          .getJsonObject("channel", new JsonObject())
                          .getString("endpoint"));
      if (own) {
        subscriptions.add(id);
      }
      return own;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      // The gateway cannot say: not taken now, and the gateway tries again later.
      return false;
    }
  }

  /**
   * Remembers a notification id: true when new, false when taken before; empty when the memory is
   * full even after forgetting ids past {@link #MAX_AGE} (too old to be taken again anyway).
   */
  private Optional<Boolean> remember(String id, Instant timestamp) {
    if (processed.containsKey(id)) {
      return Optional.of(false);
    }
    if (processed.size() >= MAX_KEYS) {
      Instant oldest = clock.instant().minus(MAX_AGE);
      processed.values().removeIf(t -> t.isBefore(oldest));
      if (processed.size() >= MAX_KEYS) {
        return Optional.empty();
      }
    }
    return Optional.of(processed.putIfAbsent(id, timestamp) == null);
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
