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
      response.request().reset();
      return Future.failedFuture(failure.apply("answered HTTP " + response.statusCode()));
    }
    if (declaresMoreThan(response.getHeader(HttpHeaders.CONTENT_LENGTH), max)) {
      response.request().reset();
      return Future.failedFuture(tooLarge(failure, max));
    }
    Promise<Buffer> promise = Promise.promise();
    Buffer body = Buffer.buffer();
    response.handler(
        chunk -> {
          if (body.length() + chunk.length() > max) {
            // Fail before the reset, whose own error would otherwise be reported first.
            promise.tryFail(tooLarge(failure, max));
            response.request().reset();
          } else {
            body.appendBuffer(chunk);
          }
        });
    response.exceptionHandler(promise::tryFail);
    response.endHandler(v -> promise.tryComplete(body));
    return promise.future();
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
