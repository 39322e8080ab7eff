package org.placeshare.gateway.http.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.audit.BreakGlassReviews;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.policy.NhsNumber;

/**
 * The IG lead's break-glass reviews: the queue of accesses awaiting review, recording a review
 * (separation of duties, one closing review per access) and an access's review history. Every read
 * and every review is itself an audit event.
 */
public final class AuditReviewEndpoints {

  private final AuditSearch search;
  private final AuditLog audit;
  private final Pool pool;
  private final Clock clock;

  public AuditReviewEndpoints(AuditSearch search, AuditLog audit, Pool pool, Clock clock) {
    this.search = search;
    this.audit = audit;
    this.pool = pool;
    this.clock = clock;
  }

  public void awaitingReview(RoutingContext ctx) {
    search
        .awaitingReview(AuditFilters.MAX_LIMIT)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              JsonArray list = new JsonArray();
              found.forEach(r -> list.add(AuditRecordViews.json(r)));
              AuditEndpoints.respond(
                  audit,
                  clock,
                  ctx,
                  "emergency review queue: " + found.size() + " awaiting review",
                  "application/json",
                  new JsonObject().put("awaitingReview", list).encode(),
                  null);
            });
  }

  /** {@code POST /audit/reviews/{eventId}}: a review, appended as its own event. */
  public void review(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = AuditSearch.REVIEW_ACTION;
    UUID eventId;
    try {
      eventId = UUID.fromString(ctx.pathParam("eventId"));
    } catch (IllegalArgumentException e) {
      ctx.fail(400, StrictJson.invalid("eventId: expected an audit event id (a UUID)"));
      return;
    }
    String outcome;
    String comment;
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        throw StrictJson.invalid("expected a JSON object, got nothing");
      }
      StrictJson.unknownKeys(body, Set.of("outcome", "comment"), "");
      outcome = StrictJson.text(body, "outcome", true);
      if (!BreakGlassReviews.OUTCOMES.contains(outcome)) {
        throw StrictJson.invalid("outcome: expected appropriate, inappropriate or needs-follow-up");
      }
      comment = StrictJson.text(body, "comment", true, StrictJson.MAX_STATED_REASON);
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    } catch (RuntimeException e) {
      ctx.fail(400, StrictJson.invalid("expected a JSON object"));
      return;
    }
    BreakGlassReviews.oneAtATime(
            pool,
            eventId,
            () ->
                BreakGlassReviews.reviewable(search, eventId)
                    .compose(
                        event -> {
                          NhsNumber.tryParse(event.nhsNumber()).ifPresent(p -> state.patient = p);
                          var conflict = BreakGlassReviews.conflictOfInterest(event, state.caller);
                          if (conflict.isPresent()) {
                            return Future.failedFuture(conflict.get());
                          }
                          return audit.append(
                              state.event(
                                  clock.instant(),
                                  AuditEvent.Outcome.PERMITTED,
                                  201,
                                  Map.of(),
                                  List.of(),
                                  BreakGlassReviews.detail(eventId, outcome, comment)));
                        }))
        .onFailure(e -> ReviewFailures.fail(ctx, e))
        .onSuccess(
            index ->
                StrictJson.json(
                    ctx,
                    201,
                    new JsonObject()
                        .put("reviews", eventId.toString())
                        .put("outcome", outcome)
                        .put("index", index)));
  }

  /**
   * {@code GET /audit/reviews/{eventId}}: a break-glass event's review history, oldest first: who
   * reviewed it (user, client, organisation, role), when, the outcome and the comment.
   */
  public void reviewHistory(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "emergency-review-history";
    UUID eventId;
    try {
      eventId = UUID.fromString(ctx.pathParam("eventId"));
    } catch (IllegalArgumentException e) {
      ctx.fail(400, StrictJson.invalid("eventId: expected an audit event id (a UUID)"));
      return;
    }
    BreakGlassReviews.history(search, eventId)
        .onFailure(e -> ReviewFailures.fail(ctx, e))
        .onSuccess(
            history -> {
              NhsNumber.tryParse(history.event().nhsNumber()).ifPresent(p -> state.patient = p);
              AuditEndpoints.respond(
                  audit,
                  clock,
                  ctx,
                  "review history of break-glass event "
                      + eventId
                      + ": "
                      + history.reviews().size()
                      + " reviews",
                  "application/json",
                  history.json().encode(),
                  null);
            });
  }
}
