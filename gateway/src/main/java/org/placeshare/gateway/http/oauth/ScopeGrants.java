package org.placeshare.gateway.http.oauth;

import java.time.Clock;
import java.util.Set;
import java.util.TreeSet;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.policy.identity.VerifiedClientAssertion;

/**
 * What SMART scopes a client may be granted now: the resource types the agreements in force release
 * to its organisation, in the role and for the purpose of its assertion (a system client's
 * registered ones), and {@code Group} always: a Group is the client's own list of people (a cohort,
 * a subscription's criteria), and each member it leads to is still decided by the agreements, one
 * by one. This only bounds what a token can ask for.
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
    types.add(GROUP);
    return types;
  }
}
