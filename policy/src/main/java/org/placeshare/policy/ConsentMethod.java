package org.placeshare.policy;

import java.util.Optional;

/** How the person gave consent, as the recorder noted it; the IG lead sees it in the audit. */
public enum ConsentMethod implements Coded {
  WRITTEN("written"),
  VERBAL("verbal"),
  DIGITAL("digital");

  private final String code;

  ConsentMethod(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  public static Optional<ConsentMethod> of(String code) {
    return Coded.of(ConsentMethod.class, code);
  }
}
