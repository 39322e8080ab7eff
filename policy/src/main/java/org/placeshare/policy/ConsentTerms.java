package org.placeshare.policy;

import java.util.Set;

/**
 * What an agreement asks of consent, and whose consent records it believes.
 *
 * @param trustedIssuers the consent recorders (GP practice, trust, consent service) by ODS code
 */
public record ConsentTerms(ConsentRule rule, Set<OdsCode> trustedIssuers) {
  public ConsentTerms {
    trustedIssuers = Set.copyOf(trustedIssuers);
  }
}
