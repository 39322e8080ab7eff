package org.placeshare.gateway.trust;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Client key sets at a {@code jwksUrl}, against a real HTTP server: what is held when fetches fail,
 * and what a fetch takes as a key set. The clock is moved; nothing else is simulated.
 */
class ClientJwksTest {

  private final Vertx vertx = Vertx.vertx();
  private final MovableClock clock = new MovableClock(Instant.parse("2026-11-22T10:00:00Z"));

  /** The status the key server answers with; its body is always the key set. */
  private final AtomicInteger status = new AtomicInteger(200);

  private HttpServer server;
  private URI url;
  private ClientJwks jwks;

  @BeforeEach
  void start() throws Exception {
    ECKey key =
        new ECKeyGenerator(Curve.P_384).keyID("url-1").algorithm(JWSAlgorithm.ES384).generate();
    String set = new JWKSet(key.toPublicJWK()).toString();
    server =
        vertx
            .createHttpServer()
            .requestHandler(req -> req.response().setStatusCode(status.get()).end(set))
            .listen(0, "127.0.0.1")
            .await();
    url = URI.create("http://127.0.0.1:" + server.actualPort() + "/jwks");
    jwks = new ClientJwks(vertx, Optional.empty(), clock);
  }

  @AfterEach
  void stop() {
    jwks.close().await();
    server.close().await();
    vertx.close().await();
  }

  @Test
  void keysAt_fetchesFailingForLongerThanTheMaxAge_stopsTrustingTheHeldKeys() {
    assertThat(jwks.refresh(url).await()).isTrue();
    assertThat(jwks.keysAt(url).get()).isPresent();

    status.set(500);
    clock.now = clock.now.plus(ClientJwks.MAX_KEY_AGE).minusSeconds(1);
    assertThat(jwks.refresh(url).await()).as("the failed fetch keeps the keys").isFalse();
    assertThat(jwks.keysAt(url).get()).as("within the age: held").isPresent();

    clock.now = clock.now.plusSeconds(2);
    assertThat(jwks.keysAt(url).get()).as("past the age: no longer trusted").isEmpty();
  }

  @Test
  void keysAt_aGoodFetchAfterAnOutage_isTrustedAgain() {
    assertThat(jwks.refresh(url).await()).isTrue();
    // The outage: with the key server still answering, the background fetch that keysAt starts
    // could restore the keys before it answered (a race a clean-clone run lost).
    status.set(500);
    clock.now = clock.now.plus(ClientJwks.MAX_KEY_AGE).plus(Duration.ofHours(1));
    assertThat(jwks.keysAt(url).get()).isEmpty();
    // Whatever fetch that started has ended (failed) once this one, joined or new, has.
    assertThat(jwks.refresh(url).await()).isFalse();

    status.set(200);
    clock.now = clock.now.plus(ClientJwks.MIN_REFETCH);
    assertThat(jwks.refresh(url).await()).isTrue();
    assertThat(jwks.keysAt(url).get()).isPresent();
  }

  @Test
  void refresh_errorStatusWhoseBodyIsAKeySet_isNotTakenAsTheKeys() {
    for (int answered : new int[] {404, 500, 302}) {
      status.set(answered);
      clock.now = clock.now.plus(ClientJwks.MIN_REFETCH);

      assertThat(jwks.refresh(url).await()).as("HTTP " + answered).isFalse();
      assertThat(jwks.keysAt(url).get()).as("HTTP " + answered).isEmpty();
    }
  }

  static final class MovableClock extends Clock {
    volatile Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
