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

  public Future<Subscription> add(Subscription s) {
    return pool.preparedQuery(INSERT)
        .execute(
            Tuple.tuple()
                .addUUID(s.id())
                .addString(s.clientId())
                .addString(s.organisation().value())
                .addString(s.purpose().code())
                .addArrayOfString(
                    s.kinds().stream().map(EventKind::code).sorted().toArray(String[]::new))
                .addUUID(s.cohort().orElse(null))
                .addString(s.endpoint().toString())
                .addString(s.status().code())
                .addOffsetDateTime(s.created().atOffset(ZoneOffset.UTC)))
        .map(s);
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

  private static Subscription of(Row r) {
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
