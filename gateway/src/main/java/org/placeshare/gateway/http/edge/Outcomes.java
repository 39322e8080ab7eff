package org.placeshare.gateway.http.edge;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;

/** Writes FHIR responses with the headers every one of them carries. */
public final class Outcomes {

  private Outcomes() {}

  public static void send(HttpServerResponse response, int status, IssueType code, String message) {
    sendFhir(response.setStatusCode(status), Fhir.encode(of(status, code, message)));
  }

  /** An OperationOutcome in the request's negotiated format ({@link FhirFormat}). */
  public static void send(RoutingContext ctx, int status, IssueType code, String message) {
    sendFhir(ctx, status, of(status, code, message));
  }

  /** A resource in the request's negotiated format, encoded here (small answers only). */
  public static void sendFhir(RoutingContext ctx, int status, IBaseResource resource) {
    sendEncoded(ctx, status, FhirFormat.of(ctx).encode(resource));
  }

  /** A resource already encoded in the request's negotiated format ({@link FhirFormat#of}). */
  public static void sendEncoded(RoutingContext ctx, int status, String encoded) {
    noStore(ctx.response().setStatusCode(status))
        .putHeader("Content-Type", FhirFormat.contentType(ctx) + "; charset=utf-8")
        .end(encoded);
  }

  /** One issue: fatal for a 5xx status, an error otherwise. */
  public static OperationOutcome of(int status, IssueType code, String message) {
    OperationOutcome outcome = new OperationOutcome();
    outcome
        .addIssue()
        .setSeverity(
            status >= 500
                ? OperationOutcome.IssueSeverity.FATAL
                : OperationOutcome.IssueSeverity.ERROR)
        .setCode(code)
        .setDiagnostics(message);
    return outcome;
  }

  public static void sendFhir(HttpServerResponse response, String json) {
    noStore(response).putHeader("Content-Type", Fhir.JSON + "; charset=utf-8").end(json);
  }

  /** Personal data must never sit in a shared or browser cache. */
  public static HttpServerResponse noStore(HttpServerResponse response) {
    return response
        .putHeader("Cache-Control", "no-store")
        .putHeader("X-Content-Type-Options", "nosniff");
  }
}
