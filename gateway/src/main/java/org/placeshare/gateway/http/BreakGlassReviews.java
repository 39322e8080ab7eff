package org.placeshare.gateway.http;

import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditRecord;
import org.placeshare.gateway.audit.AuditSearch;

/** What the API and the console share about reviewing a break-glass access. */
final class BreakGlassReviews {

  static final Set<String> OUTCOMES = Set.of("appropriate", "inappropriate", "needs-follow-up");

  private BreakGlassReviews() {}

  /**
   * The break-glass event to review; a failed future with the status to answer when there is no
   * such event (404) or it was reviewed already (409).
   */
  static Future<AuditRecord> reviewable(AuditSearch search, UUID id) {
    Future<Optional<AuditRecord>> event = search.event(id);
    Future<Optional<AuditRecord>> review = search.reviewOf(id);
    return Future.all(event, review)
        .compose(
            all -> {
              if (event.result().isEmpty() || !event.result().get().emergency()) {
                return Future.failedFuture(
                    new GatewayException(
                        404,
                        IssueType.NOTFOUND,
                        "no break-glass event with that id",
                        "no break-glass event " + id));
              }
              if (review.result().isPresent()) {
                return Future.failedFuture(
                    new GatewayException(
                        409,
                        IssueType.CONFLICT,
                        "that event was reviewed already, at log index "
                            + review.result().get().leafIndex(),
                        "second review of " + id));
              }
              return Future.succeededFuture(event.result().get());
            });
  }

  /** The review's audit detail; the review queue finds reviews by it. */
  static String detail(UUID id, String outcome, String comment) {
    return AuditSearch.REVIEW_PREFIX + id + ": " + outcome + "; " + comment.strip();
  }

  /** A failure while reviewing: its own status if it has one, else the audit store is down. */
  static void fail(RoutingContext ctx, Throwable e) {
    if (e instanceof GatewayException g && g.status() > 0) {
      ctx.fail(e);
    } else {
      ctx.fail(503, new AuditUnavailable(e));
    }
  }
}
