package org.placeshare.gateway.trust;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.logging.Logger;
import org.placeshare.gateway.config.ClientKeySets;
import org.placeshare.gateway.consent.IssuerKeys;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.identity.ClientKeys;

/**
 * The key sets of clients registered with a {@code jwksUrl}, fetched with the consent issuers'
 * fetcher ({@link IssuerKeys#fetchKeySet}: no redirects, a deadline, a capped body) and kept by
 * URL, so a reload of the clients file keeps what is held. A set is fetched when first needed,
 * again in the background once older than {@link #REFRESH_EVERY}, and on demand when an assertion
 * names a key not held (the client rotated), at most once per {@link #MIN_REFETCH} per URL, so
 * assertions with made-up key ids cannot make the gateway hammer a client. A failed or invalid
 * fetch keeps the keys held, but not for longer than {@link #MAX_KEY_AGE} after they were fetched:
 * a client whose URL has failed that long is refused rather than trusted on keys it may have
 * revoked. Nothing in an assertion ({@code jku}, {@code x5u}) is ever fetched.
 */
public final class ClientJwks {

  private static final Logger LOG = Logger.getLogger(ClientJwks.class.getName());

  static final Duration REFRESH_EVERY = Duration.ofMinutes(10);
  static final Duration MIN_REFETCH = Duration.ofSeconds(30);

  /**
   * How long keys are trusted after their last good fetch while fetches fail: long enough to ride
   * out a client's outage of a working day, short enough that a key the client withdrew (its URL
   * down or answering an error) stops being trusted within a day.
   */
  static final Duration MAX_KEY_AGE = Duration.ofHours(24);

  /** One URL's keys as held now, and when they were fetched and last asked for. */
  private static final class Held {
    volatile Optional<ClientKeys> keys = Optional.empty();
    volatile Instant fetchedAt = Instant.MIN;
    volatile Instant lastAsked = Instant.MIN;
    volatile Future<Boolean> inFlight;
  }

  private final Map<URI, Held> held = new ConcurrentHashMap<>();
  private final HttpClient http;
  private final Context context;
  private final Clock clock;

  /**
   * @param trustCa the CA that signs the clients' https servers, if not a public one (the consent
   *     issuers' {@code issuerTrustCa})
   */
  public ClientJwks(Vertx vertx, Optional<Path> trustCa, Clock clock) {
    HttpClientOptions options = IssuerKeys.keySetClientOptions(trustCa);
    // The URL's scheme decides: https, or http on loopback only (checked in the configuration).
    options.setSsl(false);
    this.http = vertx.createHttpClient(options);
    this.context = vertx.getOrCreateContext();
    this.clock = clock;
  }

  /** The keys held now for a URL: what a client's registration reads at each assertion. */
  public Supplier<Optional<ClientKeys>> keysAt(URI url) {
    Held h = held.computeIfAbsent(url, u -> new Held());
    return () -> {
      Instant now = clock.instant();
      if (h.fetchedAt.plus(REFRESH_EVERY).isBefore(now)
          && (h.inFlight == null || h.inFlight.isComplete())) {
        fetch(url, h);
      }
      return h.fetchedAt.plus(MAX_KEY_AGE).isBefore(now) ? Optional.empty() : h.keys;
    };
  }

  /** What a registration calls to ask for a fetch of its URL ({@link #refresh}). */
  public Supplier<CompletionStage<Boolean>> refetch(URI url) {
    return () -> refresh(url).toCompletionStage();
  }

  /**
   * Fetches a URL's set again because an assertion named a key not held, unless it was asked for
   * within {@link #MIN_REFETCH}. The future holds whether a fetch happened and succeeded.
   */
  public Future<Boolean> refresh(URI url) {
    Held h = held.computeIfAbsent(url, u -> new Held());
    Future<Boolean> running = h.inFlight;
    if (running != null && !running.isComplete()) {
      return running;
    }
    Instant now = clock.instant();
    if (now.isBefore(h.lastAsked.plus(MIN_REFETCH))) {
      return Future.succeededFuture(false);
    }
    h.lastAsked = now;
    return fetch(url, h);
  }

  private Future<Boolean> fetch(URI url, Held h) {
    Promise<Boolean> done = Promise.promise();
    h.inFlight = done.future();
    context.runOnContext(
        v ->
            IssuerKeys.fetchKeySet(http, url, ClientKeys.MAX_JWKS_BYTES)
                .map(
                    body -> {
                      h.keys =
                          Optional.of(
                              ClientKeySets.parse(
                                  body.toString(StandardCharsets.UTF_8),
                                  "the key set fetched from " + url));
                      h.fetchedAt = clock.instant();
                      return true;
                    })
                .recover(
                    e -> {
                      // The URL and the kind of failure only: never a body.
                      LOG.warning(
                          "client key set at "
                              + url
                              + " not fetched ("
                              + (e instanceof PolicyException
                                  ? e.getMessage()
                                  : e.getClass().getSimpleName())
                              + "); keeping the keys held");
                      return Future.succeededFuture(false);
                    })
                .onComplete(done));
    return done.future();
  }

  public Future<Void> close() {
    return http.close();
  }
}
