package org.placeshare.policy;

import java.util.Optional;

/**
 * Records with special legal protection. Excluded from every release unless an agreement names the
 * category; the codes that mark each are in the versioned list {@link SensitiveCodes}.
 */
public enum SensitiveCategory {
  SEXUAL_HEALTH("sexual-health"),
  FERTILITY("fertility"),
  GENDER_REASSIGNMENT("gender-reassignment"),
  TERMINATION_OF_PREGNANCY("termination-of-pregnancy");

  private final String code;

  SensitiveCategory(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }

  public static Optional<SensitiveCategory> of(String code) {
    for (SensitiveCategory c : values()) {
      if (c.code.equals(code)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
