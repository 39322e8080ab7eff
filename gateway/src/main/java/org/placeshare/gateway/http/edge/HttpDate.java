package org.placeshare.gateway.http.edge;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * An HTTP date as RFC 9110 section 5.6.7 fixes it (IMF-fixdate: a two-digit day, GMT), for {@code
 * Date} and {@code Expires}; not the looser RFC 1123 form Java's formatter writes ({@code Tue, 1
 * Dec ...}), which standard clients reject.
 */
public final class HttpDate {

  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT);

  private HttpDate() {}

  public static String of(Instant t) {
    return IMF_FIXDATE.format(t.atOffset(ZoneOffset.UTC));
  }
}
