package org.placeshare.policy.identity;

import java.time.Instant;
import java.util.Optional;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;

/**
 * The right to rebuild the {@link Caller} a background job acts for from what the job kept: a
 * caller that {@link AccessTokens} verified when the job was started, so that a job resumed after a
 * restart is decided and audited for the same organisation, client, user, role and purpose. It is a
 * capability, not a static factory: only {@link AccessTokens#jobCallers()} makes one, and the
 * gateway hands it to its jobs store alone (an architecture test holds every other class to that),
 * so no other code can turn strings into a {@code Caller}.
 */
public final class JobCallers {

  JobCallers() {}

  /** The caller of a job, as it was verified when the job started; its token never expires. */
  public Caller resume(
      OdsCode organisation, String clientId, String userId, String role, PurposeOfUse purpose) {
    return new Caller(
        organisation,
        clientId,
        userId,
        role,
        purpose,
        Instant.MAX,
        Optional.empty(),
        Optional.empty(),
        // The token is gone: its scopes narrowed the job's types at the kick-off (the gateway's
        // ExportScope refuses a _type they do not grant), and the job releases only those.
        GrantedScopes.UNRESTRICTED,
        false);
  }
}
