package org.placeshare.gateway.http.notify;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.FhirFailureHandler;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.gateway.http.oauth.RegisteredRole;
import org.placeshare.gateway.linkage.LinkageRegister;
import org.placeshare.gateway.notify.ChangeEvent;
import org.placeshare.gateway.notify.EventMessage;
import org.placeshare.gateway.notify.EventStore;
import org.placeshare.gateway.notify.InvalidChangeEvent;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.ClientRegistrations;

/**
 * Events in (issue 19, "tell us once"): {@code POST /events}, a source reporting a change about a
 * person as the small JSON event {@link ChangeEvent} documents. The caller holds the {@value #ROLE}
 * role (its client registered for it, see {@link RegisteredRole}) and belongs to the organisation
 * of the source it names; the event is checked, then stored in PostgreSQL, then audited naming the
 * person, and only then acknowledged: 201 when new, 200 with the stored event when the same event
 * came before under its id, 409 when another did. Every request is an audit event.
 */
public final class EventEndpoints {

  public static final String ROLE = "event-reporter";

  static final String ACTION = "event-report";

  private static final String JSON = "application/json";

  /** A FHIR R4 message Bundle ({@link EventMessage}), read into the same event. */
  private static final String FHIR_JSON = "application/fhir+json";

  private final EventStore store;
  private final RegisteredRole role;
  // Source id -> its organisation's ODS code.
  private final Map<String, String> organisations = new LinkedHashMap<>();
  // The traced sources: their records reach a person only through the linkage register.
  private final Set<String> traced;
  // The sources that hold the NHS number themselves, asked whether they hold the person.
  private final Map<String, RecordSource> holders = new LinkedHashMap<>();
  private final LinkageRegister links;
  private final AuditLog audit;
  private final Clock clock;

  public EventEndpoints(
      EventStore store,
      ClientRegistrations registrations,
      List<RecordSource> sources,
      List<SourceDescriptor> tracedSources,
      LinkageRegister links,
      AuditLog audit,
      Clock clock) {
    this.store = store;
    this.role = new RegisteredRole(ROLE, registrations);
    sources.forEach(
        s -> organisations.put(s.descriptor().id(), s.descriptor().organisation().value()));
    tracedSources.forEach(d -> organisations.putIfAbsent(d.id(), d.organisation().value()));
    this.traced = tracedSources.stream().map(SourceDescriptor::id).collect(Collectors.toSet());
    sources.stream()
        .filter(s -> !traced.contains(s.descriptor().id()))
        .forEach(s -> holders.put(s.descriptor().id(), s));
    this.links = links;
    this.audit = audit;
    this.clock = clock;
  }

  /** The route: authenticated, the role and the media type checked before the body is read. */
  public void mount(
      Router router, Handler<RoutingContext> authentication, FhirFailureHandler failures) {
    router
        .route("/events")
        .handler(
            ctx -> {
              RequestState.begin(ctx, clock.instant(), ACTION);
              ctx.next();
            });
    router
        .post("/events")
        .handler(authentication)
        .handler(
            ctx -> {
              ctx.request().pause();
              ctx.next();
            })
        .handler(this::admit);
    // A second route: Vert.x takes a body handler only ahead of a route's own handlers.
    router
        .post("/events")
        .handler(BodyHandler.create(false).setBodyLimit(ChangeEvent.MAX_BODY_BYTES))
        .handler(this::report);
    router
        .route("/events")
        .handler(
            ctx ->
                ctx.fail(
                    405,
                    new GatewayException(
                        IssueType.NOTSUPPORTED, "expected POST of a change event")));
    router.route("/events").failureHandler(failures::handle);
  }

  /**
   * Only event reporters, and only the JSON event or a FHIR message: anything else is refused
   * before the body is read.
   */
  void admit(RoutingContext ctx) {
    Caller caller = RequestState.get(ctx).caller;
    Optional<String> notReporter = role.whyNot(caller);
    if (notReporter.isPresent()) {
      ctx.fail(
          403,
          new GatewayException(
              IssueType.FORBIDDEN,
              "reporting events is for clients registered as " + ROLE,
              notReporter.get()));
      return;
    }
    String type = ctx.request().getHeader("Content-Type");
    String media = media(ctx);
    if (!media.equals(JSON) && !media.equals(FHIR_JSON)) {
      ctx.fail(
          415,
          new GatewayException(
              IssueType.NOTSUPPORTED,
              "expected a body of type "
                  + JSON
                  + " or "
                  + FHIR_JSON
                  + ", got "
                  + (type == null ? "none" : type)));
      return;
    }
    ctx.next();
  }

  /** {@code POST /events}: checks, stores, audits, then acknowledges. */
  void report(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    ChangeEvent event;
    try {
      JsonObject body = body(ctx);
      // Both forms are one event, held to the same checks and caps.
      event =
          ChangeEvent.parse(
              media(ctx).equals(FHIR_JSON) ? EventMessage.event(body) : body, clock.instant());
    } catch (InvalidChangeEvent e) {
      ctx.fail(400, StrictJson.invalid(e.getMessage()));
      return;
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    state.patient = event.nhsNumber();
    String organisation = organisations.get(event.source());
    if (organisation == null || !organisation.equals(state.caller.organisation().value())) {
      // An unknown source and another organisation's are one answer: no list of sources leaks.
      ctx.fail(
          403,
          new GatewayException(
              IssueType.FORBIDDEN,
              "a client reports events of its own organisation's sources only",
              "event "
                  + event.id()
                  + " names source "
                  + event.source()
                  + (organisation == null
                      ? ", not a configured source"
                      : " of "
                          + organisation
                          + ", not the caller's "
                          + state.caller.organisation())));
      return;
    }
    // An event already stored under its id (a resend after a lost answer) was checked when it
    // came: the source is not asked again, and the store answers 200 or 409.
    store
        .find(state.caller.organisation(), event.id())
        .compose(stored -> stored.isPresent() ? Future.succeededFuture() : personHeld(event))
        .compose(
            held ->
                store.keep(
                    event, state.caller.organisation(), state.caller.clientId(), clock.instant()))
        .onFailure(e -> fail(ctx, event, e))
        .onSuccess(stored -> answer(ctx, stored));
  }

  /**
   * Succeeds when the person is one of the source's: for a traced source, a live link in the
   * linkage register; for a source holding the NHS number itself, its answer to a search for the
   * person's {@code Patient} (one search, within the source's deadline). Fails with 422 when the
   * source does not hold the person, and with 503 when it cannot be asked: nothing is stored then,
   * and the source should resend.
   */
  private Future<Void> personHeld(ChangeEvent event) {
    if (traced.contains(event.source())) {
      return links
          .linksTo(event.source(), event.nhsNumber())
          .compose(
              found ->
                  found.isEmpty()
                      ? Future.failedFuture(
                          new GatewayException(
                              422,
                              IssueType.BUSINESSRULE,
                              "the person is not linked to a record of this source",
                              "event "
                                  + event.id()
                                  + " of traced source "
                                  + event.source()
                                  + " about a person with no live link"))
                      : Future.succeededFuture());
    }
    RecordSource source = holders.get(event.source());
    if (source == null) {
      // Every configured source is traced or a holder; refuse rather than take it on trust.
      return Future.failedFuture(
          new GatewayException(
              422,
              IssueType.BUSINESSRULE,
              "not a person of this source",
              "event "
                  + event.id()
                  + " names source "
                  + event.source()
                  + ", which cannot be asked"));
    }
    return source
        .fetch(event.nhsNumber(), Set.of("Patient"))
        .compose(
            answer -> {
              if (answer instanceof SourceRecords.Found) {
                return Future.succeededFuture();
              }
              if (answer instanceof SourceRecords.Failed failed) {
                return Future.failedFuture(
                    new GatewayException(
                        503,
                        IssueType.TRANSIENT,
                        "the source could not be asked whether it holds the person; nothing was"
                            + " stored, resend the event later",
                        "event "
                            + event.id()
                            + ": source "
                            + event.source()
                            + " "
                            + failed.reason()));
              }
              return Future.failedFuture(
                  new GatewayException(
                      422,
                      IssueType.BUSINESSRULE,
                      "not a person of this source",
                      "event "
                          + event.id()
                          + " about a person source "
                          + event.source()
                          + " does not hold"));
            });
  }

  private void answer(RoutingContext ctx, EventStore.Stored stored) {
    ChangeEvent event = stored.event();
    if (stored.kept() == EventStore.Kept.CONFLICT) {
      ctx.fail(
          409,
          new GatewayException(
              IssueType.CONFLICT,
              "another event was reported under this id",
              "event " + event.id() + " reported again with a different body"));
      return;
    }
    boolean created = stored.kept() == EventStore.Kept.NEW;
    int status = created ? 201 : 200;
    String detail =
        event.kind().code()
            + " event "
            + event.id()
            + " from "
            + event.source()
            + (created ? " received" : " received again (already stored)")
            + ", stored as "
            + stored.seq();
    audit
        .append(
            RequestState.get(ctx)
                .event(
                    clock.instant(),
                    AuditEvent.Outcome.PERMITTED,
                    status,
                    Map.of(),
                    List.of(),
                    detail))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            index ->
                Outcomes.noStore(ctx.response())
                    .setStatusCode(status)
                    .putHeader("Content-Type", JSON)
                    .end(
                        event
                            .json()
                            .put("receivedAt", stored.receivedAt().toString())
                            .put("status", "received")
                            .encode()));
  }

  private static void fail(RoutingContext ctx, ChangeEvent event, Throwable e) {
    if (e instanceof GatewayException g) {
      ctx.fail(g.status() > 0 ? g.status() : 400, g);
    } else if (AuditUnavailable.is(e)) {
      ctx.fail(503, e);
    } else {
      GatewayException storage = storageFailed(event, e);
      ctx.fail(storage.status(), storage);
    }
  }

  /**
   * The store (or the lookup before it) failed: a transient fault of the gateway, answered 503 so
   * the source resends, and audited as every answer is. Not "audit unavailable": the audit is up,
   * and saying otherwise would leave the refusal unrecorded. The detail names the failure's type,
   * never its message (a database error may quote the values it was given).
   */
  static GatewayException storageFailed(ChangeEvent event, Throwable e) {
    return new GatewayException(
        503,
        IssueType.TRANSIENT,
        "the event could not be stored; nothing was acknowledged, resend the event later",
        "event " + event.id() + " not stored: " + e.getClass().getSimpleName());
  }

  private static String media(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    return type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
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
