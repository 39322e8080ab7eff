package org.placeshare.policy;

import java.util.Optional;

/** How an organisation is known to be caring for a person, as the relationship register holds. */
public enum RelationshipKind implements Coded {
  /** The person is registered with this GP practice. */
  REGISTERED_GP("registered-gp"),
  /** The organisation has an open episode of care (e.g. a social care case). */
  EPISODE_OF_CARE("episode-of-care"),
  /** The organisation has an encounter in progress or recently finished. */
  ENCOUNTER("encounter");

  private final String code;

  RelationshipKind(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  public static Optional<RelationshipKind> of(String code) {
    return Coded.of(RelationshipKind.class, code);
  }
}
