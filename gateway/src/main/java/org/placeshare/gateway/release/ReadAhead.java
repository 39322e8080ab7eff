package org.placeshare.gateway.release;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.placeshare.policy.Consent;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.PatientFacts;

/**
 * What a release reads of a person before deciding (the register's facts and the standing
 * consents), read for many people at once: a bulk job reads a chunk's members in three queries
 * rather than three for each member. A release given one decides on what it holds, as of the
 * chunk's start; a person it does not hold, or a presented consent token, is read as ever.
 */
public final class ReadAhead {

  /** Nothing read ahead: every release reads its own. */
  public static final ReadAhead NONE = new ReadAhead(Map.of(), Map.of());

  /** One person's facts and standing consents. */
  record Known(PatientFacts facts, List<Consent> standing) {
    Known {
      standing = List.copyOf(standing);
    }
  }

  private final Map<NhsNumber, PatientFacts> facts;
  private final Map<NhsNumber, List<Consent>> standing;

  ReadAhead(Map<NhsNumber, PatientFacts> facts, Map<NhsNumber, List<Consent>> standing) {
    this.facts = Map.copyOf(facts);
    this.standing = Map.copyOf(standing);
  }

  /** The person's, when both were read. */
  Optional<Known> of(NhsNumber patient) {
    PatientFacts f = facts.get(patient);
    List<Consent> s = standing.get(patient);
    return f == null || s == null ? Optional.empty() : Optional.of(new Known(f, s));
  }

  /** How many people it holds. */
  public int size() {
    return facts.size();
  }
}
