package org.placeshare.gateway.http.oauth;

import java.time.Clock;
import java.util.Set;
import java.util.TreeSet;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.policy.identity.VerifiedClientAssertion;

/**
 * What SMART scopes a client may be granted now: the resource types the agreements in force release
 * to its organisation, in the role and for the purpose of its assertion (a system client's
 * registered ones), and {@code Group} (a cohort is a list of such people) when they release any.
 * Each release is still decided person by person; this only bounds what a token can ask for.
 */
final class ScopeGrants {

  /** Cohorts: registered and exported as FHIR Groups of the people the agreements release. */
  static final String GROUP = "Group";

  private final PolicyStore policy;
  private final Clock clock;

  ScopeGrants(PolicyStore policy, Clock clock) {
    this.policy = policy;
    this.clock = clock;
  }

  Set<String> allowed(VerifiedClientAssertion assertion) {
    Set<String> types =
        new TreeSet<>(
            policy
                .current()
                .releasableTypes(
                    assertion.client().organisation(),
                    assertion.role(),
                    assertion.purpose(),
                    clock.instant()));
    if (!types.isEmpty()) {
      types.add(GROUP);
    }
    return types;
  }
}
