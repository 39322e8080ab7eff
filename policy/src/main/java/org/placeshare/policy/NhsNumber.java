package org.placeshare.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * A validated NHS number: ten digits whose last is the Modulus 11 check digit of the first nine.
 *
 * <p>Accepts the ten digits alone or grouped 3-3-4 by single spaces or hyphens. Rejects wrong
 * length, non-digits, a check remainder of 10 (such numbers are never issued) and numbers made of
 * one repeated digit. See the NHS Data Dictionary, "NHS NUMBER".
 */
public final class NhsNumber {

  /** Longest input looked at; anything longer is refused before any other work. */
  public static final int MAX_INPUT_LENGTH = 12;

  private static final String TEST_RANGE_PREFIX = "999";

  private final String digits;

  private NhsNumber(String digits) {
    this.digits = digits;
  }

  /**
   * Parses an NHS number.
   *
   * @throws InvalidNhsNumberException saying what was wrong, without echoing more than the input's
   *     length (the input may be a real person's number)
   */
  public static NhsNumber parse(String input) {
    if (input == null) {
      throw new InvalidNhsNumberException("NHS number is missing");
    }
    if (input.length() > MAX_INPUT_LENGTH) {
      throw new InvalidNhsNumberException(
          "NHS number must be 10 digits, got " + input.length() + " characters");
    }
    String digits = stripSeparators(input);
    if (digits.length() != 10) {
      throw new InvalidNhsNumberException(
          "NHS number must be 10 digits, optionally grouped 3-3-4 by spaces or hyphens");
    }
    for (int i = 0; i < 10; i++) {
      char c = digits.charAt(i);
      if (c < '0' || c > '9') {
        throw new InvalidNhsNumberException("NHS number must contain only digits");
      }
    }
    if (digits.chars().distinct().count() == 1) {
      throw new InvalidNhsNumberException("NHS number cannot be one digit repeated");
    }
    int expected = checkDigit(digits);
    if (expected == 10) {
      throw new InvalidNhsNumberException("NHS number is not valid: its check remainder is 10");
    }
    if (expected != digits.charAt(9) - '0') {
      throw new InvalidNhsNumberException("NHS number is not valid: check digit does not match");
    }
    return new NhsNumber(digits);
  }

  /** Parses, or returns empty when the input is not a valid NHS number. */
  public static Optional<NhsNumber> tryParse(String input) {
    try {
      return Optional.of(parse(input));
    } catch (InvalidNhsNumberException e) {
      return Optional.empty();
    }
  }

  /**
   * Completes nine digits with their check digit, or returns empty when those nine have none (a
   * remainder of 10). Used to make synthetic numbers; it never invents a number from bad input.
   */
  public static Optional<NhsNumber> withCheckDigit(String nineDigits) {
    if (nineDigits == null || !nineDigits.matches("[0-9]{9}")) {
      throw new InvalidNhsNumberException("expected nine digits to complete");
    }
    int check = checkDigit(nineDigits);
    return check == 10 ? Optional.empty() : tryParse(nineDigits + check);
  }

  /**
   * The Modulus 11 check digit of the first nine digits: weights 10 down to 2, remainder subtracted
   * from 11; 11 becomes 0 and 10 means the number is invalid.
   */
  static int checkDigit(String digits) {
    int sum = 0;
    for (int i = 0; i < 9; i++) {
      sum += (digits.charAt(i) - '0') * (10 - i);
    }
    int check = 11 - (sum % 11);
    return check == 11 ? 0 : check;
  }

  private static String stripSeparators(String input) {
    if (input.length() == 12) {
      char first = input.charAt(3);
      boolean grouped = (first == ' ' || first == '-') && input.charAt(7) == first;
      if (grouped) {
        return input.substring(0, 3) + input.substring(4, 7) + input.substring(8);
      }
    }
    return input;
  }

  /** True for numbers starting 999, the range reserved for testing. */
  public boolean isTestNumber() {
    return digits.startsWith(TEST_RANGE_PREFIX);
  }

  /** The number as people write it: {@code 943 476 5919}. */
  public String formatted() {
    return digits.substring(0, 3) + " " + digits.substring(3, 6) + " " + digits.substring(6);
  }

  /** The ten digits, as used in FHIR identifiers and storage. */
  @Override
  public String toString() {
    return digits;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NhsNumber other && digits.equals(other.digits);
  }

  @Override
  public int hashCode() {
    return Objects.hash(digits);
  }
}
