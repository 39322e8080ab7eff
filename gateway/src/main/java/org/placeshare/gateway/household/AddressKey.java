package org.placeshare.gateway.household;

import java.text.Normalizer;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which address a household is at: its UPRN where a source gives one (every English address has
 * one), else its postcode and first line, normalised so that the usual ways of writing one address
 * are one key ("Flat 2, 14 Harnall Ln" and "FLAT 2 14 HARNALL LANE"). Two different addresses are
 * never merged: a key is only as loose as these spellings.
 */
public record AddressKey(String value) {

  /** UPRNs are at most 12 digits. */
  private static final Pattern UPRN = Pattern.compile("[0-9]{1,12}");

  private static final Pattern POSTCODE =
      Pattern.compile("([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})");

  /** Longest first line looked at. */
  public static final int MAX_LINE_LENGTH = 100;

  /** The usual abbreviations of street types, written out. */
  private static final Map<String, String> WORDS =
      Map.ofEntries(
          Map.entry("RD", "ROAD"),
          Map.entry("ST", "STREET"),
          Map.entry("LN", "LANE"),
          Map.entry("AVE", "AVENUE"),
          Map.entry("AV", "AVENUE"),
          Map.entry("DR", "DRIVE"),
          Map.entry("CL", "CLOSE"),
          Map.entry("CRES", "CRESCENT"),
          Map.entry("GDNS", "GARDENS"),
          Map.entry("PL", "PLACE"),
          Map.entry("SQ", "SQUARE"),
          Map.entry("TER", "TERRACE"),
          Map.entry("TERR", "TERRACE"),
          Map.entry("CT", "COURT"),
          Map.entry("GRN", "GREEN"),
          Map.entry("FLT", "FLAT"));

  public AddressKey {
    Objects.requireNonNull(value, "value");
    if (!value.startsWith("uprn:") && !value.startsWith("addr:")) {
      throw new IllegalArgumentException("expected an address key of uprn: or addr:");
    }
  }

  /** The key of an address by its UPRN. */
  public static Optional<AddressKey> uprn(String uprn) {
    return uprn != null && UPRN.matcher(uprn).matches()
        ? Optional.of(new AddressKey("uprn:" + Long.parseLong(uprn)))
        : Optional.empty();
  }

  /**
   * The key of an address by postcode and first line; empty when either is missing or the postcode
   * is not one (an unknown address is no household).
   */
  public static Optional<AddressKey> address(String postcode, String firstLine) {
    if (postcode == null || firstLine == null || firstLine.length() > MAX_LINE_LENGTH) {
      return Optional.empty();
    }
    String compact = postcode.replaceAll("\\s", "").toUpperCase(Locale.ROOT);
    var m = POSTCODE.matcher(compact);
    if (!m.matches()) {
      return Optional.empty();
    }
    String line = line(firstLine);
    return line.isEmpty()
        ? Optional.empty()
        : Optional.of(new AddressKey("addr:" + m.group(1) + " " + m.group(2) + "|" + line));
  }

  /** The key a source's address gives: its UPRN if it has one, else postcode and first line. */
  public static Optional<AddressKey> of(String uprn, String postcode, String firstLine) {
    return uprn(uprn).or(() -> address(postcode, firstLine));
  }

  static String line(String firstLine) {
    String folded =
        Normalizer.normalize(firstLine, Normalizer.Form.NFKD)
            .replaceAll("\\p{M}", "")
            .toUpperCase(Locale.ROOT)
            .replaceAll("[^A-Z0-9 ]", " ")
            .trim();
    StringBuilder out = new StringBuilder();
    for (String word : folded.split(" +")) {
      if (word.isEmpty()) {
        continue;
      }
      if (!out.isEmpty()) {
        out.append(' ');
      }
      out.append(WORDS.getOrDefault(word, word));
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return value;
  }
}
