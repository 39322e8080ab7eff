package org.placeshare.gateway.http.linkage;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.RecordSource;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.FhirFailureHandler;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.gateway.http.oauth.IgLead;
import org.placeshare.gateway.linkage.LinkageEvents;
import org.placeshare.gateway.linkage.LinkageRefused;
import org.placeshare.gateway.linkage.LinkageRegister;
import org.placeshare.gateway.linkage.LinkageSync;
import org.placeshare.gateway.linkage.RegisteredLink;
import org.placeshare.gateway.linkage.Review;
import org.placeshare.gateway.linkage.Steward;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.ClientRegistrations;

/**
 * The data steward's API over the linkage register: where each traced source stands, a sync on
 * demand, the review queue and its decisions, the links and their undoing. A steward sees and acts
 * on its own organisation's sources only; another's review or link is a 404, as one that does not
 * exist is. Every request is an audit event; decisions and undos are audited before they commit. A
 * steward is shown no NHS number: review candidates by their handle, links without the person (an
 * IG lead reading links sees them). The register keeps the numbers.
 */
public final class LinkageEndpoints {

  static final String READ_ACTION = "linkage-read";

  /** A candidate's handle is its place in a review's short list. */
  static final int MAX_HANDLE_LENGTH = 8;

  /** A decision or an undo is a line of JSON. */
  static final int MAX_BODY_BYTES = 4 * 1024;

  /** A source id, as {@link org.placeshare.fhir.SourceDescriptor} allows one. */
  private static final Pattern SOURCE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private final LinkageSync sync;
  private final LinkageRegister register;
  private final DataSteward stewards;
  private final AuditLog audit;
  private final Clock clock;

  public LinkageEndpoints(
      LinkageSync sync,
      List<RecordSource> sources,
      ClientRegistrations registrations,
      IgLead igLead,
      AuditLog audit,
      Clock clock) {
    this.sync = sync;
    this.register = sync.register();
    this.stewards =
        new DataSteward(
            registrations,
            igLead,
            sources.stream().map(RecordSource::descriptor).toList(),
            sync.rosters());
    this.audit = audit;
    this.clock = clock;
  }

  /** The routes, behind authentication and the steward (or IG lead) check. */
  public void mount(
      Router router, Handler<RoutingContext> authentication, FhirFailureHandler failures) {
    router
        .route("/linkage/*")
        .handler(
            ctx -> {
              RequestState.begin(ctx, clock.instant(), READ_ACTION);
              ctx.next();
            });
    router.route("/linkage/*").handler(authentication);
    router.route("/linkage/*").handler(stewards::require);
    router.get("/linkage/sources").handler(this::sources);
    router.post("/linkage/sources/:id/sync").handler(this::syncNow);
    router.get("/linkage/reviews").handler(this::reviews);
    router
        .post("/linkage/reviews/:id")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        .handler(this::decide);
    router.get("/linkage/links").handler(this::links);
    router
        .post("/linkage/links/:source/:localId/undo")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        .handler(this::undo);
    router.route("/linkage/*").failureHandler(failures::handle);
  }

  /** {@code GET /linkage/sources}: per readable source, links, reviews, untraced, last sync. */
  void sources(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    try {
      onlyParams(ctx, Set.of());
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    List<String> readable = stewards.traced(stewards.readable(state.caller));
    register
        .summaries(readable)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              JsonArray list = new JsonArray();
              found.forEach(s -> list.add(s.json()));
              respond(
                  ctx,
                  200,
                  "linkage sources listed: " + String.join(", ", readable),
                  new JsonObject().put("sources", list));
            });
  }

  /** {@code POST /linkage/sources/{id}/sync}: starts a sync now; 202, or 409 while one runs. */
  void syncNow(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "linkage-sync";
    String source;
    try {
      source = sourceId(ctx.pathParam("id"), "id");
      if (!stewards.decidable(state.caller).contains(source)) {
        throw notFound("no traced source with that id", "sync of " + source + " not the steward's");
      }
    } catch (GatewayException e) {
      ctx.fail(e.status() > 0 ? e.status() : 400, e);
      return;
    }
    sync.begin(source, Optional.of(state.caller))
        .onFailure(e -> fail(ctx, e))
        .onSuccess(
            running ->
                respond(
                    ctx,
                    202,
                    "linkage sync of " + source + " started on demand",
                    new JsonObject().put("source", source).put("sync", "started")));
  }

  /** {@code GET /linkage/reviews?source=}: the open reviews of the caller's sources. */
  void reviews(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    List<String> sources;
    try {
      onlyParams(ctx, Set.of("source"));
      sources = narrowed(ctx, stewards.readable(state.caller));
    } catch (GatewayException e) {
      ctx.fail(e.status() > 0 ? e.status() : 400, e);
      return;
    }
    register
        .openReviews(sources)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              JsonArray list = new JsonArray();
              found.forEach(r -> list.add(r.json()));
              respond(
                  ctx,
                  200,
                  "linkage review queue of "
                      + String.join(", ", sources)
                      + ": "
                      + found.size()
                      + " open",
                  new JsonObject()
                      .put("reviews", list)
                      .put("truncated", found.size() >= LinkageRegister.MAX_LISTED));
            });
  }

  /**
   * {@code POST /linkage/reviews/{id}} with {@code {"decision":"link","candidate":"1"}} (the handle
   * of one of the review's candidates, see {@link Review#handle}) or {@code
   * {"decision":"no-match"}}. An NHS number is no part of a decision: a steward never sees one.
   */
  void decide(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = LinkageEvents.LINK_REVIEW;
    UUID id;
    Optional<String> candidate;
    Set<String> mine;
    try {
      mine = stewards.decidable(state.caller);
      id = reviewId(ctx.pathParam("id"));
      JsonObject body = body(ctx);
      if (body.containsKey("nhsNumber")) {
        throw StrictJson.invalid(
            "nhsNumber: a decision names the review's candidate by its handle"
                + " (\"candidate\": \"1\"), never an NHS number");
      }
      StrictJson.unknownKeys(body, Set.of("decision", "candidate"), "");
      String decision = StrictJson.text(body, "decision", true);
      String handle = StrictJson.text(body, "candidate", false, MAX_HANDLE_LENGTH);
      if (decision.equals(Review.LINK)) {
        if (handle == null) {
          throw StrictJson.invalid("candidate: expected the candidate to link to, got nothing");
        }
        candidate = Optional.of(handle);
      } else if (decision.equals(Review.NO_MATCH)) {
        if (handle != null) {
          throw StrictJson.invalid("candidate: expected none with decision no-match");
        }
        candidate = Optional.empty();
      } else {
        throw StrictJson.invalid("decision: expected link or no-match");
      }
    } catch (GatewayException e) {
      ctx.fail(e.status() > 0 ? e.status() : 400, e);
      return;
    }
    register
        .decide(
            id, mine, candidate, Steward.of(state.caller), clock.instant(), d -> audited(ctx, d))
        .onFailure(e -> fail(ctx, e))
        .onSuccess(
            d ->
                StrictJson.json(
                    ctx,
                    200,
                    new JsonObject()
                        .put("review", id.toString())
                        .put("outcome", d.outcome())
                        .put("link", d.link().map(RegisteredLink::stewardJson).orElse(null))));
  }

  /**
   * A decision's audit: the person linked is the event's patient, and a person the decision takes
   * the record from (a no-match ending a re-checked link, or a link to someone else) is named too,
   * by an event of their own when both are, so each one's subject access report shows it.
   */
  private Future<?> audited(RoutingContext ctx, LinkageRegister.Decision d) {
    RequestState state = RequestState.get(ctx);
    Optional<NhsNumber> linked = d.link().map(l -> l.link().nhsNumber());
    state.patient = linked.or(d::unlinked).orElse(null);
    String decided =
        "review "
            + d.review().id()
            + " of "
            + d.review().source()
            + " record "
            + d.review().localId()
            + " decided: ";
    String unlinking = d.unlinked().map(n -> "; its link to " + n + " undone").orElse("");
    Future<Long> first =
        append(
            ctx,
            200,
            decided
                + d.link()
                    .map(
                        l ->
                            "link to "
                                + l.link().nhsNumber()
                                + " (reviewed, "
                                + l.link().grade().name().toLowerCase(Locale.ROOT)
                                + ")")
                    .orElse("no match; not linked")
                + unlinking);
    if (linked.isEmpty() || d.unlinked().isEmpty()) {
      return first;
    }
    return first.compose(
        x ->
            audit
                .append(
                    state.stamped(
                        LinkageEvents.event(
                            state.requestId,
                            LinkageEvents.LINK_REVIEW,
                            AuditEvent.Outcome.PERMITTED,
                            d.unlinked(),
                            Optional.of(state.caller),
                            decided + "link to another person" + unlinking,
                            clock.instant())))
                .recover(e -> Future.failedFuture(new AuditUnavailable(e))));
  }

  /** {@code GET /linkage/links?source=&localId=}: a source's links, or one record's. */
  void links(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    String source;
    Optional<String> localId;
    try {
      onlyParams(ctx, Set.of("source", "localId"));
      source = sourceId(ctx.request().getParam("source"), "source");
      if (!stewards.readable(state.caller).contains(source)) {
        throw notFound("no traced source with that id", "links of " + source + " not readable");
      }
      localId =
          Optional.ofNullable(ctx.request().getParam("localId")).map(LinkageEndpoints::localId);
    } catch (GatewayException e) {
      ctx.fail(e.status() > 0 ? e.status() : 400, e);
      return;
    }
    register
        .links(source, localId)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              if (localId.isPresent() && found.size() == 1) {
                state.patient = found.get(0).link().nhsNumber();
              }
              JsonArray list = new JsonArray();
              boolean numbers = stewards.seesNhsNumbers(state.caller);
              found.forEach(l -> list.add(numbers ? l.json() : l.stewardJson()));
              respond(
                  ctx,
                  200,
                  "links of "
                      + source
                      + localId.map(l -> " record " + l).orElse("")
                      + ": "
                      + found.size(),
                  new JsonObject()
                      .put("links", list)
                      .put("truncated", found.size() >= LinkageRegister.MAX_LISTED));
            });
  }

  /** {@code POST /linkage/links/{source}/{localId}/undo} with {@code {"reason":"..."}}. */
  void undo(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = LinkageEvents.LINK_UNDO;
    String source;
    String localId;
    String reason;
    Set<String> mine;
    try {
      mine = stewards.decidable(state.caller);
      source = sourceId(ctx.pathParam("source"), "source");
      localId = localId(ctx.pathParam("localId"));
      JsonObject body = body(ctx);
      StrictJson.unknownKeys(body, Set.of("reason"), "");
      reason = StrictJson.text(body, "reason", true, StrictJson.MAX_STATED_REASON);
    } catch (GatewayException e) {
      ctx.fail(e.status() > 0 ? e.status() : 400, e);
      return;
    }
    register
        .undo(
            source,
            localId,
            mine,
            Steward.of(state.caller),
            reason,
            clock.instant(),
            l -> {
              state.patient = l.link().nhsNumber();
              return append(
                  ctx,
                  200,
                  source
                      + " record "
                      + localId
                      + " link to "
                      + l.link().nhsNumber()
                      + " undone: "
                      + reason);
            })
        .onFailure(e -> fail(ctx, e))
        .onSuccess(l -> StrictJson.json(ctx, 200, l.stewardJson()));
  }

  private Future<Long> append(RoutingContext ctx, int status, String detail) {
    return audit
        .append(
            RequestState.get(ctx)
                .event(
                    clock.instant(),
                    AuditEvent.Outcome.PERMITTED,
                    status,
                    Map.of(),
                    List.of(),
                    detail))
        .recover(e -> Future.failedFuture(new AuditUnavailable(e)));
  }

  private void respond(RoutingContext ctx, int status, String detail, JsonObject body) {
    append(ctx, status, detail)
        .onFailure(e -> ctx.fail(503, e))
        .onSuccess(
            index ->
                Outcomes.noStore(ctx.response())
                    .setStatusCode(status)
                    .putHeader("Content-Type", "application/json")
                    .end(body.encode()));
  }

  /** A refusal answers with its own status; anything else is the store being unavailable. */
  private static void fail(RoutingContext ctx, Throwable e) {
    if (e instanceof LinkageRefused r) {
      IssueType code =
          switch (r.status()) {
            case LinkageRefused.NOT_FOUND -> IssueType.NOTFOUND;
            case LinkageRefused.CONFLICT -> IssueType.CONFLICT;
            case LinkageRefused.UNPROCESSABLE -> IssueType.BUSINESSRULE;
            default -> IssueType.INVALID;
          };
      ctx.fail(new GatewayException(r.status(), code, r.getMessage(), r.auditDetail()));
    } else if (e instanceof AuditUnavailable) {
      ctx.fail(503, e);
    } else {
      ctx.fail(503, new AuditUnavailable(e));
    }
  }

  private static GatewayException notFound(String message, String detail) {
    return new GatewayException(404, IssueType.NOTFOUND, message, detail);
  }

  /** The readable sources, or the one asked for (404 when it is not one of them). */
  private static List<String> narrowed(RoutingContext ctx, List<String> readable) {
    String asked = ctx.request().getParam("source");
    if (asked == null) {
      return readable;
    }
    String source = sourceId(asked, "source");
    if (!readable.contains(source)) {
      throw notFound("no traced source with that id", "source " + source + " not readable");
    }
    return List.of(source);
  }

  private static void onlyParams(RoutingContext ctx, Set<String> allowed) {
    for (String name : ctx.queryParams().names()) {
      if (!allowed.contains(name)) {
        throw StrictJson.invalid(
            name
                + ": unknown parameter, expected "
                + (allowed.isEmpty()
                    ? "none"
                    : String.join(" or ", allowed.stream().sorted().toList())));
      }
      if (ctx.queryParams().getAll(name).size() > 1) {
        throw StrictJson.invalid(name + ": expected once, got more");
      }
    }
  }

  private static String sourceId(String value, String name) {
    if (value == null || !SOURCE_ID.matcher(value).matches()) {
      throw StrictJson.invalid(
          name + ": expected a source id of 1 to 64 letters, digits, '.', '_' or '-'");
    }
    return value;
  }

  private static String localId(String value) {
    if (value.isEmpty() || value.length() > LinkageSync.MAX_LOCAL_ID_LENGTH) {
      throw StrictJson.invalid(
          "localId: expected 1 to " + LinkageSync.MAX_LOCAL_ID_LENGTH + " characters");
    }
    return value;
  }

  private static UUID reviewId(String value) {
    try {
      if (value.length() != 36) {
        throw new IllegalArgumentException();
      }
      return UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      throw StrictJson.invalid("id: expected a review id (a UUID)");
    }
  }

  private static JsonObject body(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().length() == 0 ? null : ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      throw StrictJson.invalid("expected a JSON object");
    }
    if (body == null) {
      throw StrictJson.invalid("expected a JSON object, got nothing");
    }
    return body;
  }
}
