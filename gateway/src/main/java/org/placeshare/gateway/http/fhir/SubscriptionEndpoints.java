package org.placeshare.gateway.http.fhir;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.cohort.Cohorts;
import org.placeshare.gateway.http.edge.FhirBody;
import org.placeshare.gateway.http.edge.FhirFormat;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.oauth.RegisteredRole;
import org.placeshare.gateway.notify.NotificationEndpoint;
import org.placeshare.gateway.notify.Subscription;
import org.placeshare.gateway.notify.SubscriptionCriteria;
import org.placeshare.gateway.notify.SubscriptionStore;
import org.placeshare.policy.EventKind;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.ClientRegistrations;
import org.placeshare.policy.identity.RegisteredClient;

/**
 * Change notifications' subscriptions (issue 19), as FHIR R4 {@code Subscription} resources (<a
 * href="https://hl7.org/fhir/R4/subscription.html">R4 Subscription</a>): {@code POST
 * /fhir/Subscription} by a client registered for role {@value Subscription#ROLE}, {@code GET} and
 * {@code DELETE /fhir/Subscription/{id}} by the client that made it (404 to any other). The channel
 * is a rest-hook with payload {@code application/fhir+json} to an endpoint {@link
 * NotificationEndpoint} accepts. Every call is audited.
 */
public final class SubscriptionEndpoints {

  /** A Subscription is a few lines; anything larger is not one. */
  public static final int MAX_SUBSCRIPTION_BYTES = 16 * 1024;

  private final Vertx vertx;
  private final SubscriptionStore store;
  private final Cohorts cohorts;
  private final ClientRegistrations registrations;
  private final RegisteredRole role;
  private final CohortCalls calls;
  private final String publicUrl;
  private final Clock clock;

  public SubscriptionEndpoints(
      Vertx vertx,
      SubscriptionStore store,
      Cohorts cohorts,
      ClientRegistrations registrations,
      AuditLog audit,
      String publicUrl,
      Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.cohorts = cohorts;
    this.registrations = registrations;
    this.role = new RegisteredRole(Subscription.ROLE, registrations);
    this.calls = new CohortCalls(audit, clock);
    this.publicUrl = publicUrl;
    this.clock = clock;
  }

  /** Lets only subscribers through: anyone else is a 403, audited. */
  public void requireSubscriber(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "subscription";
    Optional<String> why = role.whyNot(state.caller);
    if (why.isPresent()) {
      ctx.fail(
          403,
          new GatewayException(
              IssueType.FORBIDDEN,
              "subscriptions are for clients registered for role " + Subscription.ROLE,
              why.get()));
      return;
    }
    ctx.next();
  }

  // --- POST /fhir/Subscription ---

  public void create(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "subscription-create";
    Caller caller = state.caller;
    String body = ctx.body().asString();
    if (body == null || body.isBlank()) {
      ctx.fail(
          400, new GatewayException(IssueType.INVALID, "expected a FHIR Subscription as the body"));
      return;
    }
    FhirFormat format;
    try {
      format = FhirBody.format(ctx);
    } catch (GatewayException e) {
      ctx.fail(e);
      return;
    }
    vertx
        .executeBlocking(() -> SubscriptionResources.read(format, body), false)
        .onFailure(e -> ctx.fail(400, SubscriptionResources.unreadable(e)))
        .onSuccess(
            resource -> {
              Subscription subscription;
              try {
                subscription = subscription(resource, caller);
              } catch (GatewayException e) {
                ctx.fail(e.status() > 0 ? e.status() : 400, e);
                return;
              }
              cohortOwned(subscription, caller)
                  .compose(x -> store.add(subscription))
                  .recover(
                      e ->
                          Future.failedFuture(
                              e instanceof SubscriptionStore.Refused refused
                                  ? notAdded(refused)
                                  : e))
                  .onFailure(e -> CohortCalls.failWith(ctx, e))
                  .onSuccess(
                      s ->
                          calls.audited(
                              ctx,
                              state,
                              201,
                              "subscription "
                                  + s.id()
                                  + " to "
                                  + s.kinds().size()
                                  + " kinds for "
                                  + s.cohort().map(c -> "cohort " + c).orElse("care relationships")
                                  + " at "
                                  + s.endpoint().getHost(),
                              () -> {
                                ctx.response()
                                    .putHeader(
                                        "Location", publicUrl + "/fhir/Subscription/" + s.id());
                                Outcomes.sendFhir(ctx, 201, fhir(s));
                              }));
            });
  }

  /** The subscription asked for, checked; a {@link GatewayException} says what is wrong. */
  private Subscription subscription(SubscriptionResources.Requested r, Caller caller) {
    if (!"requested".equals(r.status())) {
      throw invalid("Subscription.status: expected requested, got " + r.status());
    }
    SubscriptionCriteria criteria;
    try {
      criteria = SubscriptionCriteria.parse(r.criteria());
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    if (!SubscriptionResources.REST_HOOK.equals(r.channelType())) {
      throw invalid("Subscription.channel.type: expected rest-hook, got " + r.channelType());
    }
    if (!SubscriptionResources.PAYLOAD.equals(r.payload())) {
      throw invalid(
          "Subscription.channel.payload: expected "
              + SubscriptionResources.PAYLOAD
              + ", got "
              + r.payload());
    }
    if (r.headers() > 0) {
      // Headers chosen by the subscriber would ride on the gateway's signed requests.
      throw invalid("Subscription.channel.header: expected none");
    }
    Set<String> hosts =
        registrations
            .find(caller.clientId())
            .map(RegisteredClient::notificationHosts)
            .orElse(Set.of());
    URI endpoint;
    try {
      endpoint = NotificationEndpoint.check(r.endpoint(), hosts);
    } catch (NotificationEndpoint.Refused e) {
      throw new GatewayException(
          e.forbidden() ? 403 : 400,
          e.forbidden() ? IssueType.FORBIDDEN : IssueType.VALUE,
          e.getMessage(),
          e.getMessage());
    }
    return new Subscription(
        UUID.randomUUID(),
        caller.clientId(),
        caller.organisation(),
        caller.purpose(),
        criteria.kinds(),
        criteria.cohort(),
        endpoint,
        Subscription.Status.ACTIVE,
        clock.instant());
  }

  /** A cohort in the criteria must be one the subscriber's organisation registered. */
  private Future<Void> cohortOwned(Subscription s, Caller caller) {
    if (s.cohort().isEmpty()) {
      return Future.succeededFuture();
    }
    return cohorts
        .find(s.cohort().get(), caller.organisation())
        .compose(
            found ->
                found.isPresent()
                    ? Future.succeededFuture()
                    : Future.failedFuture(
                        new GatewayException(
                            403,
                            IssueType.FORBIDDEN,
                            "Subscription.criteria: _cohort: expected a Group your organisation"
                                + " registered",
                            "cohort not the subscriber's")));
  }

  /**
   * A duplicate is 409 (the client already has it); one subscription too many is 422: the request
   * is well formed, but the per-client cap ({@link SubscriptionStore#MAX_ACTIVE_PER_CLIENT}) says
   * no.
   */
  private static GatewayException notAdded(SubscriptionStore.Refused refused) {
    return refused.duplicate()
        ? new GatewayException(
            409, IssueType.DUPLICATE, refused.getMessage(), "duplicate subscription")
        : new GatewayException(
            422, IssueType.BUSINESSRULE, refused.getMessage(), "subscriptions per client capped");
  }

  private static GatewayException invalid(String message) {
    return new GatewayException(400, IssueType.INVALID, message, message);
  }

  // --- GET /fhir/Subscription/{id} ---

  public void read(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "subscription-read";
    Optional<UUID> id = CohortCalls.uuid(ctx.pathParam("id"));
    if (id.isEmpty()) {
      ctx.fail(404, noSuchSubscription());
      return;
    }
    store
        .find(id.get(), state.caller.clientId())
        .compose(
            found ->
                found.isPresent()
                    ? Future.succeededFuture(found.get())
                    : Future.failedFuture(noSuchSubscription()))
        .onFailure(e -> CohortCalls.failWith(ctx, e))
        .onSuccess(
            s ->
                calls.audited(
                    ctx,
                    state,
                    200,
                    "subscription " + s.id() + " read",
                    () -> Outcomes.sendFhir(ctx, 200, fhir(s))));
  }

  // --- DELETE /fhir/Subscription/{id} ---

  public void delete(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "subscription-delete";
    Optional<UUID> id = CohortCalls.uuid(ctx.pathParam("id"));
    if (id.isEmpty()) {
      ctx.fail(404, noSuchSubscription());
      return;
    }
    store
        .delete(id.get(), state.caller.clientId())
        .compose(
            deleted ->
                deleted
                    ? Future.succeededFuture(id.get())
                    : Future.<UUID>failedFuture(noSuchSubscription()))
        .onFailure(e -> CohortCalls.failWith(ctx, e))
        .onSuccess(
            gone ->
                calls.audited(
                    ctx,
                    state,
                    204,
                    "subscription " + gone + " deleted",
                    () -> Outcomes.noStore(ctx.response()).setStatusCode(204).end()));
  }

  private static GatewayException noSuchSubscription() {
    return new GatewayException(
        404, IssueType.NOTFOUND, "no such Subscription for your client", "no such subscription");
  }

  /** The subscription as FHIR: criteria in the one accepted form, the channel as checked. */
  static Resource fhir(Subscription s) {
    return SubscriptionResources.resource(
        s.id(),
        s.status() == Subscription.Status.ACTIVE,
        "Patient?_event="
            + String.join(",", s.kinds().stream().map(EventKind::code).sorted().toList())
            + "&_cohort="
            + s.cohort().map(c -> "Group/" + c).orElse("care-relationship"),
        s.endpoint().toString());
  }
}
