package org.placeshare.fhir.linkage;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The demographics a trace compares: one person as an agency or the reference index knows them.
 *
 * <p>Strict on input: names are folded to upper-case letters and single spaces (compatibility forms
 * and ligatures folded, accents, hyphens, apostrophes and full stops dropped; any other character
 * refused); postcodes must have the shape of a UK postcode and are held as "OUTWARD INWARD". Family
 * name and birth date are required; every other field may be null (absent: not compared). Every
 * string is capped by a named limit, before folding and again after it (folding can lengthen: ß
 * becomes SS), so the folded form the register stores is always accepted when read back.
 *
 * @param family current family name
 * @param given first given name
 * @param previousFamilies earlier family names (e.g. before marriage), as the index records them
 * @param birthDate date of birth
 * @param gender FHIR administrative gender code (male, female, other, unknown) or null
 * @param postcode current postcode or null
 * @param previousPostcodes earlier postcodes (the index's address history)
 * @param addressLine first line of the address or null, folded like names (digits kept); compared
 *     only where a postcode is missing
 * @param uprn Unique Property Reference Number, when known (carried, not yet compared)
 */
public record Demographics(
    String family,
    String given,
    List<String> previousFamilies,
    LocalDate birthDate,
    String gender,
    String postcode,
    List<String> previousPostcodes,
    String addressLine,
    Optional<String> uprn) {

  /** PDS's limit on a name part. */
  public static final int MAX_NAME_LENGTH = 35;

  /** Longest postcode input looked at ("SW1A 1AA" with slack for stray spaces). */
  public static final int MAX_POSTCODE_LENGTH = 10;

  public static final int MAX_ADDRESS_LINE_LENGTH = 100;

  /** UPRNs are at most 12 digits. */
  public static final int MAX_UPRN_LENGTH = 12;

  /** More earlier names or postcodes than this is not a person's history but bad data. */
  public static final int MAX_HISTORY = 10;

  private static final List<String> GENDERS = List.of("male", "female", "other", "unknown");
  private static final Pattern NAME_CHARACTERS = Pattern.compile("[A-Z .'\\-]*");
  private static final Pattern POSTCODE =
      Pattern.compile("([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})");
  private static final Pattern WHITESPACE = Pattern.compile("\\s");
  private static final Pattern UPRN = Pattern.compile("[0-9]{1," + MAX_UPRN_LENGTH + "}");

  public Demographics {
    family = requireName("family", family);
    given = given == null ? null : requireName("given", given);
    previousFamilies =
        cappedList("previousFamilies", previousFamilies).stream()
            .map(name -> requireName("previousFamilies", name))
            .toList();
    if (birthDate == null) {
      throw new IllegalArgumentException("birthDate is required, got none");
    }
    if (gender != null && !GENDERS.contains(gender)) {
      throw new IllegalArgumentException("expected gender one of " + GENDERS + ", got " + gender);
    }
    postcode = postcode == null ? null : normalisePostcode(postcode);
    previousPostcodes =
        cappedList("previousPostcodes", previousPostcodes).stream()
            .map(Demographics::normalisePostcode)
            .toList();
    if (addressLine != null) {
      requireAtMost("addressLine", addressLine, MAX_ADDRESS_LINE_LENGTH, "");
      addressLine = normaliseAddressLine(addressLine);
      // Folding may lengthen it (ß becomes SS): the stored form must pass this check again.
      requireAtMost("addressLine", addressLine, MAX_ADDRESS_LINE_LENGTH, " once folded");
    }
    uprn = uprn == null ? Optional.empty() : uprn;
    if (uprn.isPresent() && !UPRN.matcher(uprn.get()).matches()) {
      throw new IllegalArgumentException(
          "expected a UPRN of 1 to "
              + MAX_UPRN_LENGTH
              + " digits, got "
              + uprn.get().length()
              + " characters");
    }
  }

  /** Demographics with no history, address line or UPRN: what most agency records carry. */
  public static Demographics of(
      String family, String given, LocalDate birthDate, String gender, String postcode) {
    return new Demographics(
        family, given, List.of(), birthDate, gender, postcode, List.of(), null, Optional.empty());
  }

  /** The postcode's outward code (district), e.g. "SR1" of "SR1 3AB"; null without a postcode. */
  public String outwardCode() {
    return postcode == null ? null : postcode.substring(0, postcode.indexOf(' '));
  }

  /**
   * The form the linkage register stores (personal data: never logged): every field in a fixed
   * order, absent ones as null, so equal demographics always give the same text.
   */
  public JsonObject storedForm() {
    return new JsonObject()
        .put("family", family)
        .put("given", given)
        .put("previousFamilies", new JsonArray(previousFamilies))
        .put("birthDate", birthDate.toString())
        .put("gender", gender)
        .put("postcode", postcode)
        .put("previousPostcodes", new JsonArray(previousPostcodes))
        .put("addressLine", addressLine)
        .put("uprn", uprn.orElse(null));
  }

  /**
   * Lower-case hex SHA-256 of {@link #storedForm}'s text: what a {@link Link} was made on, so that
   * the register's sync and a view both see that a record's demographics changed without comparing
   * them field by field. The register (V10) stores exactly this; changing it makes every link look
   * changed. A hash of personal data, guessable from a few fields: it never leaves the gateway.
   */
  public String fingerprint() {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256")
              .digest(storedForm().encode().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * Compatibility decomposition (NFKD) folds ligatures and width forms (ﬁ to fi, Ｅ to E) and
   * separates accents, which are then dropped; upper-casing may still lengthen a name (ß to SS).
   * Plain ASCII, which nearly every name is, takes a single pass that gives the same result ({@link
   * #foldAscii}); tracing folds every candidate's names, so this is on its hot path.
   */
  static String normaliseName(String name) {
    return isAscii(name) ? foldAscii(name, true) : normaliseNameFully(name);
  }

  /** The general folding of {@link #normaliseName}, for any text. */
  static String normaliseNameFully(String name) {
    String folded =
        Normalizer.normalize(name, Normalizer.Form.NFKD)
            .replaceAll("\\p{M}", "")
            .toUpperCase(Locale.ROOT);
    if (!NAME_CHARACTERS.matcher(folded).matches()) {
      throw new IllegalArgumentException(NOT_A_NAME);
    }
    // O'Brien and OBrien are one name; Smith-Jones and Smith Jones too.
    return folded.replaceAll("['.]", "").replace('-', ' ').trim().replaceAll(" +", " ");
  }

  static String normaliseAddressLine(String line) {
    return isAscii(line) ? foldAscii(line, false) : normaliseAddressLineFully(line);
  }

  /** The general folding of {@link #normaliseAddressLine}, for any text. */
  static String normaliseAddressLineFully(String line) {
    String folded =
        Normalizer.normalize(line, Normalizer.Form.NFKD)
            .replaceAll("\\p{M}", "")
            .toUpperCase(Locale.ROOT);
    return folded.replaceAll("[^A-Z0-9 ]", " ").trim().replaceAll(" +", " ");
  }

  private static final String NOT_A_NAME =
      "expected a name of letters, spaces, hyphens, apostrophes and full stops";

  private static boolean isAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /**
   * The full folding of ASCII text in one pass: for ASCII, NFKD changes nothing and there are no
   * marks to drop. A name keeps letters, drops apostrophes and full stops, turns hyphens into
   * spaces and refuses anything else; an address line keeps letters and digits and turns anything
   * else into a space. Then spaces are trimmed and runs of them made one.
   */
  private static String foldAscii(String text, boolean name) {
    StringBuilder out = new StringBuilder(text.length());
    boolean space = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 'a' && c <= 'z') {
        c = (char) (c - ('a' - 'A'));
      }
      boolean kept = (c >= 'A' && c <= 'Z') || (!name && c >= '0' && c <= '9');
      if (kept) {
        if (space && out.length() > 0) {
          out.append(' ');
        }
        space = false;
        out.append(c);
      } else if (!name || c == ' ' || c == '-') {
        space = true;
      } else if (c != '\'' && c != '.') {
        throw new IllegalArgumentException(NOT_A_NAME);
      }
    }
    return out.toString();
  }

  private static String requireName(String field, String name) {
    if (name == null) {
      throw new IllegalArgumentException(field + " is required, got none");
    }
    // The raw cap bounds the work of folding; the folded one keeps every stored form readable back.
    requireAtMost(field, name, MAX_NAME_LENGTH, "");
    String normalised = normaliseName(name);
    if (normalised.isEmpty()) {
      throw new IllegalArgumentException("expected " + field + " to have letters, got none");
    }
    requireAtMost(field, normalised, MAX_NAME_LENGTH, " once folded");
    return normalised;
  }

  private static void requireAtMost(String field, String value, int max, String when) {
    if (value.length() > max) {
      throw new IllegalArgumentException(
          "expected "
              + field
              + " of at most "
              + max
              + " characters"
              + when
              + ", got "
              + value.length());
    }
  }

  static String normalisePostcode(String postcode) {
    if (postcode.length() > MAX_POSTCODE_LENGTH) {
      throw new IllegalArgumentException(
          "expected a postcode of at most "
              + MAX_POSTCODE_LENGTH
              + " characters, got "
              + postcode.length());
    }
    String compact = WHITESPACE.matcher(postcode).replaceAll("").toUpperCase(Locale.ROOT);
    var matcher = POSTCODE.matcher(compact);
    if (!matcher.matches()) {
      throw new IllegalArgumentException("expected a UK postcode such as SR1 3AB");
    }
    return matcher.group(1) + " " + matcher.group(2);
  }

  private static List<String> cappedList(String field, List<String> values) {
    if (values == null) {
      return List.of();
    }
    if (values.size() > MAX_HISTORY) {
      throw new IllegalArgumentException(
          "expected at most " + MAX_HISTORY + " " + field + ", got " + values.size());
    }
    return values;
  }
}
