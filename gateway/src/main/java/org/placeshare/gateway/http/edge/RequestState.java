package org.placeshare.gateway.http.edge;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * What one audited request has learnt so far, kept on its routing context so that whichever step
 * ends it, success or failure, audits everything known.
 */
public final class RequestState {

  private static final String KEY = "placeshare.request";

  public final String requestId = UUID.randomUUID().toString();
  public final Instant started;

  /**
   * The client's network address: the TCP peer of the connection, never a forwarded header (the
   * gateway has no trusted proxy to believe one from). Empty when the transport has none.
   */
  public final Optional<String> clientAddress;

  public String action;
  public Caller caller;
  public NhsNumber patient;
  public String emergencyReason;
  public String relationshipClaim;
  public String consentToken;

  /** {@code _type}: the resource types asked for, if narrowed. */
  public Set<String> types;

  /** {@code _since}: only records changed since then. */
  public Instant since;

  /**
   * Set when a refusal is answered as "not there" to hide a flag: the audit records it as the
   * refusal it was.
   */
  public boolean concealedRefusal;

  public final List<AuditEvent.SourceDecision> decisions = new ArrayList<>();

  private RequestState(Instant started, String action, Optional<String> clientAddress) {
    this.started = started;
    this.action = action;
    this.clientAddress = clientAddress;
  }

  public static RequestState begin(RoutingContext ctx, Instant now, String action) {
    RequestState state = new RequestState(now, action, peer(ctx.request().connection()));
    ctx.put(KEY, state);
    ctx.response().putHeader("X-Request-ID", state.requestId);
    return state;
  }

  /** The audit event for this request as it ends, with everything it has learnt. */
  public AuditEvent event(
      Instant now,
      AuditEvent.Outcome outcome,
      int status,
      Map<String, List<String>> released,
      List<String> sourceProblems,
      String detail) {
    return new AuditEvent(
            UUID.randomUUID(),
            now,
            requestId,
            action,
            outcome,
            status,
            Optional.ofNullable(patient),
            Optional.ofNullable(caller),
            Optional.ofNullable(emergencyReason),
            Optional.ofNullable(relationshipClaim),
            decisions,
            released,
            sourceProblems,
            detail,
            now.toEpochMilli() - started.toEpochMilli())
        .withClientAddress(clientAddress);
  }

  /** An event of this request built elsewhere (a release, a match), naming the request's client. */
  public AuditEvent stamped(AuditEvent event) {
    return event.withClientAddress(clientAddress);
  }

  /**
   * The TCP peer's address as the connection saw it: not {@code request().remoteAddress()}, which a
   * router allowed to read forwarded headers would take from the client's own say-so.
   */
  public static Optional<String> peer(HttpConnection connection) {
    if (connection == null) {
      return Optional.empty();
    }
    SocketAddress peer = connection.remoteAddress();
    return peer == null ? Optional.empty() : Optional.ofNullable(peer.hostAddress());
  }

  public static Optional<RequestState> of(RoutingContext ctx) {
    return Optional.ofNullable(ctx.get(KEY));
  }

  public static RequestState get(RoutingContext ctx) {
    return of(ctx).orElseThrow(() -> new IllegalStateException("request state not begun"));
  }
}
