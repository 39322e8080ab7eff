package org.placeshare.gateway.http;

import com.nimbusds.jose.jwk.ECKey;
import io.vertx.core.Future;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditAlerts;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditRecord;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.audit.AuditTree;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.gateway.audit.Checkpoint;
import org.placeshare.gateway.cohort.MemberRelease;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.trust.Revocations;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.TokenException;

/**
 * The IG console at {@code /console/}: plain server-made pages over the audit API, for IG leads who
 * will not audit with curl. Sign-in takes an IG access token once and holds a session; pages carry
 * no script, a strict Content-Security-Policy, and a CSRF token on every form that changes
 * anything. Every page read is audited as the API's reads are.
 */
final class Console {

  static final String COOKIE = "placeshare_console";
  static final String CSP =
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
          + " frame-ancestors 'none'; base-uri 'none'";
  static final int PAGE = 25;
  static final int CHART_DAYS = 30;

  private final AccessTokens tokens;
  private final Authentication authentication;
  private final IgLead igLead;
  private final Revocations revocations;
  private final ConsoleSessions sessions;
  private final AuditSearch search;
  private final AuditLog audit;
  private final AuditTree tree;
  private final PolicyStore policy;
  private final Pool pool;
  private final ECKey auditPublicKey;
  private final Clock clock;
  private final String css;
  private final AtomicReference<String> lastVerified = new AtomicReference<>();

  Console(
      AccessTokens tokens,
      Authentication authentication,
      IgLead igLead,
      AuditSearch search,
      AuditLog audit,
      AuditTree tree,
      PolicyStore policy,
      Pool pool,
      ECKey auditPublicKey,
      Revocations revocations,
      Clock clock) {
    this.tokens = tokens;
    this.authentication = authentication;
    this.igLead = igLead;
    this.revocations = revocations;
    this.sessions = new ConsoleSessions(clock);
    this.search = search;
    this.audit = audit;
    this.tree = tree;
    this.policy = policy;
    this.pool = pool;
    this.auditPublicKey = auditPublicKey;
    this.clock = clock;
    this.css = resource("/console/console.css");
  }

  void mount(Router router) {
    FhirFailureHandler failures = new FhirFailureHandler(audit, clock, Console::errorPage);
    router.route("/console*").handler(this::headers);
    router.route("/console*").handler(ctx -> begin(ctx, "console"));
    router.get("/console/console.css").handler(ctx -> send(ctx, 200, "text/css", css));
    router.get("/console/").handler(this::home);
    router
        .post("/console/session")
        .handler(BodyHandler.create(false).setBodyLimit(16 * 1024))
        .handler(this::signIn);
    router.route("/console/*").handler(this::requireSession);
    router.route("/console/*").handler(BodyHandler.create(false).setBodyLimit(16 * 1024));
    router.route("/console/*").handler(this::requireCsrfOnChange);
    router.post("/console/sign-out").handler(this::signOut);
    router.get("/console/audit").handler(this::auditPage);
    router.get("/console/audit.csv").handler(this::auditCsv);
    router.get("/console/events/:id").handler(this::eventPage);
    router.get("/console/accesses").handler(this::accessesPage);
    router.get("/console/reviews").handler(this::reviewsPage);
    router.post("/console/reviews/:id").handler(this::review);
    router.get("/console/alerts").handler(this::alertsPage);
    router.get("/console/agreements").handler(this::agreementsPage);
    router.get("/console/integrity").handler(this::integrityPage);
    router.post("/console/integrity/verify").handler(this::verifyNow);
    router.route("/console*").failureHandler(failures::handle);
  }

  // --- sessions ---

  private void headers(RoutingContext ctx) {
    Outcomes.noStore(ctx.response())
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }

  private static void begin(RoutingContext ctx, String action) {
    RequestState.begin(ctx, Instant.now(), action);
    ctx.next();
  }

  private Optional<ConsoleSessions.Session> session(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(COOKIE);
    return sessions.find(cookie == null ? null : cookie.getValue());
  }

  private void home(RoutingContext ctx) {
    if (session(ctx).isPresent()) {
      redirect(ctx, "/console/audit");
      return;
    }
    signInPage(ctx, 200, null);
  }

  private void signInPage(RoutingContext ctx, int status, String message) {
    Html body = new Html().element("h1", "Sign in to the IG console");
    if (message != null) {
      body.raw("<p class=\"message\" role=\"alert\">").text(message).raw("</p>");
    }
    body.raw(
            "<p>Paste an access token for an IG lead (role ig-lead), for example from "
                + "<code>java -jar ops/target/placeshare.jar token --client ig-console --purpose HOPERAT</code>. "
                + "The console keeps a session; your browser never stores the token.</p>")
        .raw("<form method=\"post\" action=\"/console/session\">")
        .raw("<p><label for=\"token\">IG access token</label><br>")
        .raw(
            "<textarea id=\"token\" name=\"token\" rows=\"6\" cols=\"80\" required></textarea></p>")
        .raw("<p><button type=\"submit\">Sign in</button></p></form>");
    send(ctx, status, "text/html; charset=utf-8", page("Sign in", null, body));
  }

  private void signIn(RoutingContext ctx) {
    String token = ctx.request().getFormAttribute("token");
    Caller caller;
    try {
      caller = tokens.verify(token == null ? "" : token.strip());
    } catch (TokenException e) {
      refuseSignIn(
          ctx,
          "That token was refused. Ask for a fresh one: tokens last five minutes.",
          e.getMessage());
      return;
    }
    // As the API does: a token bound to another client's certificate signs nobody in.
    Optional<String> unbound = authentication.notBoundHere(ctx, caller);
    if (unbound.isPresent()) {
      refuseSignIn(
          ctx,
          "That token was refused. Ask for a fresh one: tokens last five minutes.",
          unbound.get());
      return;
    }
    Optional<String> notIg = igLead.whyNot(caller);
    if (notIg.isPresent()) {
      RequestState.get(ctx).caller = caller;
      refuseSignIn(ctx, "The console is for information governance leads.", notIg.get());
      return;
    }
    revocations
        .refusal(caller)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            refusal ->
                refusal.ifPresentOrElse(
                    why ->
                        refuseSignIn(
                            ctx,
                            "That token was refused. Ask for a fresh one: tokens last five minutes.",
                            why),
                    () -> startSession(ctx, caller)));
  }

  private void startSession(RoutingContext ctx, Caller caller) {
    RequestState state = RequestState.get(ctx);
    state.action = "console-sign-in";
    state.caller = caller;
    Optional<ConsoleSessions.Session> started = sessions.start(caller);
    if (started.isEmpty()) {
      ctx.fail(
          503,
          new GatewayException(
              IssueType.TRANSIENT,
              "too many console sessions are open; sign in again in a few minutes",
              "console session cap of " + ConsoleSessions.MAX_SESSIONS + " reached"));
      return;
    }
    ConsoleSessions.Session session = started.get();
    audited(ctx, "console sign-in")
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            v -> {
              String host =
                  String.valueOf(
                      ctx.request().authority() == null ? "" : ctx.request().authority().host());
              boolean loopback =
                  host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]");
              ctx.response()
                  .addCookie(
                      Cookie.cookie(COOKIE, session.id())
                          .setPath("/console")
                          .setHttpOnly(true)
                          .setSameSite(CookieSameSite.STRICT)
                          .setSecure(!loopback)
                          .setMaxAge(ConsoleSessions.LONGEST.toSeconds()));
              redirect(ctx, "/console/audit");
            });
  }

  private void refuseSignIn(RoutingContext ctx, String message, String detail) {
    RequestState.get(ctx).action = "console-sign-in";
    AuditEvent event =
        RequestState.get(ctx)
            .event(
                clock.instant(),
                AuditEvent.Outcome.REFUSED,
                401,
                Map.of(),
                List.of(),
                "console sign-in refused: " + detail);
    audit
        .append(event)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(v -> signInPage(ctx, 401, message));
  }

  private void requireSession(RoutingContext ctx) {
    Optional<ConsoleSessions.Session> session = session(ctx);
    if (session.isEmpty()) {
      if (ctx.request().method().name().equals("GET")) {
        redirect(ctx, "/console/");
      } else {
        ctx.fail(401, new GatewayException(IssueType.LOGIN, "sign in first"));
      }
      return;
    }
    Caller caller = session.get().caller();
    RequestState.get(ctx).caller = caller;
    // Checked again at every page: a client no longer registered for the IG role loses its
    // sessions.
    Optional<String> notIg = igLead.whyNot(caller);
    if (notIg.isPresent()) {
      sessions.end(session.get().id());
      ctx.fail(403, IgLead.forbidden(notIg.get()));
      return;
    }
    ctx.put("session", session.get());
    // A session lasts only while its client and the token it began with stand: one suspended,
    // removed or revoked through any instance ends it at its next page.
    ctx.request().pause();
    revocations
        .refusal(caller)
        .onComplete(
            checked -> {
              ctx.request().resume();
              if (checked.failed()) {
                ctx.fail(503, new AuditUnavailable(checked.cause()));
              } else if (checked.result().isPresent()) {
                sessions.end(session.get().id());
                ctx.response()
                    .addCookie(Cookie.cookie(COOKIE, "").setPath("/console").setMaxAge(0));
                ctx.fail(
                    401,
                    new GatewayException(
                        IssueType.LOGIN,
                        "your console session has ended: sign in again",
                        "console session ended: " + checked.result().get()));
              } else {
                ctx.next();
              }
            });
  }

  private void requireCsrfOnChange(RoutingContext ctx) {
    if (!ctx.request().method().name().equals("POST")) {
      ctx.next();
      return;
    }
    ConsoleSessions.Session session = ctx.get("session");
    if (!ConsoleSessions.csrfMatches(session, ctx.request().getFormAttribute("csrf"))) {
      ctx.fail(
          403,
          new GatewayException(
              IssueType.FORBIDDEN,
              "this form has expired; go back, reload and try again",
              "CSRF token missing or wrong"));
      return;
    }
    ctx.next();
  }

  private void signOut(RoutingContext ctx) {
    ConsoleSessions.Session session = ctx.get("session");
    sessions.end(session.id());
    ctx.response().addCookie(Cookie.cookie(COOKIE, "").setPath("/console").setMaxAge(0));
    redirect(ctx, "/console/");
  }

  // --- pages ---

  private void auditPage(RoutingContext ctx) {
    ConsoleSessions.Session session = ctx.get("session");
    AuditSearch.Filter filter;
    try {
      filter = AuditEndpoints.filter(ctx, RequestState.get(ctx), PAGE);
    } catch (GatewayException e) {
      show(
          ctx,
          "Audit search",
          searchForm(ctx, e.getMessage()),
          "console search refused: " + e.getMessage());
      return;
    }
    search
        .events(filter)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              Html body = searchForm(ctx, null);
              List<List<String>> rows = new ArrayList<>();
              for (AuditRecord r : found) {
                rows.add(
                    List.of(
                        Html.esc(r.recordedAt()),
                        Html.esc(r.action()),
                        Html.esc(r.outcome() + (r.emergency() ? " (emergency)" : "")),
                        Html.esc(r.nhsNumber()),
                        Html.esc(r.organisation()),
                        Html.esc(r.userId()),
                        Html.esc(r.purpose()),
                        Html.link("/console/events/" + r.eventId(), "Details")));
              }
              body.table(
                  found.size() + " events, newest first",
                  List.of(
                      "Time",
                      "Action",
                      "Outcome",
                      "NHS number",
                      "Organisation",
                      "User",
                      "Purpose",
                      ""),
                  rows);
              String query = ctx.request().query() == null ? "" : ctx.request().query();
              body.raw("<p>")
                  .raw(Html.link("/console/audit.csv?" + query, "Export this search as CSV"))
                  .raw("</p>");
              if (found.size() == PAGE) {
                String older = query.replaceAll("(^|&)before=[^&]*", "");
                body.raw("<p>")
                    .raw(
                        Html.link(
                            "/console/audit?"
                                + older
                                + (older.isEmpty() ? "" : "&")
                                + "before="
                                + found.get(found.size() - 1).leafIndex(),
                            "Older events"))
                    .raw("</p>");
              }
              show(ctx, "Audit search", body, "console audit search: " + found.size() + " events");
            });
  }

  private Html searchForm(RoutingContext ctx, String message) {
    Html form = new Html().element("h1", "Audit search");
    if (message != null) {
      form.raw("<p class=\"message\" role=\"alert\">").text(message).raw("</p>");
    }
    form.raw("<form class=\"filters\" method=\"get\" action=\"/console/audit\">");
    for (String[] f :
        new String[][] {
          {"patient", "NHS number"},
          {"organisation", "Organisation (ODS code)"},
          {"user", "User"},
          {"agreement", "Agreement id"},
          {"purpose", "Purpose of use"},
          {"action", "Action (e.g. cohort-export)"},
          {"request", "Request or bulk job id"},
          {"from", "From (e.g. 2026-11-01T00:00:00Z)"},
          {"to", "To"}
        }) {
      form.input(f[0], f[1], Optional.ofNullable(ctx.request().getParam(f[0])).orElse(""));
    }
    form.raw(
        "<p><label for=\"decision\">Decision</label> <select id=\"decision\" name=\"decision\">");
    for (String d : new String[] {"", "permitted", "refused", "failed", "evaluated"}) {
      boolean selected = d.equals(ctx.request().getParam("decision"));
      form.raw("<option value=\"")
          .text(d)
          .raw("\"" + (selected ? " selected" : "") + ">")
          .text(d.isEmpty() ? "any" : d)
          .raw("</option>");
    }
    form.raw(
        "</select></p><p><label for=\"emergency\">Emergency</label> <select id=\"emergency\" name=\"emergency\">");
    for (String d : new String[] {"", "true", "false"}) {
      boolean selected = d.equals(ctx.request().getParam("emergency"));
      form.raw("<option value=\"")
          .text(d)
          .raw("\"" + (selected ? " selected" : "") + ">")
          .text(d.isEmpty() ? "any" : d.equals("true") ? "break-glass only" : "not break-glass")
          .raw("</option>");
    }
    return form.raw("</select></p><p><button type=\"submit\">Search</button></p></form>");
  }

  private void auditCsv(RoutingContext ctx) {
    AuditSearch.Filter filter;
    try {
      filter = AuditEndpoints.filter(ctx, RequestState.get(ctx), AuditEndpoints.MAX_LIMIT);
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    search
        .events(filter)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found ->
                audited(ctx, "console CSV export: " + found.size() + " events")
                    .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
                    .onSuccess(
                        v -> {
                          ctx.response()
                              .putHeader(
                                  "Content-Disposition",
                                  "attachment; filename=\"audit-events.csv\"");
                          send(ctx, 200, "text/csv; charset=utf-8", AuditEndpoints.csv(found));
                        }));
  }

  private void eventPage(RoutingContext ctx) {
    java.util.UUID id;
    try {
      id = java.util.UUID.fromString(ctx.pathParam("id"));
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
              Html body = new Html().element("h1", "Audit event " + r.leafIndex());
              body.raw("<dl>");
              Map<String, Object> fields = new LinkedHashMap<>();
              fields.put("Time", r.recordedAt());
              fields.put("Action", r.action());
              fields.put("Outcome", r.outcome() + " (HTTP " + r.httpStatus() + ")");
              fields.put("NHS number", r.nhsNumber());
              fields.put("Organisation", r.organisation());
              fields.put("Client", r.clientId());
              fields.put("User and role", r.userId() + " (" + r.userRole() + ")");
              fields.put("Purpose of use", r.purpose());
              fields.put("Emergency reason", r.detail().getString("emergencyReason"));
              fields.put("What happened", r.detail().getString("detail"));
              fields.put("Request id", r.requestId());
              fields.forEach(
                  (k, v) ->
                      body.raw("<dt>")
                          .text(k)
                          .raw("</dt><dd>")
                          .text(v == null ? "none" : v)
                          .raw("</dd>"));
              body.raw("</dl>");
              if (r.requestId() != null) {
                // A bulk job's events share its id: the job's summary and one per person.
                body.raw("<p>")
                    .raw(
                        Html.link(
                            "/console/audit?request="
                                + URLEncoder.encode(r.requestId(), StandardCharsets.UTF_8),
                            "Every event of this request"))
                    .raw("</p>");
              }
              body.element("h2", "Decisions, per source");
              for (Object d : r.detail().getJsonArray("decisions", new JsonArray())) {
                if (d instanceof JsonObject decision) {
                  body.element(
                      "h3",
                      decision.getString("source")
                          + ": "
                          + decision.getString("effect")
                          + (decision.getString("agreement") == null
                              ? ""
                              : " under " + decision.getString("agreement")));
                  body.raw("<ul>");
                  decision
                      .getJsonArray("reasons", new JsonArray())
                      .forEach(reason -> body.element("li", reason));
                  body.raw("</ul>");
                }
              }
              body.element("h2", "Released");
              JsonObject released = r.detail().getJsonObject("released", new JsonObject());
              body.raw("<ul>");
              released
                  .fieldNames()
                  .forEach(
                      source ->
                          body.element(
                              "li",
                              source + ": " + released.getJsonArray(source).size() + " records"));
              body.raw("</ul>");
              if (!r.emergency()) {
                show(ctx, "Audit event", body, "console event " + r.eventId());
                return;
              }
              BreakGlassReviews.history(search, id)
                  .onFailure(e -> BreakGlassReviews.fail(ctx, e))
                  .onSuccess(
                      history -> {
                        reviewHistory(body, history);
                        show(ctx, "Audit event", body, "console event " + r.eventId());
                      });
            });
  }

  /** A break-glass event's reviews: who, of which organisation, when, the outcome and comment. */
  private static void reviewHistory(Html body, BreakGlassReviews.History history) {
    body.element("h2", "Reviews of this break-glass access");
    if (history.reviews().isEmpty()) {
      body.raw("<p>").text("Not reviewed yet: it is in the review queue.").raw("</p>");
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    for (BreakGlassReviews.Review v : history.reviews()) {
      rows.add(
          List.of(
              Html.esc(v.reviewedAt()),
              Html.esc(v.user() + " (" + v.client() + ", " + v.organisation() + ")"),
              Html.esc(v.outcome()),
              Html.esc(v.comment()),
              Html.esc(v.index())));
    }
    body.table(
        history.reviews().size() + " reviews, oldest first",
        List.of("Reviewed at", "Reviewer", "Outcome", "Comment", "Log index"),
        rows);
  }

  private void accessesPage(RoutingContext ctx) {
    String nhs = ctx.request().getParam("nhs");
    Html body = new Html().element("h1", "Who has seen this record");
    body.raw("<form method=\"get\" action=\"/console/accesses\">")
        .input("nhs", "NHS number", nhs == null ? "" : nhs)
        .raw("<p><button type=\"submit\">Show accesses</button></p></form>");
    if (nhs == null) {
      show(ctx, "Who has seen this record", body, "console accesses form");
      return;
    }
    org.placeshare.policy.NhsNumber patient;
    try {
      patient = org.placeshare.policy.NhsNumber.parse(nhs);
    } catch (org.placeshare.policy.InvalidNhsNumberException e) {
      body.raw("<p class=\"message\" role=\"alert\">")
          .text("That is not a valid NHS number: " + e.getMessage())
          .raw("</p>");
      show(ctx, "Who has seen this record", body, "console accesses: invalid NHS number");
      return;
    }
    RequestState.get(ctx).patient = patient;
    search
        .events(
            AuditSearch.Filter.patient(patient.toString(), "permitted", AuditEndpoints.MAX_EXPORT))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              List<List<String>> rows = new ArrayList<>();
              for (AuditRecord r : found) {
                if (r.detail().getInteger("releasedCount", 0) == 0) {
                  continue;
                }
                rows.add(
                    List.of(
                        Html.esc(r.recordedAt()),
                        Html.esc(r.organisation()),
                        Html.esc(r.userRole()),
                        Html.esc(r.purpose()),
                        Html.esc(String.join(", ", AuditEndpoints.agreements(r))),
                        Html.esc(
                            String.join(
                                ", ",
                                AuditEndpoints.categories(
                                    r.detail().getJsonObject("released", new JsonObject())))),
                        Html.esc(r.emergency() ? "yes" : "no")));
              }
              body.table(
                  "Accesses to the records of " + patient.formatted() + " (" + rows.size() + ")",
                  List.of(
                      "Time", "Organisation", "Role", "Purpose", "Agreements", "Data", "Emergency"),
                  rows);
              body.raw("<p>This page prints as a subject access report.</p>");
              show(
                  ctx,
                  "Who has seen this record",
                  body,
                  "console subject access report: " + rows.size() + " accesses");
            });
  }

  private void reviewsPage(RoutingContext ctx) {
    ConsoleSessions.Session session = ctx.get("session");
    search
        .awaitingReview(AuditEndpoints.MAX_LIMIT)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              Html body = new Html().element("h1", "Emergency access awaiting review");
              if (found.isEmpty()) {
                body.raw("<p class=\"ok\">")
                    .text("No break-glass access is awaiting review.")
                    .raw("</p>");
              }
              for (AuditRecord r : found) {
                body.raw("<section><h2>")
                    .text(
                        r.recordedAt()
                            + ": "
                            + r.userId()
                            + " ("
                            + r.organisation()
                            + ") saw "
                            + r.nhsNumber())
                    .raw("</h2>");
                body.raw("<p>Stated reason: ")
                    .text(r.detail().getString("emergencyReason"))
                    .raw(" ")
                    .raw(Html.link("/console/events/" + r.eventId(), "Details"))
                    .raw("</p>");
                Optional<GatewayException> conflict =
                    BreakGlassReviews.conflictOfInterest(r, session.caller());
                if (conflict.isPresent()) {
                  body.raw("<p>").text(conflict.get().getMessage() + ".").raw("</p></section>");
                  continue;
                }
                String id = r.eventId();
                body.raw("<form method=\"post\" action=\"/console/reviews/")
                    .text(id)
                    .raw("\">")
                    .raw("<input type=\"hidden\" name=\"csrf\" value=\"")
                    .text(session.csrf())
                    .raw("\">")
                    .raw("<p><label for=\"outcome-")
                    .text(id)
                    .raw("\">Outcome</label> <select id=\"outcome-")
                    .text(id)
                    .raw("\" name=\"outcome\">")
                    .raw(
                        "<option value=\"appropriate\">appropriate</option><option value=\"inappropriate\">inappropriate</option><option value=\"needs-follow-up\">needs follow-up</option></select></p>")
                    .raw("<p><label for=\"comment-")
                    .text(id)
                    .raw("\">Comment</label> <input id=\"comment-")
                    .text(id)
                    .raw("\" name=\"comment\" maxlength=\"500\" required></p>")
                    .raw("<p><button type=\"submit\">Mark reviewed</button></p></form></section>");
              }
              show(ctx, "Emergency reviews", body, "console review queue: " + found.size());
            });
  }

  private void review(RoutingContext ctx) {
    java.util.UUID id;
    try {
      id = java.util.UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      ctx.fail(404, new GatewayException(IssueType.NOTFOUND, "no such event"));
      return;
    }
    String outcome = ctx.request().getFormAttribute("outcome");
    String comment = ctx.request().getFormAttribute("comment");
    if (outcome == null
        || !BreakGlassReviews.OUTCOMES.contains(outcome)
        || comment == null
        || comment.isBlank()
        || comment.length() > PersonViewHandler.MAX_STATED_REASON) {
      ctx.fail(
          400,
          StrictJson.invalid("a review needs an outcome and a comment of 1 to 500 characters"));
      return;
    }
    RequestState state = RequestState.get(ctx);
    state.action = AuditSearch.REVIEW_ACTION;
    BreakGlassReviews.oneAtATime(
            pool,
            id,
            () ->
                BreakGlassReviews.reviewable(search, id)
                    .compose(
                        event -> {
                          org.placeshare.policy.NhsNumber.tryParse(event.nhsNumber())
                              .ifPresent(p -> state.patient = p);
                          Optional<GatewayException> conflict =
                              BreakGlassReviews.conflictOfInterest(event, state.caller);
                          if (conflict.isPresent()) {
                            return Future.failedFuture(conflict.get());
                          }
                          return audited(ctx, BreakGlassReviews.detail(id, outcome, comment));
                        }))
        .onFailure(e -> BreakGlassReviews.fail(ctx, e))
        .onSuccess(v -> redirect(ctx, "/console/reviews"));
  }

  private void alertsPage(RoutingContext ctx) {
    Instant to = clock.instant();
    search
        .events(
            AuditSearch.Filter.window(to.minus(Duration.ofDays(7)), to, AuditEndpoints.MAX_EXPORT))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              Html body = new Html().element("h1", "Alerts, last 7 days");
              List<AuditAlerts.Alert> alerts = AuditAlerts.find(found);
              if (alerts.isEmpty()) {
                body.raw("<p class=\"ok\">").text("Nothing to look at.").raw("</p>");
              }
              body.raw("<ul>");
              for (AuditAlerts.Alert a : alerts) {
                body.raw("<li><strong>")
                    .text(a.kind())
                    .raw("</strong>: ")
                    .text(a.description())
                    .raw(". Events: ");
                List<String> links = new ArrayList<>();
                a.events()
                    .forEach(
                        i ->
                            links.add(
                                Html.link(
                                    "/console/audit?before=" + (i + 1) + "&limit=1", "#" + i)));
                body.raw(String.join(", ", links)).raw("</li>");
              }
              body.raw("</ul>");
              show(ctx, "Alerts", body, "console alerts: " + alerts.size());
            });
  }

  private void agreementsPage(RoutingContext ctx) {
    LocalDate today = LocalDate.now(clock);
    Instant since = today.minusDays(CHART_DAYS - 1L).atStartOfDay().toInstant(ZoneOffset.UTC);
    usage(since)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            usage -> {
              Html body = new Html().element("h1", "Agreements");
              for (Agreement a : policy.current().agreements()) {
                body.raw("<section>").element("h2", a.title() + " (" + a.reference() + ")");
                body.raw("<p>")
                    .text(
                        "Status "
                            + a.status().name().toLowerCase()
                            + ", in force "
                            + a.effective()
                            + " to "
                            + a.expires()
                            + ", review due "
                            + a.review()
                            + ".")
                    .raw("</p>");
                body.raw("<p>")
                    .text(
                        "Providers: "
                            + a.providers()
                            + ". Recipients: "
                            + a.recipients().keySet()
                            + ". Purposes: "
                            + a.purposesOfUse()
                            + ".")
                    .raw("</p>");
                body.raw("<p>").text("Purpose: " + a.purpose().problem()).raw("</p>");
                BusinessCaseText.render(body, a);
                Map<LocalDate, long[]> days = usage.getOrDefault(a.id(), Map.of());
                body.raw(chart(a.id(), today, days));
                List<List<String>> rows = new ArrayList<>();
                days.forEach(
                    (day, n) ->
                        rows.add(
                            List.of(
                                Html.esc(day),
                                Html.esc(n[0]),
                                Html.esc(n[1]),
                                Html.esc(n[2]),
                                Html.esc(n[3]),
                                Html.esc(n[4]))));
                body.table(
                    "Use of " + a.id() + " by day, last " + CHART_DAYS + " days",
                    List.of("Day", "Requests", "Permitted", "Refused", "People", "Records shared"),
                    rows);
                body.raw("</section>");
              }
              show(ctx, "Agreements", body, "console agreements");
            });
  }

  /**
   * Per agreement id and day: requests, permitted, refused, people, records shared. A request is
   * one audited view or one cohort member released by a bulk export, counted once for each
   * agreement it was weighed under however many sources were decided; permitted when the agreement
   * permitted at least one source.
   */
  private Future<Map<String, Map<LocalDate, long[]>>> usage(Instant since) {
    String decidedBy =
        "d->>'effect' = 'permit' AND split_part(d->>'agreement', '@', 1) = split_part(c, '@', 1)";
    String sql =
        "SELECT agreement, day, count(*) AS requests,"
            + " count(*) FILTER (WHERE permitted) AS permitted,"
            + " count(DISTINCT nhs_number) FILTER (WHERE permitted) AS people,"
            + " coalesce(sum(records), 0) AS records"
            + " FROM (SELECT event_id, nhs_number, split_part(c, '@', 1) AS agreement,"
            + " (recorded_at AT TIME ZONE 'UTC')::date AS day,"
            + " bool_or("
            + decidedBy
            + ") AS permitted,"
            + " sum(jsonb_array_length(coalesce(detail->'released'->(d->>'source'), '[]'::jsonb)))"
            + " FILTER (WHERE "
            + decidedBy
            + ") AS records"
            + " FROM audit_event, jsonb_array_elements(detail->'decisions') d,"
            + " jsonb_array_elements_text(d->'considered') c"
            + " WHERE recorded_at >= $1 AND action IN ('"
            + PersonViewHandler.ACTION
            + "', '"
            + MemberRelease.ACTION
            + "') GROUP BY 1, 2, 3, 4) per_request"
            + " GROUP BY 1, 2 ORDER BY 1, 2";
    return pool.preparedQuery(sql)
        .execute(Tuple.of(since.atOffset(ZoneOffset.UTC)))
        .map(
            rows -> {
              Map<String, Map<LocalDate, long[]>> out = new LinkedHashMap<>();
              for (Row r : rows) {
                long requests = r.getLong("requests");
                long permitted = r.getLong("permitted");
                out.computeIfAbsent(r.getString("agreement"), k -> new TreeMap<>())
                    .put(
                        r.getLocalDate("day"),
                        new long[] {
                          requests,
                          permitted,
                          requests - permitted,
                          r.getLong("people"),
                          r.getLong("records")
                        });
              }
              return out;
            });
  }

  /** A bar chart of permitted and refused requests per day, as inline SVG with a text summary. */
  static String chart(String agreement, LocalDate today, Map<LocalDate, long[]> days) {
    long max = Math.max(1, days.values().stream().mapToLong(n -> n[0]).max().orElse(1));
    int width = 20 + CHART_DAYS * 12;
    StringBuilder svg = new StringBuilder();
    svg.append("<figure><svg role=\"img\" aria-labelledby=\"chart-")
        .append(Html.esc(agreement))
        .append("\" width=\"")
        .append(width)
        .append("\" height=\"130\" viewBox=\"0 0 ")
        .append(width)
        .append(" 130\">");
    svg.append("<title id=\"chart-")
        .append(Html.esc(agreement))
        .append("\">Requests under ")
        .append(Html.esc(agreement))
        .append(" per day, permitted (green) and refused (red), last ")
        .append(CHART_DAYS)
        .append(" days</title>");
    for (int i = 0; i < CHART_DAYS; i++) {
      LocalDate day = today.minusDays(CHART_DAYS - 1L - i);
      long[] n = days.getOrDefault(day, new long[5]);
      int permitted = (int) (100 * n[1] / max);
      int refused = (int) (100 * n[2] / max);
      int x = 20 + i * 12;
      svg.append("<rect x=\"")
          .append(x)
          .append("\" y=\"")
          .append(110 - permitted - refused)
          .append("\" width=\"10\" height=\"")
          .append(refused)
          .append("\" fill=\"#d5281b\"/>");
      svg.append("<rect x=\"")
          .append(x)
          .append("\" y=\"")
          .append(110 - permitted)
          .append("\" width=\"10\" height=\"")
          .append(permitted)
          .append("\" fill=\"#007f3b\"/>");
    }
    svg.append("<text x=\"20\" y=\"125\">")
        .append(Html.esc(today.minusDays(CHART_DAYS - 1L)))
        .append(" to ")
        .append(Html.esc(today))
        .append(", tallest bar ")
        .append(max)
        .append(" requests</text>");
    svg.append(
        "</svg><figcaption>Permitted (green) and refused (red) requests per day.</figcaption></figure>");
    return svg.toString();
  }

  private void integrityPage(RoutingContext ctx) {
    ConsoleSessions.Session session = ctx.get("session");
    tree.latest()
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            signed -> {
              Html body = new Html().element("h1", "Log integrity");
              if (signed.isEmpty()) {
                body.raw("<p>").text("No checkpoint is signed yet.").raw("</p>");
              } else {
                Checkpoint c = Checkpoint.readUnverified(signed.get());
                body.raw("<p>")
                    .text(
                        "Latest signed checkpoint: "
                            + c.size()
                            + " events, root "
                            + c.rootBase64()
                            + ", signed at "
                            + c.time()
                            + " for "
                            + c.origin()
                            + ".")
                    .raw("</p>");
              }
              String last = lastVerified.get();
              body.raw(
                      last == null
                          ? "<p>"
                          : last.startsWith("the audit log verifies")
                              ? "<p class=\"ok\">"
                              : "<p class=\"message\" role=\"alert\">")
                  .text(
                      last == null
                          ? "Not verified from this console yet."
                          : "Last verified: " + last)
                  .raw("</p>");
              body.raw(
                      "<form method=\"post\" action=\"/console/integrity/verify\"><input type=\"hidden\" name=\"csrf\" value=\"")
                  .text(session.csrf())
                  .raw("\"><p><button type=\"submit\">Verify now</button></p></form>");
              body.raw("<p>")
                  .text(
                      "Anyone can check it offline with only the audit public key: java -jar ops/target/placeshare.jar audit verify --key audit.pub.pem --export audit.jsonl")
                  .raw("</p>");
              show(ctx, "Log integrity", body, "console integrity");
            });
  }

  private void verifyNow(RoutingContext ctx) {
    RequestState.get(ctx).action = "console-verify";
    tree.checkpoint()
        .compose(c -> AuditExport.read(pool))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            contents -> {
              AuditVerifier.Report report =
                  AuditVerifier.verify(
                      contents.leaves().iterator(), contents.checkpoints(), auditPublicKey);
              lastVerified.set(report.summary() + " (checked at " + clock.instant() + ")");
              audited(ctx, "console verify: " + report.summary())
                  .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
                  .onSuccess(v -> redirect(ctx, "/console/integrity"));
            });
  }

  // --- plumbing ---

  private void show(RoutingContext ctx, String title, Html body, String auditDetail) {
    ConsoleSessions.Session session = ctx.get("session");
    audited(ctx, auditDetail)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(v -> send(ctx, 200, "text/html; charset=utf-8", page(title, session, body)));
  }

  private Future<Void> audited(RoutingContext ctx, String detail) {
    AuditEvent event =
        RequestState.get(ctx)
            .event(clock.instant(), AuditEvent.Outcome.PERMITTED, 200, Map.of(), List.of(), detail);
    return audit.append(event).mapEmpty();
  }

  static String page(String title, ConsoleSessions.Session session, Html body) {
    Html page = new Html();
    page.raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .raw("<title>")
        .text(title + " - Placeshare IG console")
        .raw("</title>")
        .raw("<link rel=\"stylesheet\" href=\"/console/console.css\"></head><body>")
        .raw("<header><p><strong>Placeshare IG console</strong>");
    if (session != null) {
      page.raw(" - signed in as ")
          .text(session.caller().userId() + " (" + session.caller().organisation() + ")");
    }
    page.raw("</p>");
    if (session != null) {
      page.raw("<nav aria-label=\"Console\"><ul>")
          .raw("<li>" + Html.link("/console/audit", "Audit search") + "</li>")
          .raw("<li>" + Html.link("/console/accesses", "Who has seen this record") + "</li>")
          .raw("<li>" + Html.link("/console/reviews", "Emergency reviews") + "</li>")
          .raw("<li>" + Html.link("/console/alerts", "Alerts") + "</li>")
          .raw("<li>" + Html.link("/console/agreements", "Agreements") + "</li>")
          .raw("<li>" + Html.link("/console/integrity", "Log integrity") + "</li>")
          .raw(
              "<li><form method=\"post\" action=\"/console/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"")
          .text(session.csrf())
          .raw("\"><button type=\"submit\">Sign out</button></form></li></ul></nav>");
    }
    return page.raw("</header><main>").raw(body.toString()).raw("</main></body></html>").toString();
  }

  private static void errorPage(RoutingContext ctx, int status, IssueType code, String message) {
    Html body =
        new Html()
            .element("h1", "That did not work")
            .raw("<p class=\"message\" role=\"alert\">")
            .text(message)
            .raw("</p>")
            .raw("<p>" + Html.link("/console/", "Back to the console") + "</p>");
    send(ctx, status, "text/html; charset=utf-8", page("Error", null, body));
  }

  private static void redirect(RoutingContext ctx, String location) {
    ctx.response().setStatusCode(303).putHeader("Location", location).end();
  }

  private static void send(RoutingContext ctx, int status, String type, String body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", type).end(body);
  }

  private static String resource(String name) {
    try (InputStream in = Console.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("the console's " + name + " is missing from the build", e);
    }
  }
}
