package org.placeshare.gateway.http.edge;

import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.WitnessingBehind;

/**
 * The one door for errors on FHIR routes: audits the failed request with everything known about it,
 * then answers with an OperationOutcome. If the audit cannot be written, the answer is 503.
 */
public final class FhirFailureHandler {

  private static final Logger LOG = Logger.getLogger(FhirFailureHandler.class.getName());

  /**
   * How a failure is told to the caller: an OperationOutcome for the APIs, a page for the console.
   */
  @FunctionalInterface
  public interface Responder {
    void send(RoutingContext ctx, int status, IssueType code, String message);
  }

  private final AuditLog audit;
  private final Clock clock;
  private final Responder responder;

  public FhirFailureHandler(AuditLog audit, Clock clock) {
    this(audit, clock, Outcomes::send);
  }

  public FhirFailureHandler(AuditLog audit, Clock clock, Responder responder) {
    this.audit = audit;
    this.clock = clock;
    this.responder = responder;
  }

  public void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    // A failure that knows its status wins: ctx.fail(throwable) alone reports 500.
    int status =
        failure instanceof GatewayException g && g.status() > 0
            ? g.status()
            : ctx.statusCode() == -1 ? 500 : ctx.statusCode();
    if (AuditUnavailable.is(failure)) {
      responder.send(ctx, 503, IssueType.TRANSIENT, AuditUnavailable.MESSAGE);
      return;
    }
    GatewayException known =
        failure instanceof GatewayException g
            ? g
            : failure instanceof WitnessingBehind w
                ? new GatewayException(IssueType.TRANSIENT, w.getMessage(), w.auditDetail())
                : unexpected(status, failure, ctx);
    // Refused by the gateway's own rule (witnessing behind, failing closed), though it answers 503.
    boolean refused = failure instanceof WitnessingBehind;
    if (status == 500 && !(failure instanceof GatewayException)) {
      LOG.log(Level.SEVERE, "request " + requestId(ctx) + " failed", failure);
    }
    Optional<RequestState> state = RequestState.of(ctx);
    if (state.isEmpty()) {
      responder.send(ctx, status, known.code(), known.getMessage());
      return;
    }
    RequestState s = state.get();
    AuditEvent event =
        s.event(
            clock.instant(),
            status == 401 || status == 403 || s.concealedRefusal || refused
                ? AuditEvent.Outcome.REFUSED
                : AuditEvent.Outcome.FAILED,
            status,
            Map.of(),
            List.of(),
            known.auditDetail());
    audit
        .append(event)
        .onSuccess(seq -> responder.send(ctx, status, known.code(), known.getMessage()))
        .onFailure(
            e -> {
              LOG.log(Level.SEVERE, "audit append failed for request " + s.requestId, e);
              responder.send(ctx, 503, IssueType.TRANSIENT, AuditUnavailable.MESSAGE);
            });
  }

  private static GatewayException unexpected(int status, Throwable failure, RoutingContext ctx) {
    return switch (status) {
      case 404 -> new GatewayException(IssueType.NOTFOUND, "no such resource or operation");
      case 405 -> new GatewayException(IssueType.NOTSUPPORTED, "method not allowed here");
      case 413 -> new GatewayException(IssueType.TOOLONG, "the request is too large");
      case 400 -> new GatewayException(IssueType.INVALID, "the request is malformed");
      default ->
          new GatewayException(
              IssueType.EXCEPTION,
              "internal error; quote request id " + requestId(ctx),
              failure == null ? "status " + status : failure.getClass().getName());
    };
  }

  private static String requestId(RoutingContext ctx) {
    return RequestState.of(ctx).map(s -> s.requestId).orElse("(none)");
  }
}
