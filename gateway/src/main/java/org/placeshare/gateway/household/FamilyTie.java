package org.placeshare.gateway.household;

import java.util.Objects;
import org.placeshare.policy.NhsNumber;

/**
 * A family tie a source states between two people: {@code a} is a parent of, or cares for, {@code
 * b}.
 */
public record FamilyTie(NhsNumber a, NhsNumber b, Kind kind, String source) {

  public enum Kind {
    PARENT,
    CARER
  }

  public FamilyTie {
    Objects.requireNonNull(a, "a");
    Objects.requireNonNull(b, "b");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(source, "source");
    if (a.equals(b)) {
      throw new IllegalArgumentException("a family tie joins two people");
    }
  }
}
