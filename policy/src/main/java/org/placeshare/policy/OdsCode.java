package org.placeshare.policy;

import java.util.regex.Pattern;

/**
 * An Organisation Data Service code naming a party: a GP practice ({@code A81001}), a trust ({@code
 * RKB}), a council ({@code E08000026}) or a site. Upper-case letters and digits, 3 to 10 long.
 */
public record OdsCode(String value) {

  private static final Pattern FORM = Pattern.compile("[A-Z0-9]{3,10}");

  public OdsCode {
    if (value == null || !FORM.matcher(value).matches()) {
      throw new PolicyException(
          "expected an ODS code of 3 to 10 upper-case letters or digits, got " + describe(value));
    }
  }

  public static OdsCode of(String value) {
    return new OdsCode(value);
  }

  static String describe(String value) {
    if (value == null) {
      return "nothing";
    }
    return value.length() > 40 ? "a " + value.length() + "-character value" : "'" + value + "'";
  }

  @Override
  public String toString() {
    return value;
  }
}
