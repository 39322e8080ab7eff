package org.placeshare.policy;

import java.util.Optional;

/**
 * Records with special legal protection. Excluded from every release unless an agreement names the
 * category; the codes that mark each are in the versioned list {@link SensitiveCodes}.
 */
public enum SensitiveCategory implements Coded {
  SEXUAL_HEALTH("sexual-health"),
  FERTILITY("fertility"),
  GENDER_REASSIGNMENT("gender-reassignment"),
  TERMINATION_OF_PREGNANCY("termination-of-pregnancy"),
  /**
   * Criminal offence data (UK GDPR Article 10, DPA 2018 section 11): allegations, offences,
   * proceedings and sentences, as police and youth justice records hold them.
   */
  CRIMINAL_OFFENCE("criminal-offence");

  private final String code;

  SensitiveCategory(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  public static Optional<SensitiveCategory> of(String code) {
    return Coded.of(SensitiveCategory.class, code);
  }
}
