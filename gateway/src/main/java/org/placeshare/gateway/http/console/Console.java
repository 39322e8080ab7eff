package org.placeshare.gateway.http.console;

import io.vertx.core.Future;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.FhirFailureHandler;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.oauth.Authentication;
import org.placeshare.gateway.http.oauth.IgLead;
import org.placeshare.gateway.trust.Revocations;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.TokenException;

/**
 * The IG console at {@code /console/}: plain server-made pages over the audit API, for IG leads who
 * will not audit with curl. Sign-in takes an IG access token once and holds a session; pages carry
 * no script, a strict Content-Security-Policy, and a CSRF token on every form that changes
 * anything. Every page read is audited as the API's reads are. This class holds the session side
 * and what every page shares; the pages are {@link ConsoleAuditPages} and {@link
 * ConsoleOversightPages}, their HTML the templates of {@link ConsoleTemplates}.
 */
public final class Console {

  static final String COOKIE = "placeshare_console";
  static final String CSP =
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
          + " frame-ancestors 'none'; base-uri 'none'";

  /** A console form is a token, a CSRF token, a filter or a review comment: never bigger. */
  static final int MAX_FORM_BYTES = 16 * 1024;

  private static final String HTML = "text/html; charset=utf-8";
  private static final String REFUSED_TOKEN =
      "That token was refused. Ask for a fresh one: tokens last five minutes.";

  private final AccessTokens tokens;
  private final Authentication authentication;
  private final IgLead igLead;
  private final Revocations revocations;
  private final ConsoleSessions sessions;
  private final AuditLog audit;
  private final Clock clock;
  private final ConsoleTemplates templates = new ConsoleTemplates();
  private final FhirFailureHandler failures;
  private final String css;

  public Console(
      AccessTokens tokens,
      Authentication authentication,
      IgLead igLead,
      AuditLog audit,
      Revocations revocations,
      Clock clock) {
    this.tokens = tokens;
    this.authentication = authentication;
    this.igLead = igLead;
    this.revocations = revocations;
    this.sessions = new ConsoleSessions(clock);
    this.audit = audit;
    this.clock = clock;
    this.failures = new FhirFailureHandler(audit, clock, this::errorPage);
    this.css = resource("/console/console.css");
  }

  /** The body of a console form, capped at {@link #MAX_FORM_BYTES}. */
  public static BodyHandler form() {
    return BodyHandler.create(false).setBodyLimit(MAX_FORM_BYTES);
  }

  // --- every request ---

  public void headers(RoutingContext ctx) {
    Outcomes.noStore(ctx.response())
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }

  public void begin(RoutingContext ctx) {
    RequestState.begin(ctx, clock.instant(), "console");
    ctx.next();
  }

  public void stylesheet(RoutingContext ctx) {
    send(ctx, 200, "text/css", css);
  }

  public void fail(RoutingContext ctx) {
    failures.handle(ctx);
  }

  // --- sessions ---

  private Optional<ConsoleSessions.Session> session(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(COOKIE);
    return sessions.find(cookie == null ? null : cookie.getValue());
  }

  public void home(RoutingContext ctx) {
    if (session(ctx).isPresent()) {
      redirect(ctx, "/console/audit");
      return;
    }
    signInPage(ctx, 200, Optional.empty());
  }

  private void signInPage(RoutingContext ctx, int status, Optional<String> message) {
    send(ctx, status, HTML, templates.render(new SignInPage(Chrome.signedOut("Sign in"), message)));
  }

  public void signIn(RoutingContext ctx) {
    String token = ctx.request().getFormAttribute("token");
    Caller caller;
    try {
      caller = tokens.verify(token == null ? "" : token.strip());
    } catch (TokenException e) {
      refuseSignIn(ctx, REFUSED_TOKEN, e.getMessage());
      return;
    }
    // As the API does: a token bound to another client's certificate signs nobody in.
    Optional<String> unbound = authentication.notBoundHere(ctx, caller);
    if (unbound.isPresent()) {
      refuseSignIn(ctx, REFUSED_TOKEN, unbound.get());
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
                    why -> refuseSignIn(ctx, REFUSED_TOKEN, why), () -> startSession(ctx, caller)));
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
        .onSuccess(v -> signInPage(ctx, 401, Optional.of(message)));
  }

  public void requireSession(RoutingContext ctx) {
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

  public void requireCsrfOnChange(RoutingContext ctx) {
    if (!ctx.request().method().name().equals("POST")) {
      ctx.next();
      return;
    }
    if (!ConsoleSessions.csrfMatches(
        session(ctx, "csrf"), ctx.request().getFormAttribute("csrf"))) {
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

  public void signOut(RoutingContext ctx) {
    sessions.end(session(ctx, "sign-out").id());
    ctx.response().addCookie(Cookie.cookie(COOKIE, "").setPath("/console").setMaxAge(0));
    redirect(ctx, "/console/");
  }

  // --- what the pages share ---

  /** The session {@link #requireSession} found; every page behind it has one. */
  static ConsoleSessions.Session session(RoutingContext ctx, String page) {
    ConsoleSessions.Session session = ctx.get("session");
    if (session == null) {
      throw new IllegalStateException("console " + page + " mounted before requireSession");
    }
    return session;
  }

  /** The frame of a signed-in page: its title and who is signed in. */
  static Chrome chrome(RoutingContext ctx, String title) {
    ConsoleSessions.Session session = session(ctx, title);
    Caller caller = session.caller();
    return Chrome.signedIn(
        title,
        new Chrome.SignedIn(caller.userId(), caller.organisation().toString(), session.csrf()));
  }

  /** Audits the page read, then sends the page: nothing is shown that was not audited. */
  public void show(RoutingContext ctx, ConsolePage page, String auditDetail) {
    audited(ctx, auditDetail)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(v -> send(ctx, 200, HTML, templates.render(page)));
  }

  Future<Void> audited(RoutingContext ctx, String detail) {
    AuditEvent event =
        RequestState.get(ctx)
            .event(clock.instant(), AuditEvent.Outcome.PERMITTED, 200, Map.of(), List.of(), detail);
    return audit.append(event).mapEmpty();
  }

  private void errorPage(RoutingContext ctx, int status, IssueType code, String message) {
    send(ctx, status, HTML, templates.render(new ErrorPage(Chrome.signedOut("Error"), message)));
  }

  public static void redirect(RoutingContext ctx, String location) {
    ctx.response().setStatusCode(303).putHeader("Location", location).end();
  }

  public static void send(RoutingContext ctx, int status, String type, String body) {
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
