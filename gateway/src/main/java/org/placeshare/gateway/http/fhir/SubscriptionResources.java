package org.placeshare.gateway.http.fhir;

import ca.uhn.fhir.parser.DataFormatException;
import java.util.UUID;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionChannelType;
import org.hl7.fhir.r4.model.Subscription.SubscriptionStatus;
import org.placeshare.gateway.http.edge.FhirBody;
import org.placeshare.gateway.http.edge.FhirFormat;
import org.placeshare.gateway.http.edge.GatewayException;

/**
 * FHIR R4 {@code Subscription} in and out, kept apart from the gateway's own {@code Subscription}
 * so each is named by import: what a client's resource asked for, in plain values, and the resource
 * the gateway answers with.
 */
final class SubscriptionResources {

  static final String PAYLOAD = "application/fhir+json";
  static final String REST_HOOK = SubscriptionChannelType.RESTHOOK.toCode();

  /** What a client's Subscription asked for; null where it said nothing. */
  record Requested(
      String status,
      String criteria,
      String channelType,
      String payload,
      String endpoint,
      int headers) {}

  private SubscriptionResources() {}

  /** Reads a client's Subscription strictly; HAPI's parse errors say what is wrong. */
  static Requested read(FhirFormat format, String body) {
    Subscription r = FhirBody.parse(format, Subscription.class, body);
    Subscription.SubscriptionChannelComponent channel = r.getChannel();
    return new Requested(
        r.getStatus() == null ? null : r.getStatus().toCode(),
        r.getCriteria(),
        channel.getType() == null ? null : channel.getType().toCode(),
        channel.getPayload(),
        channel.getEndpoint(),
        channel.getHeader().size());
  }

  static GatewayException unreadable(Throwable e) {
    if (e instanceof GatewayException g) {
      return g;
    }
    String why =
        e instanceof DataFormatException
            ? e.getMessage()
            : "the body is not a FHIR R4 Subscription in JSON or XML";
    return new GatewayException(
        IssueType.STRUCTURE, "expected a FHIR R4 Subscription in JSON or XML: " + why);
  }

  /** The gateway's answer: the subscription as stored, its criteria in the one accepted form. */
  static Subscription resource(UUID id, boolean active, String criteria, String endpoint) {
    Subscription r = new Subscription();
    r.setId(id.toString());
    r.setStatus(active ? SubscriptionStatus.ACTIVE : SubscriptionStatus.OFF);
    r.setReason("tell us once: change notifications under a data-sharing agreement");
    r.setCriteria(criteria);
    r.getChannel()
        .setType(SubscriptionChannelType.RESTHOOK)
        .setEndpoint(endpoint)
        .setPayload(PAYLOAD);
    return r;
  }
}
