package org.placeshare.gateway.http.console;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditRecord;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.audit.BreakGlassReviews;
import org.placeshare.gateway.http.audit.AuditFilters;
import org.placeshare.gateway.http.audit.AuditRecordViews;
import org.placeshare.gateway.http.audit.HouseholdAccess;
import org.placeshare.gateway.http.audit.ReviewFailures;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.fhir.HouseholdView;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;

/**
 * The console's reading of the audit log: the search with its CSV export, one event in full, and
 * who has seen one person's records. Each handler gathers the records into a page's view model; the
 * template writes the HTML.
 */
public final class ConsoleAuditPages {

  /** Events on one page of the search. */
  static final int PAGE = 25;

  /** The search's text filters, in the order of the form: parameter and label. */
  private static final List<List<String>> FILTERS =
      List.of(
          List.of("patient", "NHS number"),
          List.of("organisation", "Organisation (ODS code)"),
          List.of("user", "User"),
          List.of("agreement", "Agreement id"),
          List.of("purpose", "Purpose of use"),
          List.of("action", "Action (e.g. read-household-view)"),
          List.of("request", "Request or bulk job id"),
          List.of("from", "From (e.g. 2026-11-01T00:00:00Z)"),
          List.of("to", "To"));

  /**
   * The most events one household view's request holds: its own and one per other member, whom the
   * view caps.
   */
  static final int HOUSEHOLD_EVENTS = HouseholdView.MAX_HOUSEHOLD;

  private static final String PERMITTED = "permitted";

  /** The id of the list of actions the action filter offers (the datalist in audit.jte). */
  private static final String ACTIONS = "actions";

  private final Console console;
  private final AuditSearch search;

  public ConsoleAuditPages(Console console, AuditSearch search) {
    this.console = console;
    this.search = search;
  }

  public void search(RoutingContext ctx) {
    AuditSearch.Filter filter;
    try {
      filter = AuditFilters.filter(ctx, RequestState.get(ctx), PAGE);
    } catch (GatewayException e) {
      console.show(
          ctx,
          searchPage(ctx, Optional.of(e.getMessage()), Optional.empty()),
          "console search refused: " + e.getMessage());
      return;
    }
    search
        .events(filter)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              List<AuditSearchPage.Row> rows = new ArrayList<>();
              for (AuditRecord r : found) {
                rows.add(
                    new AuditSearchPage.Row(
                        text(r.recordedAt()),
                        AuditActions.shown(r.action()),
                        r.outcome() + (r.emergency() ? " (emergency)" : ""),
                        r.nhsNumber(),
                        r.organisation(),
                        r.userId(),
                        r.purpose(),
                        "/console/events/" + r.eventId()));
              }
              String query = ctx.request().query() == null ? "" : ctx.request().query();
              Optional<String> older = Optional.empty();
              if (found.size() == PAGE) {
                String rest = query.replaceAll("(^|&)before=[^&]*", "");
                older =
                    Optional.of(
                        "/console/audit?"
                            + rest
                            + (rest.isEmpty() ? "" : "&")
                            + "before="
                            + found.get(found.size() - 1).leafIndex());
              }
              AuditSearchPage.Results results =
                  new AuditSearchPage.Results(rows, "/console/audit.csv?" + query, older);
              console.show(
                  ctx,
                  searchPage(ctx, Optional.empty(), Optional.of(results)),
                  "console audit search: " + found.size() + " events");
            });
  }

  /** The search form filled in as the request asked, so a refused value shows as it came. */
  private static AuditSearchPage searchPage(
      RoutingContext ctx, Optional<String> message, Optional<AuditSearchPage.Results> results) {
    List<AuditSearchPage.Field> fields = new ArrayList<>();
    for (List<String> f : FILTERS) {
      String value = ctx.request().getParam(f.get(0));
      fields.add(
          new AuditSearchPage.Field(
              f.get(0),
              f.get(1),
              value == null ? "" : value,
              f.get(0).equals("action") ? ACTIONS : ""));
    }
    String action = ctx.request().getParam("action");
    List<AuditSearchPage.Choice> actions = new ArrayList<>();
    AuditActions.choices()
        .forEach(
            (name, words) ->
                actions.add(new AuditSearchPage.Choice(name, words, name.equals(action))));
    String decision = ctx.request().getParam("decision");
    List<AuditSearchPage.Choice> decisions = new ArrayList<>();
    for (String d : List.of("", "permitted", "refused", "failed", "evaluated")) {
      decisions.add(new AuditSearchPage.Choice(d, d.isEmpty() ? "any" : d, d.equals(decision)));
    }
    String emergency = ctx.request().getParam("emergency");
    List<AuditSearchPage.Choice> emergencies =
        List.of(
            new AuditSearchPage.Choice("", "any", "".equals(emergency)),
            new AuditSearchPage.Choice("true", "break-glass only", "true".equals(emergency)),
            new AuditSearchPage.Choice("false", "not break-glass", "false".equals(emergency)));
    return new AuditSearchPage(
        Console.chrome(ctx, "Audit search"),
        message,
        fields,
        actions,
        decisions,
        emergencies,
        results);
  }

  public void csv(RoutingContext ctx) {
    AuditSearch.Filter filter;
    try {
      filter = AuditFilters.filter(ctx, RequestState.get(ctx), AuditFilters.MAX_LIMIT);
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    search
        .events(filter)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found ->
                console
                    .audited(ctx, "console CSV export: " + found.size() + " events")
                    .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
                    .onSuccess(
                        v -> {
                          ctx.response()
                              .putHeader(
                                  "Content-Disposition",
                                  "attachment; filename=\"audit-events.csv\"");
                          Console.send(
                              ctx, 200, "text/csv; charset=utf-8", AuditRecordViews.csv(found));
                        }));
  }

  public void event(RoutingContext ctx) {
    UUID id;
    try {
      id = UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      ctx.fail(404, new GatewayException(IssueType.NOTFOUND, "no such event"));
      return;
    }
    search
        .event(id)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              if (found.isEmpty()) {
                ctx.fail(404, new GatewayException(IssueType.NOTFOUND, "no such event"));
                return;
              }
              AuditRecord r = found.get();
              household(r)
                  .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
                  .onSuccess(household -> event(ctx, r, household));
            });
  }

  /** The event's page, with its reviews when it is a break-glass access. */
  private void event(RoutingContext ctx, AuditRecord r, Optional<EventPage.Household> household) {
    if (!r.emergency()) {
      console.show(
          ctx, eventPage(ctx, r, household, Optional.empty()), "console event " + r.eventId());
      return;
    }
    BreakGlassReviews.history(search, UUID.fromString(r.eventId()))
        .onFailure(e -> ReviewFailures.fail(ctx, e))
        .onSuccess(
            history ->
                console.show(
                    ctx,
                    eventPage(ctx, r, household, Optional.of(reviews(history))),
                    "console event " + r.eventId()));
  }

  /**
   * For a household view's event, its request's other events: the members' for the request, the
   * request's for a member. Empty for any other event.
   */
  private Future<Optional<EventPage.Household>> household(AuditRecord r) {
    boolean request = HouseholdView.ACTION.equals(r.action());
    if ((!request && !HouseholdView.MEMBER_ACTION.equals(r.action())) || r.requestId() == null) {
      return Future.succeededFuture(Optional.empty());
    }
    return search
        .events(
            new AuditSearch.Filter(
                Optional.empty(),
                Optional.of(request ? HouseholdView.MEMBER_ACTION : HouseholdView.ACTION),
                Optional.of(r.requestId()),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                HOUSEHOLD_EVENTS))
        .map(others -> Optional.of(request ? members(r, others) : request(r, others)));
  }

  /** A household view's members: how many were shown of how many, a link to each one's event. */
  private static EventPage.Household members(AuditRecord view, List<AuditRecord> members) {
    if (members.isEmpty() && !PERMITTED.equals(view.outcome())) {
      return new EventPage.Household(
          "Refused (HTTP "
              + view.httpStatus()
              + "): no other member of the household was looked up or shown.",
          List.of());
    }
    List<EventPage.Link> links = new ArrayList<>();
    long shown = members.stream().filter(m -> PERMITTED.equals(m.outcome())).count();
    // Those shown, then those left out, each oldest first.
    List<AuditRecord> ordered = new ArrayList<>(members);
    Collections.reverse(ordered);
    for (boolean released : List.of(true, false)) {
      for (AuditRecord m : ordered) {
        if (PERMITTED.equals(m.outcome()) == released) {
          links.add(
              new EventPage.Link(
                  (released ? "Shown: " : "Left out (" + m.outcome() + ", not told): ")
                      + m.nhsNumber(),
                  "/console/events/" + m.eventId()));
        }
      }
    }
    return new EventPage.Household(
        shown
            + " of "
            + members.size()
            + " other members shown; each member's own event of this request:",
        links);
  }

  /** A member's household view: how they were seen, and a link to the request's own event. */
  private static EventPage.Household request(AuditRecord member, List<AuditRecord> requests) {
    HouseholdAccess access = HouseholdAccess.of(member).orElseThrow();
    String summary =
        PERMITTED.equals(member.outcome())
            ? "This person was " + access.words() + "."
            : "This person was left out of a household viewed in request "
                + access.request()
                + ": not shown to the caller, and nothing of them was told.";
    List<EventPage.Link> links = new ArrayList<>();
    for (AuditRecord r : requests) {
      links.add(
          new EventPage.Link(
              "The household view of request " + r.requestId() + " (the person asked about)",
              "/console/events/" + r.eventId()));
    }
    return new EventPage.Household(summary, links);
  }

  private static EventPage eventPage(
      RoutingContext ctx,
      AuditRecord r,
      Optional<EventPage.Household> household,
      Optional<List<EventPage.Review>> reviews) {
    JsonObject detail = r.detail();
    List<EventPage.Fact> facts =
        List.of(
            fact("Time", r.recordedAt()),
            fact("Action", AuditActions.shown(r.action())),
            fact("Outcome", r.outcome() + " (HTTP " + r.httpStatus() + ")"),
            fact("NHS number", r.nhsNumber()),
            fact("Organisation", r.organisation()),
            fact("Client", r.clientId()),
            fact("User and role", r.userId() + " (" + r.userRole() + ")"),
            fact("Purpose of use", r.purpose()),
            fact("Emergency reason", detail.getString("emergencyReason")),
            fact("What happened", detail.getString("detail")),
            fact("Request id", r.requestId()));
    // A bulk job's events share its id: the job's summary and one per person.
    Optional<String> request =
        Optional.ofNullable(r.requestId())
            .map(id -> "/console/audit?request=" + URLEncoder.encode(id, StandardCharsets.UTF_8));
    List<EventPage.SourceDecision> decisions = new ArrayList<>();
    for (Object d : detail.getJsonArray("decisions", new JsonArray())) {
      if (d instanceof JsonObject decision) {
        List<String> reasons = new ArrayList<>();
        decision.getJsonArray("reasons", new JsonArray()).forEach(x -> reasons.add(text(x)));
        String agreement = decision.getString("agreement");
        decisions.add(
            new EventPage.SourceDecision(
                decision.getString("source")
                    + ": "
                    + decision.getString("effect")
                    + (agreement == null ? "" : " under " + agreement),
                reasons));
      }
    }
    JsonObject released = detail.getJsonObject("released", new JsonObject());
    List<String> releasedLines = new ArrayList<>();
    for (String source : released.fieldNames()) {
      releasedLines.add(source + ": " + released.getJsonArray(source).size() + " records");
    }
    return new EventPage(
        Console.chrome(ctx, "Audit event"),
        r.leafIndex(),
        facts,
        request,
        decisions,
        releasedLines,
        household,
        reviews);
  }

  private static EventPage.Fact fact(String label, Object value) {
    return new EventPage.Fact(label, value == null ? "none" : value.toString());
  }

  /** A break-glass event's reviews: who, of which organisation, when, the outcome and comment. */
  private static List<EventPage.Review> reviews(BreakGlassReviews.History history) {
    List<EventPage.Review> out = new ArrayList<>();
    for (BreakGlassReviews.Review v : history.reviews()) {
      out.add(
          new EventPage.Review(
              text(v.reviewedAt()),
              v.user() + " (" + v.client() + ", " + v.organisation() + ")",
              v.outcome(),
              v.comment(),
              v.index()));
    }
    return out;
  }

  public void accesses(RoutingContext ctx) {
    String nhs = ctx.request().getParam("nhs");
    if (nhs == null) {
      console.show(ctx, accessesPage(ctx, "", null, null), "console accesses form");
      return;
    }
    NhsNumber patient;
    try {
      patient = NhsNumber.parse(nhs);
    } catch (InvalidNhsNumberException e) {
      console.show(
          ctx,
          accessesPage(ctx, nhs, "That is not a valid NHS number: " + e.getMessage(), null),
          "console accesses: invalid NHS number");
      return;
    }
    RequestState.get(ctx).patient = patient;
    search
        .events(
            AuditSearch.Filter.patient(patient.toString(), "permitted", AuditFilters.MAX_EXPORT))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              List<AccessesPage.Access> accesses = new ArrayList<>();
              for (AuditRecord r : found) {
                if (r.detail().getInteger("releasedCount", 0) == 0) {
                  continue;
                }
                accesses.add(
                    new AccessesPage.Access(
                        text(r.recordedAt()),
                        r.organisation(),
                        r.userRole(),
                        r.purpose(),
                        String.join(", ", AuditRecordViews.agreements(r)),
                        String.join(
                            ", ",
                            AuditRecordViews.categories(
                                r.detail().getJsonObject("released", new JsonObject()))),
                        r.emergency() ? "yes" : "no",
                        HouseholdAccess.of(r).map(HouseholdAccess::words).orElse("")));
              }
              console.show(
                  ctx,
                  accessesPage(
                      ctx, nhs, null, new AccessesPage.Report(patient.formatted(), accesses)),
                  "console subject access report: " + accesses.size() + " accesses");
            });
  }

  private static AccessesPage accessesPage(
      RoutingContext ctx, String nhs, String message, AccessesPage.Report report) {
    return new AccessesPage(
        Console.chrome(ctx, "Who has seen this record"),
        nhs,
        Optional.ofNullable(message),
        Optional.ofNullable(report));
  }

  /** A value as the page shows it: its text, or nothing when it has none. */
  static String text(Object value) {
    return Objects.toString(value, "");
  }
}
