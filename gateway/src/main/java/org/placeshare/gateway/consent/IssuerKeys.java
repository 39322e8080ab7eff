package org.placeshare.gateway.consent;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.placeshare.fhir.CappedBody;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.identity.ConsentIssuers;
import org.placeshare.policy.identity.SigningKey;
import org.placeshare.policy.identity.TrustedIssuer;

/**
 * The trusted consent issuers and their current keys. A key set in a file is read at start; one at
 * an https URL is fetched at start, again every {@link #REFRESH_EVERY}, and on demand when a token
 * names an unknown key, but at most once per {@link #MIN_REFETCH} per issuer, so a flood of tokens
 * with made-up key ids cannot make the gateway hammer an issuer. A failed fetch keeps the keys
 * already held. Nothing in a token ({@code jku}, {@code x5u}) is ever fetched.
 */
public final class IssuerKeys implements ConsentIssuers {

  private static final Logger LOG = Logger.getLogger(IssuerKeys.class.getName());

  static final Duration REFRESH_EVERY = Duration.ofMinutes(10);
  static final Duration MIN_REFETCH = Duration.ofSeconds(30);
  private static final int MAX_JWKS_BYTES = 64 * 1024;
  private static final Duration FETCH_DEADLINE = Duration.ofSeconds(5);

  /** One issuer: its configuration, the keys held now, and when they were last fetched. */
  private static final class Issuer {
    final GatewayConfig.ConsentIssuer config;
    final OdsCode code;
    final Set<JWSAlgorithm> algorithms;
    final AtomicReference<TrustedIssuer> current = new AtomicReference<>();

    /** The last fetch a token asked for; scheduled fetches do not count against the limit. */
    volatile Instant lastAsked = Instant.MIN;

    volatile Future<Boolean> inFlight;

    Issuer(GatewayConfig.ConsentIssuer config) {
      this.config = config;
      this.code = OdsCode.of(config.organisation());
      this.algorithms =
          config.algorithms().stream().map(JWSAlgorithm::parse).collect(Collectors.toSet());
    }
  }

  private final Vertx vertx;
  private final Map<OdsCode, Issuer> issuers;
  private final Optional<SigningKey> consentKey;
  private final HttpClient http;
  private final Context context;
  private final Clock clock;
  private long timer = -1;

  private IssuerKeys(
      Vertx vertx,
      Map<OdsCode, Issuer> issuers,
      Optional<SigningKey> consentKey,
      HttpClient http,
      Clock clock) {
    this.vertx = vertx;
    this.issuers = issuers;
    this.consentKey = consentKey;
    this.http = http;
    this.context = vertx.getOrCreateContext();
    this.clock = clock;
  }

  /**
   * Reads the file key sets (failing on any problem) and fetches the URL ones (a failure there is
   * logged; that issuer's tokens are refused until a fetch succeeds).
   */
  public static Future<IssuerKeys> start(
      Vertx vertx, GatewayConfig config, Optional<SigningKey> consentKey, Clock clock) {
    Map<OdsCode, Issuer> issuers = new HashMap<>();
    HttpClientOptions options = keySetClientOptions(config.issuerTrustCa());
    IssuerKeys keys;
    try {
      for (GatewayConfig.ConsentIssuer c : config.consentIssuers()) {
        Issuer issuer = new Issuer(c);
        issuers.put(issuer.code, issuer);
      }
      keys =
          new IssuerKeys(
              vertx, Map.copyOf(issuers), consentKey, vertx.createHttpClient(options), clock);
      for (Issuer issuer : issuers.values()) {
        JWKSet set = issuer.config.jwks().map(IssuerKeys::readFile).orElse(new JWKSet());
        issuer.current.set(keys.trust(issuer, set));
      }
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    List<Future<Boolean>> fetches = new ArrayList<>();
    for (Issuer issuer : issuers.values()) {
      if (issuer.config.jwksUrl().isPresent()) {
        fetches.add(keys.fetch(issuer));
      }
    }
    return Future.join(fetches)
        .transform(
            done -> {
              keys.timer = vertx.setPeriodic(REFRESH_EVERY.toMillis(), id -> keys.refreshAll());
              return Future.succeededFuture(keys);
            });
  }

  @Override
  public Optional<TrustedIssuer> find(OdsCode organisation) {
    Issuer issuer = issuers.get(organisation);
    return issuer == null ? Optional.empty() : Optional.ofNullable(issuer.current.get());
  }

  /** True when the gateway may record and sign consents for this organisation. */
  public boolean recordsVia(OdsCode organisation) {
    Issuer issuer = issuers.get(organisation);
    return issuer != null && issuer.config.viaGateway();
  }

  /**
   * Fetches an issuer's key set again because a token named a key not held, unless that issuer was
   * fetched within {@link #MIN_REFETCH}. The future holds whether a fetch happened and succeeded.
   */
  public Future<Boolean> refresh(OdsCode organisation) {
    Issuer issuer = issuers.get(organisation);
    if (issuer == null || issuer.config.jwksUrl().isEmpty()) {
      return Future.succeededFuture(false);
    }
    Future<Boolean> running = issuer.inFlight;
    if (running != null && !running.isComplete()) {
      return running;
    }
    Instant now = clock.instant();
    if (now.isBefore(issuer.lastAsked.plus(MIN_REFETCH))) {
      return Future.succeededFuture(false);
    }
    issuer.lastAsked = now;
    return fetch(issuer);
  }

  private void refreshAll() {
    issuers.values().stream().filter(i -> i.config.jwksUrl().isPresent()).forEach(this::fetch);
  }

  private Future<Boolean> fetch(Issuer issuer) {
    // Made and handled on one context, so the body handler is set before the body arrives.
    Promise<Boolean> done = Promise.promise();
    context.runOnContext(v -> fetchOnContext(issuer).onComplete(done));
    return done.future();
  }

  /**
   * The options of a client that fetches key sets: https with host verification, a connect
   * deadline, and the CA of the issuers' servers when one is configured. Client key sets ({@code
   * ClientJwks}) are fetched the same way.
   */
  public static HttpClientOptions keySetClientOptions(Optional<Path> trustCa) {
    HttpClientOptions options =
        new HttpClientOptions()
            .setSsl(true)
            .setVerifyHost(true)
            .setConnectTimeout((int) FETCH_DEADLINE.toMillis());
    trustCa.ifPresent(
        ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
    return options;
  }

  /**
   * The one way a key set is fetched: GET, no redirects, answered within the deadline, the body
   * capped at {@code maxBytes} (a failed future otherwise, never a longer body). Call on the
   * client's context, so the body handler is set before the body arrives.
   */
  public static Future<Buffer> fetchKeySet(HttpClient http, URI url, int maxBytes) {
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(url.toString())
            .setFollowRedirects(false)
            .setTimeout(FETCH_DEADLINE.toMillis())
            .putHeader(HttpHeaders.ACCEPT, "application/jwk-set+json, application/json");
    return http.request(request)
        .compose(r -> r.send())
        // CappedBody.read takes a 200 only: an error page whose body is a key set is refused.
        .compose(r -> CappedBody.read(r, maxBytes, PolicyException::new));
  }

  private Future<Boolean> fetchOnContext(Issuer issuer) {
    Future<Boolean> fetched =
        fetchKeySet(http, issuer.config.jwksUrl().orElseThrow(), MAX_JWKS_BYTES)
            .map(
                body -> {
                  JWKSet set = parse(body.toString(StandardCharsets.UTF_8), "the fetched key set");
                  issuer.current.set(trust(issuer, set));
                  return true;
                })
            .recover(
                e -> {
                  // The issuer and the kind of failure only: never a token, never a body.
                  LOG.warning(
                      "consent issuer "
                          + issuer.code
                          + ": key set not fetched ("
                          + (e instanceof PolicyException
                              ? e.getMessage()
                              : e.getClass().getSimpleName())
                          + "); keeping the keys held");
                  return Future.succeededFuture(false);
                });
    issuer.inFlight = fetched;
    return fetched;
  }

  /** The issuer's keys from its set, plus the gateway's consent key where it records for them. */
  private TrustedIssuer trust(Issuer issuer, JWKSet set) {
    TrustedIssuer trusted = TrustedIssuer.of(issuer.code, issuer.algorithms, set);
    if (issuer.config.viaGateway()) {
      SigningKey key =
          consentKey.orElseThrow(() -> new PolicyException("viaGateway needs consentKey"));
      trusted = trusted.with(key.publicJwk(), SigningKey.ALGORITHM);
    }
    return trusted;
  }

  private static JWKSet readFile(Path file) {
    try {
      if (Files.size(file) > MAX_JWKS_BYTES) {
        throw new PolicyException(file + ": expected at most " + MAX_JWKS_BYTES + " bytes");
      }
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new PolicyException(file + ": cannot be read: " + e.getMessage(), e);
    }
  }

  private static JWKSet parse(String json, String where) {
    try {
      return JWKSet.parse(json);
    } catch (ParseException e) {
      throw new PolicyException(where + ": expected a JWK set: " + e.getMessage(), e);
    }
  }

  public Future<Void> close() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
    return http.close();
  }
}
