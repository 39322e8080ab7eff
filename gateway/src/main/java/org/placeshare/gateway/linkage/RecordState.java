package org.placeshare.gateway.linkage;

import java.util.Optional;

/**
 * What the register holds about one roster entry when a sync comes to it: its link (live or not),
 * the fingerprint of its open review's demographics, and its last steward's decision.
 */
public record RecordState(
    Optional<RegisteredLink> link,
    Optional<String> openReviewFingerprint,
    Optional<LastDecision> lastDecision) {

  /** The latest review a steward decided for the record: the outcome and on what demographics. */
  public record LastDecision(String outcome, String fingerprint) {}

  public static final RecordState NONE =
      new RecordState(Optional.empty(), Optional.empty(), Optional.empty());
}
