package org.placeshare.gateway.notify;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.placeshare.fhir.Fhir;

/**
 * A change reported as a FHIR R4 {@code Bundle} of type {@code message} (<a
 * href="https://hl7.org/fhir/R4/messaging.html">hl7.org/fhir/R4/messaging.html</a>), read into the
 * documented JSON event and then checked by {@link ChangeEvent#parse} exactly as that event is. The
 * message is shaped as the gateway's own notifications ({@link Notification}): a {@code
 * MessageHeader} first, whose {@code eventCoding} is a kind in {@link Notification#EVENT_SYSTEM}
 * and whose {@code focus} is the {@code Patient} (the NHS number only), and a {@code Parameters}
 * with {@code event-id}, {@code source}, {@code occurred-at}, optionally {@code event-kind}, and
 * {@code change}, one part per field (one per address line). Anything else is refused: a message
 * carries no free text and no other personal data.
 */
public final class EventMessage {

  /** A message has a header, a Patient and a Parameters: nothing more. */
  static final int ENTRIES = 3;

  /** Most parts in {@code change}: an address's postcode, UPRN and five lines, with room. */
  static final int MAX_CHANGE_PARTS = 10;

  private static final Set<String> BUNDLE_KEYS =
      Set.of("resourceType", "id", "meta", "type", "timestamp", "entry");
  private static final Set<String> ENTRY_KEYS = Set.of("fullUrl", "resource");
  private static final Set<String> HEADER_KEYS =
      Set.of("resourceType", "id", "meta", "eventCoding", "source", "destination", "focus");
  private static final Set<String> PATIENT_KEYS =
      Set.of("resourceType", "id", "meta", "identifier");
  private static final Set<String> PARAMETERS_KEYS =
      Set.of("resourceType", "id", "meta", "parameter");

  private EventMessage() {}

  /**
   * The event the message reports, as the documented JSON event.
   *
   * @throws InvalidChangeEvent naming the element and what was expected
   */
  public static JsonObject event(JsonObject bundle) {
    keys(bundle, BUNDLE_KEYS, "Bundle");
    if (!"Bundle".equals(bundle.getValue("resourceType"))
        || !"message".equals(bundle.getValue("type"))) {
      throw invalid("Bundle: expected a Bundle of type message");
    }
    JsonArray entries = array(bundle, "entry", "Bundle");
    if (entries.size() != ENTRIES) {
      throw invalid(
          "Bundle.entry: expected "
              + ENTRIES
              + " entries (MessageHeader, Patient, Parameters), got "
              + entries.size());
    }
    Map<String, JsonObject> byType = new HashMap<>();
    Map<String, String> urlOf = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      String at = "Bundle.entry[" + i + "]";
      JsonObject entry = object(entries.getValue(i), at);
      keys(entry, ENTRY_KEYS, at);
      JsonObject resource = object(entry.getValue("resource"), at + ".resource");
      Object type = resource.getValue("resourceType");
      if (i == 0 && !"MessageHeader".equals(type)) {
        throw invalid(at + ": expected the MessageHeader first");
      }
      if (!(type instanceof String t)
          || !Set.of("MessageHeader", "Patient", "Parameters").contains(t)
          || byType.put(t, resource) != null) {
        throw invalid(at + ": expected one each of MessageHeader, Patient and Parameters");
      }
      Object url = entry.getValue("fullUrl");
      if (url != null && !(url instanceof String)) {
        throw invalid(at + ".fullUrl: expected a URI");
      }
      urlOf.put(t, (String) url);
    }
    String kind = kind(byType.get("MessageHeader"), urlOf.get("Patient"));
    String nhsNumber = nhsNumber(byType.get("Patient"));
    return parameters(byType.get("Parameters"), kind).put("nhsNumber", nhsNumber);
  }

  /** The kind from the header's event coding; the header's focus must be the Patient. */
  private static String kind(JsonObject header, String patientUrl) {
    keys(header, HEADER_KEYS, "MessageHeader");
    JsonObject coding = object(header.getValue("eventCoding"), "MessageHeader.eventCoding");
    if (!Notification.EVENT_SYSTEM.equals(coding.getValue("system"))
        || !(coding.getValue("code") instanceof String code)) {
      throw invalid("MessageHeader.eventCoding: expected a code of " + Notification.EVENT_SYSTEM);
    }
    boolean focusOnPatient = false;
    if (header.getValue("focus") != null) {
      JsonArray focus = array(header, "focus", "MessageHeader");
      for (int i = 0; i < focus.size(); i++) {
        Object reference =
            object(focus.getValue(i), "MessageHeader.focus[" + i + "]").getValue("reference");
        focusOnPatient |= patientUrl != null && patientUrl.equals(reference);
      }
    }
    if (!focusOnPatient) {
      throw invalid("MessageHeader.focus: expected a reference to the Patient entry's fullUrl");
    }
    return code;
  }

  /** The NHS number: the Patient's only identifier. */
  private static String nhsNumber(JsonObject patient) {
    keys(patient, PATIENT_KEYS, "Patient");
    JsonArray identifiers = array(patient, "identifier", "Patient");
    if (identifiers.size() != 1) {
      throw invalid("Patient.identifier: expected the NHS number only");
    }
    JsonObject identifier = object(identifiers.getValue(0), "Patient.identifier[0]");
    keys(identifier, Set.of("system", "value"), "Patient.identifier[0]");
    if (!Fhir.NHS_NUMBER_SYSTEM.equals(identifier.getValue("system"))
        || !(identifier.getValue("value") instanceof String value)) {
      throw invalid("Patient.identifier: expected system " + Fhir.NHS_NUMBER_SYSTEM);
    }
    return value;
  }

  /** The event's id, source, time and change from the Parameters, each once. */
  private static JsonObject parameters(JsonObject parameters, String kind) {
    keys(parameters, PARAMETERS_KEYS, "Parameters");
    JsonArray list = array(parameters, "parameter", "Parameters");
    JsonObject event = new JsonObject().put("kind", kind);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String at = "Parameters.parameter[" + i + "]";
      JsonObject p = object(list.getValue(i), at);
      Object name = p.getValue("name");
      if (!(name instanceof String n) || !seen.add(n)) {
        throw invalid(at + ".name: expected each parameter once");
      }
      switch (n) {
        case "event-id" -> event.put("id", value(p, "valueString", at));
        case "source" -> event.put("source", value(p, "valueString", at));
        case "occurred-at" -> event.put("occurredAt", value(p, "valueInstant", at));
        case "event-kind" -> {
          if (!kind.equals(value(p, "valueCode", at))) {
            throw invalid(at + ": expected the kind of MessageHeader.eventCoding, " + kind);
          }
        }
        case "change" -> event.put("change", change(p, at));
        default ->
            throw invalid(
                at
                    + ".name: expected event-id, event-kind, source, occurred-at or change, got '"
                    + n
                    + "'");
      }
    }
    for (String required : List.of("event-id", "source", "occurred-at", "change")) {
      if (!seen.contains(required)) {
        throw invalid("Parameters: expected a parameter " + required);
      }
    }
    return event;
  }

  /** The change, one part per field; {@code lines} repeats, once per address line, in order. */
  private static JsonObject change(JsonObject parameter, String at) {
    keys(parameter, Set.of("name", "part"), at);
    JsonArray parts = array(parameter, "part", at);
    if (parts.size() > MAX_CHANGE_PARTS) {
      throw invalid(at + ".part: expected at most " + MAX_CHANGE_PARTS + " parts");
    }
    JsonObject change = new JsonObject();
    for (int i = 0; i < parts.size(); i++) {
      String partAt = at + ".part[" + i + "]";
      JsonObject part = object(parts.getValue(i), partAt);
      if (!(part.getValue("name") instanceof String name)) {
        throw invalid(partAt + ".name: expected a field of the change");
      }
      String value = value(part, "valueString", partAt);
      if (name.equals("lines")) {
        JsonArray lines = change.getJsonArray("lines", new JsonArray());
        change.put("lines", lines.add(value));
      } else if (change.containsKey(name)) {
        throw invalid(partAt + ": expected " + name + " once");
      } else {
        change.put(name, value);
      }
    }
    return change;
  }

  /** A parameter's one value, of the one type expected. */
  private static String value(JsonObject p, String type, String at) {
    keys(p, Set.of("name", type), at);
    if (!(p.getValue(type) instanceof String v)) {
      throw invalid(at + ": expected a " + type);
    }
    return v;
  }

  private static void keys(JsonObject o, Set<String> allowed, String at) {
    for (String key : o.fieldNames()) {
      if (!allowed.contains(key)) {
        throw invalid(at + "." + key + ": not expected here");
      }
    }
  }

  private static JsonObject object(Object value, String at) {
    if (!(value instanceof JsonObject o)) {
      throw invalid(at + ": expected an object");
    }
    return o;
  }

  private static JsonArray array(JsonObject o, String key, String at) {
    if (!(o.getValue(key) instanceof JsonArray a)) {
      throw invalid(at + "." + key + ": expected a list");
    }
    return a;
  }

  private static InvalidChangeEvent invalid(String message) {
    return new InvalidChangeEvent(message);
  }
}
