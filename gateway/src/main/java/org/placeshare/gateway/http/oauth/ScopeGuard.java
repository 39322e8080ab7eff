package org.placeshare.gateway.http.oauth;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.policy.identity.Caller;

/**
 * An endpoint's resource type must be among the access token's granted SMART scopes: a person's
 * view and $match need {@code Patient}, cohorts and their exports {@code Group}. A caller without
 * it is a 403 OperationOutcome, audited, before anything is read. Which other types leave with a
 * release is narrowed in the release path itself ({@code PersonRelease}).
 */
public final class ScopeGuard {

  private ScopeGuard() {}

  /** A route handler letting through only callers granted {@code resourceType}. */
  public static Handler<RoutingContext> requires(String resourceType) {
    return ctx -> {
      Caller caller = RequestState.get(ctx).caller;
      if (caller == null || !caller.scopes().allows(resourceType)) {
        ctx.fail(
            403,
            new GatewayException(
                IssueType.FORBIDDEN,
                "the access token's scope does not grant "
                    + resourceType
                    + "; ask for system/"
                    + resourceType
                    + ".rs",
                "scope "
                    + (caller == null ? "(none)" : caller.scopes())
                    + " lacks "
                    + resourceType));
        return;
      }
      ctx.next();
    };
  }
}
