package org.placeshare.gateway.http.fhir;

import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Patient;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;

/**
 * {@code GET /fhir/Patient/{nhsNumber}} (read) and {@code GET
 * /fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhsNumber}} (search), as FHIR R4's
 * RESTful API has them (<a href="https://hl7.org/fhir/R4/http.html#read">http.html</a>): the person
 * is addressed by NHS number, as the view is. Both are the view narrowed to {@code _type=Patient}
 * and go through the same {@link PersonViewHandler#respond} (decision, obligations, audit, the
 * decoy delay); only the answer's shape differs. A person not there, or hidden by a flag, is 404 to
 * a read as to the view, and a searchset with no entries to a search.
 */
public final class PatientRest {

  public static final String READ_ACTION = "read-patient";
  public static final String SEARCH_ACTION = "search-patient";

  static final String IDENTIFIER = "identifier";

  /** The only search parameters served; {@code _format} is the format's, not the search's. */
  static final Set<String> SEARCH_PARAMETERS = Set.of(IDENTIFIER, "_format");

  private static final String SHAPE_KEY = "placeshare.patientShape";

  /** The shape of an answer from the person's released view. */
  enum Shape {
    VIEW,
    READ,
    SEARCH
  }

  private final String publicUrl;

  public PatientRest(String publicUrl) {
    this.publicUrl = publicUrl;
  }

  static Shape shape(RoutingContext ctx) {
    Shape shape = ctx.get(SHAPE_KEY);
    return shape == null ? Shape.VIEW : shape;
  }

  /** {@code GET /fhir/Patient/{nhsNumber}}: a read of the person's Patient. */
  public void parseRead(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = READ_ACTION;
    for (String name : ctx.queryParams().names()) {
      if (!"_format".equals(name)) {
        ctx.fail(400, invalid("a read takes no parameters but _format, got " + name));
        return;
      }
    }
    try {
      state.patient = NhsNumber.parse(ctx.pathParam("nhsNumber"));
    } catch (InvalidNhsNumberException e) {
      ctx.fail(400, new GatewayException(IssueType.VALUE, e.getMessage()));
      return;
    }
    begin(ctx, state, Shape.READ);
  }

  /** {@code GET /fhir/Patient?identifier=...}: exactly one NHS number, nothing else. */
  public void parseSearch(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = SEARCH_ACTION;
    for (String name : ctx.queryParams().names()) {
      if (!SEARCH_PARAMETERS.contains(name)) {
        ctx.fail(
            400,
            invalid(
                "Patient search: unknown parameter "
                    + (name.length() > 40 ? name.substring(0, 40) + "..." : name)
                    + ", only identifier="
                    + Fhir.NHS_NUMBER_SYSTEM
                    + "|{nhsNumber} is served"));
        return;
      }
    }
    List<String> identifiers = ctx.queryParam(IDENTIFIER);
    if (identifiers.size() != 1 || identifiers.get(0).contains(",")) {
      ctx.fail(
          400,
          invalid(
              "Patient search: expected exactly one identifier="
                  + Fhir.NHS_NUMBER_SYSTEM
                  + "|..."));
      return;
    }
    String token = identifiers.get(0);
    int bar = token.indexOf('|');
    if (bar < 0 || !Fhir.NHS_NUMBER_SYSTEM.equals(token.substring(0, bar))) {
      ctx.fail(
          400,
          invalid(
              "identifier: expected the system "
                  + Fhir.NHS_NUMBER_SYSTEM
                  + " and an NHS number, as system|value"));
      return;
    }
    try {
      state.patient = NhsNumber.parse(token.substring(bar + 1));
    } catch (InvalidNhsNumberException e) {
      ctx.fail(400, new GatewayException(IssueType.VALUE, "identifier: " + e.getMessage()));
      return;
    }
    begin(ctx, state, Shape.SEARCH);
  }

  private static void begin(RoutingContext ctx, RequestState state, Shape shape) {
    try {
      // As the view takes them: a consent token, a break-glass reason, a relationship claimed.
      PersonViewHandler.statedHeaders(ctx, state);
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    // Only the Patient: the release fetches and keeps no other type.
    state.types = Set.of("Patient");
    ctx.put(SHAPE_KEY, shape);
    ctx.next();
  }

  /**
   * The Patient a read answers with, from the released view; empty when the agreements released no
   * Patient. Its id is the NHS number it was read by, as a read's SHALL; but where the obligations
   * took the NHS number out of the Patient (pseudonymised identifiers), the view's pseudonymous id
   * stays, so that the NHS number does not leave where the agreement says it must not.
   */
  static Optional<Patient> patient(Bundle view, NhsNumber nhs) {
    return view.getEntry().stream()
        .map(Bundle.BundleEntryComponent::getResource)
        .filter(Patient.class::isInstance)
        .map(Patient.class::cast)
        .findFirst()
        .map(
            p -> {
              boolean carried =
                  p.getIdentifier().stream()
                      .anyMatch(
                          i ->
                              Fhir.NHS_NUMBER_SYSTEM.equals(i.getSystem())
                                  && nhs.toString().equals(i.getValue()));
              if (carried) {
                p.setId(nhs.toString());
              }
              return p;
            });
  }

  /** The searchset: the Patient if released, none if not there; the self link says the search. */
  Bundle searchset(NhsNumber nhs, Optional<Patient> patient) {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    bundle.setId(UUID.randomUUID().toString());
    bundle
        .addLink()
        .setRelation("self")
        .setUrl(
            publicUrl
                + "/fhir/Patient?identifier="
                + URLEncoder.encode(Fhir.NHS_NUMBER_SYSTEM + "|" + nhs, StandardCharsets.UTF_8));
    bundle.setTotal(patient.isPresent() ? 1 : 0);
    patient.ifPresent(
        p ->
            bundle
                .addEntry()
                .setFullUrl(publicUrl + "/fhir/Patient/" + p.getIdElement().getIdPart())
                .setResource(p)
                .getSearch()
                .setMode(Bundle.SearchEntryMode.MATCH));
    return bundle;
  }

  private static GatewayException invalid(String message) {
    return new GatewayException(IssueType.INVALID, message);
  }
}
