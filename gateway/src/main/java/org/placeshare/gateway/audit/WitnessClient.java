package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Posts to a witness's {@code add-checkpoint}: no redirect followed, one deadline for the whole
 * exchange, and the answer's body read with a cap (a note's, {@link SignedNote#MAX_NOTE_BYTES}).
 */
final class WitnessClient {

  /** What a witness answered: its status, Content-Type and body (capped). */
  record Answer(int status, String contentType, byte[] body) {}

  private final HttpClient http;
  private final Duration deadline;

  WitnessClient(Vertx vertx, Duration deadline, int witnesses) {
    this.deadline = deadline;
    this.http =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout((int) deadline.toMillis())
                .setIdleTimeout((int) deadline.toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setMaxRedirects(0),
            // One submission in flight per witness: one connection each.
            new PoolOptions().setHttp1MaxSize(Math.max(1, witnesses)));
  }

  Future<Answer> addCheckpoint(URI witness, String body) {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(witness.toString() + "/add-checkpoint")
            .setFollowRedirects(false)
            .putHeader("Content-Type", "text/plain; charset=utf-8");
    return http.request(options)
        .compose(
            req ->
                req.send(body)
                    .compose(this::read)
                    .timeout(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .onFailure(e -> req.reset()));
  }

  private Future<Answer> read(HttpClientResponse response) {
    int max = SignedNote.MAX_NOTE_BYTES;
    String type = response.getHeader(HttpHeaders.CONTENT_TYPE);
    Promise<Answer> promise = Promise.promise();
    Buffer body = Buffer.buffer();
    response.handler(
        chunk -> {
          if (body.length() + chunk.length() > max) {
            promise.tryFail(
                new IllegalStateException("the witness answered more than " + max + " bytes"));
            response.request().reset();
          } else {
            body.appendBuffer(chunk);
          }
        });
    response.exceptionHandler(promise::tryFail);
    response.endHandler(
        v -> promise.tryComplete(new Answer(response.statusCode(), type, body.getBytes())));
    return promise.future();
  }

  Future<Void> close() {
    return http.close();
  }
}
