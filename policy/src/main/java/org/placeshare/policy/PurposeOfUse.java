package org.placeshare.policy;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * Why the caller asks: an HL7 v3 PurposeOfUse code (TREAT, ETREAT, COC, PUBHLTH, HOPERAT, ...) or a
 * local code an agreement names. See http://terminology.hl7.org/CodeSystem/v3-ActReason.
 */
public record PurposeOfUse(String code) {

  // Declared first: the constants below are checked against it as the class initialises.
  private static final Pattern FORM = Pattern.compile("[A-Z][A-Z0-9_-]{1,31}");

  public static final PurposeOfUse TREAT = new PurposeOfUse("TREAT");
  public static final PurposeOfUse EMERGENCY_TREATMENT = new PurposeOfUse("ETREAT");

  /** Purposes that are an individual's own care, where the national data opt-out does not apply. */
  private static final Set<String> DIRECT_CARE = Set.of("TREAT", "ETREAT", "COC", "CAREMGT");

  /** The HL7 v3 PurposeOfUse codes an agreement may name without defining them. */
  static final Set<String> HL7 =
      Set.of(
          "TREAT",
          "ETREAT",
          "COC",
          "CAREMGT",
          "CLINTRCH",
          "CLINTRL",
          "HPAYMT",
          "HOPERAT",
          "HOUTCOMS",
          "HQUALIMP",
          "HSYSADMIN",
          "HRESCH",
          "PUBHLTH",
          "POPHLTH",
          "DISASTER",
          "PATRQT",
          "FAMRQT",
          "PWATRNY",
          "HLEGAL",
          "HCOMPL",
          "HMARKT",
          "RECORDMGT",
          "TRAIN",
          "HTEST",
          "PATADMIN",
          "BTG");

  public PurposeOfUse {
    if (code == null || !FORM.matcher(code).matches()) {
      throw new PolicyException(
          "expected a purpose of use code (upper-case, 2 to 32 characters), got "
              + OdsCode.describe(code));
    }
  }

  public static PurposeOfUse of(String code) {
    return new PurposeOfUse(code);
  }

  public boolean isDirectCare() {
    return DIRECT_CARE.contains(code);
  }

  /** True for an HL7 v3 code; false for a local code some agreement defines. */
  public boolean isHl7() {
    return HL7.contains(code);
  }

  @Override
  public String toString() {
    return code;
  }
}
