package org.placeshare.gateway.http.fhir;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.http.edge.GatewayException;

/**
 * {@code _since}, read the one way for the person view's query, an operation's POSTed {@code
 * Parameters} and a bulk export's kick-off: a FHIR <a
 * href="https://hl7.org/fhir/R4/datatypes.html#instant">instant</a> (a four-digit year, seconds, a
 * time zone), not before {@link #EARLIEST} and not after now. Anything else is a 400 naming {@code
 * _since}: an instant a source's client or a {@code java.util.Date} cannot hold must never reach a
 * source, where it would fail the fetch as if the source had.
 */
final class SinceParameter {

  static final String NAME = "_since";

  /**
   * The earliest {@code _since} taken: before any record a source keeps was written, so asking from
   * then is asking for everything, and every source's client can hold it.
   */
  static final Instant EARLIEST = Instant.parse("1900-01-01T00:00:00Z");

  /**
   * FHIR's instant, its shape only (the calendar is checked by parsing): a four-digit year,
   * seconds, at most nine digits of fraction (what {@link Instant} holds), and a zone.
   */
  private static final Pattern INSTANT =
      Pattern.compile(
          "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?"
              + "(Z|[+-][0-9]{2}:[0-9]{2})");

  private SinceParameter() {}

  /** The instant asked for, or a 400 {@link GatewayException} that says what was expected. */
  static Instant parse(String value, Instant now) {
    String expected = NAME + ": expected an instant such as 2026-11-01T00:00:00Z";
    if (!INSTANT.matcher(value).matches()) {
      throw invalid(expected);
    }
    Instant since;
    try {
      since = OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeException e) {
      throw invalid(expected); // the right shape, not a day or time: 2026-02-30, 25:00
    }
    if (since.isBefore(EARLIEST)) {
      throw invalid(NAME + ": expected an instant not before " + EARLIEST);
    }
    if (since.isAfter(now)) {
      throw invalid(NAME + ": " + since + " is in the future");
    }
    return since;
  }

  private static GatewayException invalid(String message) {
    return new GatewayException(400, IssueType.VALUE, message, message);
  }
}
