package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.placeshare.policy.identity.Caller;

/**
 * What the API and the console share about reviewing a break-glass access; a refusal is a {@link
 * ReviewRefused} with the status to answer. A review is an audit event of its own ({@value
 * AuditSearch#REVIEW_ACTION}), naming the reviewed event, so it is in the log and its proofs like
 * any access. Separation of duties: nobody reviews an access they made, or one made by their own
 * organisation; that review falls to another organisation's IG lead.
 */
public final class BreakGlassReviews {

  public static final Set<String> OUTCOMES =
      Set.of("appropriate", "inappropriate", AuditSearch.FOLLOW_UP);

  /**
   * Names the review lock among the server's advisory locks: the two-key space, apart from the
   * migration lock's one key; the second key is the event's.
   */
  private static final int REVIEW_LOCK = 0x72657677;

  private BreakGlassReviews() {}

  /** One review of a break-glass event, as its audit event records it. */
  public record Review(
      long index,
      Instant reviewedAt,
      String user,
      String client,
      String organisation,
      String role,
      String outcome,
      String comment) {

    /** The review an audit event records: who and when from its columns, the rest its detail. */
    static Review of(AuditRecord r) {
      String detail = r.detail().getString("detail", "");
      int colon = detail.indexOf(": ");
      int semicolon = detail.indexOf("; ", Math.max(colon, 0));
      String outcome = colon < 0 || semicolon < 0 ? detail : detail.substring(colon + 2, semicolon);
      String comment = semicolon < 0 ? "" : detail.substring(semicolon + 2);
      return new Review(
          r.leafIndex(),
          r.recordedAt(),
          r.userId(),
          r.clientId(),
          r.organisation(),
          r.userRole(),
          outcome,
          comment);
    }

    public JsonObject json() {
      return new JsonObject()
          .put("index", index)
          .put("reviewedAt", reviewedAt.toString())
          .put(
              "reviewer",
              new JsonObject()
                  .put("user", user)
                  .put("client", client)
                  .put("organisation", organisation)
                  .put("role", role))
          .put("outcome", outcome)
          .put("comment", comment);
    }
  }

  /** An event and its reviews, oldest first. */
  public record History(AuditRecord event, List<Review> reviews) {

    /** Whether a review has closed it: any outcome but a follow-up. */
    Optional<Review> closedBy() {
      return reviews.stream().filter(r -> !r.outcome().equals(AuditSearch.FOLLOW_UP)).findFirst();
    }

    public JsonObject json() {
      JsonArray list = new JsonArray();
      reviews.forEach(r -> list.add(r.json()));
      return new JsonObject()
          .put("eventId", event.eventId())
          .put("index", event.leafIndex())
          .put("status", closedBy().isPresent() ? "reviewed" : "awaiting-review")
          .put("reviews", list);
    }
  }

  /** A break-glass event and its review history; 404 when there is no such break-glass event. */
  public static Future<History> history(AuditSearch search, UUID id) {
    Future<Optional<AuditRecord>> event = search.event(id);
    Future<List<AuditRecord>> reviews = search.reviewsOf(id);
    return Future.all(event, reviews)
        .compose(
            all -> {
              if (event.result().isEmpty() || !event.result().get().emergency()) {
                return Future.failedFuture(
                    new ReviewRefused(
                        ReviewRefused.NOT_FOUND,
                        "no break-glass event with that id",
                        "no break-glass event " + id));
              }
              return Future.succeededFuture(
                  new History(
                      event.result().get(), reviews.result().stream().map(Review::of).toList()));
            });
  }

  /**
   * The break-glass event to review; a failed future with the status to answer when there is no
   * such event (404) or a review closed it already (409).
   */
  public static Future<AuditRecord> reviewable(AuditSearch search, UUID id) {
    return history(search, id)
        .compose(
            h -> {
              Optional<Review> closed = h.closedBy();
              if (closed.isPresent()) {
                return Future.failedFuture(
                    new ReviewRefused(
                        ReviewRefused.CONFLICT,
                        "that event was reviewed already, at log index " + closed.get().index(),
                        "second review of " + id));
              }
              return Future.succeededFuture(h.event());
            });
  }

  /**
   * Why this reviewer may not review this access (403), or empty when they may: nobody reviews an
   * access made by themselves (the same user id, in any case) or by their own organisation.
   */
  public static Optional<ReviewRefused> conflictOfInterest(AuditRecord event, Caller reviewer) {
    // Logins are case-insensitive in the directories clients vouch from: Dr.Jones is dr.jones.
    if (reviewer.userId().equalsIgnoreCase(event.userId())) {
      return Optional.of(
          new ReviewRefused(
              ReviewRefused.FORBIDDEN,
              "nobody may review their own break-glass access; another IG lead must review it",
              "review refused, separation of duties: "
                  + reviewer.userId()
                  + " made break-glass access "
                  + event.eventId()));
    }
    if (reviewer.organisation().value().equals(event.organisation())) {
      return Optional.of(
          new ReviewRefused(
              ReviewRefused.FORBIDDEN,
              "a break-glass access by your own organisation is reviewed by another"
                  + " organisation's IG lead",
              "review refused, separation of duties: "
                  + reviewer.userId()
                  + " is of "
                  + event.organisation()
                  + ", which made break-glass access "
                  + event.eventId()));
    }
    return Optional.empty();
  }

  /**
   * Runs one review of an event under a lock on that event, held in the database so it holds across
   * instances: without it two reviewers could both find the event open and both close it. A
   * reviewer who finds the lock taken is answered 409, to reload and try again.
   */
  public static <T> Future<T> oneAtATime(Pool pool, UUID id, Supplier<Future<T>> review) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery("SELECT pg_try_advisory_xact_lock($1, $2)")
                .execute(Tuple.of(REVIEW_LOCK, id.hashCode()))
                .compose(
                    rows ->
                        rows.iterator().next().getBoolean(0)
                            ? review.get()
                            : Future.failedFuture(
                                new ReviewRefused(
                                    ReviewRefused.CONFLICT,
                                    "another review of that event is being recorded; reload and"
                                        + " try again",
                                    "concurrent review of " + id))));
  }

  /** The review's audit detail; the review queue and the history find reviews by it. */
  public static String detail(UUID id, String outcome, String comment) {
    return AuditSearch.REVIEW_PREFIX + id + ": " + outcome + "; " + comment.strip();
  }
}
