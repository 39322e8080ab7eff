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
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.placeshare.fhir.CappedBody;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.Consent;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.EventKind;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PatientFacts;
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
   * @param batch how many deliveries one round leases
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

  // Leases due rows whose earlier rows for the same subscription and person are done (ordering
  // per person), and reads what delivering them needs, in one statement.
  private static final String LEASE =
      "WITH leased AS (UPDATE notification_delivery d SET lease_owner = $1, lease_until = $2,"
          + " updated_at = $3 WHERE d.id IN (SELECT c.id FROM notification_delivery c"
          + "  WHERE c.status = 'pending' AND c.next_attempt_at <= $3"
          + "  AND (c.lease_until IS NULL OR c.lease_until < $3)"
          + "  AND NOT EXISTS (SELECT 1 FROM notification_delivery p"
          + "   WHERE p.subscription_id = c.subscription_id AND p.nhs_number = c.nhs_number"
          + "   AND p.status = 'pending' AND p.id < c.id)"
          + "  ORDER BY c.id LIMIT $4 FOR UPDATE SKIP LOCKED)"
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
  private boolean running;
  private Future<Void> round = Future.succeededFuture();

  public DeliveryWorker(
      Vertx vertx,
      Pool pool,
      PolicyStore policy,
      PatientRegister register,
      Function<NhsNumber, Future<List<Consent>>> consents,
      Supplier<ClientRegistry> clients,
      SigningKey key,
      AuditLog audit,
      String publicUrl,
      Settings settings,
      Metrics metrics,
      JobCallers callers,
      Clock clock) {
    this.vertx = vertx;
    this.callers = callers;
    this.pool = pool;
    this.policy = policy;
    this.register = register;
    this.consents = consents;
    this.clients = clients;
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
            // As many connections as a round sends at once.
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
    timer = vertx.setPeriodic(settings.pollEvery().toMillis(), id -> tick());
  }

  /** Stops leasing; the round in hand finishes (its leases would expire anyway). */
  public Future<Void> stop() {
    running = false;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return round.otherwiseEmpty().transform(x -> http.close());
  }

  private void tick() {
    if (!running || !round.isComplete()) {
      return;
    }
    round =
        deliverDue()
            .onSuccess(
                settled -> {
                  // A full round means more may be due: go on at once rather than at the next
                  // poll, so a burst drains at the receivers' pace, not the poll's.
                  if (settled >= settings.batch()) {
                    vertx.runOnContext(x -> tick());
                  }
                })
            .<Void>mapEmpty()
            .onFailure(e -> LOG.warn("notification delivery round failed: " + e.getMessage()));
  }

  /** One round: leases what is due and settles each; answers how many it settled. */
  public Future<Integer> deliverDue() {
    Instant now = clock.instant();
    return pool.preparedQuery(LEASE)
        .execute(
            Tuple.of(
                owner,
                now.plus(settings.lease()).atOffset(ZoneOffset.UTC),
                now.atOffset(ZoneOffset.UTC),
                settings.batch()))
        .compose(
            rows -> {
              // Every leased row is the first pending one of its subscription and person (the
              // lease takes no row behind another), so a round's rows are sent side by side
              // without breaking any person's order.
              List<Future<Integer>> settled = new ArrayList<>();
              for (Row r : rows) {
                long id = r.getLong("id");
                settled.add(
                    deliver(Due.of(r))
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
                            }));
              }
              return Future.all(settled)
                  .map(all -> settled.stream().mapToInt(Future::result).sum());
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
    // The person's standing consents, as a release weighs them: a consent withdrawn between the
    // event and now no longer counts.
    return Future.all(register.facts(due.person()), consents.apply(due.person()))
        .compose(
            both -> {
              PatientFacts facts = both.resultAt(0);
              List<Consent> standing = both.resultAt(1);
              Instant now = clock.instant();
              DecisionRequest request =
                  new DecisionRequest(
                      due.subscriber(),
                      Subscription.ROLE,
                      due.purpose(),
                      due.person(),
                      due.provider(),
                      standing,
                      Optional.empty(),
                      Optional.empty(),
                      facts,
                      Map.of(),
                      now,
                      0,
                      Set.of(),
                      Set.of(),
                      Map.of(),
                      Optional.empty());
              Decision decision = policy.current().decideNotification(due.kind(), request);
              if (!decision.permitted()) {
                return refuse(due, decision);
              }
              return send(due, decision);
            });
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
