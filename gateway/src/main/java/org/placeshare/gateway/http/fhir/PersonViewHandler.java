package org.placeshare.gateway.http.fhir;

import ca.uhn.fhir.parser.DataFormatException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.SentDigest;
import org.placeshare.gateway.audit.WitnessingBehind;
import org.placeshare.gateway.household.HouseholdLearning;
import org.placeshare.gateway.household.HouseholdRegister;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.FhirBody;
import org.placeshare.gateway.http.edge.FhirFormat;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.register.PilotCount;
import org.placeshare.gateway.release.PersonRelease;
import org.placeshare.gateway.release.ReleaseOptions;
import org.placeshare.gateway.release.ReleaseOutcome;
import org.placeshare.gateway.release.ReleaseUnavailable;
import org.placeshare.policy.FhirResourceTypes;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;

/**
 * {@code GET /fhir/Patient/{nhsNumber}/$everything} and {@code $data-quality}, also by POST with a
 * {@code Parameters} body, and the Patient read and search of {@link PatientRest} (and, dispatched
 * to {@link HouseholdView}, {@code $household}): the HTTP side of the request path. Parses the
 * request (step 2), hands it to the {@link PersonRelease} (steps 3 to 5 and the audit event's
 * content), then times the answer (the decoy delay), makes the event durable (step 6) and responds
 * (step 7), or fails through the one door.
 */
public final class PersonViewHandler {

  public static final String ACTION = "read-person-view";
  static final String DATA_QUALITY_ACTION = "data-quality";
  static final String EVERYTHING = "$everything";
  static final String DATA_QUALITY = "$data-quality";
  static final String EMERGENCY_HEADER = "X-Emergency-Reason";
  static final String RELATIONSHIP_HEADER = "X-Relationship-Reason";
  static final String CONSENT_HEADER = "X-Consent-Token";

  /** The body limit of a POSTed operation's Parameters. */
  public static final int MAX_PARAMETERS_BYTES = OperationParameters.MAX_BODY_BYTES;

  /** The one answer for "nobody here", whether nobody is there or a flag hides them. */
  private static final String NOT_THERE = "no permitted source holds this person";

  /** The one answer for a refusal, whichever agreement refused and why (the audit says). */
  private static final String REFUSED = "no data-sharing agreement permits this request";

  private final Vertx vertx;
  private final PersonRelease release;
  private final AuditLog audit;
  private final Metrics metrics;
  private final DecoyDelay decoy = new DecoyDelay();

  /** The shapes of a Patient read and search, from the same release. */
  private final PatientRest patients;

  private final Clock clock;

  /** Where a view's addresses and family ties are learnt. */
  private final HouseholdLearning learning;

  /** The household view, dispatched here: one route serves the operations on a Patient. */
  private final HouseholdView household;

  public PersonViewHandler(
      Vertx vertx,
      PersonRelease release,
      HouseholdRegister households,
      AuditLog audit,
      Metrics metrics,
      PatientRest patients,
      Clock clock) {
    this.vertx = vertx;
    this.patients = patients;
    this.clock = clock;
    this.release = release;
    this.audit = audit;
    this.metrics = metrics;
    this.learning = new HouseholdLearning(households, clock);
    // One decoy for both: it learns how long lookups take from every view and household.
    this.household = new HouseholdView(vertx, release, households, audit, metrics, decoy, clock);
  }

  public void parse(RoutingContext ctx) {
    String operation = ctx.pathParam("operation");
    if (!EVERYTHING.equals(operation)
        && !DATA_QUALITY.equals(operation)
        && !HouseholdView.OPERATION.equals(operation)) {
      ctx.fail(
          404,
          new GatewayException(
              IssueType.NOTSUPPORTED,
              "only $everything, $household and $data-quality are served on Patient"));
      return;
    }
    if (begin(ctx, operation, null)) {
      ctx.next();
    }
  }

  /**
   * {@code POST /fhir/Patient/{nhsNumber}/$everything} (or {@code $data-quality}) with a {@code
   * Parameters} body, the way HAPI's generic client invokes an operation: the same request as the
   * GET, its parameters in the body ({@link OperationParameters}) and none in the query but {@code
   * _format}.
   */
  public void parsePosted(RoutingContext ctx) {
    String operation = ctx.pathParam("operation");
    if (!EVERYTHING.equals(operation) && !DATA_QUALITY.equals(operation)) {
      ctx.fail(
          404,
          new GatewayException(
              IssueType.NOTSUPPORTED,
              "only $everything and $data-quality are served by POST on Patient ($household by"
                  + " GET)"));
      return;
    }
    OperationParameters parameters;
    try {
      for (String name : ctx.queryParams().names()) {
        if (!"_format".equals(name)) {
          throw new GatewayException(
              IssueType.INVALID,
              "a POSTed operation takes its parameters in the Parameters body, not the query");
        }
      }
      String body = ctx.body().asString();
      parameters =
          body == null || body.isBlank()
              ? new OperationParameters(null, null)
              : OperationParameters.of(
                  FhirBody.parse(FhirBody.format(ctx), Parameters.class, body), clock.instant());
    } catch (GatewayException e) {
      ctx.fail(e.status() > 0 ? e.status() : 400, e);
      return;
    } catch (DataFormatException e) {
      ctx.fail(
          400,
          new GatewayException(
              IssueType.STRUCTURE,
              "expected a FHIR R4 Parameters resource in JSON or XML: " + e.getMessage()));
      return;
    }
    if (begin(ctx, operation, parameters)) {
      ctx.next();
    }
  }

  /**
   * The person, the operation and the stated reasons; the parameters from the query (GET) or the
   * body (POST). False when the request failed.
   */
  private boolean begin(RoutingContext ctx, String operation, OperationParameters posted) {
    RequestState state = RequestState.get(ctx);
    state.action =
        EVERYTHING.equals(operation)
            ? ACTION
            : HouseholdView.OPERATION.equals(operation)
                ? HouseholdView.ACTION
                : DATA_QUALITY_ACTION;
    try {
      state.patient = NhsNumber.parse(ctx.pathParam("nhsNumber"));
      statedHeaders(ctx, state);
      if (HouseholdView.ACTION.equals(state.action)) {
        HouseholdView.parse(ctx, state);
      } else if (posted != null) {
        state.types = posted.types();
        state.since = posted.since();
      } else {
        state.types = types(ctx.request().getParam("_type"));
        String since = ctx.request().getParam(SinceParameter.NAME);
        state.since = since == null ? null : SinceParameter.parse(since, clock.instant());
      }
    } catch (InvalidNhsNumberException e) {
      ctx.fail(400, new GatewayException(IssueType.VALUE, e.getMessage()));
      return false;
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return false;
    }
    return true;
  }

  /** {@code _type=Condition,Encounter}: FHIR R4 resource types, at most 50. */
  static Set<String> types(String param) {
    if (param == null) {
      return null;
    }
    Set<String> types = new LinkedHashSet<>();
    for (String type : param.split(",", -1)) {
      String t = type.strip();
      if (!FhirResourceTypes.R4.contains(t)) {
        throw new GatewayException(
            IssueType.VALUE, "_type: expected FHIR R4 resource types separated by commas");
      }
      types.add(t);
    }
    if (types.size() > 50) {
      throw new GatewayException(IssueType.VALUE, "_type: expected at most 50 types");
    }
    return types;
  }

  /** The break-glass reason, the relationship claimed and the consent token, from headers. */
  static void statedHeaders(RoutingContext ctx, RequestState state) {
    state.emergencyReason = statedReason(ctx, EMERGENCY_HEADER);
    state.relationshipClaim = statedReason(ctx, RELATIONSHIP_HEADER);
    state.consentToken = ctx.request().getHeader(CONSENT_HEADER);
  }

  /** A reason stated in a header for the IG reviewer: a sentence, not a document. */
  private static String statedReason(RoutingContext ctx, String header) {
    String reason = ctx.request().getHeader(header);
    if (reason == null) {
      return null;
    }
    reason = reason.strip();
    if (reason.isEmpty() || reason.length() > StrictJson.MAX_STATED_REASON) {
      throw new GatewayException(
          IssueType.INVALID,
          header + " must state a reason of 1 to " + StrictJson.MAX_STATED_REASON + " characters");
    }
    return reason;
  }

  public void respond(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    ReleaseOptions options =
        new ReleaseOptions(
            Optional.ofNullable(state.emergencyReason),
            Optional.ofNullable(state.relationshipClaim),
            Optional.ofNullable(state.consentToken),
            Optional.ofNullable(state.types),
            Optional.ofNullable(state.since),
            new ReleaseOptions.View(
                state.requestId,
                state.action,
                state.started,
                DATA_QUALITY_ACTION.equals(state.action)));
    long asked = System.nanoTime();
    if (HouseholdView.ACTION.equals(state.action)) {
      household.respond(
          ctx, state, options, outcome -> timed(ctx, state, outcome, System.nanoTime() - asked));
      return;
    }
    release
        // The pilots' count is taken with the audit event, in its transaction (issue 22).
        .release(state.caller, state.patient, options, PersonRelease.Counting.WITH_AUDIT)
        .onFailure(e -> ctx.fail(503, unavailable(e)))
        .onSuccess(outcome -> timed(ctx, state, outcome, System.nanoTime() - asked));
  }

  /**
   * The answer's timing, which is the HTTP side's: a release in which a flag hid a source waits as
   * long as a lookup of it would have taken, so the speed of the answer cannot tell the flag; any
   * other release that asked sources teaches the decoy how long lookups take.
   */
  private void timed(RoutingContext ctx, RequestState state, ReleaseOutcome outcome, long took) {
    state.decisions.addAll(outcome.trail().decisions());
    outcome.trail().lookups().forEach(l -> metrics.fetched(l.source(), l.result(), l.nanos()));
    if (!outcome.trail().concealed()) {
      if (!outcome.trail().lookups().isEmpty()) {
        decoy.observe(Duration.ofNanos(took));
      }
      answer(ctx, state, outcome);
      return;
    }
    // The audit records the refusal it was; the caller hears what a lookup would have said.
    state.concealedRefusal = true;
    long wait = Math.max(1, decoy.next().toMillis() - TimeUnit.NANOSECONDS.toMillis(took));
    vertx.setTimer(
        wait,
        t -> {
          // What a hidden source would have been asked: counted as that lookup, as slow as it.
          long nanos = took + TimeUnit.MILLISECONDS.toNanos(wait);
          outcome.trail().hidden().forEach((id, result) -> metrics.fetched(id, result, nanos));
          answer(ctx, state, outcome);
        });
  }

  private void answer(RoutingContext ctx, RequestState state, ReleaseOutcome outcome) {
    if (outcome instanceof ReleaseOutcome.Released released) {
      respond(ctx, state, released);
    } else if (outcome instanceof ReleaseOutcome.Checked checked) {
      checked.findings().forEach(f -> metrics.dataQuality(f.source(), f.field()));
      audit
          .append(state.stamped(checked.event()))
          .onSuccess(seq -> Outcomes.sendFhir(ctx, 200, checked.report()))
          .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)));
    } else if (outcome instanceof ReleaseOutcome.Concealed concealed) {
      if (concealed.problems().isEmpty() && PatientRest.shape(ctx) == PatientRest.Shape.SEARCH) {
        noMatch(ctx, state, concealed.auditDetail().orElse(NOT_THERE));
        return;
      }
      ctx.fail(nobodyFound(concealed.problems(), concealed.auditDetail().orElse(null)));
    } else if (outcome instanceof ReleaseOutcome.Refused refused) {
      ctx.fail(
          403,
          refused.ground() == ReleaseOutcome.Ground.CONSENT_TOKEN
              ? new GatewayException(
                  IssueType.SECURITY, "the consent token was refused", refused.auditDetail())
              : new GatewayException(IssueType.FORBIDDEN, REFUSED, refused.auditDetail()));
    } else if (outcome instanceof ReleaseOutcome.NotHeld) {
      if (PatientRest.shape(ctx) == PatientRest.Shape.SEARCH) {
        noMatch(ctx, state, NOT_THERE);
        return;
      }
      ctx.fail(nobodyFound(List.of(), null));
    } else if (outcome instanceof ReleaseOutcome.Failed failed) {
      ctx.fail(nobodyFound(failed.problems(), null));
    } else if (outcome instanceof ReleaseOutcome.CapReached cap) {
      ctx.fail(
          403,
          new GatewayException(IssueType.FORBIDDEN, REFUSED, String.join("\n", cap.reasons())));
    }
  }

  /**
   * A search that matched nobody there (or hidden by a flag): a searchset with no entries, as for a
   * person nobody holds, audited as the view audits its 404 (a concealed refusal as the refusal it
   * was) with the 200 the caller saw.
   */
  private void noMatch(RoutingContext ctx, RequestState state, String detail) {
    audit
        .append(
            state.event(
                clock.instant(),
                state.concealedRefusal ? AuditEvent.Outcome.REFUSED : AuditEvent.Outcome.FAILED,
                200,
                Map.of(),
                List.of(),
                detail))
        .onSuccess(
            seq -> Outcomes.sendFhir(ctx, 200, patients.searchset(state.patient, Optional.empty())))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)));
  }

  /** The released view as the request asked for it: the Bundle, or only its Patient. */
  private Resource shaped(RoutingContext ctx, RequestState state, Bundle view) {
    PatientRest.Shape shape = PatientRest.shape(ctx);
    if (shape == PatientRest.Shape.VIEW) {
      return view;
    }
    Optional<Patient> patient = PatientRest.patient(view, state.patient);
    if (shape == PatientRest.Shape.SEARCH) {
      return patients.searchset(state.patient, patient);
    }
    // The agreements released records but no Patient: for a read, nobody is there to see.
    return patient.orElseThrow(() -> nobodyFound(List.of(), "no Patient released"));
  }

  /** Records released: encoded, audited durably, then sent; the care relationships learnt after. */
  private void respond(RoutingContext ctx, RequestState state, ReleaseOutcome.Released released) {
    FhirFormat format = FhirFormat.of(ctx);
    vertx
        .executeBlocking(
            () -> format.encodeRelease(shaped(ctx, state, released.view().bundle())), false)
        .compose(
            json ->
                audit
                    // The leaf binds the bytes the caller is about to receive.
                    .append(
                        state.stamped(
                            released
                                .event()
                                .withSent(SentDigest.of(json, FhirFormat.contentType(ctx)))),
                        released.owed())
                    .recover(e -> Future.failedFuture(notAppended(e)))
                    .map(seq -> json))
        .onSuccess(
            json -> {
              countReleased(released);
              Outcomes.sendEncoded(ctx, 200, json);
              // A hint for later decisions, not part of this answer: written after it leaves.
              release.learnRelationships(state.patient, released);
              learning.learn(state.patient, released.results());
            })
        .onFailure(
            e ->
                ctx.fail(
                    e instanceof AuditUnavailable
                        ? 503
                        : e instanceof GatewayException g && g.status() > 0 ? g.status() : 500,
                    e));
  }

  /**
   * Why a release's event was not appended: a pilot's cap reached since the decision (refused as
   * the decision would have refused it a moment later, and audited as that refusal), else the audit
   * log is unavailable.
   */
  private static RuntimeException notAppended(Throwable e) {
    if (e instanceof PilotCount.Reached reached) {
      return new GatewayException(
          403, IssueType.FORBIDDEN, REFUSED, String.join("\n", reached.reasons()));
    }
    return new AuditUnavailable(e);
  }

  private void countReleased(ReleaseOutcome.Released released) {
    metrics.released(released.event());
    released.view().findings().forEach(f -> metrics.dataQuality(f.source(), f.field()));
  }

  /**
   * The answer when no permitted source that answered holds the person: 404 when every one
   * answered, 502 when any could not be read, since that one may hold them and "not held" cannot be
   * claimed (even if every other answered "not held").
   */
  private static GatewayException nobodyFound(List<String> problems, String auditDetail) {
    if (problems.isEmpty()) {
      return new GatewayException(
          404, IssueType.NOTFOUND, NOT_THERE, auditDetail == null ? NOT_THERE : auditDetail);
    }
    String message =
        "no permitted source that answered holds this person, and some could not be read: "
            + String.join("; ", problems);
    return new GatewayException(
        502, IssueType.TRANSIENT, message, auditDetail == null ? message : auditDetail);
  }

  /** The gateway's own storage failed the release: nothing was released. */
  static RuntimeException unavailable(Throwable e) {
    if (e instanceof WitnessingBehind behind) {
      return behind;
    }
    if (e instanceof ReleaseUnavailable u && u.store() == ReleaseUnavailable.Store.RELEASE_COUNT) {
      return new AuditUnavailable(u.getCause());
    }
    Throwable cause = e instanceof ReleaseUnavailable && e.getCause() != null ? e.getCause() : e;
    return new GatewayException(
        IssueType.TRANSIENT,
        "the patient register is unavailable; nothing was released",
        cause.getClass().getSimpleName());
  }
}
