package org.placeshare.gateway.http.oauth;

import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.ClientRegistrations;

/**
 * The one check for information governance capabilities (the audit API and export, policy
 * evaluation, reload and status, listing and withdrawing any person's consents, break-glass
 * reviews, retention, the console): the caller's token claims {@value #ROLE} and its client is
 * registered for that role (see {@link RegisteredRole}). Every IG endpoint and the console use this
 * and nothing else.
 */
public final class IgLead {

  /** The role an IG lead's access token carries, and its client's registration lists. */
  static final String ROLE = "ig-lead";

  private final RegisteredRole role;

  public IgLead(ClientRegistrations registrations) {
    this.role = new RegisteredRole(ROLE, registrations);
  }

  public boolean is(Caller caller) {
    return role.heldBy(caller);
  }

  /** Why the caller is not an IG lead, for the audit; empty when it is. */
  public Optional<String> whyNot(Caller caller) {
    return role.whyNot(caller);
  }

  /** A route handler letting only IG leads through: anyone else is a 403, audited. */
  public void require(RoutingContext ctx) {
    Optional<String> why = whyNot(RequestState.get(ctx).caller);
    if (why.isPresent()) {
      ctx.fail(403, forbidden(why.get()));
      return;
    }
    ctx.next();
  }

  public static GatewayException forbidden(String why) {
    return new GatewayException(
        IssueType.FORBIDDEN, "this endpoint is for information governance leads", why);
  }
}
