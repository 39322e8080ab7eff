package org.placeshare.gateway.http.audit;

import io.vertx.ext.web.RoutingContext;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.BreakGlassReviews;
import org.placeshare.gateway.audit.ReviewRefused;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;

/**
 * Failures while reviewing a break-glass access, for the API and the console alike: a refusal by
 * {@link BreakGlassReviews} answers with its own status; anything else means the audit store is
 * down.
 */
public final class ReviewFailures {

  private ReviewFailures() {}

  /** A review refused, as the one failure door takes it. */
  public static GatewayException of(ReviewRefused refused) {
    IssueType code =
        switch (refused.status()) {
          case ReviewRefused.NOT_FOUND -> IssueType.NOTFOUND;
          case ReviewRefused.FORBIDDEN -> IssueType.FORBIDDEN;
          case ReviewRefused.CONFLICT -> IssueType.CONFLICT;
          default -> IssueType.PROCESSING;
        };
    return new GatewayException(
        refused.status(), code, refused.getMessage(), refused.auditDetail());
  }

  /** A failure while reviewing: its own status if it has one, else the audit store is down. */
  public static void fail(RoutingContext ctx, Throwable e) {
    if (e instanceof ReviewRefused refused) {
      ctx.fail(of(refused));
    } else if (e instanceof GatewayException g && g.status() > 0) {
      ctx.fail(e);
    } else {
      ctx.fail(503, new AuditUnavailable(e));
    }
  }
}
