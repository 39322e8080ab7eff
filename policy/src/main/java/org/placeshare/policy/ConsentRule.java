package org.placeshare.policy;

/** What an agreement asks of patient consent before a record is released under it. */
public enum ConsentRule {
  /** The lawful basis does not rest on consent (e.g. a legal obligation or s251 support). */
  NONE,
  /** A verified consent for this person, recipient and purpose must be present. */
  REQUIRED,
  /** Consent, or emergency (break-glass) access for direct care with a stated reason. */
  REQUIRED_OR_EMERGENCY
}
