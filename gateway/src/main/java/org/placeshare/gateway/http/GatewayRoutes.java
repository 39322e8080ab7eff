package org.placeshare.gateway.http;

import com.nimbusds.jose.jwk.ECKey;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.gateway.audit.AgreementUsage;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.audit.AuditTree;
import org.placeshare.gateway.audit.Witnessing;
import org.placeshare.gateway.cohort.Cohorts;
import org.placeshare.gateway.cohort.ExportJobs;
import org.placeshare.gateway.cohort.ExportRunner;
import org.placeshare.gateway.cohort.MemberRelease;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.consent.ConsentRegister;
import org.placeshare.gateway.consent.ConsentVerifier;
import org.placeshare.gateway.household.HouseholdRegister;
import org.placeshare.gateway.http.audit.AuditEndpoints;
import org.placeshare.gateway.http.audit.AuditEventSearch;
import org.placeshare.gateway.http.audit.AuditProofEndpoints;
import org.placeshare.gateway.http.audit.AuditReviewEndpoints;
import org.placeshare.gateway.http.audit.AuditTileEndpoints;
import org.placeshare.gateway.http.consent.ConsentEndpoints;
import org.placeshare.gateway.http.consent.ConsentIssuing;
import org.placeshare.gateway.http.consent.ConsentRecorder;
import org.placeshare.gateway.http.console.Console;
import org.placeshare.gateway.http.console.ConsoleAuditPages;
import org.placeshare.gateway.http.console.ConsoleNotificationPages;
import org.placeshare.gateway.http.console.ConsoleOversightPages;
import org.placeshare.gateway.http.edge.FhirFailureHandler;
import org.placeshare.gateway.http.edge.FhirFormat;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.fhir.BulkJobEndpoints;
import org.placeshare.gateway.http.fhir.BulkKickOff;
import org.placeshare.gateway.http.fhir.CohortEndpoints;
import org.placeshare.gateway.http.fhir.HouseholdView;
import org.placeshare.gateway.http.fhir.Metadata;
import org.placeshare.gateway.http.fhir.OperationDefinitions;
import org.placeshare.gateway.http.fhir.PatientMatch;
import org.placeshare.gateway.http.fhir.PatientRest;
import org.placeshare.gateway.http.fhir.PersonViewHandler;
import org.placeshare.gateway.http.fhir.RateLimit;
import org.placeshare.gateway.http.fhir.SubscriptionEndpoints;
import org.placeshare.gateway.http.linkage.LinkageEndpoints;
import org.placeshare.gateway.http.notify.EventEndpoints;
import org.placeshare.gateway.http.oauth.Authentication;
import org.placeshare.gateway.http.oauth.IgLead;
import org.placeshare.gateway.http.oauth.ScopeGuard;
import org.placeshare.gateway.http.oauth.TokenEndpoint;
import org.placeshare.gateway.http.oauth.WellKnown;
import org.placeshare.gateway.http.policy.PolicyEndpoints;
import org.placeshare.gateway.http.trust.TrustEndpoints;
import org.placeshare.gateway.linkage.LinkageSync;
import org.placeshare.gateway.notify.DeliveryLedger;
import org.placeshare.gateway.notify.EventStore;
import org.placeshare.gateway.notify.SubscriptionStore;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.gateway.release.PersonRelease;
import org.placeshare.gateway.trust.AssertionReplay;
import org.placeshare.gateway.trust.ClientStore;
import org.placeshare.gateway.trust.Revocations;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.ClientAssertionVerifier;
import org.placeshare.policy.identity.ClientRegistrations;
import org.placeshare.policy.identity.SigningKey;

/** The gateway's HTTP API, one line per endpoint. */
public final class GatewayRoutes {

  private GatewayRoutes() {}

  /** Everything the routes serve with. */
  public record Services(
      PolicyStore policy,
      PatientRegister register,
      List<RecordSource> sources,
      AuditLog audit,
      SigningKey signingKey,
      Optional<SigningKey> consentKey,
      ClientAssertionVerifier assertions,
      AccessTokens tokens,
      AssertionReplay replay,
      ConsentVerifier consentVerifier,
      ConsentRegister consents,
      boolean mutualTls,
      Optional<Pseudonyms> pseudonyms,
      AuditTree tree,
      Pool pool,
      String publicUrl,
      ECKey auditPublicKey,
      boolean tls,
      int maxConcurrentRequests,
      int clientRequestsPerMinute,
      Metrics metrics,
      GatewayConfig.Cohorts cohortSettings,
      ExportRunner exportRunner,
      MemberRelease memberRelease,
      PersonRelease release,
      ClientStore clients,
      Revocations revocations,
      Clock clock,
      LinkageSync linkage,
      Optional<ReferenceIndex> referenceIndex,
      HouseholdRegister households,
      Optional<Witnessing> witnessing) {}

  public static Router create(Vertx vertx, Services s) {
    Clock clock = s.clock();
    Router router = Router.router(vertx);
    router
        .route()
        .order(-100)
        .handler(new Admission(s.maxConcurrentRequests(), s.tls(), s.metrics(), clock)::handle);
    TokenEndpoint tokenEndpoint =
        new TokenEndpoint(
            s.assertions(),
            s.tokens(),
            s.replay(),
            s.audit(),
            clock,
            s.mutualTls(),
            s.revocations(),
            s.clients(),
            s.policy());
    Authentication authentication = new Authentication(s.tokens(), s.mutualTls(), s.revocations());
    // Registrations are read at each check, through the same lookup the tokens are checked against.
    ClientRegistrations registrations = s.tokens()::registration;
    IgLead igLead = new IgLead(registrations);
    // Issue 18 (part F): each view's addresses and family ties feed the household register.
    PatientRest patients = new PatientRest(s.publicUrl());
    PersonViewHandler personView =
        new PersonViewHandler(
            vertx, s.release(), s.households(), s.audit(), s.metrics(), patients, clock);
    PolicyEndpoints policyEndpoints =
        new PolicyEndpoints(
            vertx,
            s.policy(),
            s.register(),
            s.sources().stream().map(RecordSource::descriptor).toList(),
            s.audit(),
            clock);
    ConsentEndpoints consentEndpoints =
        new ConsentEndpoints(
            s.consentVerifier(), s.consents(), s.register(), s.audit(), igLead, clock);
    ConsentIssuing consentIssuing =
        new ConsentIssuing(
            consentEndpoints,
            s.consentVerifier(),
            s.consentKey(),
            new ConsentRecorder(registrations),
            clock);
    FhirFailureHandler failures = new FhirFailureHandler(s.audit(), clock);
    List<Object> keys = new ArrayList<>();
    keys.add(s.signingKey().publicJwk().toJSONObject());
    s.consentKey().ifPresent(k -> keys.add(k.publicJwk().toJSONObject()));
    JsonObject jwks = new JsonObject().put("keys", keys);

    router.route("/oauth2/token").handler(ctx -> audited(ctx, clock, TokenEndpoint.ACTION));
    router
        .post("/oauth2/token")
        .handler(BodyHandler.create(false).setBodyLimit(TokenEndpoint.MAX_REQUEST_BYTES))
        .handler(tokenEndpoint::handle);
    // Any other method is refused through the token endpoint's door, not the bare 404 below.
    router.route("/oauth2/token").handler(ctx -> ctx.fail(405));
    router.route("/oauth2/token").failureHandler(tokenEndpoint::failed);
    router.get("/.well-known/jwks.json").handler(ctx -> json(ctx, jwks));
    WellKnown wellKnown = new WellKnown(s.publicUrl());
    router.get("/.well-known/smart-configuration").handler(wellKnown::smartConfiguration);
    router.get("/.well-known/oauth-authorization-server").handler(wellKnown::authorizationServer);
    // The bare status for load balancers; metrics and details are on the management listener.
    Health health = new Health(s.policy(), s.pool(), s.sources(), false);
    router.get("/health/live").handler(health::live);
    router.get("/health/ready").handler(health::ready);

    Metadata metadata = new Metadata(s.publicUrl());
    router.get("/openapi.yaml").handler(metadata::openapi);
    router.route("/fhir/*").handler(ctx -> audited(ctx, clock, "fhir-request"));
    // Issue 20: every FHIR answer, errors included, in the format asked (JSON or XML; else 406).
    // Bulk files are NDJSON, asked for as such: their errors stay JSON.
    router.routeWithRegex("/fhir/(?!bulk-files/).*").handler(FhirFormat::negotiate);
    router.get("/fhir/metadata").handler(metadata::capability);
    OperationDefinitions definitions = new OperationDefinitions(s.publicUrl());
    router.get("/fhir/OperationDefinition/:id").handler(definitions::read);
    // Every person-level request of a client counts against its limit, refused or not: a scope
    // that does not cover the type is decided after the count, as an agreement's refusal is.
    RateLimit rateLimit = RateLimit.requests(s.pool(), s.clientRequestsPerMinute(), clock);
    Cohorts cohortStore = new Cohorts(s.pool());
    ExportJobs exportJobs = new ExportJobs(s.pool(), s.tokens().jobCallers());
    CohortEndpoints cohorts =
        new CohortEndpoints(
            vertx,
            cohortStore,
            exportJobs,
            s.exportRunner(),
            s.memberRelease(),
            s.audit(),
            s.publicUrl(),
            s.cohortSettings().maxMembers(),
            s.cohortSettings().maxJobsPerClient(),
            clock);
    // Before Patient/{nhsNumber}: "$export" is not an NHS number.
    router
        .get("/fhir/Patient/$export")
        .handler(authentication::handle)
        .handler(rateLimit::handle)
        .handler(ScopeGuard.requires("Patient"))
        .handler(cohorts::patientExport);
    router
        .get("/fhir/Patient/:nhsNumber/:operation")
        .handler(authentication::handle)
        .handler(rateLimit::handle)
        .handler(ScopeGuard.requires("Patient"))
        .handler(personView::parse)
        .handler(personView::respond);
    // Issue 20: operations by POST with a Parameters body, as HAPI's generic client invokes them;
    // authenticated and counted before the body is read, as for Group.
    router
        .post("/fhir/Patient/:nhsNumber/:operation")
        .handler(authentication::handle)
        .handler(ScopeGuard.requires("Patient"))
        .handler(GatewayRoutes::holdBody)
        .handler(rateLimit::handle);
    router
        .post("/fhir/Patient/:nhsNumber/:operation")
        .handler(BodyHandler.create(false).setBodyLimit(PersonViewHandler.MAX_PARAMETERS_BYTES))
        .handler(personView::parsePosted)
        .handler(personView::respond);
    // Issue 20: Patient read and search by NHS number, the same governed release as the view.
    router
        .get("/fhir/Patient/:nhsNumber")
        .handler(authentication::handle)
        .handler(rateLimit::handle)
        .handler(ScopeGuard.requires("Patient"))
        .handler(patients::parseRead)
        .handler(personView::respond);
    router
        .get("/fhir/Patient")
        .handler(authentication::handle)
        .handler(rateLimit::handle)
        .handler(ScopeGuard.requires("Patient"))
        .handler(patients::parseSearch)
        .handler(personView::respond);
    PatientMatch match =
        new PatientMatch(
            vertx, s.referenceIndex(), s.policy(), s.register(), s.audit(), s.witnessing(), clock);
    // As for Group: authenticated, authorised and counted before the body is read.
    router
        .post("/fhir/Patient/$match")
        .handler(authentication::handle)
        .handler(ScopeGuard.requires("Patient"))
        .handler(GatewayRoutes::holdBody)
        .handler(match::authorise)
        .handler(RateLimit.traces(s.pool(), PatientMatch.TRACES_PER_MINUTE, clock)::handle);
    router
        .post("/fhir/Patient/$match")
        .handler(BodyHandler.create(false).setBodyLimit(PatientMatch.MAX_BODY_BYTES))
        .handler(match::trace);
    // Authenticated and counted before the body is read: a stranger or a client over its limit
    // cannot make the gateway buffer one. The count is a query, so the body waits paused.
    router
        .post("/fhir/Group")
        .handler(authentication::handle)
        .handler(ScopeGuard.requires("Group"))
        .handler(GatewayRoutes::holdBody)
        .handler(rateLimit::handle);
    // A second route: Vert.x takes a body handler only ahead of a route's own handlers.
    router
        .post("/fhir/Group")
        .handler(
            BodyHandler.create(false)
                .setBodyLimit(CohortEndpoints.maxGroupBytes(s.cohortSettings().maxMembers())))
        .handler(cohorts::register);
    router
        .get("/fhir/Group/:id")
        .handler(authentication::handle)
        .handler(ScopeGuard.requires("Group"))
        .handler(cohorts::read);
    router
        .delete("/fhir/Group/:id")
        .handler(authentication::handle)
        .handler(ScopeGuard.requires("Group"))
        .handler(cohorts::delete);
    router
        .get("/fhir/Group/:id/:operation")
        .handler(authentication::handle)
        .handler(ScopeGuard.requires("Group"))
        .handler(rateLimit::handle)
        .handler(cohorts::kickOff);
    // Bulk Data v2 kick-offs by POST with a Parameters body, and the patient-level export: as for
    // Group, authenticated and counted before the body is read.
    Map<String, String> kickOffs =
        Map.of("/fhir/Group/:id/:operation", "Group", "/fhir/Patient/$export", "Patient");
    for (String kickOff : kickOffs.keySet()) {
      router
          .post(kickOff)
          .handler(authentication::handle)
          .handler(ScopeGuard.requires(kickOffs.get(kickOff)))
          .handler(GatewayRoutes::holdBody)
          .handler(rateLimit::handle);
      router
          .post(kickOff)
          .handler(BodyHandler.create(false).setBodyLimit(BulkKickOff.MAX_BODY_BYTES));
    }
    router.post("/fhir/Group/:id/:operation").handler(cohorts::kickOff);
    router.post("/fhir/Patient/$export").handler(cohorts::patientExport);
    BulkJobEndpoints bulkJobs =
        new BulkJobEndpoints(
            cohortStore,
            exportJobs,
            s.exportRunner(),
            s.audit(),
            s.publicUrl(),
            s.witnessing(),
            clock);
    router.get("/fhir/bulk-status/:job").handler(authentication::handle).handler(bulkJobs::status);
    router
        .delete("/fhir/bulk-status/:job")
        .handler(authentication::handle)
        .handler(bulkJobs::cancel);
    router
        .get("/fhir/bulk-files/:job/:file")
        .handler(authentication::handle)
        .handler(bulkJobs::download);
    // Issue 19 (part S): change notifications' subscriptions, subscribers only.
    SubscriptionEndpoints subscriptions =
        new SubscriptionEndpoints(
            vertx,
            new SubscriptionStore(s.pool()),
            cohortStore,
            registrations,
            s.audit(),
            s.publicUrl(),
            clock);
    router.route("/fhir/Subscription*").handler(authentication::handle);
    router.route("/fhir/Subscription*").handler(subscriptions::requireSubscriber);
    // A notification names the person (a Patient with the NHS number): the Patient scope, as for
    // a view. A subscriber's token has it while an agreement names it a recipient of Patient.
    router.route("/fhir/Subscription*").handler(ScopeGuard.requires("Patient"));
    router
        .post("/fhir/Subscription")
        .handler(
            BodyHandler.create(false).setBodyLimit(SubscriptionEndpoints.MAX_SUBSCRIPTION_BYTES))
        .handler(subscriptions::create);
    router.get("/fhir/Subscription/:id").handler(subscriptions::read);
    router.delete("/fhir/Subscription/:id").handler(subscriptions::delete);
    // Issue 21: the audit log as a FHIR AuditEvent search, for IG leads, every search audited.
    AuditEventSearch auditEvents =
        new AuditEventSearch(new AuditSearch(s.pool()), s.audit(), s.publicUrl(), clock);
    router
        .get("/fhir/AuditEvent")
        .handler(auditEvents::begin)
        .handler(authentication::handle)
        .handler(igLead::require)
        .handler(auditEvents::search);
    router.route("/fhir/*").handler(ctx -> ctx.fail(404, notFound()));
    router.route("/fhir/*").failureHandler(failures::handle);

    router.route("/agreements*").handler(ctx -> audited(ctx, clock, "read-agreements"));
    router.route("/agreements*").handler(authentication::handle);
    router.get("/agreements").handler(policyEndpoints::list);
    router.get("/agreements/:id").handler(policyEndpoints::one);
    router.route("/agreements*").failureHandler(failures::handle);

    router.route("/policy/*").handler(ctx -> audited(ctx, clock, "policy-admin"));
    router.route("/policy/*").handler(authentication::handle);
    router.route("/policy/*").handler(igLead::require);
    router
        .post("/policy/evaluate")
        .handler(BodyHandler.create(false).setBodyLimit(PolicyEndpoints.MAX_EVALUATE_BYTES))
        .handler(policyEndpoints::evaluate);
    router.get("/policy/status").handler(policyEndpoints::status);
    router.post("/policy/reload").handler(policyEndpoints::reload);
    router.route("/policy/*").failureHandler(failures::handle);

    new TrustEndpoints(vertx, s.clients(), s.revocations(), s.audit(), clock)
        .mount(router, authentication::handle, igLead::require, failures);

    new LinkageEndpoints(s.linkage(), s.sources(), registrations, igLead, s.audit(), clock)
        .mount(router, authentication::handle, failures);

    // Issue 19, events in: a source reports a change about a person.
    new EventEndpoints(
            new EventStore(s.pool(), s.metrics()),
            registrations,
            s.sources(),
            s.linkage().rosters().stream().map(r -> r.descriptor()).toList(),
            s.linkage().register(),
            s.audit(),
            clock)
        .mount(router, authentication::handle, failures);

    router.route("/consents*").handler(ctx -> audited(ctx, clock, "consent"));
    router.route("/consents*").handler(authentication::handle);
    router
        .post("/consents")
        .handler(BodyHandler.create(false).setBodyLimit(ConsentEndpoints.MAX_BODY_BYTES))
        .handler(consentEndpoints::register);
    router
        .post("/consents/issue")
        .handler(BodyHandler.create(false).setBodyLimit(ConsentEndpoints.MAX_BODY_BYTES))
        .handler(consentIssuing::issue);
    router.get("/consents").handler(consentEndpoints::list);
    router.delete("/consents/:id").handler(consentEndpoints::withdraw);
    router.route("/consents*").failureHandler(failures::handle);

    AuditProofEndpoints proofs = new AuditProofEndpoints(s.tree(), s.witnessing());
    // The C2SP checkpoint is public (origin, size and root: no personal data), as witnesses and
    // monitors poll it; not audited, or each poll would grow the log it reads.
    router.get("/audit/checkpoint").handler(proofs::checkpointNote);
    router.route("/audit/*").handler(ctx -> audited(ctx, clock, "audit-read"));
    router.route("/audit/*").handler(authentication::handle);
    AuditSearch auditSearch = new AuditSearch(s.pool());
    AuditEndpoints auditApi =
        new AuditEndpoints(
            auditSearch, s.audit(), s.pool(), s.publicUrl(), s.policy(), s.witnessing(), clock);
    AuditReviewEndpoints reviews =
        new AuditReviewEndpoints(auditSearch, s.audit(), s.pool(), clock);
    router.get("/audit/checkpoint.json").handler(proofs::checkpoint);
    router.get("/audit/proof/inclusion").handler(proofs::inclusion);
    router.get("/audit/proof/consistency").handler(proofs::consistency);
    AuditTileEndpoints tiles = new AuditTileEndpoints(s.tree());
    router.get("/audit/tile/*").handler(tiles::tile);
    // Everything else under /audit holds personal data: IG leads only, every read audited.
    router.route("/audit/*").handler(igLead::require);
    router.get("/audit/tile/entries/*").handler(tiles::entries);
    router.get("/audit/events").handler(auditApi::events);
    router.get("/audit/patients/:nhs/accesses").handler(auditApi::accesses);
    router.get("/audit/reviews").handler(reviews::awaitingReview);
    router.get("/audit/reviews/:eventId").handler(reviews::reviewHistory);
    router
        .post("/audit/reviews/:eventId")
        .handler(BodyHandler.create(false).setBodyLimit(ConsentEndpoints.MAX_BODY_BYTES))
        .handler(reviews::review);
    router.get("/audit/alerts").handler(auditApi::alerts);
    router.get("/audit/export").handler(auditApi::export);
    router
        .post("/audit/retention")
        .handler(BodyHandler.create(false).setBodyLimit(ConsentEndpoints.MAX_BODY_BYTES))
        .handler(auditApi::retention);
    router.route("/audit/*").failureHandler(failures::handle);

    // The IG console: pages for people, over the same audit log, every page read audited.
    Console console =
        new Console(s.tokens(), authentication, igLead, s.audit(), s.revocations(), clock);
    ConsoleAuditPages consoleAudit = new ConsoleAuditPages(console, auditSearch);
    ConsoleOversightPages oversight =
        new ConsoleOversightPages(
            console,
            auditSearch,
            s.policy(),
            s.tree(),
            s.pool(),
            new AgreementUsage(
                s.pool(),
                Set.of(
                    PersonViewHandler.ACTION,
                    PatientRest.READ_ACTION,
                    PatientRest.SEARCH_ACTION,
                    MemberRelease.ACTION,
                    HouseholdView.ACTION,
                    HouseholdView.MEMBER_ACTION)),
            s.auditPublicKey(),
            s.witnessing(),
            clock);
    router.route("/console*").handler(console::headers);
    router.route("/console*").handler(console::begin);
    router.get("/console/console.css").handler(console::stylesheet);
    router.get("/console/").handler(console::home);
    router.post("/console/session").handler(Console.form()).handler(console::signIn);
    router.route("/console/*").handler(console::requireSession);
    router.route("/console/*").handler(Console.form());
    router.route("/console/*").handler(console::requireCsrfOnChange);
    router.post("/console/sign-out").handler(console::signOut);
    router.get("/console/audit").handler(consoleAudit::search);
    router.get("/console/audit.csv").handler(consoleAudit::csv);
    router.get("/console/events/:id").handler(consoleAudit::event);
    router.get("/console/accesses").handler(consoleAudit::accesses);
    router.get("/console/reviews").handler(oversight::reviews);
    router.post("/console/reviews/:id").handler(oversight::review);
    router.get("/console/alerts").handler(oversight::alerts);
    router.get("/console/agreements").handler(oversight::agreements);
    router.get("/console/integrity").handler(oversight::integrity);
    router.post("/console/integrity/verify").handler(oversight::verifyNow);
    router
        .get("/console/notifications")
        .handler(
            new ConsoleNotificationPages(console, new DeliveryLedger(s.pool()))::notifications);
    router.route("/console*").failureHandler(console::fail);

    router.route().last().handler(ctx -> ctx.response().setStatusCode(404).end());
    return router;
  }

  private static void audited(RoutingContext ctx, Clock clock, String action) {
    RequestState.begin(ctx, clock.instant(), action);
    ctx.next();
  }

  private static GatewayException notFound() {
    return new GatewayException(IssueType.NOTSUPPORTED, "no such FHIR interaction on this gateway");
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
  }

  /**
   * Holds a request's body unread while the handlers before its body handler decide (who asks,
   * within its limit: a query), so a stranger or a client over its limit cannot make the gateway
   * buffer one; the body handler of the route's second registration reads it.
   */
  private static void holdBody(RoutingContext ctx) {
    ctx.request().pause();
    ctx.next();
  }
}
