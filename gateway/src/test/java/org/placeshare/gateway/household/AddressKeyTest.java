package org.placeshare.gateway.household;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Address keys: the usual spellings of one address are one key, and nothing that could be two homes
 * (a zero UPRN, a line in another script, a placeholder, too little to name a home) is keyed.
 */
class AddressKeyTest {

  @Test
  void address_abbreviationsCaseAndPunctuation_areOneKey() {
    assertThat(AddressKey.address("CV1 2AB", "14 Harnall Ln"))
        .isPresent()
        .isEqualTo(AddressKey.address("cv12ab", "14 HARNALL LANE"))
        .isEqualTo(AddressKey.address("CV1 2AB", "14, Harnall Lane."));
    assertThat(AddressKey.address("CV1 2AB", "Flat 2, 14 Harnall Ln"))
        .isPresent()
        .isEqualTo(AddressKey.address("CV1 2AB", "FLAT 2 14 HARNALL LANE"));
    // Accents of Latin letters are folded, as before.
    assertThat(AddressKey.address("CF10 1AA", "3 Heol y Frân"))
        .isPresent()
        .isEqualTo(AddressKey.address("CF10 1AA", "3 Heol y Fran"));
  }

  @Test
  void uprn_zeroOrAllZeros_isNoKey() {
    assertThat(AddressKey.uprn("0")).isEmpty();
    assertThat(AddressKey.uprn("000000000000")).isEmpty();
    assertThat(AddressKey.uprn("000000000001")).isPresent().isEqualTo(AddressKey.uprn("1"));
  }

  @Test
  void address_lineInAnotherScript_isNoKey() {
    // Folding dropped the Cyrillic letter: "Flat Б" and "Flat В" became one key of two flats.
    assertThat(AddressKey.address("CV1 2AB", "Flat Б, 14 Harnall Ln")).isEmpty();
    assertThat(AddressKey.address("CV1 2AB", "Flat В, 14 Harnall Ln")).isEmpty();
    assertThat(AddressKey.address("CV1 2AB", "Flat ٢, 14 Harnall Ln")).isEmpty();
  }

  @Test
  void address_placeholdersAndTooLittleToNameAHome_areNoKey() {
    assertThat(AddressKey.address("CV1 2AB", "Flat")).isEmpty();
    assertThat(AddressKey.address("CV1 2AB", "Flat A")).isEmpty();
    assertThat(AddressKey.address("CV1 2AB", "N/A")).isEmpty();
    assertThat(AddressKey.address("CV1 2AB", "Unknown")).isEmpty();
    assertThat(AddressKey.address("CV1 2AB", "No fixed abode, Coventry")).isEmpty();
    assertThat(AddressKey.address("CV1 2AB", "-")).isEmpty();
    // The NHS pseudo-postcode for no fixed abode is many people's.
    assertThat(AddressKey.address("ZZ99 3VZ", "1 High Street")).isEmpty();
    // A named house without a number still names a home.
    assertThat(AddressKey.address("CV7 9AA", "Rose Cottage, Main Street")).isPresent();
    assertThat(AddressKey.address("CV7 9AA", "Rose Cottage")).isPresent();
  }

  @Test
  void address_overTheCaps_isNoKey() {
    assertThat(AddressKey.address("CV1 2AB", "1 " + "x".repeat(AddressKey.MAX_LINE_LENGTH)))
        .isEmpty();
    assertThat(AddressKey.address(" ".repeat(1_000_000) + "CV12AB", "1 High St")).isEmpty();
  }
}
