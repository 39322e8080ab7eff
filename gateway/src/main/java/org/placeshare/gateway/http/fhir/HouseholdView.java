package org.placeshare.gateway.http.fhir;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.HouseholdBundle;
import org.placeshare.fhir.PersonView;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.household.Household;
import org.placeshare.gateway.household.HouseholdRegister;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.release.PersonRelease;
import org.placeshare.gateway.release.ReleaseOptions;
import org.placeshare.gateway.release.ReleaseOutcome;
import org.placeshare.policy.NhsNumber;

/**
 * {@code GET /fhir/Patient/{nhsNumber}/$household} ({@code ?date=YYYY-MM-DD}, today in England by
 * default): the person's own view as {@code $everything} releases it, and the view of each other
 * member of their household that day, each released on their own through the one release path as
 * that person's family member ({@link ReleaseOptions.HouseholdMember}), as one searchset Bundle
 * with a {@code Group} of the people shown ({@link HouseholdBundle}).
 *
 * <p>A member who may not be shown (refused, hidden by a flag, not held, failing, over a pilot's
 * cap) is left out without a trace: not in the Group, its count or the entries, and the members'
 * phase lasts at least a decoy lookup ({@link DecoyDelay}), so that a member refused without a
 * lookup neither shortens nor lengthens the answer. The audit keeps the truth: one event for the
 * request, one for each member released and one for each member left out, as a view refused would.
 */
public final class HouseholdView {

  static final String OPERATION = "$household";
  public static final String ACTION = "read-household-view";

  /** The audit action of another member's release (or refusal) within a household view. */
  public static final String MEMBER_ACTION = "read-household-member";

  /**
   * The most people (the person asked about included) a household view shows. A larger household is
   * a hostel, a care home or a house in multiple occupation: the view refuses rather than release
   * dozens of people as one person's family.
   */
  public static final int MAX_HOUSEHOLD = Household.MAX_RELEASED;

  static final String DATE = "date";

  /** The day a household is read on is a day in England, where the registers are kept. */
  static final ZoneId ENGLAND = ZoneId.of("Europe/London");

  private static final Pattern DAY = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");
  private static final String DAY_KEY = "placeshare.household.day";

  private final Vertx vertx;
  private final PersonRelease release;
  private final HouseholdRegister households;
  private final AuditLog audit;
  private final Metrics metrics;
  private final DecoyDelay decoy;
  private final Clock clock;

  HouseholdView(
      Vertx vertx,
      PersonRelease release,
      HouseholdRegister households,
      AuditLog audit,
      Metrics metrics,
      DecoyDelay decoy,
      Clock clock) {
    this.vertx = vertx;
    this.release = release;
    this.households = households;
    this.audit = audit;
    this.metrics = metrics;
    this.decoy = decoy;
    this.clock = clock;
  }

  /**
   * The household's parameters: only {@code date}, once, a day no later than today in England.
   * Strict, so that a caller's {@code _type} or {@code _since} is refused, not silently ignored.
   */
  static void parse(RoutingContext ctx, RequestState state) {
    for (String name : ctx.queryParams().names()) {
      if (!DATE.equals(name)) {
        throw new GatewayException(
            IssueType.NOTSUPPORTED, OPERATION + " takes one parameter only: date=YYYY-MM-DD");
      }
    }
    List<String> dates = ctx.queryParams().getAll(DATE);
    LocalDate today = state.started.atZone(ENGLAND).toLocalDate();
    if (dates.isEmpty()) {
      ctx.put(DAY_KEY, today);
      return;
    }
    if (dates.size() > 1 || !DAY.matcher(dates.get(0)).matches()) {
      throw badDay();
    }
    LocalDate day;
    try {
      day = LocalDate.parse(dates.get(0));
    } catch (DateTimeParseException e) {
      throw badDay();
    }
    if (day.isAfter(today)) {
      throw new GatewayException(
          IssueType.VALUE, "date: expected a day no later than today in England, " + today);
    }
    ctx.put(DAY_KEY, day);
  }

  private static GatewayException badDay() {
    return new GatewayException(IssueType.VALUE, "date: expected one day such as 2026-11-01");
  }

  /**
   * Releases the person (answered as their view would be when it is not released), reads their
   * household, refuses one over the cap, then releases each other member on their own.
   *
   * @param notReleased answers the person's own outcome when it is not a release, as the view does
   */
  void respond(
      RoutingContext ctx,
      RequestState state,
      ReleaseOptions options,
      Consumer<ReleaseOutcome> notReleased) {
    LocalDate day = ctx.get(DAY_KEY);
    Future<ReleaseOutcome> own = release.release(state.caller, state.patient, options);
    // Read beside the release: a read, no side effect, and nothing of it leaves unless they do.
    Future<Household> household = households.householdOf(state.patient, day, MAX_HOUSEHOLD + 1);
    Future.join(own, household)
        .onComplete(
            done -> {
              if (own.failed()) {
                ctx.fail(503, PersonViewHandler.unavailable(own.cause()));
              } else if (!(own.result() instanceof ReleaseOutcome.Released released)) {
                notReleased.accept(own.result());
              } else if (household.failed()) {
                state.decisions.addAll(released.trail().decisions());
                ctx.fail(
                    503,
                    new GatewayException(
                        IssueType.TRANSIENT,
                        "the household register is unavailable; nothing was released",
                        household.cause().getClass().getSimpleName()));
              } else {
                members(ctx, state, released, household.result());
              }
            });
  }

  private void members(
      RoutingContext ctx, RequestState state, ReleaseOutcome.Released own, Household household) {
    own.trail().lookups().forEach(l -> metrics.fetched(l.source(), l.result(), l.nanos()));
    if (household.members().size() + 1 > MAX_HOUSEHOLD) {
      // The register's count, not who may be shown: no member is looked up, nobody else released.
      state.decisions.addAll(own.trail().decisions());
      ctx.fail(
          422,
          new GatewayException(
              IssueType.TOOCOSTLY,
              "this household has more than "
                  + MAX_HOUSEHOLD
                  + " members (a hostel or a care home): a household view is refused; ask for"
                  + " each person's own view",
              "household on "
                  + household.day()
                  + " over the cap of "
                  + MAX_HOUSEHOLD
                  + "; the person's own view was not sent either"));
      return;
    }
    List<Future<Member>> each = new ArrayList<>();
    for (Household.Member m : household.members()) {
      ReleaseOptions.HouseholdMember occasion =
          new ReleaseOptions.HouseholdMember(
              state.requestId,
              MEMBER_ACTION,
              state.started,
              state.patient,
              household.day(),
              m.relationships());
      long asked = System.nanoTime();
      each.add(
          release
              .release(state.caller, m.person(), ReleaseOptions.householdMember(occasion))
              .map(o -> new Member(m.person(), occasion, Optional.of(o), System.nanoTime() - asked))
              // The gateway's own storage failed this member: left out like any other, audited.
              .otherwise(e -> new Member(m.person(), occasion, Optional.empty(), 0)));
    }
    // However many members were looked up, and whether any was refused without a lookup, the
    // members' part of the answer takes at least what one lookup typically does.
    Promise<Void> floor = Promise.promise();
    vertx.setTimer(Math.max(1, decoy.next().toMillis()), t -> floor.complete());
    Future.all(each)
        .compose(all -> floor.future().map(v -> all.<Member>list()))
        .onSuccess(members -> answer(ctx, state, own, household, members));
  }

  /** One other member's release, or empty when the gateway's own storage failed it. */
  private record Member(
      NhsNumber person,
      ReleaseOptions.HouseholdMember occasion,
      Optional<ReleaseOutcome> outcome,
      long nanos) {

    Optional<ReleaseOutcome.Released> released() {
      return outcome
          .filter(o -> o instanceof ReleaseOutcome.Released)
          .map(o -> (ReleaseOutcome.Released) o);
    }
  }

  private void answer(
      RoutingContext ctx,
      RequestState state,
      ReleaseOutcome.Released own,
      Household household,
      List<Member> members) {
    Instant now = clock.instant();
    List<AuditEvent> events = new ArrayList<>();
    List<ReleaseOutcome.Released> shown = new ArrayList<>();
    for (Member m : members) {
      m.outcome()
          .ifPresent(
              o -> {
                o.trail()
                    .lookups()
                    .forEach(l -> metrics.fetched(l.source(), l.result(), l.nanos()));
                if (!o.trail().concealed() && !o.trail().lookups().isEmpty()) {
                  decoy.observe(Duration.ofNanos(m.nanos()));
                }
              });
      Optional<ReleaseOutcome.Released> released = m.released();
      if (released.isPresent()) {
        shown.add(released.get());
        events.add(released.get().event());
      } else {
        events.add(leftOut(state, m, now));
      }
    }
    events.add(requestEvent(state, own, household, shown.size(), now));
    List<PersonView.Released> views = shown.stream().map(ReleaseOutcome.Released::view).toList();
    vertx
        .executeBlocking(
            () -> Fhir.encode(HouseholdBundle.assemble(own.view(), views, household.day(), now)),
            false)
        .compose(
            json ->
                Future.all(events.stream().map(audit::append).toList())
                    .recover(e -> Future.failedFuture(new AuditUnavailable(e)))
                    .map(all -> json))
        .onSuccess(
            json -> {
              countReleased(own);
              shown.forEach(this::countReleased);
              Outcomes.sendFhir(ctx.response().setStatusCode(200), json);
              // Learnt from the person's own view only: a member's fetch must not widen who may
              // see that member later.
              release.learnRelationships(state.patient, own);
            })
        .onFailure(e -> ctx.fail(e instanceof AuditUnavailable ? 503 : 500, e));
  }

  /** The request's own event: the person's release, and how many others were shown, when. */
  private static AuditEvent requestEvent(
      RequestState state,
      ReleaseOutcome.Released own,
      Household household,
      int shown,
      Instant now) {
    AuditEvent e = own.event();
    return new AuditEvent(
        e.eventId(),
        e.recordedAt(),
        e.requestId(),
        e.action(),
        e.outcome(),
        e.httpStatus(),
        e.patient(),
        e.caller(),
        e.emergencyReason(),
        e.relationshipClaim(),
        e.decisions(),
        e.released(),
        e.sourceProblems(),
        e.detail()
            + "; household on "
            + household.day()
            + ": "
            + shown
            + " of "
            + household.members().size()
            + " other members shown, each audited in this request",
        now.toEpochMilli() - state.started.toEpochMilli());
  }

  /**
   * A member left out: audited as their own view refused would be (the truth: the refusals, the
   * flag, the failure), with how they were seen, and never told to the caller.
   */
  private static AuditEvent leftOut(RequestState state, Member m, Instant now) {
    String note = PersonRelease.householdNote(m.occasion());
    AuditEvent.Outcome outcome;
    int status;
    String detail;
    List<AuditEvent.SourceDecision> decisions = List.of();
    List<String> problems = List.of();
    if (m.outcome().isEmpty()) {
      outcome = AuditEvent.Outcome.FAILED;
      status = 503;
      detail = "the patient register is unavailable";
    } else {
      ReleaseOutcome o = m.outcome().get();
      decisions = o.trail().decisions();
      if (o instanceof ReleaseOutcome.Refused refused) {
        outcome = AuditEvent.Outcome.REFUSED;
        status = 403;
        detail = refused.auditDetail();
      } else if (o instanceof ReleaseOutcome.Concealed concealed) {
        outcome = AuditEvent.Outcome.REFUSED;
        status = concealed.problems().isEmpty() ? 404 : 502;
        detail = concealed.auditDetail().orElse("a flag hid a source");
        problems = concealed.problems();
      } else if (o instanceof ReleaseOutcome.CapReached cap) {
        outcome = AuditEvent.Outcome.REFUSED;
        status = 403;
        detail = String.join("\n", cap.reasons());
      } else if (o instanceof ReleaseOutcome.Failed failed) {
        outcome = AuditEvent.Outcome.FAILED;
        status = 502;
        detail = "no permitted source that answered holds this person";
        problems = failed.problems();
      } else {
        outcome = AuditEvent.Outcome.FAILED;
        status = 404;
        detail = "no permitted source holds this person";
      }
    }
    return new AuditEvent(
        UUID.randomUUID(),
        now,
        state.requestId,
        MEMBER_ACTION,
        outcome,
        status,
        Optional.of(m.person()),
        Optional.ofNullable(state.caller),
        Optional.empty(),
        Optional.empty(),
        decisions,
        Map.of(),
        problems,
        detail + "; left out of the household view, " + note,
        0);
  }

  private void countReleased(ReleaseOutcome.Released released) {
    metrics.released(released.event());
    released.view().findings().forEach(f -> metrics.dataQuality(f.source(), f.field()));
  }
}
