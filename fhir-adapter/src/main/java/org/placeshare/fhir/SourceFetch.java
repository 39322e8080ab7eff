package org.placeshare.fhir;

import io.netty.handler.codec.DecoderException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.placeshare.policy.NhsNumber;

/**
 * What every kind of source does around a fetch: one deadline for all of it, a circuit breaker that
 * leaves a failing source alone, and upstream trouble turned into a {@link SourceRecords.Failed}
 * with a reason safe to show, so that a fetch's future never fails.
 */
public final class SourceFetch {

  private final Vertx vertx;
  private final Context context;
  private final SourceDescriptor descriptor;
  private final CircuitBreaker breaker = new CircuitBreaker(System::nanoTime);

  public SourceFetch(Vertx vertx, SourceDescriptor descriptor) {
    this.vertx = vertx;
    // One event-loop context per source: its requests are made and their responses handled on
    // it, so a body handler is always in place before the body arrives.
    this.context = vertx.getOrCreateContext();
    this.descriptor = descriptor;
  }

  /**
   * Runs one fetch under the deadline and the breaker, and checks what it found is about the person
   * asked for ({@link AboutThePerson}). A source whose answer is withheld ({@link WithheldAnswer}:
   * a conflict, say) answered: the breaker does not count it as down, so asking about one such
   * person cannot cut the source off for all. Nor does it count the gateway's own faults ({@link
   * #isTheSourcesDoing}): a request the gateway could not make, or an answer it could not handle,
   * says nothing of the source, and counting it would let one caller's odd input cut the source off
   * for every caller.
   */
  public Future<SourceRecords> run(NhsNumber asked, Supplier<Future<SourceRecords>> work) {
    if (!breaker.allow()) {
      return Future.succeededFuture(
          new SourceRecords.Failed(descriptor, breaker.refusing().orElse("is not being asked")));
    }
    Promise<SourceRecords> result = Promise.promise();
    // Why the work failed, when it did; null for an answer, or for the deadline passing first.
    Throwable[] failure = {null};
    context.runOnContext(
        start -> {
          long timer =
              vertx.setTimer(
                  descriptor.deadline().toMillis(),
                  id ->
                      result.tryComplete(
                          new SourceRecords.Failed(
                              descriptor,
                              "did not answer within "
                                  + descriptor.deadline().toMillis()
                                  + " ms")));
          started(work)
              .map(found -> AboutThePerson.check(asked, found))
              .recover(
                  e -> {
                    failure[0] = e;
                    return Future.succeededFuture(new SourceRecords.Failed(descriptor, reason(e)));
                  })
              .onComplete(
                  done -> {
                    vertx.cancelTimer(timer);
                    result.tryComplete(done.result());
                  });
        });
    return result
        .future()
        .onSuccess(
            r -> {
              if (!(r instanceof SourceRecords.Failed) || failure[0] instanceof WithheldAnswer) {
                breaker.succeeded();
              } else if (failure[0] == null || isTheSourcesDoing(failure[0])) {
                breaker.failed();
              } else {
                breaker.undecided();
              }
            });
  }

  /** The work's future; one that throws before it has a future failed the same way. */
  private static Future<SourceRecords> started(Supplier<Future<SourceRecords>> work) {
    try {
      return work.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * Whether a failure is the source's doing, so counts towards leaving it alone: what it sent
   * ({@link UpstreamException}) or the connection to it ({@link IOException}, Vert.x's and Netty's
   * transport failures, a timeout). Anything else (an {@link IllegalArgumentException}, {@link
   * java.time.DateTimeException}, {@link ArithmeticException}...) was raised by the gateway's own
   * code or input, before the request left or while handling the answer: deny by default, a failure
   * counts against the source only when it is known to be the source's.
   */
  static boolean isTheSourcesDoing(Throwable e) {
    return e instanceof UpstreamException
        || e instanceof IOException
        || e instanceof VertxException
        || e instanceof DecoderException
        || e instanceof TimeoutException;
  }

  /** Why the source is being left alone, while it is. */
  public Optional<String> unavailable() {
    return breaker.refusing();
  }

  static String reason(Throwable e) {
    if (e instanceof UpstreamException) {
      return e.getMessage();
    }
    // Connection trouble: name its kind, not its details (which may quote hosts or payloads).
    if (e instanceof ConnectException) {
      return "could not be reached (connection refused)";
    }
    if (!isTheSourcesDoing(e)) {
      return "could not be asked: a fault in the gateway, not the source ("
          + e.getClass().getSimpleName()
          + ")";
    }
    return "could not be reached (" + e.getClass().getSimpleName() + ")";
  }
}
