package org.placeshare.gateway.http.consent;

import static org.placeshare.gateway.http.edge.StrictJson.instant;
import static org.placeshare.gateway.http.edge.StrictJson.invalid;
import static org.placeshare.gateway.http.edge.StrictJson.strings;
import static org.placeshare.gateway.http.edge.StrictJson.text;
import static org.placeshare.gateway.http.edge.StrictJson.unknownKeys;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.consent.ConsentVerifier;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.FhirResourceTypes;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.SigningKey;
import org.placeshare.policy.identity.TokenException;

/**
 * {@code POST /consents/issue}: records and signs a consent with the gateway's consent key for an
 * issuer that cannot sign its own, then keeps it as {@link ConsentEndpoints} keeps a registered
 * one. Only a consent recorder of an issuer trusted with {@code viaGateway} may; every call is
 * audited.
 */
public final class ConsentIssuing {

  /** A user id as consent tokens carry it in {@code recorded_by}. */
  static final Pattern RECORDED_BY = Pattern.compile("[A-Za-z0-9._@:-]{1,128}");

  /** Consents are renewed; one recorded through the gateway lasts at most this long. */
  static final Duration MAX_ISSUED_LIFETIME = Duration.ofDays(5 * 366);

  private static final Set<String> ISSUE_KEYS =
      Set.of(
          "patient",
          "recipients",
          "purposes",
          "scopes",
          "method",
          "recordedBy",
          "notBefore",
          "expires");

  private final ConsentEndpoints consents;
  private final ConsentVerifier verifier;
  private final Optional<SigningKey> consentKey;
  private final ConsentRecorder recorder;
  private final Clock clock;

  public ConsentIssuing(
      ConsentEndpoints consents,
      ConsentVerifier verifier,
      Optional<SigningKey> consentKey,
      ConsentRecorder recorder,
      Clock clock) {
    this.consents = consents;
    this.verifier = verifier;
    this.consentKey = consentKey;
    this.recorder = recorder;
    this.clock = clock;
  }

  public void issue(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "consent-issue";
    Caller caller = state.caller;
    Optional<GatewayException> notRecorder = recorder.refusal(caller);
    if (notRecorder.isPresent()) {
      ctx.fail(403, notRecorder.get());
      return;
    }
    if (consentKey.isEmpty() || !verifier.issuers().recordsVia(caller.organisation())) {
      ctx.fail(
          403,
          new GatewayException(
              IssueType.FORBIDDEN,
              "the gateway does not record consents for this organisation",
              caller.organisation() + " is not a consent issuer with viaGateway"));
      return;
    }
    Consent consent;
    Instant now = clock.instant();
    try {
      consent = consentToIssue(ConsentEndpoints.body(ctx), caller, now);
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    } catch (PolicyException e) {
      ctx.fail(400, new GatewayException(IssueType.INVALID, e.getMessage()));
      return;
    }
    state.patient = consent.patient();
    verifier
        .verify(ConsentTokens.sign(consentKey.get(), consent, now))
        .onFailure(e -> ConsentEndpoints.fail(ctx, notIssuable(e)))
        .onSuccess(
            verified -> consents.keep(ctx, state, verified, "recorded and signed by the gateway"));
  }

  private Consent consentToIssue(JsonObject body, Caller caller, Instant now) {
    unknownKeys(body, ISSUE_KEYS, "");
    NhsNumber patient = ConsentEndpoints.nhsNumber(text(body, "patient", true));
    Set<OdsCode> recipients = new LinkedHashSet<>();
    strings(body, "recipients").forEach(r -> recipients.add(OdsCode.of(r)));
    Set<PurposeOfUse> purposes = new LinkedHashSet<>();
    strings(body, "purposes").forEach(p -> purposes.add(PurposeOfUse.of(p)));
    Set<String> scopes = scopes(body);
    String method = text(body, "method", true);
    Instant notBefore = instant(body, "notBefore").orElse(now);
    Instant expires =
        instant(body, "expires")
            .orElseThrow(() -> invalid("expires: expected a value, got nothing"));
    if (!expires.isAfter(notBefore) || expires.isAfter(now.plus(MAX_ISSUED_LIFETIME))) {
      throw invalid("expires: expected after notBefore and within 5 years");
    }
    return new Consent(
        UUID.randomUUID().toString(),
        caller.organisation(),
        patient,
        recipients,
        purposes,
        scopes,
        ConsentMethod.of(method)
            .orElseThrow(() -> invalid("method: expected written, verbal or digital")),
        recordedBy(body, caller),
        notBefore,
        expires);
  }

  /**
   * {@code scopes}: FHIR R4 resource types, or {@value Consent#ALL_DATA} for all an agreement
   * shares; all when absent. Checked here as a consent token's scopes are checked when read.
   */
  private static Set<String> scopes(JsonObject body) {
    if (!body.containsKey("scopes")) {
      return Set.of(Consent.ALL_DATA);
    }
    Set<String> scopes = new LinkedHashSet<>(strings(body, "scopes"));
    for (String scope : scopes) {
      if (!scope.equals(Consent.ALL_DATA) && !FhirResourceTypes.R4.contains(scope)) {
        throw invalid(
            "scopes: expected FHIR R4 resource types or " + Consent.ALL_DATA + ", got " + scope);
      }
    }
    return scopes;
  }

  /**
   * {@code recordedBy}: the user id of whoever recorded the consent at the issuer, as consent
   * tokens carry it (never a name); the caller's own user when absent.
   */
  private static String recordedBy(JsonObject body, Caller caller) {
    String recordedBy = text(body, "recordedBy", false);
    if (recordedBy == null) {
      return caller.userId();
    }
    if (!RECORDED_BY.matcher(recordedBy).matches()) {
      throw invalid(
          "recordedBy: expected a user id of 1 to 128 letters, digits and ._@:- (never a name)");
    }
    return recordedBy;
  }

  /** What the caller asked for that a consent token cannot carry is the caller's fault: 400. */
  private static Throwable notIssuable(Throwable e) {
    if (!(e instanceof TokenException)) {
      return e;
    }
    String message = "the consent cannot be issued: " + e.getMessage();
    return new GatewayException(400, IssueType.INVALID, message, message);
  }
}
