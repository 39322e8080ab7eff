package org.placeshare.gateway.http.fhir;

import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;

/**
 * What the cohort and bulk job endpoints share: ids from the path, the audited answer, and the
 * failures they answer with.
 */
final class CohortCalls {

  private final AuditLog audit;
  private final Clock clock;

  CohortCalls(AuditLog audit, Clock clock) {
    this.audit = audit;
    this.clock = clock;
  }

  static Optional<UUID> uuid(String text) {
    try {
      return text != null && text.length() == 36
          ? Optional.of(UUID.fromString(text))
          : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Audits the call as permitted, then answers; with the audit down, 503 and nothing sent. */
  void audited(RoutingContext ctx, RequestState state, int status, String detail, Runnable send) {
    audit
        .append(
            state.event(
                clock.instant(), AuditEvent.Outcome.PERMITTED, status, Map.of(), List.of(), detail))
        .onSuccess(seq -> send.run())
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)));
  }

  static void failWith(RoutingContext ctx, Throwable e) {
    if (e instanceof GatewayException g && g.status() > 0) {
      ctx.fail(g);
    } else {
      ctx.fail(503, storageUnavailable(e));
    }
  }

  static GatewayException noSuchGroup() {
    return new GatewayException(IssueType.NOTFOUND, "no such Group for your organisation");
  }

  static GatewayException noSuchJob() {
    return new GatewayException(
        IssueType.NOTFOUND, "no such job for your client, purpose, role and user");
  }

  static GatewayException storageUnavailable(Throwable e) {
    return new GatewayException(
        IssueType.TRANSIENT,
        "the gateway's database is unavailable; try again shortly",
        e.getClass().getSimpleName());
  }
}
