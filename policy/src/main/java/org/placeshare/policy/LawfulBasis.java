package org.placeshare.policy;

import java.util.Optional;

/**
 * Why sharing is lawful: a UK GDPR Article 6 condition, an Article 9 condition for health data, and
 * the common-law duty of confidentiality basis.
 *
 * @param article6 e.g. {@code 6(1)(e)}, public task
 * @param article9 e.g. {@code 9(2)(h)}, health or social care
 */
public record LawfulBasis(String article6, String article9, CommonLaw commonLaw) {

  /** The common-law basis that sets aside the duty of confidence. */
  public enum CommonLaw implements Coded {
    CONSENT("consent"),
    IMPLIED_CONSENT_DIRECT_CARE("implied-consent-direct-care"),
    LEGAL_OBLIGATION("legal-obligation"),
    S251_SUPPORT("s251-support"),
    OVERRIDING_PUBLIC_INTEREST("overriding-public-interest");

    private final String code;

    CommonLaw(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }

    static Optional<CommonLaw> of(String code) {
      return Coded.of(CommonLaw.class, code);
    }
  }
}
