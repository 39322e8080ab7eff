package org.placeshare.gateway.http.consent;

import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.oauth.RegisteredRole;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.ClientRegistrations;

/**
 * Who may have the gateway record and sign a consent ({@code POST /consents/issue}): a caller whose
 * token claims the role {@value #ROLE} and whose client is registered for it. Recording a consent
 * makes one; it is for the staff the issuing organisation trusts to take consent (reception,
 * consent teams), not for every clinician or analyst its systems vouch for.
 */
public final class ConsentRecorder {

  /** The role a consent recorder's token carries, and its client's registration lists. */
  static final String ROLE = "consent-recorder";

  private final RegisteredRole role;

  public ConsentRecorder(ClientRegistrations registrations) {
    this.role = new RegisteredRole(ROLE, registrations);
  }

  /** The refusal for a caller who may not record consents; empty when it may. */
  Optional<GatewayException> refusal(Caller caller) {
    return role.whyNot(caller)
        .map(
            why ->
                new GatewayException(
                    IssueType.FORBIDDEN,
                    "only a consent recorder (role " + ROLE + ") may record a consent",
                    "consent not recorded: " + why));
  }
}
