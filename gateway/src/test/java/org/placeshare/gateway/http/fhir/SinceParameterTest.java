package org.placeshare.gateway.http.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.junit.jupiter.api.Test;
import org.placeshare.gateway.http.edge.GatewayException;

class SinceParameterTest {

  static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  private static void refused(String value, String message) {
    assertThatThrownBy(() -> SinceParameter.parse(value, NOW))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.code()).isEqualTo(IssueType.VALUE);
            })
        .hasMessage(message);
  }

  @Test
  void parse_instantWithItsZone_isThatInstant() {
    assertThat(SinceParameter.parse("2026-11-01T00:00:00Z", NOW))
        .isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
    assertThat(SinceParameter.parse("2026-11-01T01:30:00.123+01:00", NOW))
        .isEqualTo(Instant.parse("2026-11-01T00:30:00.123Z"));
  }

  @Test
  void parse_theFloorAndNow_areTaken() {
    assertThat(SinceParameter.parse("1900-01-01T00:00:00Z", NOW))
        .isEqualTo(SinceParameter.EARLIEST);
    assertThat(SinceParameter.parse(NOW.toString(), NOW)).isEqualTo(NOW);
  }

  @Test
  void parse_yearOfNineDigitsBeforeTheEra_isRefused() {
    refused(
        "-999999999-01-01T00:00:00Z", "_since: expected an instant such as 2026-11-01T00:00:00Z");
  }

  @Test
  void parse_fiveDigitYear_isRefused() {
    refused("+10000-01-01T00:00:00Z", "_since: expected an instant such as 2026-11-01T00:00:00Z");
  }

  @Test
  void parse_beforeTheFloor_isRefused() {
    refused("1899-12-31T23:59:59Z", "_since: expected an instant not before 1900-01-01T00:00:00Z");
    refused("0001-01-01T00:00:00Z", "_since: expected an instant not before 1900-01-01T00:00:00Z");
  }

  @Test
  void parse_inTheFuture_isRefused() {
    refused("2026-11-22T10:00:01Z", "_since: 2026-11-22T10:00:01Z is in the future");
  }

  @Test
  void parse_notAnInstant_isRefused() {
    String expected = "_since: expected an instant such as 2026-11-01T00:00:00Z";
    refused("2026-11-01", expected); // a date, no time
    refused("2026-11-01T00:00:00", expected); // no zone
    refused("2026-02-30T00:00:00Z", expected); // no such day
    refused("2026-11-01T00:00:00.1234567890Z", expected); // finer than an Instant holds
    refused("yesterday", expected);
  }
}
