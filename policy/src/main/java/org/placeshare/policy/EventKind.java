package org.placeshare.policy;

import java.util.Optional;

/**
 * The changes about a person that "tell us once" carries between agencies: what a source may report
 * and what an agreement's notification clause may let flow to a recipient.
 */
public enum EventKind implements Coded {
  ADDRESS_CHANGED("address-changed"),
  DIED("died"),
  GP_CHANGED("gp-changed"),
  CARE_EPISODE_OPENED("care-episode-opened"),
  CARE_EPISODE_CLOSED("care-episode-closed"),
  SAFEGUARDING_CONCERN("safeguarding-concern");

  private final String code;

  EventKind(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  public static Optional<EventKind> of(String code) {
    return Coded.of(EventKind.class, code);
  }
}
