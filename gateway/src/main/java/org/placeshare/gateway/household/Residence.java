package org.placeshare.gateway.household;

import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;
import org.placeshare.policy.NhsNumber;

/**
 * A source saying a person lives (or lived) at an address, from a day to a day (open while they
 * still do).
 *
 * @param source the source's id (a source id, or {@code reference-index})
 */
public record Residence(
    NhsNumber person, AddressKey address, String source, LocalDate from, Optional<LocalDate> to) {

  public Residence {
    Objects.requireNonNull(person, "person");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (to.isPresent() && to.get().isBefore(from)) {
      throw new IllegalArgumentException("a residence cannot end before it starts");
    }
  }

  /** Whether the person lived there on that day. */
  public boolean on(LocalDate day) {
    return !day.isBefore(from) && to.map(t -> !day.isAfter(t)).orElse(true);
  }
}
