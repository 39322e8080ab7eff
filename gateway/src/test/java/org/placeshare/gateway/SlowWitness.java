package org.placeshare.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real witness behind a real network delay: each request is forwarded to the witness after {@code
 * delay} (plus, once, a hiccup's extra delay when one is asked for), and its answer passed back as
 * it came. While {@link #refusing} it answers 503 at once, as a witness down for maintenance would.
 * Test-only: the witness behind it is the real {@code WitnessServer}, never a fake cosigner.
 */
final class SlowWitness {

  volatile boolean refusing;

  private final Vertx vertx;
  private final int witnessPort;
  private final AtomicReference<Duration> hiccup = new AtomicReference<>();
  private final Duration delay;
  private final HttpClient client;
  private HttpServer server;

  private SlowWitness(Vertx vertx, int witnessPort, Duration delay) {
    this.vertx = vertx;
    this.witnessPort = witnessPort;
    this.delay = delay;
    this.client = vertx.createHttpClient();
  }

  static SlowWitness start(Vertx vertx, int witnessPort, Duration delay) {
    SlowWitness proxy = new SlowWitness(vertx, witnessPort, delay);
    proxy.server =
        vertx.createHttpServer().requestHandler(proxy::forward).listen(0, "127.0.0.1").await();
    return proxy;
  }

  /** The next request waits {@code extra} longer, once: a network hiccup. */
  void hiccupOnce(Duration extra) {
    hiccup.set(extra);
  }

  int port() {
    return server.actualPort();
  }

  private void forward(HttpServerRequest req) {
    req.body()
        .onSuccess(
            body -> {
              if (refusing) {
                req.response().setStatusCode(503).end();
                return;
              }
              Duration extra = hiccup.getAndSet(null);
              Duration wait = extra == null ? delay : delay.plus(extra);
              vertx.setTimer(
                  wait.toMillis(),
                  t ->
                      client
                          .request(
                              new RequestOptions()
                                  .setMethod(HttpMethod.POST)
                                  .setHost("127.0.0.1")
                                  .setPort(witnessPort)
                                  .setURI(req.uri())
                                  .putHeader(
                                      HttpHeaders.CONTENT_TYPE,
                                      req.getHeader(HttpHeaders.CONTENT_TYPE)))
                          .compose(
                              r ->
                                  r.send(body)
                                      .compose(
                                          answer ->
                                              answer
                                                  .body()
                                                  .map(
                                                      b -> {
                                                        String type =
                                                            answer.getHeader(
                                                                HttpHeaders.CONTENT_TYPE);
                                                        if (type != null) {
                                                          req.response()
                                                              .putHeader(
                                                                  HttpHeaders.CONTENT_TYPE, type);
                                                        }
                                                        req.response()
                                                            .setStatusCode(answer.statusCode())
                                                            .end(b);
                                                        return b;
                                                      })))
                          .onFailure(e -> req.response().setStatusCode(502).end()));
            });
  }

  Future<Void> close() {
    return server.close().compose(x -> client.close());
  }
}
