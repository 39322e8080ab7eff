package org.placeshare.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NhsNumberTest {

  // 9434765919 is the example in the NHS Data Dictionary; the others are 999-range test numbers.
  private static final List<String> VALID =
      List.of("9434765919", "4010232137", "9990000018", "9990000026", "9998765439");

  @ParameterizedTest
  @ValueSource(strings = {"9434765919", "943 476 5919", "943-476-5919"})
  void parse_acceptedForms_giveTheTenDigits(String input) {
    NhsNumber number = NhsNumber.parse(input);

    assertThat(number.toString()).isEqualTo("9434765919");
    assertThat(number.formatted()).isEqualTo("943 476 5919");
    assertThat(number.isTestNumber()).isFalse();
  }

  @Test
  void parse_publishedValidExamples_areAccepted() {
    for (String valid : VALID) {
      assertThat(NhsNumber.parse(valid).toString()).isEqualTo(valid);
    }
  }

  @Test
  void isTestNumber_999Prefix_isTrue() {
    assertThat(NhsNumber.parse("9990000018").isTestNumber()).isTrue();
  }

  @Test
  void parse_checkRemainderOfTen_isRejected() {
    // 1*10+2*9+...+9*2 = 210, 210 mod 11 = 1, 11 - 1 = 10: no valid check digit exists.
    assertThatThrownBy(() -> NhsNumber.parse("1234567890"))
        .isInstanceOf(InvalidNhsNumberException.class)
        .hasMessage("NHS number is not valid: its check remainder is 10");
  }

  @Test
  void parse_remainderOfElevenMeansCheckDigitZero() {
    String withZeroCheck = firstNumberWithCheckDigit(0);
    assertThat(NhsNumber.parse(withZeroCheck).toString()).endsWith("0");
  }

  @Test
  void withCheckDigit_completesNineDigits_orSaysThereIsNone() {
    assertThat(NhsNumber.withCheckDigit("943476591"))
        .map(NhsNumber::toString)
        .hasValue("9434765919");
    assertThat(NhsNumber.withCheckDigit("123456789")).isEmpty();
    assertThatThrownBy(() -> NhsNumber.withCheckDigit("12345678x"))
        .isInstanceOf(InvalidNhsNumberException.class);
  }

  @Test
  void parse_wrongCheckDigit_isRejected() {
    assertThatThrownBy(() -> NhsNumber.parse("9434765918"))
        .isInstanceOf(InvalidNhsNumberException.class)
        .hasMessage("NHS number is not valid: check digit does not match");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "943476591", "94347659190", "943 476 59190", "9434 76 5919"})
  void parse_wrongLength_isRejected(String input) {
    assertThatThrownBy(() -> NhsNumber.parse(input))
        .isInstanceOf(InvalidNhsNumberException.class)
        .hasMessageStartingWith("NHS number must be 10 digits");
  }

  @ParameterizedTest
  @ValueSource(strings = {"94347659l9", "943476591a", "+943476591", "943_476_5919", "９４３４７６５９１９"})
  void parse_nonDigits_isRejected(String input) {
    assertThatThrownBy(() -> NhsNumber.parse(input)).isInstanceOf(InvalidNhsNumberException.class);
  }

  @Test
  void parse_mixedSeparators_isRejected() {
    assertThatThrownBy(() -> NhsNumber.parse("943 476-5919"))
        .isInstanceOf(InvalidNhsNumberException.class);
  }

  @Test
  void parse_oneDigitRepeated_isRejectedEvenWhenTheCheckDigitFits() {
    for (char d = '0'; d <= '9'; d++) {
      String repeated = String.valueOf(d).repeat(10);
      assertThatThrownBy(() -> NhsNumber.parse(repeated))
          .isInstanceOf(InvalidNhsNumberException.class)
          .hasMessage("NHS number cannot be one digit repeated");
    }
  }

  @Test
  void parse_null_isRejected() {
    assertThatThrownBy(() -> NhsNumber.parse(null)).hasMessage("NHS number is missing");
  }

  @Test
  void parse_overlongInput_isRejectedWithoutEchoingIt() {
    String hostile = "9".repeat(10_000);
    assertThatThrownBy(() -> NhsNumber.parse(hostile))
        .hasMessage("NHS number must be 10 digits, got 10000 characters");
  }

  @Test
  void parse_everySingleDigitChangeOfAValidNumber_isRejected() {
    for (String valid : VALID) {
      for (int position = 0; position < 10; position++) {
        for (char d = '0'; d <= '9'; d++) {
          if (d == valid.charAt(position)) {
            continue;
          }
          String changed = valid.substring(0, position) + d + valid.substring(position + 1);
          assertThat(NhsNumber.tryParse(changed)).as("changed %s", changed).isEmpty();
        }
      }
    }
  }

  @Test
  void parse_everyAdjacentTranspositionThatChangesTheNumber_isRejected() {
    List<String> checked = new ArrayList<>();
    for (String valid : VALID) {
      for (int i = 0; i < 9; i++) {
        if (valid.charAt(i) == valid.charAt(i + 1)) {
          continue;
        }
        char[] digits = valid.toCharArray();
        digits[i] = valid.charAt(i + 1);
        digits[i + 1] = valid.charAt(i);
        String swapped = new String(digits);
        assertThat(NhsNumber.tryParse(swapped)).as("swapped %s", swapped).isEmpty();
        checked.add(swapped);
      }
    }
    assertThat(checked).hasSizeGreaterThan(30);
  }

  @Test
  void equality_isByDigits_whateverTheInputForm() {
    assertThat(NhsNumber.parse("943 476 5919")).isEqualTo(NhsNumber.parse("943-476-5919"));
    assertThat(NhsNumber.parse("943 476 5919").hashCode())
        .isEqualTo(NhsNumber.parse("9434765919").hashCode());
  }

  private static String firstNumberWithCheckDigit(int wanted) {
    for (int n = 0; ; n++) {
      String nine = String.format("999%06d", n);
      if (NhsNumber.checkDigit(nine + "0") == wanted) {
        return nine + wanted;
      }
    }
  }
}
