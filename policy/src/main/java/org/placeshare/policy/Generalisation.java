package org.placeshare.policy;

import java.util.Optional;

/** How an element is made less identifying before release. */
public enum Generalisation implements Coded {
  /** A date kept only as its year, e.g. a birth date 1956-03-14 becomes 1956. */
  YEAR("year"),
  /** A postcode kept only as its outward code (district), e.g. CV1 2AB becomes CV1. */
  DISTRICT("district");

  private final String code;

  Generalisation(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  static Optional<Generalisation> of(String code) {
    return Coded.of(Generalisation.class, code);
  }
}
