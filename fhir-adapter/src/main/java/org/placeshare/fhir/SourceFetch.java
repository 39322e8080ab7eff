package org.placeshare.fhir;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.ConnectException;
import java.util.Optional;
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
   * person cannot cut the source off for all.
   */
  public Future<SourceRecords> run(NhsNumber asked, Supplier<Future<SourceRecords>> work) {
    if (!breaker.allow()) {
      return Future.succeededFuture(
          new SourceRecords.Failed(descriptor, breaker.refusing().orElse("is not being asked")));
    }
    Promise<SourceRecords> result = Promise.promise();
    boolean[] withheld = {false};
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
          work.get()
              .map(found -> AboutThePerson.check(asked, found))
              .recover(
                  e -> {
                    withheld[0] = e instanceof WithheldAnswer;
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
              if (r instanceof SourceRecords.Failed && !withheld[0]) {
                breaker.failed();
              } else {
                breaker.succeeded();
              }
            });
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
    return "could not be reached (" + e.getClass().getSimpleName() + ")";
  }
}
