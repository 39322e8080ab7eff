package org.placeshare.gateway.trust;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.Caller;

/**
 * What has been taken back, checked on every authenticated request and before every chunk of a
 * cohort job: the registry in force on this instance (a client suspended, removed or narrowed), the
 * fleet's record of each client's status and of revoked access tokens (one primary-key lookup of
 * each, in one query, so a change made through any instance holds on every instance at its next
 * request), and the client CA's revocation list.
 */
public final class Revocations {

  /**
   * The longest a console session lives. It carries the id of the token it began with, and is
   * checked against the revoked ids at every page, so it is a holder of that id as a token is.
   */
  public static final Duration LONGEST_SESSION = Duration.ofHours(8);

  /**
   * How long a revoked token id is kept: longer than anything that could carry it lives, a token or
   * a console session begun with one (with the clock skew tokens are checked with). Swept sooner, a
   * session idle at the revocation would find its id forgotten and go on.
   */
  static final Duration KEEP =
      (LONGEST_SESSION.compareTo(AccessTokens.LIFETIME) > 0
              ? LONGEST_SESSION
              : AccessTokens.LIFETIME)
          .plusMinutes(5);

  /** A reason an IG lead gives; the audit keeps it whole, so it is capped. */
  public static final int MAX_REASON_CHARS = 500;

  private static final String STANDING =
      "SELECT s.status, s.changed_at, r.revoked_at FROM (SELECT 1) AS one"
          + " LEFT JOIN client_status s ON s.client_id = $1"
          + " LEFT JOIN revoked_token r ON r.jti = $2";
  private static final String REVOKE =
      "INSERT INTO revoked_token (jti, revoked_at, revoked_by, reason, keep_until)"
          + " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (jti) DO NOTHING";
  private static final String SWEEP = "DELETE FROM revoked_token WHERE keep_until < $1";

  private final Pool pool;
  private final AccessTokens tokens;
  private final Optional<CrlStore> crl;

  public Revocations(Pool pool, AccessTokens tokens, Optional<CrlStore> crl) {
    this.pool = pool;
    this.tokens = tokens;
    this.crl = crl;
  }

  /**
   * Why this caller may no longer act, if trust in it has been taken back: its client not
   * registered as the token says on this instance, or suspended or removed anywhere in the fleet,
   * or its token revoked. Fails (the caller answers 503) when the fleet's record cannot be read.
   */
  public Future<Optional<String>> refusal(Caller caller) {
    Optional<String> here = tokens.refusal(caller);
    if (here.isPresent()) {
      return Future.succeededFuture(here);
    }
    return standing(caller.clientId(), caller.tokenId());
  }

  /** Why this client may get no token, if the fleet has suspended or removed it. */
  public Future<Optional<String>> clientRefusal(String clientId) {
    return standing(clientId, Optional.empty());
  }

  private Future<Optional<String>> standing(String clientId, Optional<String> jti) {
    return pool.preparedQuery(STANDING)
        .execute(Tuple.of(clientId, jti.orElse(null)))
        .map(
            rows -> {
              Row r = rows.iterator().next();
              OffsetDateTime revoked = r.getOffsetDateTime("revoked_at");
              if (revoked != null) {
                return Optional.of(
                    "access token " + jti.orElseThrow() + " was revoked at " + revoked.toInstant());
              }
              String status = r.getString("status");
              if (status == null || status.equals(ClientStatuses.ACTIVE)) {
                return Optional.<String>empty();
              }
              Instant at = r.getOffsetDateTime("changed_at").toInstant();
              return Optional.of(
                  status.equals(ClientStatuses.SUSPENDED)
                      ? "client " + clientId + " was suspended at " + at
                      : "client " + clientId + " was removed from the registry at " + at);
            });
  }

  /** Why a presented client certificate may not be used, if its CA has revoked it. */
  public Optional<String> certificateRefusal(X509Certificate certificate) {
    return crl.flatMap(c -> c.revoked(certificate));
  }

  /** The revocation list in force, when one is configured. */
  public Optional<CrlStore> revocationList() {
    return crl;
  }

  /**
   * Revokes an access token by its {@code jti}, on every instance from their next request.
   *
   * @return false when it was revoked already
   */
  public Future<Boolean> revokeToken(String jti, Caller by, String reason, Instant now) {
    return pool.preparedQuery(SWEEP)
        .execute(Tuple.of(now.atOffset(ZoneOffset.UTC)))
        .compose(
            swept ->
                pool.preparedQuery(REVOKE)
                    .execute(
                        Tuple.of(
                            jti,
                            now.atOffset(ZoneOffset.UTC),
                            by.clientId() + "/" + by.userId(),
                            reason,
                            now.plus(KEEP).atOffset(ZoneOffset.UTC))))
        .map(rows -> rows.rowCount() == 1);
  }

  /** A {@code jti} as this gateway issues them (a UUID), or empty. */
  public static Optional<String> tokenId(String value) {
    if (value == null || value.length() != 36) {
      return Optional.empty();
    }
    try {
      UUID id = UUID.fromString(value);
      return id.toString().equals(value) ? Optional.of(value) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
