package org.placeshare.gateway.notify;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.placeshare.policy.EventKind;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;

/**
 * Subscriptions in PostgreSQL. A subscription belongs to the client that made it: to any other it
 * does not exist, so reading or deleting another's answers as for an unknown id.
 */
public final class SubscriptionStore {

  /**
   * Most active subscriptions one client holds. Each is a stream of deliveries the gateway makes on
   * the client's word, each holding a send slot while its receiver is slow: a client cannot take
   * more than this many of them.
   */
  public static final int MAX_ACTIVE_PER_CLIENT = 10;

  // One client's subscriptions are added one at a time (a lock for the transaction, per client),
  // so two requests at once cannot both pass the count or both add the same subscription.
  private static final String LOCK_CLIENT =
      "SELECT pg_advisory_xact_lock(hashtext('subscription:' || $1))";
  private static final String ACTIVE =
      "SELECT count(*) AS active, (SELECT min(d.id::text) FROM subscription d"
          + " WHERE d.client_id = $1 AND d.status = 'active' AND d.kinds = $2"
          + " AND d.cohort_id IS NOT DISTINCT FROM $3 AND d.endpoint = $4) AS same"
          + " FROM subscription WHERE client_id = $1 AND status = 'active'";

  private static final String INSERT =
      "INSERT INTO subscription (id, client_id, organisation, purpose, kinds, cohort_id, endpoint,"
          + " status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
  private static final String FIND =
      "SELECT id, client_id, organisation, purpose, kinds, cohort_id, endpoint, status, created_at"
          + " FROM subscription WHERE id = $1 AND client_id = $2";
  private static final String DELETE = "DELETE FROM subscription WHERE id = $1 AND client_id = $2";

  private final Pool pool;

  public SubscriptionStore(Pool pool) {
    this.pool = pool;
  }

  /** Why a subscription was not added: a duplicate of an active one, or one too many. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean duplicate;

    Refused(boolean duplicate, String message) {
      super(message, null, false, false);
      this.duplicate = duplicate;
    }

    /** The same criteria and endpoint as an active subscription of the client. */
    public boolean duplicate() {
      return duplicate;
    }
  }

  /**
   * Adds the subscription unless the client already has an active one with the same kinds, cohort
   * and endpoint, or already has {@link #MAX_ACTIVE_PER_CLIENT} active ones: then fails with {@link
   * Refused}.
   */
  public Future<Subscription> add(Subscription s) {
    String[] kinds = s.kinds().stream().map(EventKind::code).sorted().toArray(String[]::new);
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(LOCK_CLIENT)
                .execute(Tuple.of(s.clientId()))
                .compose(
                    x ->
                        conn.preparedQuery(ACTIVE)
                            .execute(
                                Tuple.tuple()
                                    .addString(s.clientId())
                                    .addArrayOfString(kinds)
                                    .addUUID(s.cohort().orElse(null))
                                    .addString(s.endpoint().toString())))
                .compose(
                    rows -> {
                      Row r = rows.iterator().next();
                      String same = r.getString("same");
                      if (same != null) {
                        return Future.failedFuture(
                            new Refused(
                                true,
                                "Subscription: expected new criteria or a new endpoint; your"
                                    + " Subscription/"
                                    + same
                                    + " has the same"));
                      }
                      long active = r.getLong("active");
                      if (active >= MAX_ACTIVE_PER_CLIENT) {
                        return Future.failedFuture(
                            new Refused(
                                false,
                                "Subscription: expected at most "
                                    + MAX_ACTIVE_PER_CLIENT
                                    + " active subscriptions per client, you have "
                                    + active
                                    + "; delete one first"));
                      }
                      return conn.preparedQuery(INSERT)
                          .execute(
                              Tuple.tuple()
                                  .addUUID(s.id())
                                  .addString(s.clientId())
                                  .addString(s.organisation().value())
                                  .addString(s.purpose().code())
                                  .addArrayOfString(kinds)
                                  .addUUID(s.cohort().orElse(null))
                                  .addString(s.endpoint().toString())
                                  .addString(s.status().code())
                                  .addOffsetDateTime(s.created().atOffset(ZoneOffset.UTC)))
                          .map(s);
                    }));
  }

  /** The subscription, if it exists and this client made it. */
  public Future<Optional<Subscription>> find(UUID id, String clientId) {
    return pool.preparedQuery(FIND)
        .execute(Tuple.of(id, clientId))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.<Subscription>empty()
                    : Optional.of(of(rows.iterator().next())));
  }

  /** Deletes the subscription if this client made it; answers whether it did. */
  public Future<Boolean> delete(UUID id, String clientId) {
    return pool.preparedQuery(DELETE)
        .execute(Tuple.of(id, clientId))
        .map(rows -> rows.rowCount() == 1);
  }

  /** A subscription as stored; the ledger reads rows of the same columns. */
  static Subscription of(Row r) {
    Set<EventKind> kinds = EnumSet.noneOf(EventKind.class);
    for (String code : r.getArrayOfStrings("kinds")) {
      kinds.add(EventKind.of(code).orElseThrow());
    }
    return new Subscription(
        r.getUUID("id"),
        r.getString("client_id"),
        OdsCode.of(r.getString("organisation")),
        PurposeOfUse.of(r.getString("purpose")),
        kinds,
        Optional.ofNullable(r.getUUID("cohort_id")),
        URI.create(r.getString("endpoint")),
        Subscription.Status.valueOf(r.getString("status").toUpperCase(Locale.ROOT)),
        r.getOffsetDateTime("created_at").toInstant());
  }
}
