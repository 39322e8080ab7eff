package org.placeshare.fhir.index;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Identifier;
import org.placeshare.fhir.AboutThePerson;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.IndexEntry;
import org.placeshare.policy.NhsNumber;

/**
 * Reads a reference index's search answer, a FHIR R4 {@code searchset} Bundle of Patients, from its
 * JSON straight into {@link IndexEntry}s, reading each Patient as {@link IndexPatient} reads one
 * (the same current and earlier names and addresses, the same UPRN, the same refusals) without
 * building HAPI's model of the whole Bundle: a trace reads up to {@value
 * FhirReferenceIndex#INDEX_RESULTS} Patients, and building and walking the model was a third of the
 * gateway's CPU per trace.
 *
 * <p>Strict: the answer must be a JSON object with {@code resourceType} Bundle, its {@code entry}
 * an array of objects whose resources are objects with a {@code resourceType}; anything else is not
 * a Bundle ({@link NotABundle}). Resources other than Patients are skipped (an OperationOutcome of
 * warnings). A Patient whose fields the entry needs have the wrong JSON type (a name that is not an
 * object, a family that is not a string) is refused, as is one {@link IndexPatient} refuses. A
 * value HAPI would not read in an element read here (a code outside its value set, a date that is
 * not a date) fails the whole answer, as HAPI's parse did ({@code IndexBundleTest} compares the
 * two, case by case). One difference: HAPI also failed an answer for such a value in an element no
 * trace reads (say a telecom's {@code use}); that no longer fails it.
 */
final class IndexBundle {

  /** The answer is not a FHIR R4 Bundle (not JSON, another resource, a malformed entry). */
  static final class NotABundle extends RuntimeException {
    NotABundle(String message) {
      super(message, null, false, false);
    }
  }

  /** The Patients read from one answer, how many Patients were refused, how many entries. */
  record Answer(List<IndexEntry> entries, int refused, int entryCount) {}

  /**
   * Jackson's ObjectMapper is thread-safe once configured: one for every answer. As strict as
   * HAPI's reader, which refuses anything after the Bundle, and stricter about a key given twice in
   * one object (a second {@code identifier} must not quietly replace the first).
   */
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  private static final Pattern FULL_DATE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");

  private static final Pattern FHIR_DATE_TIME =
      Pattern.compile(
          "([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
              + "(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?");

  private static final Set<String> NAME_USES =
      Set.of("usual", "official", "temp", "nickname", "anonymous", "old", "maiden");
  private static final Set<String> ADDRESS_USES = Set.of("home", "work", "temp", "old", "billing");
  private static final Set<String> GENDERS = Set.of("male", "female", "other", "unknown");

  /** The value types HAPI reads as a StringType (code and markdown are kinds of string). */
  private static final List<String> STRING_VALUES =
      List.of("valueString", "valueCode", "valueMarkdown");

  private IndexBundle() {}

  /** Reads the answer; {@link NotABundle} when it is not a Bundle of at most {@code maxEntries}. */
  static Answer read(byte[] json, int maxEntries) {
    JsonNode bundle;
    try {
      bundle = JSON.readTree(json);
    } catch (IOException e) {
      throw new NotABundle("not JSON");
    }
    if (bundle == null
        || !bundle.isObject()
        || !"Bundle".equals(bundle.path("resourceType").textValue())) {
      throw new NotABundle("not a Bundle");
    }
    JsonNode entries = bundle.get("entry");
    if (entries == null || entries.isNull()) {
      return new Answer(List.of(), 0, 0);
    }
    if (!entries.isArray()) {
      throw new NotABundle("entry is not an array");
    }
    if (entries.size() > maxEntries) {
      return new Answer(List.of(), 0, entries.size());
    }
    List<IndexEntry> read = new ArrayList<>(entries.size());
    int refused = 0;
    for (JsonNode entry : entries) {
      if (!entry.isObject()) {
        throw new NotABundle("an entry is not an object");
      }
      JsonNode resource = entry.get("resource");
      if (resource == null || resource.isNull()) {
        continue;
      }
      if (!resource.isObject() || !resource.path("resourceType").isTextual()) {
        throw new NotABundle("an entry's resource has no resourceType");
      }
      String type = resource.get("resourceType").textValue();
      if ("OperationOutcome".equals(type)) {
        continue; // warnings: not a candidate
      }
      if (!"Patient".equals(type)) {
        // HAPI refused a resource type it does not know; a known other type is not a candidate,
        // and is counted as refused so that it still stands in the way of a certain match.
        refused++;
        continue;
      }
      try {
        read.add(patient(resource));
      } catch (IllegalArgumentException e) {
        refused++;
      }
    }
    return new Answer(read, refused, entries.size());
  }

  /** One Patient as {@link IndexPatient#read} reads it; an IllegalArgumentException refuses it. */
  static IndexEntry patient(JsonNode patient) {
    checkValues(patient);
    NhsNumber nhs = theNhsNumber(patient);
    List<JsonNode> names = objects(patient, "name");
    JsonNode current =
        preferred(names, n -> "official".equals(text(n, "use")), IndexBundle::isOldName)
            .orElseThrow(() -> new IllegalArgumentException("the Patient has no current name"));
    String currentFamily = text(current, "family");
    List<String> previousFamilies = new ArrayList<>();
    for (JsonNode name : names) {
      String family = text(name, "family");
      if (isOldName(name) && family != null && !family.equals(currentFamily)) {
        previousFamilies.add(family);
      }
    }
    List<JsonNode> addresses = objects(patient, "address");
    Optional<JsonNode> home =
        preferred(addresses, a -> "home".equals(text(a, "use")), IndexBundle::isOldAddress);
    List<String> previousPostcodes = new ArrayList<>();
    for (JsonNode address : addresses) {
      String postcode = text(address, "postalCode");
      if (isOldAddress(address) && postcode != null) {
        previousPostcodes.add(postcode);
      }
    }
    return new IndexEntry(
        nhs,
        new Demographics(
            currentFamily,
            first(current, "given"),
            previousFamilies,
            birthDate(patient),
            text(patient, "gender"),
            home.map(a -> text(a, "postalCode")).orElse(null),
            previousPostcodes,
            home.map(a -> first(a, "line")).orElse(null),
            home.flatMap(IndexBundle::uprn)));
  }

  /**
   * HAPI refuses a whole answer ({@link NotABundle} here) holding a value that is not of its type:
   * a code not in its value set, a date that is not a date. The values read here are checked alike,
   * before anything else, so that a Patient fails as it did when HAPI read the answer.
   */
  private static void checkValues(JsonNode patient) {
    for (JsonNode name : objects(patient, "name")) {
      checkCode(text(name, "use"), NAME_USES);
    }
    for (JsonNode address : objects(patient, "address")) {
      checkCode(text(address, "use"), ADDRESS_USES);
      JsonNode period = address.get("period");
      if (period != null && period.isObject()) {
        checkDate(text(period, "end"));
      }
    }
    checkCode(text(patient, "gender"), GENDERS);
    checkDate(text(patient, "birthDate"));
  }

  private static void checkCode(String code, Set<String> codes) {
    if (code != null && !codes.contains(code)) {
      throw new NotABundle("a code outside its value set");
    }
  }

  /** A FHIR date or dateTime (year, month, day, time, zone), each part in its range. */
  private static void checkDate(String date) {
    if (date == null) {
      return;
    }
    var parts = FHIR_DATE_TIME.matcher(date);
    if (!parts.matches()) {
      throw new NotABundle("a date that is not a date");
    }
    try {
      int year = Integer.parseInt(parts.group(1));
      int month = parts.group(2) == null ? 1 : Integer.parseInt(parts.group(2));
      int day = parts.group(3) == null ? 1 : Integer.parseInt(parts.group(3));
      LocalDate.of(year, month, day);
    } catch (DateTimeException e) {
      throw new NotABundle("a date that is not a date");
    }
  }

  private static NhsNumber theNhsNumber(JsonNode patient) {
    List<String> numbers = new ArrayList<>();
    for (JsonNode id : objects(patient, "identifier")) {
      // One definition of an NHS-number identifier: AboutThePerson's, on HAPI's Identifier.
      Identifier identifier = new Identifier().setSystem(text(id, "system"));
      identifier.setValue(text(id, "value"));
      if (AboutThePerson.isNhsNumber(identifier)) {
        numbers.add(AboutThePerson.nhsNumberValue(identifier));
      }
    }
    if (numbers.size() != 1) {
      throw new IllegalArgumentException(
          "expected a Patient with one NHS number, got " + numbers.size());
    }
    return NhsNumber.tryParse(numbers.get(0))
        .orElseThrow(() -> new IllegalArgumentException("the Patient's NHS number is not valid"));
  }

  /** A full birth date (YYYY-MM-DD, a real day): a year or a month alone cannot be compared. */
  private static LocalDate birthDate(JsonNode patient) {
    String date = text(patient, "birthDate");
    if (date == null || !FULL_DATE.matcher(date).matches()) {
      throw new IllegalArgumentException("the Patient has no full birth date");
    }
    try {
      return LocalDate.parse(date);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("the Patient has no full birth date");
    }
  }

  /** As {@link IndexPatient#uprn}: the first address key of type UPRN with a string value. */
  private static Optional<String> uprn(JsonNode address) {
    for (JsonNode key : objects(address, "extension")) {
      if (!IndexPatient.ADDRESS_KEY_EXTENSION.equals(text(key, "url"))) {
        continue;
      }
      JsonNode type = extensionByUrl(key, "type");
      JsonNode value = extensionByUrl(key, "value");
      JsonNode coding = type == null ? null : type.get("valueCoding");
      if (coding != null
          && coding.isObject()
          && "UPRN".equals(text(coding, "code"))
          && value != null) {
        for (String kind : STRING_VALUES) {
          if (value.has(kind)) {
            return Optional.ofNullable(text(value, kind));
          }
        }
      }
    }
    return Optional.empty();
  }

  /** HAPI's getExtensionByUrl: the one nested extension with the URL; two are refused. */
  private static JsonNode extensionByUrl(JsonNode key, String url) {
    JsonNode found = null;
    for (JsonNode nested : objects(key, "extension")) {
      if (url.equals(text(nested, "url"))) {
        if (found != null) {
          throw new IllegalArgumentException("Url " + url + " must have only one match");
        }
        found = nested;
      }
    }
    return found;
  }

  private static boolean isOldName(JsonNode name) {
    String use = text(name, "use");
    return "old".equals(use) || "maiden".equals(use);
  }

  private static boolean isOldAddress(JsonNode address) {
    if ("old".equals(text(address, "use"))) {
      return true;
    }
    JsonNode period = address.get("period");
    if (period == null || period.isNull()) {
      return false;
    }
    if (!period.isObject()) {
      throw new IllegalArgumentException("an address period is not an object");
    }
    return text(period, "end") != null;
  }

  /** The first element that is preferred, else the first that is not old. */
  private static Optional<JsonNode> preferred(
      List<JsonNode> elements, Predicate<JsonNode> preferred, Predicate<JsonNode> old) {
    for (JsonNode element : elements) {
      if (preferred.test(element)) {
        return Optional.of(element);
      }
    }
    for (JsonNode element : elements) {
      if (!old.test(element)) {
        return Optional.of(element);
      }
    }
    return Optional.empty();
  }

  /**
   * A string field; absent, null or empty is null (HAPI keeps no empty value). A number or boolean
   * is read as its text, as HAPI reads one; an object or array refuses the Patient.
   */
  private static String text(JsonNode node, String field) {
    return valueText(node.get(field), field);
  }

  private static String valueText(JsonNode value, String field) {
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isValueNode()) {
      throw new IllegalArgumentException("expected " + field + " to be a string");
    }
    String text = value.asText();
    return text.isEmpty() ? null : text;
  }

  /**
   * The first of a repeated string (a name's given names, an address's lines), as HAPI's {@code
   * hasGiven() ? getGiven().get(0).getValue() : null} reads it; one value where a list belongs is a
   * list of one, as HAPI reads it.
   */
  private static String first(JsonNode node, String field) {
    List<JsonNode> values = repeated(node, field);
    String first = null;
    for (int i = 0; i < values.size(); i++) {
      String value = valueText(values.get(i), field);
      if (i == 0) {
        first = value;
      }
    }
    return first;
  }

  /** The objects of a repeated element; anything but objects in it refuses the Patient. */
  private static List<JsonNode> objects(JsonNode node, String field) {
    List<JsonNode> values = repeated(node, field);
    for (JsonNode value : values) {
      if (!value.isObject()) {
        throw new IllegalArgumentException("expected " + field + " to hold objects");
      }
    }
    return values;
  }

  /** A repeated element's values: absent or null is none, one value alone is a list of one. */
  private static List<JsonNode> repeated(JsonNode node, String field) {
    JsonNode values = node.get(field);
    if (values == null || values.isNull()) {
      return List.of();
    }
    if (!values.isArray()) {
      return List.of(values);
    }
    List<JsonNode> out = new ArrayList<>(values.size());
    values.forEach(out::add);
    return out;
  }
}
