package org.placeshare.gateway.notify;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import org.placeshare.fhir.Fhir;

/**
 * What a subscriber receives: a FHIR R4 {@code Bundle} of type {@code message} (<a
 * href="https://hl7.org/fhir/R4/messaging.html">hl7.org/fhir/R4/messaging.html</a>) whose {@code
 * MessageHeader} names the event kind ({@link #EVENT_SYSTEM}), the gateway as source and the
 * subscription's endpoint as destination, and focuses on the {@code Patient} (the NHS number only);
 * a {@code Parameters} entry carries the event's id, source, time and the change, field by field.
 * The Bundle's id is the delivery's idempotency key and its timestamp when the delivery was made,
 * so every try sends the same bytes.
 */
final class Notification {

  /** The code system of the event kinds in {@code MessageHeader.eventCoding}. */
  static final String EVENT_SYSTEM = "https://placeshare.example/fhir/CodeSystem/event-kind";

  private Notification() {}

  static JsonObject bundle(DeliveryWorker.Due due, String publicUrl) {
    String patientUrl =
        "urn:uuid:"
            + UUID.nameUUIDFromBytes(
                (due.idempotencyKey() + "/patient").getBytes(StandardCharsets.UTF_8));
    String changeUrl =
        "urn:uuid:"
            + UUID.nameUUIDFromBytes(
                (due.idempotencyKey() + "/change").getBytes(StandardCharsets.UTF_8));
    JsonObject header =
        new JsonObject()
            .put("resourceType", "MessageHeader")
            .put(
                "eventCoding",
                new JsonObject().put("system", EVENT_SYSTEM).put("code", due.kind().code()))
            .put(
                "destination",
                new JsonArray().add(new JsonObject().put("endpoint", due.endpoint())))
            .put("source", new JsonObject().put("name", "Placeshare").put("endpoint", publicUrl))
            .put(
                "focus",
                new JsonArray()
                    .add(new JsonObject().put("reference", patientUrl))
                    .add(new JsonObject().put("reference", changeUrl)));
    JsonObject patient =
        new JsonObject()
            .put("resourceType", "Patient")
            .put(
                "identifier",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("system", Fhir.NHS_NUMBER_SYSTEM)
                            .put("value", due.person().toString())));
    JsonArray parameters =
        new JsonArray()
            .add(new JsonObject().put("name", "event-id").put("valueString", due.eventId()))
            .add(new JsonObject().put("name", "event-kind").put("valueCode", due.kind().code()))
            .add(new JsonObject().put("name", "source").put("valueString", due.source()))
            .add(
                new JsonObject()
                    .put("name", "occurred-at")
                    .put("valueInstant", due.occurredAt().toString()))
            .add(
                new JsonObject()
                    .put("name", "subscription")
                    .put(
                        "valueReference",
                        new JsonObject().put("reference", "Subscription/" + due.subscription())));
    JsonArray parts = new JsonArray();
    new TreeMap<>(due.change().getMap())
        .forEach(
            (name, value) -> {
              // A list (an address's lines) is one part per item, in order.
              List<?> values =
                  value instanceof List<?> l
                      ? l
                      : value instanceof JsonArray a ? a.getList() : List.of(value);
              values.forEach(
                  v ->
                      parts.add(
                          new JsonObject().put("name", name).put("valueString", v.toString())));
            });
    parameters.add(new JsonObject().put("name", "change").put("part", parts));
    JsonObject change =
        new JsonObject().put("resourceType", "Parameters").put("parameter", parameters);
    return new JsonObject()
        .put("resourceType", "Bundle")
        .put("id", due.idempotencyKey())
        .put("type", "message")
        // When the delivery was made: every try sends the same bytes.
        .put("timestamp", due.created().toString())
        .put(
            "entry",
            new JsonArray()
                .add(
                    new JsonObject()
                        .put(
                            "fullUrl",
                            "urn:uuid:"
                                + UUID.nameUUIDFromBytes(
                                    due.idempotencyKey().getBytes(StandardCharsets.UTF_8)))
                        .put("resource", header))
                .add(new JsonObject().put("fullUrl", patientUrl).put("resource", patient))
                .add(new JsonObject().put("fullUrl", changeUrl).put("resource", change)));
  }
}
