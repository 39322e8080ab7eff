package org.placeshare.gateway.http.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.AuditAlerts;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditRecord;
import org.placeshare.gateway.audit.AuditRetention;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.audit.Witnessing;
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
 * person's accesses for a subject access request, alerts, and the export for offline verification;
 * {@link AuditReviewEndpoints} has the break-glass reviews. Every read is itself an audit event.
 */
public final class AuditEndpoints {

  static final Duration MAX_ALERT_WINDOW = Duration.ofDays(31);

  private final AuditSearch search;
  private final AuditLog audit;
  private final Pool pool;
  private final String gateway;
  private final PolicyStore policy;
  private final Optional<Witnessing> witnessing;
  private final Clock clock;

  public AuditEndpoints(
      AuditSearch search,
      AuditLog audit,
      Pool pool,
      String gateway,
      PolicyStore policy,
      Optional<Witnessing> witnessing,
      Clock clock) {
    this.search = search;
    this.audit = audit;
    this.pool = pool;
    this.gateway = gateway;
    this.policy = policy;
    this.witnessing = witnessing;
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
                    audit,
                    clock,
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
      filter = AuditFilters.filter(ctx, state);
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
                        audit,
                        clock,
                        ctx,
                        detail,
                        "text/csv; charset=utf-8",
                        AuditRecordViews.csv(found),
                        "attachment; filename=\"audit-events.csv\"");
                case "fhir" ->
                    respond(
                        audit,
                        clock,
                        ctx,
                        detail,
                        Fhir.JSON + "; charset=utf-8",
                        Fhir.encode(AuditFhir.bundle(found, gateway)),
                        null);
                default -> {
                  JsonArray list = new JsonArray();
                  found.forEach(r -> list.add(AuditRecordViews.json(r)));
                  JsonObject page = new JsonObject().put("events", list);
                  if (found.size() == filter.limit()) {
                    page.put("next", found.get(found.size() - 1).leafIndex());
                  }
                  respond(audit, clock, ctx, detail, "application/json", page.encode(), null);
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
        AuditSearch.Filter.patient(state.patient.toString(), "permitted", AuditFilters.MAX_EXPORT);
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
                JsonObject access =
                    new JsonObject()
                        .put("time", r.recordedAt().toString())
                        .put("organisation", r.organisation())
                        .put("role", r.userRole())
                        .put("purpose", r.purpose())
                        .put("agreements", new JsonArray(AuditRecordViews.agreements(r)))
                        .put("dataCategories", new JsonArray(AuditRecordViews.categories(released)))
                        .put("emergency", r.emergency());
                householdNote(r).ifPresent(note -> access.put("household", note));
                accesses.add(access);
              }
              respond(
                  audit,
                  clock,
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

  /**
   * For a person seen as part of someone else's household: through which request (the caller is the
   * access's organisation and role), on which day, as what kind of family, and all that in words.
   * The person asked about is not named: their NHS number is theirs, and the request's own event
   * holds it.
   */
  private static Optional<JsonObject> householdNote(AuditRecord r) {
    return HouseholdAccess.of(r)
        .map(
            h ->
                new JsonObject()
                    .put("request", h.request())
                    .put("seenAs", h.seenAs())
                    .put("words", h.words()));
  }

  public void alerts(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    Instant to;
    Instant from;
    try {
      to = AuditFilters.instant(ctx, "to").orElse(clock.instant());
      from = AuditFilters.instant(ctx, "from").orElse(to.minus(Duration.ofDays(7)));
      if (!from.isBefore(to) || Duration.between(from, to).compareTo(MAX_ALERT_WINDOW) > 0) {
        throw StrictJson.invalid("from, to: expected from before to, at most 31 days apart");
      }
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    AuditSearch.Filter window = AuditSearch.Filter.window(from, to, AuditFilters.MAX_EXPORT);
    search
        .events(window)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              JsonArray list = new JsonArray();
              for (AuditAlerts.Alert a : Witnessing.alerts(found, witnessing)) {
                list.add(
                    new JsonObject()
                        .put("kind", a.kind())
                        .put("who", a.who())
                        .put("description", a.description())
                        .put("events", new JsonArray(a.events())));
              }
              respond(
                  audit,
                  clock,
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
                  audit,
                  clock,
                  ctx,
                  "audit export: " + contents.leaves().size() + " events",
                  "application/jsonl; charset=utf-8",
                  out.toString(),
                  "attachment; filename=\"audit.jsonl\"");
            });
  }

  /** Audits the read, then answers; the audit reads of this package share it. */
  static void respond(
      AuditLog audit,
      Clock clock,
      RoutingContext ctx,
      String detail,
      String type,
      String body,
      String disposition) {
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
}
