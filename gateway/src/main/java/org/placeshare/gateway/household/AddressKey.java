package org.placeshare.gateway.household;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which address a household is at: its UPRN where a source gives one (every English address has
 * one), else its postcode and all its address lines, normalised so that the usual ways of writing
 * one address are one key ("Flat 2, 14 Harnall Ln", "FLAT 2 14 HARNALL LANE", and "Flat 2" / "14
 * Harnall Lane" on two lines). Two different addresses are never merged: a key is only as loose as
 * these spellings, and an address that cannot be told apart from others (a zero UPRN, a line in
 * another script, a placeholder such as "No fixed abode", too little to name a home) has no key, so
 * no household, rather than one shared with strangers.
 */
public record AddressKey(String value) {

  /** UPRNs are at most 12 digits. */
  private static final Pattern UPRN = Pattern.compile("[0-9]{1,12}");

  private static final Pattern POSTCODE =
      Pattern.compile("([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})");

  /** Longest postcode looked at, spaces included (a real one is at most 8 characters). */
  public static final int MAX_POSTCODE_LENGTH = 16;

  /**
   * The NHS pseudo-postcodes' area (ZZ99 3VZ "no fixed abode", ZZ99 3WZ "not known", and the
   * countries of birth abroad): many unrelated people share each of them.
   */
  private static final String PSEUDO_POSTCODE_AREA = "ZZ99";

  /** Longest address line looked at. */
  public static final int MAX_LINE_LENGTH = 100;

  /** Most address lines looked at; an address with more is bad data and has no key. */
  public static final int MAX_LINES = 6;

  /**
   * Fewest letters an address without any digit must have to name a home ("Rose Cottage" has 11):
   * "Flat", "Flat A", "N/A" or "Home" name no house in particular.
   */
  public static final int MIN_LETTERS_WITHOUT_NUMBER = 6;

  /**
   * Words that sources write where they do not know an address. An address containing one (as whole
   * words, on any line) has no key: everyone so written in a postcode would be one household.
   */
  private static final List<String> PLACEHOLDERS =
      List.of(
          "UNKNOWN",
          "NOT KNOWN",
          "NO FIXED ABODE",
          "NFA",
          "HOMELESS",
          "NOT GIVEN",
          "NOT STATED",
          "NO ADDRESS",
          "NONE");

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

  /**
   * The key of an address by its UPRN; empty for anything but 1 to 12 digits, and for a zero UPRN
   * ("0", "000000000000"), which sources write where they do not know it: it is no one's home.
   */
  public static Optional<AddressKey> uprn(String uprn) {
    if (uprn == null || !UPRN.matcher(uprn).matches()) {
      return Optional.empty();
    }
    long number = Long.parseLong(uprn);
    return number == 0 ? Optional.empty() : Optional.of(new AddressKey("uprn:" + number));
  }

  /** The key of an address written on one line: {@link #address(String, List)}. */
  public static Optional<AddressKey> address(String postcode, String line) {
    return address(postcode, line == null ? List.of() : List.of(line));
  }

  /**
   * The key of an address by postcode and all its lines, each folded (accents and case,
   * punctuation, street-type abbreviations) and joined, so the same address on one line or on two
   * is one key. Empty (an unknown address is no household) when the postcode is missing or not one
   * (or an NHS pseudo-postcode), when there are no lines, more than {@link #MAX_LINES} or one
   * longer than {@link #MAX_LINE_LENGTH}, when a line has letters or digits of another script
   * (folding would drop them: "Flat Б" and "Flat В" would be one key), when it is a placeholder
   * ({@code PLACEHOLDERS}), or when it has no digit and fewer than {@link
   * #MIN_LETTERS_WITHOUT_NUMBER} letters.
   */
  public static Optional<AddressKey> address(String postcode, List<String> lines) {
    if (postcode == null
        || postcode.length() > MAX_POSTCODE_LENGTH
        || lines == null
        || lines.isEmpty()
        || lines.size() > MAX_LINES) {
      return Optional.empty();
    }
    String compact = postcode.replaceAll("\\s", "").toUpperCase(Locale.ROOT);
    var m = POSTCODE.matcher(compact);
    if (!m.matches() || m.group(1).equals(PSEUDO_POSTCODE_AREA)) {
      return Optional.empty();
    }
    List<String> folded = new ArrayList<>();
    for (String line : lines) {
      if (line == null) {
        continue;
      }
      if (line.length() > MAX_LINE_LENGTH) {
        return Optional.empty();
      }
      Optional<String> one = line(line);
      if (one.isEmpty()) {
        return Optional.empty();
      }
      if (!one.get().isEmpty()) {
        folded.add(one.get());
      }
    }
    String text = String.join(" ", folded);
    return namesAHome(text)
        ? Optional.of(new AddressKey("addr:" + m.group(1) + " " + m.group(2) + "|" + text))
        : Optional.empty();
  }

  /** The key a source's address gives: its UPRN if it has one, else postcode and its lines. */
  public static Optional<AddressKey> of(String uprn, String postcode, List<String> lines) {
    return uprn(uprn).or(() -> address(postcode, lines));
  }

  /** The key of an address written on one line: {@link #of(String, String, List)}. */
  public static Optional<AddressKey> of(String uprn, String postcode, String line) {
    return uprn(uprn).or(() -> address(postcode, line));
  }

  /**
   * Whether folded address text can name one home: not empty, no placeholder, and a digit or enough
   * letters.
   */
  private static boolean namesAHome(String text) {
    if (text.isEmpty()) {
      return false;
    }
    String words = " " + text + " ";
    if (PLACEHOLDERS.stream().anyMatch(p -> words.contains(" " + p + " "))) {
      return false;
    }
    boolean digit = text.chars().anyMatch(c -> c >= '0' && c <= '9');
    long letters = text.chars().filter(c -> c >= 'A' && c <= 'Z').count();
    return digit || letters >= MIN_LETTERS_WITHOUT_NUMBER;
  }

  /**
   * One line folded: accents dropped, upper case, punctuation as spaces, street types written out.
   * Empty when folding would drop a letter or digit (of another script: Cyrillic, Greek, Arabic
   * digits), since two different homes would then be one key; a line of punctuation alone folds to
   * an empty string.
   */
  static Optional<String> line(String line) {
    String folded =
        Normalizer.normalize(line, Normalizer.Form.NFKD)
            .replaceAll("\\p{M}", "")
            .toUpperCase(Locale.ROOT);
    for (int i = 0; i < folded.length(); ) {
      int c = folded.codePointAt(i);
      boolean latin = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!latin && Character.isLetterOrDigit(c)) {
        return Optional.empty();
      }
      i += Character.charCount(c);
    }
    StringBuilder out = new StringBuilder();
    for (String word : folded.replaceAll("[^A-Z0-9]", " ").trim().split(" +")) {
      if (word.isEmpty()) {
        continue;
      }
      if (!out.isEmpty()) {
        out.append(' ');
      }
      out.append(WORDS.getOrDefault(word, word));
    }
    return Optional.of(out.toString());
  }

  @Override
  public String toString() {
    return value;
  }
}
