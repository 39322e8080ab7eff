package org.placeshare.gateway.notify;

import com.nimbusds.jose.JOSEObjectType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.placeshare.fhir.CappedBody;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.Witnessing;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.Consent;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.EventKind;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PatientFacts;
import org.placeshare.policy.PolicySet;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.ClientRegistry;
import org.placeshare.policy.identity.JobCallers;
import org.placeshare.policy.identity.SigningKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox's read side: leases due deliveries, decides each at the moment of delivery ({@code
 * PolicySet.decideNotification}: an opt-out, a withdrawn agreement or a clause that no longer names
 * the kind stops it, silently for the subscriber and audited), and POSTs a permitted one as a
 * signed FHIR R4 {@code Bundle} of type {@code message} ({@link Notification}) to the
 * subscription's endpoint, following no redirect, within a deadline. A 2xx answer delivers it;
 * anything else is tried again with exponential backoff, up to {@link Settings#maxAttempts} tries,
 * then the delivery is dead. Several gateway instances share the table: a row is leased ({@code FOR
 * UPDATE SKIP LOCKED}, with an expiry) by one at a time, and every outcome is written only under
 * the lease. Within one subscription, a person's deliveries go in the order their events arrived.
 *
 * <p>Up to {@link Settings#batch} sends are in flight at once, with no round to wait for: a slot
 * freed by one send is filled by leasing again, fairly (the rows due longest first, and at most one
 * row in flight per subscription, none of a subscription waiting for a retry), so a receiver that
 * never answers holds one slot per subscription for one deadline and is then let alone until its
 * retry: another subscriber's delivery waits for it at most one deadline, and only when such
 * receivers hold every slot.
 */
public final class DeliveryWorker {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryWorker.class);

  /** The audit action of every delivery outcome. */
  public static final String ACTION = "notification-deliver";

  /** Most of a receiver's answer read before the connection is dropped: its body is not used. */
  static final int MAX_ANSWER_BYTES = 64 * 1024;

  /** The signature header: a detached compact JWS (RFC 7515 Appendix F) over the body. */
  public static final String SIGNATURE_HEADER = "X-Placeshare-Signature";

  /** The JWS {@code typ} of a notification's signature. */
  public static final JOSEObjectType SIGNATURE_TYPE = new JOSEObjectType("notification+jws");

  /** What a last error may say, at most (a database CHECK too); never personal data. */
  static final int MAX_ERROR_CHARS = 500;

  /**
   * How often, how many and how long.
   *
   * @param pollEvery how often the table is read for due deliveries
   * @param batch how many deliveries are in flight at most (leased and not yet settled)
   * @param lease how long a leased delivery is this instance's; longer than a deadline
   * @param deadline for one POST, from connecting to the end of the answer
   * @param retryBase the wait after the first failed try, doubled after each
   * @param retryCap the longest wait between tries
   * @param maxAttempts tries before a delivery is dead
   */
  public record Settings(
      Duration pollEvery,
      int batch,
      Duration lease,
      Duration deadline,
      Duration retryBase,
      Duration retryCap,
      int maxAttempts) {

    /** Eight tries over about an hour and a quarter (30 s, 1 min, 2 min, ... capped at 30 min). */
    public static final Settings DEFAULTS =
        new Settings(
            Duration.ofSeconds(1),
            20,
            Duration.ofMinutes(2),
            Duration.ofSeconds(10),
            Duration.ofSeconds(30),
            Duration.ofMinutes(30),
            8);

    public Settings {
      if (batch < 1 || maxAttempts < 1) {
        throw new IllegalArgumentException(
            "batch and maxAttempts: expected at least 1, got " + batch + " and " + maxAttempts);
      }
      if (lease.compareTo(deadline.multipliedBy(2)) < 0) {
        throw new IllegalArgumentException(
            "lease: expected at least twice the deadline " + deadline + ", got " + lease);
      }
    }

    /** The wait after the given number of failed tries: base, 2 base, 4 base, ..., at most cap. */
    Duration backoff(int failedTries) {
      Duration wait = retryBase;
      for (int i = 1; i < failedTries && wait.compareTo(retryCap) < 0; i++) {
        wait = wait.multipliedBy(2);
      }
      return wait.compareTo(retryCap) > 0 ? retryCap : wait;
    }
  }

  // Leases due rows fairly, and reads what delivering them needs, in one statement. A candidate is
  // the first pending row of its subscription and person (ordering per person), of a subscription
  // neither busy nor paused: none of its rows is leased now (at most one send in flight per
  // subscription, so a slow receiver holds one slot, not the batch) and none failed a try and waits
  // for its retry (a receiver that failed is let alone until then, its other rows with it, so a
  // hung one takes a slot for one deadline per backoff, not one per row). The busy and paused
  // subscriptions are read once (NOT IN, a hashed set), not once a row. Of each subscription the
  // earliest due (DISTINCT ON), and of those the longest due go first. The locking query checks
  // the lease again: a row another instance leased meanwhile is skipped, never taken twice.
  private static final String LEASE =
      "WITH leased AS (UPDATE notification_delivery d SET lease_owner = $1, lease_until = $2,"
          + " updated_at = $3 WHERE d.id IN (SELECT f.id FROM notification_delivery f"
          + "  WHERE f.id IN (SELECT DISTINCT ON (c.subscription_id) c.id"
          + "   FROM notification_delivery c"
          + "   WHERE c.status = 'pending' AND c.next_attempt_at <= $3"
          + "   AND (c.lease_until IS NULL OR c.lease_until < $3)"
          + "   AND NOT EXISTS (SELECT 1 FROM notification_delivery p"
          + "    WHERE p.subscription_id = c.subscription_id AND p.nhs_number = c.nhs_number"
          + "    AND p.status = 'pending' AND p.id < c.id)"
          + "   AND c.subscription_id NOT IN (SELECT q.subscription_id"
          + "    FROM notification_delivery q WHERE q.status = 'pending'"
          + "    AND (q.lease_until >= $3 OR (q.attempts > 0 AND q.next_attempt_at > $3)))"
          + "   ORDER BY c.subscription_id, c.next_attempt_at, c.id)"
          + "  AND f.status = 'pending' AND f.next_attempt_at <= $3"
          + "  AND (f.lease_until IS NULL OR f.lease_until < $3)"
          + "  ORDER BY f.next_attempt_at, f.id LIMIT $4 FOR UPDATE SKIP LOCKED)"
          + " RETURNING d.id, d.event_seq, d.subscription_id, d.idempotency_key, d.attempts,"
          + " d.created_at)"
          + " SELECT l.id, l.idempotency_key, l.attempts, l.created_at, e.event_id, e.organisation AS provider,"
          + " e.kind, e.nhs_number, e.source, e.occurred_at, e.change, s.id AS subscription,"
          + " s.client_id, s.organisation, s.purpose, s.endpoint"
          + " FROM leased l JOIN notification_event e ON e.seq = l.event_seq"
          + " JOIN subscription s ON s.id = l.subscription_id ORDER BY l.id";
  // A subscription whose client has left the registry: no one is left to receive it or end it.
  private static final String TURN_OFF =
      "UPDATE subscription SET status = 'off' WHERE id = $1 AND status = 'active'";
  private static final String SETTLE =
      "UPDATE notification_delivery SET status = $3, attempts = $4, next_attempt_at = $5,"
          + " last_error = $6, lease_owner = NULL, lease_until = NULL, updated_at = $7"
          + " WHERE id = $1 AND lease_owner = $2";

  private final Vertx vertx;
  private final Pool pool;
  private final PolicyStore policy;
  private final PatientRegister register;
  // The person's standing consents not withdrawn, as the consent register reads them for a release.
  private final Function<NhsNumber, Future<List<Consent>>> consents;
  private final Supplier<ClientRegistry> clients;
  // The configured sources by id: what each holds as a whole is weighed as a release weighs it.
  private final Map<String, SourceDescriptor> sources;
  private final SigningKey key;
  private final AuditLog audit;
  private final String publicUrl;
  private final Settings settings;
  private final Clock clock;
  private final Metrics metrics;
  private final String owner = "delivery-" + UUID.randomUUID();
  private final HttpClient http;
  private final JobCallers callers;
  private long timer = -1;
  private volatile boolean running;
  // The slots: sends in flight, and whether a lease is out (one at a time) or wanted again.
  private final Object slots = new Object();
  private int inFlight;
  private boolean leasing;
  private boolean leaseAgain;
  private final Set<Future<Integer>> sending = ConcurrentHashMap.newKeySet();

  /** When witnessing fails closed and is behind, nothing is sent (releases are held too). */
  private final Optional<Witnessing> witnessing;

  public DeliveryWorker(
      Vertx vertx,
      Pool pool,
      PolicyStore policy,
      PatientRegister register,
      Function<NhsNumber, Future<List<Consent>>> consents,
      Supplier<ClientRegistry> clients,
      Map<String, SourceDescriptor> sources,
      SigningKey key,
      AuditLog audit,
      String publicUrl,
      Settings settings,
      Metrics metrics,
      JobCallers callers,
      Optional<Witnessing> witnessing,
      Clock clock) {
    this.vertx = vertx;
    this.witnessing = witnessing;
    this.callers = callers;
    this.pool = pool;
    this.policy = policy;
    this.register = register;
    this.consents = consents;
    this.clients = clients;
    this.sources = Map.copyOf(sources);
    this.key = key;
    this.audit = audit;
    this.publicUrl = publicUrl;
    this.settings = settings;
    this.clock = clock;
    this.metrics = metrics;
    // No redirect is followed (the host checked at subscription is the host called) and no
    // connection waits longer than the deadline.
    this.http =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout((int) settings.deadline().toMillis())
                .setIdleTimeout((int) settings.deadline().toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setMaxRedirects(0),
            // As many connections as sends in flight at once.
            new PoolOptions().setHttp1MaxSize(settings.batch()));
  }

  /** The id this instance leases deliveries under. */
  public String owner() {
    return owner;
  }

  public Settings settings() {
    return settings;
  }

  public void start() {
    running = true;
    timer = vertx.setPeriodic(settings.pollEvery().toMillis(), id -> fill());
  }

  /** Stops leasing; the sends in flight finish (their leases would expire anyway). */
  public Future<Void> stop() {
    running = false;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return Future.join(List.copyOf(sending)).otherwiseEmpty().transform(x -> http.close());
  }

  /**
   * Fills the free slots: leases as many due rows as there are and starts sending each. Called at
   * each poll and whenever a send settles, so a slow send keeps its slot and no other waits for it.
   */
  private void fill() {
    int free;
    synchronized (slots) {
      if (!running) {
        return;
      }
      if (leasing) {
        // A lease is out: lease again when it is back, for the slot freed meanwhile.
        leaseAgain = true;
        return;
      }
      free = settings.batch() - inFlight;
      if (free <= 0) {
        return;
      }
      leasing = true;
    }
    leaseAndSend(free)
        .onComplete(
            started -> {
              boolean again;
              synchronized (slots) {
                leasing = false;
                // All asked for came: more may be due (the slots are full now, so a send that
                // settles calls again); or a slot was freed while the lease was out.
                again = leaseAgain || (started.succeeded() && started.result().size() == free);
                leaseAgain = false;
              }
              if (started.failed()) {
                LOG.warn("notification delivery lease failed: " + started.cause().getMessage());
              } else if (again) {
                fill();
              }
            });
  }

  /**
   * Leases what is due into the free slots and sends each; answers how many it settled once they
   * have. What the timer does, for a caller (a test) that wants to wait for the sends it started.
   */
  public Future<Integer> deliverDue() {
    int free;
    synchronized (slots) {
      free = settings.batch() - inFlight;
    }
    if (free <= 0) {
      return Future.succeededFuture(0);
    }
    return leaseAndSend(free)
        .compose(
            started ->
                Future.all(started).map(all -> started.stream().mapToInt(Future::result).sum()));
  }

  /**
   * Leases up to {@code most} due rows and starts a send for each, each holding a slot until it
   * settles (then the slots are filled again); answers the sends started, each ending with 1 when
   * its outcome was written, 0 when not (its lease then expires and it is tried again).
   */
  private Future<List<Future<Integer>>> leaseAndSend(int most) {
    if (witnessing.flatMap(Witnessing::refusal).isPresent()) {
      // Failing closed while the audit log is not witnessed: a notification names a person, so
      // none leaves; they wait in the outbox, no attempt counted, and go once it catches up.
      return Future.succeededFuture(List.of());
    }
    Instant now = clock.instant();
    return pool.preparedQuery(LEASE)
        .execute(
            Tuple.of(
                owner,
                now.plus(settings.lease()).atOffset(ZoneOffset.UTC),
                now.atOffset(ZoneOffset.UTC),
                most))
        .map(
            rows -> {
              synchronized (slots) {
                inFlight += rows.size();
              }
              // Every leased row is the first pending one of its subscription and person (the
              // lease takes no row behind another), so they are sent side by side without
              // breaking any person's order.
              List<Future<Integer>> started = new ArrayList<>();
              for (Row r : rows) {
                long id = r.getLong("id");
                Future<Integer> one =
                    Future.<Void>succeededFuture()
                        .compose(x -> deliver(Due.of(r)))
                        .map(1)
                        // A delivery that failed here keeps its lease until it expires, then is
                        // tried again.
                        .recover(
                            e -> {
                              LOG.warn(
                                  "notification delivery "
                                      + id
                                      + " not settled: "
                                      + e.getMessage());
                              return Future.succeededFuture(0);
                            });
                sending.add(one);
                started.add(one);
                one.onComplete(
                    x -> {
                      sending.remove(one);
                      synchronized (slots) {
                        inFlight--;
                      }
                      fill();
                    });
              }
              return started;
            });
  }

  /** One leased delivery, as read. */
  record Due(
      long id,
      String idempotencyKey,
      int attempts,
      Instant created,
      String eventId,
      OdsCode provider,
      EventKind kind,
      NhsNumber person,
      String source,
      Instant occurredAt,
      JsonObject change,
      UUID subscription,
      String clientId,
      OdsCode subscriber,
      PurposeOfUse purpose,
      String endpoint) {

    static Due of(Row r) {
      return new Due(
          r.getLong("id"),
          r.getString("idempotency_key"),
          r.getInteger("attempts"),
          r.getOffsetDateTime("created_at").toInstant(),
          r.getString("event_id"),
          OdsCode.of(r.getString("provider")),
          EventKind.of(r.getString("kind")).orElseThrow(),
          NhsNumber.parse(r.getString("nhs_number")),
          r.getString("source"),
          r.getOffsetDateTime("occurred_at").toInstant(),
          (JsonObject) r.getValue("change"),
          r.getUUID("subscription"),
          r.getString("client_id"),
          OdsCode.of(r.getString("organisation")),
          PurposeOfUse.of(r.getString("purpose")),
          r.getString("endpoint"));
    }
  }

  private Future<Void> deliver(Due due) {
    // The subscriber first, against the registry in force now: trust taken back since the
    // subscription was made stops its deliveries.
    Optional<SubscriberStanding.Lapsed> lapsed =
        SubscriberStanding.check(clients.get(), due.clientId(), due.subscriber(), due.endpoint());
    if (lapsed.isPresent()) {
      return lapse(due, lapsed.get());
    }
    // The source the change is about, as configured now: what it holds as a whole (criminal
    // offence data, say) is part of the question, as for a release. One no longer configured, or
    // now another organisation's, is not weighed on trust.
    SourceDescriptor source = sources.get(due.source());
    if (source == null || !source.organisation().equals(due.provider())) {
      String why = "source " + due.source() + " is not configured for " + due.provider();
      return audit(due, AuditEvent.Outcome.REFUSED, 403, List.of(), "refused at delivery: " + why)
          .compose(x -> settle(due, "refused", due.attempts(), Optional.of(why)));
    }
    PolicySet set = policy.current();
    DecisionRequest base =
        DecisionRequest.of(
                due.subscriber(),
                Subscription.ROLE,
                due.purpose(),
                due.person(),
                due.provider(),
                clock.instant())
            .withProviderHolds(source.holds());
    LocalDate day = base.day();
    // A pilot's daily volume counts what reaches the recipient, a notification as a release.
    List<String> capped = set.cappedAgreements(List.of(due.provider()), due.subscriber());
    // The person's standing consents, as a release weighs them: a consent withdrawn between the
    // event and now no longer counts.
    return Future.all(
            register.facts(due.person()),
            consents.apply(due.person()),
            register.releasedOn(due.subscriber(), day, capped))
        .compose(
            all -> {
              PatientFacts facts = all.resultAt(0);
              List<Consent> standing = all.resultAt(1);
              Map<String, Integer> releasedToday = all.resultAt(2);
              DecisionRequest request =
                  base.withFacts(facts).withConsents(standing).withReleasedToday(releasedToday);
              Decision decision = set.decideNotification(due.kind(), request);
              if (!decision.permitted()) {
                return refuse(due, decision);
              }
              // Counted before it is sent, only under the cap (each try is a release: what a try
              // sent may have arrived); a cap reached meanwhile refuses it, as it does a release.
              return register
                  .countReleases(List.of(decision), due.subscriber(), day)
                  .compose(
                      reached ->
                          reached.isEmpty()
                              ? send(due, decision)
                              : capReached(due, decision, reached));
            });
  }

  /** A pilot's daily volume for the subscriber reached as this delivery was counted: refused. */
  private Future<Void> capReached(Due due, Decision decision, List<Agreement> reached) {
    String why =
        reached.stream()
            .map(
                a ->
                    a.id()
                        + ": the pilot's daily volume of "
                        + a.dailyVolume().getAsInt()
                        + " for "
                        + due.subscriber()
                        + " is reached")
            .collect(Collectors.joining("; "));
    return audit(due, AuditEvent.Outcome.REFUSED, 403, decision, "refused at delivery: " + why)
        .compose(x -> settle(due, "refused", due.attempts(), Optional.of("pilot volume reached")));
  }

  /**
   * The subscriber may no longer be told: audited with the reason, settled as refused, nothing
   * sent; a removed client's subscription is turned off so no more deliveries are written for it.
   */
  private Future<Void> lapse(Due due, SubscriberStanding.Lapsed lapsed) {
    Future<Void> off =
        lapsed.removed()
            ? pool.preparedQuery(TURN_OFF).execute(Tuple.of(due.subscription())).mapEmpty()
            : Future.succeededFuture();
    return off.compose(
        x ->
            audit(
                    due,
                    AuditEvent.Outcome.REFUSED,
                    403,
                    List.of(),
                    "refused at delivery: "
                        + lapsed.reason()
                        + (lapsed.removed() ? "; subscription turned off" : ""))
                .compose(
                    y -> settle(due, "refused", due.attempts(), Optional.of(lapsed.reason()))));
  }

  /** Refused at delivery: audited, settled as refused, nothing sent. */
  private Future<Void> refuse(Due due, Decision decision) {
    return audit(due, AuditEvent.Outcome.REFUSED, 403, decision, "refused at delivery")
        .compose(x -> settle(due, "refused", due.attempts(), Optional.of("refused by policy")));
  }

  private Future<Void> send(Due due, Decision decision) {
    Buffer body =
        Buffer.buffer(
            Notification.bundle(due, publicUrl).encode().getBytes(StandardCharsets.UTF_8));
    String signature = key.signDetached(SIGNATURE_TYPE, body.getBytes());
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setAbsoluteURI(due.endpoint())
            .setFollowRedirects(false)
            .putHeader("Content-Type", "application/fhir+json")
            .putHeader("Idempotency-Key", due.idempotencyKey())
            .putHeader(SIGNATURE_HEADER, signature);
    int tries = due.attempts() + 1;
    return http.request(options)
        .compose(
            req ->
                req.send(body)
                    .compose(
                        resp ->
                            // The answer's body is not wanted: read and dropped, capped as every
                            // upstream body is, within the deadline.
                            CappedBody.discard(resp, MAX_ANSWER_BYTES).map(x -> resp.statusCode()))
                    .timeout(settings.deadline().toMillis(), TimeUnit.MILLISECONDS)
                    .onFailure(e -> req.reset()))
        .map(
            status ->
                status >= 200 && status < 300
                    ? Optional.<String>empty()
                    : Optional.of("receiver answered " + status))
        .recover(e -> Future.succeededFuture(Optional.of(safe(e))))
        .compose(
            failure -> {
              if (failure.isEmpty()) {
                return audit(due, AuditEvent.Outcome.PERMITTED, 200, decision, "delivered")
                    .compose(x -> settle(due, "delivered", tries, Optional.empty()));
              }
              if (tries >= settings.maxAttempts()) {
                return audit(
                        due,
                        AuditEvent.Outcome.FAILED,
                        503,
                        decision,
                        "dead after " + tries + " tries: " + failure.get())
                    .compose(x -> settle(due, "dead", tries, failure));
              }
              return settle(due, "pending", tries, failure);
            });
  }

  /** What went wrong, in words safe to keep: the kind of failure, never a URL or a body. */
  private static String safe(Throwable e) {
    String kind = e.getClass().getSimpleName();
    return kind.isEmpty() ? "request failed" : "request failed: " + kind;
  }

  private Future<Void> settle(Due due, String status, int attempts, Optional<String> error) {
    Instant now = clock.instant();
    Instant next = status.equals("pending") ? now.plus(settings.backoff(attempts)) : now;
    String text =
        error
            .map(t -> t.length() > MAX_ERROR_CHARS ? t.substring(0, MAX_ERROR_CHARS) : t)
            .orElse(null);
    return pool.preparedQuery(SETTLE)
        .execute(
            Tuple.tuple()
                .addLong(due.id())
                .addString(owner)
                .addString(status)
                .addInteger(attempts)
                .addOffsetDateTime(next.atOffset(ZoneOffset.UTC))
                .addString(text)
                .addOffsetDateTime(now.atOffset(ZoneOffset.UTC)))
        // Counted once written under the lease: a lost lease's outcome is another instance's.
        .onSuccess(
            rows -> {
              if (rows.rowCount() == 1) {
                metrics.delivery(status.equals("pending") ? "failed-try" : status);
              }
            })
        .mapEmpty();
  }

  private Future<Long> audit(
      Due due, AuditEvent.Outcome outcome, int status, Decision decision, String what) {
    return audit(
        due, outcome, status, List.of(AuditEvent.SourceDecision.of(due.source(), decision)), what);
  }

  /** With no decision: a delivery refused before one was made (the subscriber lapsed). */
  private Future<Long> audit(
      Due due,
      AuditEvent.Outcome outcome,
      int status,
      List<AuditEvent.SourceDecision> decisions,
      String what) {
    String detail =
        due.kind().code()
            + " event "
            + due.eventId()
            + " from "
            + due.source()
            + " to subscription "
            + due.subscription()
            + " of "
            + due.clientId()
            + " ("
            + due.subscriber()
            + "): "
            + what;
    return audit.append(
        new AuditEvent(
            UUID.randomUUID(),
            clock.instant(),
            "delivery-" + due.id(),
            ACTION,
            outcome,
            status,
            Optional.of(due.person()),
            // The subscriber, as verified when it subscribed: audit searches by organisation or
            // client find what it was told and what it was refused. No end user acts: the client
            // stands as its own user.
            Optional.of(
                callers.resume(
                    due.subscriber(),
                    due.clientId(),
                    due.clientId(),
                    Subscription.ROLE,
                    due.purpose())),
            Optional.empty(),
            Optional.empty(),
            decisions,
            Map.of(),
            List.of(),
            detail,
            0));
  }
}
