package org.placeshare.fhir;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import java.util.function.Function;

/**
 * Reads an upstream's response body with a cap: a declared length over it is refused before a byte
 * is read, and the cap still holds while the body arrives. Bodies from other parties are untrusted.
 */
public final class CappedBody {

  private CappedBody() {}

  /**
   * The body of a 200 answer of at most {@code max} bytes; anything else fails the future with the
   * exception {@code failure} makes of a message safe to show.
   */
  public static Future<Buffer> read(
      HttpClientResponse response, int max, Function<String, ? extends RuntimeException> failure) {
    if (response.statusCode() != 200) {
      RuntimeException answered = failure.apply("answered HTTP " + response.statusCode());
      return discard(response, max).transform(x -> Future.failedFuture(answered));
    }
    if (declaresMoreThan(response.getHeader(HttpHeaders.CONTENT_LENGTH), max)) {
      abandon(response);
      return Future.failedFuture(tooLarge(failure, max));
    }
    Promise<Buffer> promise = Promise.promise();
    Buffer body = Buffer.buffer();
    response.handler(
        chunk -> {
          if (body.length() + chunk.length() > max) {
            // Fail before the reset, whose own error would otherwise be reported first.
            promise.tryFail(tooLarge(failure, max));
            abandon(response);
          } else {
            body.appendBuffer(chunk);
          }
        });
    response.exceptionHandler(promise::tryFail);
    response.endHandler(v -> promise.tryComplete(body));
    return promise.future();
  }

  /**
   * Reads and drops a body not wanted (an error page, a 404), so the connection goes back to the
   * pool; one over {@code max} bytes is abandoned instead. Completes either way.
   */
  public static Future<Void> discard(HttpClientResponse response, int max) {
    if (declaresMoreThan(response.getHeader(HttpHeaders.CONTENT_LENGTH), max)) {
      abandon(response);
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    long[] seen = {0};
    response.handler(
        chunk -> {
          seen[0] += chunk.length();
          if (seen[0] > max) {
            done.tryComplete();
            abandon(response);
          }
        });
    response.exceptionHandler(e -> done.tryComplete());
    response.endHandler(v -> done.tryComplete());
    return done.future();
  }

  /**
   * Resets the exchange and closes its connection: for a body too large to read. The reset's own
   * error is expected, so it is handled here rather than logged by Vert.x as unhandled.
   */
  static void abandon(HttpClientResponse response) {
    response.exceptionHandler(e -> {});
    response.request().reset();
  }

  private static RuntimeException tooLarge(
      Function<String, ? extends RuntimeException> failure, int max) {
    return failure.apply("sent more than " + max + " bytes");
  }

  private static boolean declaresMoreThan(String contentLength, int max) {
    try {
      return contentLength != null && Long.parseLong(contentLength.strip()) > max;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
