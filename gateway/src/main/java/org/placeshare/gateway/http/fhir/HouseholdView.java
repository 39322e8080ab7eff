package org.placeshare.gateway.http.fhir;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Period;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.HouseholdBundle;
import org.placeshare.fhir.PersonView;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.SentDigest;
import org.placeshare.gateway.household.Household;
import org.placeshare.gateway.household.HouseholdRegister;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.FhirFormat;
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

  /**
   * The most people the register may hold in one household for a view to be considered at all (a
   * hostel holds more): above it the view is refused without deciding anyone, saying only that this
   * many people are registered there. Also bounds the members decided for {@link #MAX_HOUSEHOLD}.
   */
  public static final int MAX_REGISTERED = 50;

  static final String DATE = "date";

  /**
   * How far back a household may be asked for: a household on any day since 1970 would let a caller
   * walk a person's whole address history, one day at a time. Further back is a 400.
   */
  public static final Period MAX_HISTORY = Period.ofYears(3);

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
   * The household's parameters: only {@code date}, once, a day no later than today in England and
   * no earlier than {@link #MAX_HISTORY} before it. Strict, so that a caller's {@code _type} or
   * {@code _since} is refused, not silently ignored.
   */
  static void parse(RoutingContext ctx, RequestState state) {
    for (String name : ctx.queryParams().names()) {
      // _format chooses the answer's format (FhirFormat), not the household.
      if (!DATE.equals(name) && !"_format".equals(name)) {
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
    LocalDate earliest = today.minus(MAX_HISTORY);
    if (day.isBefore(earliest)) {
      throw new GatewayException(
          IssueType.VALUE,
          "date: expected a day no more than "
              + MAX_HISTORY.getYears()
              + " years ago, "
              + earliest
              + " or later");
    }
    ctx.put(DAY_KEY, day);
  }

  private static GatewayException badDay() {
    return new GatewayException(IssueType.VALUE, "date: expected one day such as 2026-11-01");
  }

  /**
   * Decides the person and reads their household first; for a caller who may see the person,
   * refuses a household over either cap (nobody looked up, nothing released or counted against a
   * pilot's daily volume), then releases the person and each other member on their own. A caller
   * who may not see the person gets the person's refusal as their view answers it, nothing else.
   *
   * @param notReleased answers the person's own outcome when it is not a release, as the view does
   */
  void respond(
      RoutingContext ctx,
      RequestState state,
      ReleaseOptions options,
      Consumer<ReleaseOutcome> notReleased) {
    LocalDate day = ctx.get(DAY_KEY);
    Future<PersonRelease.Permission> may = release.permission(state.caller, state.patient, options);
    // Read beside the decision: a read, no side effect, and nothing of it leaves unless they do.
    Future<Household> household = households.householdOf(state.patient, day, MAX_REGISTERED + 1);
    Future.join(may, household)
        .onComplete(
            done -> {
              if (may.failed()) {
                ctx.fail(503, PersonViewHandler.unavailable(may.cause()));
              } else if (!may.result().permitted()) {
                // Refused: released (so refused) as the view would be, which answers it.
                own(ctx, state, options, notReleased, household, Optional.empty());
              } else if (household.failed()) {
                state.decisions.addAll(may.result().decisions());
                registerUnavailable(ctx, household.cause());
              } else {
                capped(state, household.result(), may.result().agreements())
                    .onComplete(
                        cap -> {
                          if (cap.failed()) {
                            ctx.fail(503, PersonViewHandler.unavailable(cap.cause()));
                          } else if (cap.result().isPresent()) {
                            state.decisions.addAll(may.result().decisions());
                            ctx.fail(422, cap.result().get());
                          } else {
                            own(
                                ctx,
                                state,
                                options,
                                notReleased,
                                household,
                                Optional.of(may.result().agreements()));
                          }
                        });
              }
            });
  }

  /**
   * The person's own release, then (when released) the other members'.
   *
   * @param capsChecked every agreement that permits the person, once the caps were checked under
   *     them: the members are released under these only
   */
  private void own(
      RoutingContext ctx,
      RequestState state,
      ReleaseOptions options,
      Consumer<ReleaseOutcome> notReleased,
      Future<Household> household,
      Optional<Set<String>> capsChecked) {
    release
        .release(state.caller, state.patient, options)
        .onComplete(
            own -> {
              if (own.failed()) {
                ctx.fail(503, PersonViewHandler.unavailable(own.cause()));
              } else if (!(own.result() instanceof ReleaseOutcome.Released released)) {
                notReleased.accept(own.result());
              } else if (household.failed()) {
                state.decisions.addAll(released.trail().decisions());
                registerUnavailable(ctx, household.cause());
              } else if (capsChecked.isPresent()) {
                members(ctx, state, released, household.result(), capsChecked.get());
              } else {
                // Permitted after all (the agreements were reloaded meanwhile): the caps still
                // hold, and the members are released only under what permits the person now.
                release
                    .permission(state.caller, state.patient, options)
                    .compose(
                        may ->
                            capped(state, household.result(), may.agreements())
                                .map(cap -> Map.entry(may.agreements(), cap)))
                    .onComplete(
                        cap -> {
                          if (cap.failed()) {
                            ctx.fail(503, PersonViewHandler.unavailable(cap.cause()));
                          } else if (cap.result().getValue().isPresent()) {
                            state.decisions.addAll(released.trail().decisions());
                            ctx.fail(422, cap.result().getValue().get());
                          } else {
                            members(
                                ctx, state, released, household.result(), cap.result().getKey());
                          }
                        });
              }
            });
  }

  private static void registerUnavailable(RoutingContext ctx, Throwable cause) {
    ctx.fail(
        503,
        new GatewayException(
            IssueType.TRANSIENT,
            "the household register is unavailable; nothing was released",
            cause.getClass().getSimpleName()));
  }

  /**
   * Why the household may not be viewed, if it may not: more people registered in it than {@link
   * #MAX_REGISTERED} (refused without deciding anyone), or more people the caller may see than
   * {@link #MAX_HOUSEHOLD}, each member decided as their release would be (no source asked). A
   * member who may not be shown is not counted, so they change the answer no more than a non-member
   * does.
   */
  private Future<Optional<GatewayException>> capped(
      RequestState state, Household household, Set<String> agreements) {
    if (household.members().size() > MAX_REGISTERED) {
      return Future.succeededFuture(
          Optional.of(
              new GatewayException(
                  IssueType.TOOCOSTLY,
                  "more than "
                      + MAX_REGISTERED
                      + " people are registered in this household (a hostel or a care home): a"
                      + " household view is refused; ask for each person's own view",
                  "household on "
                      + household.day()
                      + " over the register's limit of "
                      + MAX_REGISTERED
                      + "; nobody was looked up or released")));
    }
    List<Future<Boolean>> each = new ArrayList<>();
    for (Household.Member m : household.members()) {
      each.add(
          release
              .permission(
                  state.caller,
                  m.person(),
                  ReleaseOptions.householdMember(occasion(state, household, m, agreements)))
              .map(PersonRelease.Permission::permitted));
    }
    return Future.all(each)
        .map(
            all -> {
              long visible = all.<Boolean>list().stream().filter(b -> b).count();
              if (visible + 1 <= MAX_HOUSEHOLD) {
                return Optional.<GatewayException>empty();
              }
              return Optional.of(
                  new GatewayException(
                      IssueType.TOOCOSTLY,
                      "this household has more than "
                          + MAX_HOUSEHOLD
                          + " members (a hostel or a care home): a household view is refused;"
                          + " ask for each person's own view",
                      "household on "
                          + household.day()
                          + " over the cap of "
                          + MAX_HOUSEHOLD
                          + " members the caller may see; nobody was looked up or released"));
            });
  }

  private static ReleaseOptions.HouseholdMember occasion(
      RequestState state, Household household, Household.Member m, Set<String> agreements) {
    return new ReleaseOptions.HouseholdMember(
        state.requestId,
        MEMBER_ACTION,
        state.started,
        state.patient,
        household.day(),
        m.relationships(),
        agreements);
  }

  /**
   * Each other member released on their own as family, under one of {@code agreements} (every
   * agreement that permits the person asked about) or none.
   */
  private void members(
      RoutingContext ctx,
      RequestState state,
      ReleaseOutcome.Released own,
      Household household,
      Set<String> agreements) {
    own.trail().lookups().forEach(l -> metrics.fetched(l.source(), l.result(), l.nanos()));
    List<Future<Member>> each = new ArrayList<>();
    for (Household.Member m : household.members()) {
      ReleaseOptions.HouseholdMember occasion = occasion(state, household, m, agreements);
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
    AuditEvent request = requestEvent(state, own, household, shown.size(), now);
    List<PersonView.Released> views = shown.stream().map(ReleaseOutcome.Released::view).toList();
    FhirFormat format = FhirFormat.of(ctx);
    vertx
        .executeBlocking(
            () ->
                format.encodeRelease(
                    HouseholdBundle.assemble(own.view(), views, household.day(), now)),
            false)
        .compose(
            json -> {
              // The request's own event binds the household Bundle exactly as it is sent.
              List<AuditEvent> all = new ArrayList<>(events);
              all.add(request.withSent(SentDigest.of(json, FhirFormat.contentType(ctx))));
              return Future.all(all.stream().map(state::stamped).map(audit::append).toList())
                  .recover(e -> Future.failedFuture(new AuditUnavailable(e)))
                  .map(appended -> json);
            })
        .onSuccess(
            json -> {
              countReleased(own);
              shown.forEach(this::countReleased);
              Outcomes.sendEncoded(ctx, 200, json);
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
