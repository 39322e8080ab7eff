package org.placeshare.gateway.http.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.AuditAlerts;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditRecord;
import org.placeshare.gateway.audit.AuditRetention;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;

/**
 * The IG lead's audit API: search with filters and a cursor (JSON, CSV, or FHIR AuditEvents), a
 * person's accesses for a subject access request, the break-glass review queue, alerts, and the
 * export for offline verification. Every read is itself an audit event.
 */
public final class AuditEndpoints {

  static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;
  public static final int MAX_EXPORT = 100_000;
  static final Duration MAX_ALERT_WINDOW = Duration.ofDays(31);

  private static final Set<String> OUTCOMES = Set.of("permitted", "refused", "failed", "evaluated");

  private final AuditSearch search;
  private final AuditLog audit;
  private final Pool pool;
  private final String gateway;
  private final PolicyStore policy;
  private final Clock clock;

  public AuditEndpoints(
      AuditSearch search,
      AuditLog audit,
      Pool pool,
      String gateway,
      PolicyStore policy,
      Clock clock) {
    this.search = search;
    this.audit = audit;
    this.pool = pool;
    this.gateway = gateway;
    this.policy = policy;
    this.clock = clock;
  }

  /**
   * {@code POST /audit/retention} with {@code {"apply": false}}: the events past their agreements'
   * retention; with {@code true}, redacts them. Either way the operation is itself audited.
   */
  public void retention(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "audit-retention";
    boolean apply;
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        throw StrictJson.invalid("expected a JSON object, got nothing");
      }
      StrictJson.unknownKeys(body, Set.of("apply"), "");
      if (!(body.getValue("apply") instanceof Boolean b)) {
        throw StrictJson.invalid("apply: expected true or false");
      }
      apply = b;
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    } catch (RuntimeException e) {
      ctx.fail(400, StrictJson.invalid("expected a JSON object"));
      return;
    }
    var agreements = policy.current();
    new AuditRetention(pool)
        .run(
            clock.instant(),
            id -> agreements.find(id).map(a -> a.auditRetentionYears()).orElse(0),
            apply)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            due ->
                respond(
                    ctx,
                    (apply ? "retention applied: " : "retention checked: ")
                        + due.size()
                        + " events past retention"
                        + (apply ? " redacted" : "")
                        + (due.isEmpty()
                            ? ""
                            : ", log indices " + due.get(0) + " to " + due.get(due.size() - 1)),
                    "application/json",
                    new JsonObject()
                        .put("applied", apply)
                        .put("events", new JsonArray(due))
                        .encode(),
                    null));
  }

  public void events(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    AuditSearch.Filter filter;
    String format;
    try {
      filter = filter(ctx, state);
      format = Optional.ofNullable(ctx.request().getParam("format")).orElse("json");
      if (!Set.of("json", "csv", "fhir").contains(format)) {
        throw StrictJson.invalid("format: expected json, csv or fhir");
      }
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    String chosen = format;
    search
        .events(filter)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              String detail = "audit search: " + found.size() + " events (" + chosen + ")";
              switch (chosen) {
                case "csv" ->
                    respond(
                        ctx,
                        detail,
                        "text/csv; charset=utf-8",
                        csv(found),
                        "attachment; filename=\"audit-events.csv\"");
                case "fhir" ->
                    respond(
                        ctx,
                        detail,
                        Fhir.JSON + "; charset=utf-8",
                        Fhir.encode(AuditFhir.bundle(found, gateway)),
                        null);
                default -> {
                  JsonArray list = new JsonArray();
                  found.forEach(r -> list.add(json(r)));
                  JsonObject page = new JsonObject().put("events", list);
                  if (found.size() == filter.limit()) {
                    page.put("next", found.get(found.size() - 1).leafIndex());
                  }
                  respond(ctx, detail, "application/json", page.encode(), null);
                }
              }
            });
  }

  /** {@code GET /audit/patients/{nhs}/accesses}: who has seen this person's records. */
  public void accesses(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    try {
      state.patient = NhsNumber.parse(ctx.pathParam("nhs"));
    } catch (InvalidNhsNumberException e) {
      ctx.fail(400, new GatewayException(IssueType.VALUE, e.getMessage()));
      return;
    }
    AuditSearch.Filter filter =
        AuditSearch.Filter.patient(state.patient.toString(), "permitted", MAX_EXPORT);
    search
        .events(filter)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              JsonArray accesses = new JsonArray();
              for (AuditRecord r : found) {
                JsonObject released = r.detail().getJsonObject("released", new JsonObject());
                if (released.isEmpty() || r.detail().getInteger("releasedCount", 0) == 0) {
                  continue; // evaluations, consents and data-quality checks released nothing
                }
                accesses.add(
                    new JsonObject()
                        .put("time", r.recordedAt().toString())
                        .put("organisation", r.organisation())
                        .put("role", r.userRole())
                        .put("purpose", r.purpose())
                        .put("agreements", new JsonArray(agreements(r)))
                        .put("dataCategories", new JsonArray(categories(released)))
                        .put("emergency", r.emergency()));
              }
              respond(
                  ctx,
                  "subject access report: " + accesses.size() + " accesses",
                  "application/json",
                  new JsonObject()
                      .put("patient", state.patient.toString())
                      .put("accesses", accesses)
                      .encode(),
                  null);
            });
  }

  public void awaitingReview(RoutingContext ctx) {
    search
        .awaitingReview(MAX_LIMIT)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              JsonArray list = new JsonArray();
              found.forEach(r -> list.add(json(r)));
              respond(
                  ctx,
                  "emergency review queue: " + found.size() + " awaiting review",
                  "application/json",
                  new JsonObject().put("awaitingReview", list).encode(),
                  null);
            });
  }

  /** {@code POST /audit/reviews/{eventId}}: a review, appended as its own event. */
  public void review(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = AuditSearch.REVIEW_ACTION;
    UUID eventId;
    try {
      eventId = UUID.fromString(ctx.pathParam("eventId"));
    } catch (IllegalArgumentException e) {
      ctx.fail(400, StrictJson.invalid("eventId: expected an audit event id (a UUID)"));
      return;
    }
    String outcome;
    String comment;
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        throw StrictJson.invalid("expected a JSON object, got nothing");
      }
      StrictJson.unknownKeys(body, Set.of("outcome", "comment"), "");
      outcome = StrictJson.text(body, "outcome", true);
      if (!BreakGlassReviews.OUTCOMES.contains(outcome)) {
        throw StrictJson.invalid("outcome: expected appropriate, inappropriate or needs-follow-up");
      }
      comment = StrictJson.text(body, "comment", true, StrictJson.MAX_STATED_REASON);
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    } catch (RuntimeException e) {
      ctx.fail(400, StrictJson.invalid("expected a JSON object"));
      return;
    }
    BreakGlassReviews.oneAtATime(
            pool,
            eventId,
            () ->
                BreakGlassReviews.reviewable(search, eventId)
                    .compose(
                        event -> {
                          NhsNumber.tryParse(event.nhsNumber()).ifPresent(p -> state.patient = p);
                          var conflict = BreakGlassReviews.conflictOfInterest(event, state.caller);
                          if (conflict.isPresent()) {
                            return Future.failedFuture(conflict.get());
                          }
                          return audit.append(
                              state.event(
                                  clock.instant(),
                                  AuditEvent.Outcome.PERMITTED,
                                  201,
                                  Map.of(),
                                  List.of(),
                                  BreakGlassReviews.detail(eventId, outcome, comment)));
                        }))
        .onFailure(e -> BreakGlassReviews.fail(ctx, e))
        .onSuccess(
            index ->
                StrictJson.json(
                    ctx,
                    201,
                    new JsonObject()
                        .put("reviews", eventId.toString())
                        .put("outcome", outcome)
                        .put("index", index)));
  }

  /**
   * {@code GET /audit/reviews/{eventId}}: a break-glass event's review history, oldest first: who
   * reviewed it (user, client, organisation, role), when, the outcome and the comment.
   */
  public void reviewHistory(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "emergency-review-history";
    UUID eventId;
    try {
      eventId = UUID.fromString(ctx.pathParam("eventId"));
    } catch (IllegalArgumentException e) {
      ctx.fail(400, StrictJson.invalid("eventId: expected an audit event id (a UUID)"));
      return;
    }
    BreakGlassReviews.history(search, eventId)
        .onFailure(e -> BreakGlassReviews.fail(ctx, e))
        .onSuccess(
            history -> {
              NhsNumber.tryParse(history.event().nhsNumber()).ifPresent(p -> state.patient = p);
              respond(
                  ctx,
                  "review history of break-glass event "
                      + eventId
                      + ": "
                      + history.reviews().size()
                      + " reviews",
                  "application/json",
                  history.json().encode(),
                  null);
            });
  }

  public void alerts(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    Instant to;
    Instant from;
    try {
      to = instant(ctx, "to").orElse(clock.instant());
      from = instant(ctx, "from").orElse(to.minus(Duration.ofDays(7)));
      if (!from.isBefore(to) || Duration.between(from, to).compareTo(MAX_ALERT_WINDOW) > 0) {
        throw StrictJson.invalid("from, to: expected from before to, at most 31 days apart");
      }
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    AuditSearch.Filter window = AuditSearch.Filter.window(from, to, MAX_EXPORT);
    search
        .events(window)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              JsonArray list = new JsonArray();
              for (AuditAlerts.Alert a : AuditAlerts.find(found)) {
                list.add(
                    new JsonObject()
                        .put("kind", a.kind())
                        .put("who", a.who())
                        .put("description", a.description())
                        .put("events", new JsonArray(a.events())));
              }
              respond(
                  ctx,
                  "audit alerts from " + from + " to " + to + ": " + list.size(),
                  "application/json",
                  new JsonObject()
                      .put("from", from.toString())
                      .put("to", to.toString())
                      .put("alerts", list)
                      .encode(),
                  null);
            });
  }

  /** {@code GET /audit/export}: every event's leaf and every checkpoint, for offline checking. */
  public void export(RoutingContext ctx) {
    AuditExport.read(pool)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            contents -> {
              StringWriter out = new StringWriter();
              try {
                AuditExport.write(contents, out);
              } catch (IOException e) {
                ctx.fail(e);
                return;
              }
              respond(
                  ctx,
                  "audit export: " + contents.leaves().size() + " events",
                  "application/jsonl; charset=utf-8",
                  out.toString(),
                  "attachment; filename=\"audit.jsonl\"");
            });
  }

  /** Audits the read, then answers. */
  private void respond(
      RoutingContext ctx, String detail, String type, String body, String disposition) {
    AuditEvent event =
        RequestState.get(ctx)
            .event(clock.instant(), AuditEvent.Outcome.PERMITTED, 200, Map.of(), List.of(), detail);
    audit
        .append(event)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            index -> {
              var response = Outcomes.noStore(ctx.response()).putHeader("Content-Type", type);
              if (disposition != null) {
                response.putHeader("Content-Disposition", disposition);
              }
              response.end(body);
            });
  }

  private static AuditSearch.Filter filter(RoutingContext ctx, RequestState state) {
    return filter(ctx, state, DEFAULT_LIMIT);
  }

  /** The search filter from a request's parameters; a bad value is a GatewayException. */
  public static AuditSearch.Filter filter(
      RoutingContext ctx, RequestState state, int defaultLimit) {
    Optional<String> patient = param(ctx, "patient");
    if (patient.isPresent()) {
      try {
        state.patient = NhsNumber.parse(patient.get());
        patient = Optional.of(state.patient.toString());
      } catch (InvalidNhsNumberException e) {
        throw new GatewayException(IssueType.VALUE, "patient: " + e.getMessage());
      }
    }
    Optional<String> outcome = param(ctx, "decision");
    if (outcome.isPresent() && !OUTCOMES.contains(outcome.get())) {
      throw StrictJson.invalid("decision: expected permitted, refused, failed or evaluated");
    }
    Optional<Boolean> emergency =
        param(ctx, "emergency")
            .filter(v -> !v.isEmpty())
            .map(
                v -> {
                  if (!v.equals("true") && !v.equals("false")) {
                    throw StrictJson.invalid("emergency: expected true or false");
                  }
                  return Boolean.valueOf(v);
                });
    int limit = (int) number(ctx, "limit").orElse(defaultLimit);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw StrictJson.invalid("limit: expected 1 to " + MAX_LIMIT);
    }
    return new AuditSearch.Filter(
        patient,
        param(ctx, "action"),
        param(ctx, "request"),
        param(ctx, "organisation"),
        param(ctx, "user"),
        param(ctx, "agreement"),
        param(ctx, "purpose"),
        outcome,
        emergency,
        instant(ctx, "from"),
        instant(ctx, "to"),
        number(ctx, "before").stream().boxed().findFirst(),
        limit);
  }

  /** A filter value: 1 to 128 plain characters; anything else is refused, never searched for. */
  private static Optional<String> param(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    if (!value.matches("[A-Za-z0-9 ._@:-]{1,128}")) {
      throw StrictJson.invalid(name + ": expected 1 to 128 letters, digits, spaces or ._@:-");
    }
    return Optional.of(value);
  }

  private static OptionalLong number(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(value));
    } catch (NumberFormatException e) {
      throw StrictJson.invalid(name + ": expected a whole number");
    }
  }

  private static Optional<Instant> instant(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(value).toInstant());
    } catch (DateTimeParseException e) {
      throw StrictJson.invalid(name + ": expected an instant such as 2026-11-22T10:00:00Z");
    }
  }

  static JsonObject json(AuditRecord r) {
    return new JsonObject()
        .put("index", r.leafIndex())
        .put("eventId", r.eventId())
        .put("recordedAt", r.recordedAt().toString())
        .put("requestId", r.requestId())
        .put("action", r.action())
        .put("outcome", r.outcome())
        .put("httpStatus", r.httpStatus())
        .put("patient", r.nhsNumber())
        .put("organisation", r.organisation())
        .put("client", r.clientId())
        .put("user", r.userId())
        .put("role", r.userRole())
        .put("purpose", r.purpose())
        .put("emergency", r.emergency())
        .put("detail", r.detail());
  }

  public static List<String> agreements(AuditRecord r) {
    Set<String> out = new LinkedHashSet<>();
    for (Object d : r.detail().getJsonArray("decisions", new JsonArray())) {
      if (d instanceof JsonObject decision && decision.getString("agreement") != null) {
        out.add(decision.getString("agreement"));
      }
    }
    return new ArrayList<>(out);
  }

  public static List<String> categories(JsonObject released) {
    Set<String> types = new TreeSet<>();
    for (String source : released.fieldNames()) {
      for (Object ref : released.getJsonArray(source)) {
        String s = String.valueOf(ref);
        types.add(s.contains("/") ? s.substring(0, s.indexOf('/')) : s);
      }
    }
    return new ArrayList<>(types);
  }

  static final List<String> CSV_COLUMNS =
      List.of(
          "index",
          "recordedAt",
          "action",
          "outcome",
          "httpStatus",
          "nhsNumber",
          "organisation",
          "client",
          "user",
          "role",
          "purpose",
          "emergency",
          "agreements",
          "refusals",
          "releasedCount",
          "emergencyReason",
          "detail");

  public static String csv(List<AuditRecord> records) {
    StringBuilder out = new StringBuilder(String.join(",", CSV_COLUMNS)).append("\r\n");
    for (AuditRecord r : records) {
      Set<String> refusals = new TreeSet<>();
      for (Object d : r.detail().getJsonArray("decisions", new JsonArray())) {
        if (d instanceof JsonObject decision) {
          decision
              .getJsonArray("refusals", new JsonArray())
              .forEach(x -> refusals.add(String.valueOf(x)));
        }
      }
      List<Object> cells =
          List.of(
              r.leafIndex(),
              r.recordedAt().toString(),
              r.action(),
              r.outcome(),
              r.httpStatus(),
              String.valueOf(r.nhsNumber()),
              String.valueOf(r.organisation()),
              String.valueOf(r.clientId()),
              String.valueOf(r.userId()),
              String.valueOf(r.userRole()),
              String.valueOf(r.purpose()),
              r.emergency(),
              String.join(";", agreements(r)),
              String.join(";", refusals),
              r.detail().getInteger("releasedCount", 0),
              String.valueOf(r.detail().getString("emergencyReason", "")),
              String.valueOf(r.detail().getString("detail", "")));
      List<String> escaped = new ArrayList<>();
      cells.forEach(c -> escaped.add(cell(c.toString().equals("null") ? "" : c.toString())));
      out.append(String.join(",", escaped)).append("\r\n");
    }
    return out.toString();
  }

  /**
   * One CSV cell, quoted; a leading = + - @ is defused so a spreadsheet never runs it as a formula
   * (a stated reason is free text from a caller).
   */
  static String cell(String value) {
    String v = value;
    if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0) {
      v = "'" + v;
    }
    return "\"" + v.replace("\"", "\"\"") + "\"";
  }
}
