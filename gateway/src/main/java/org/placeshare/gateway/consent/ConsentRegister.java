package org.placeshare.gateway.consent;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.VerifiedConsent;

/**
 * Consents in PostgreSQL, shared by every gateway instance: read at every request, so a withdrawal
 * made through any instance applies to the next request on all of them. Only verified consents go
 * in; withdrawal marks a row and never deletes it.
 */
public final class ConsentRegister {

  /** A consent as the register holds it. */
  public record Entry(
      Consent consent,
      boolean standing,
      Instant firstSeenAt,
      String firstSeenBy,
      Optional<Instant> withdrawnAt,
      Optional<String> withdrawnBy,
      Optional<String> withdrawalReason) {

    public boolean withdrawn() {
      return withdrawnAt.isPresent();
    }
  }

  /** What registering did. */
  public enum Registered {
    NEW,
    ALREADY,
    /** Now standing where before it had only been presented with a request. */
    MADE_STANDING,
    WITHDRAWN,
    /** The id is taken by a different consent. */
    CONFLICT
  }

  private static final String COLUMNS =
      "jti, issuer, nhs_number, recipients, purposes, scopes, method, recorded_by, not_before,"
          + " expires, standing, first_seen_at, first_seen_by, withdrawn_at, withdrawn_by,"
          + " withdrawal_reason";
  private static final String INSERT =
      "INSERT INTO consent (jti, issuer, nhs_number, recipients, purposes, scopes, method,"
          + " recorded_by, not_before, expires, token, standing, first_seen_at, first_seen_by)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
          + " ON CONFLICT (jti) DO NOTHING RETURNING jti";
  private static final String BY_ID = "SELECT " + COLUMNS + ", token FROM consent WHERE jti = $1";
  private static final String MAKE_STANDING =
      "UPDATE consent SET standing = true WHERE jti = $1 AND NOT standing";
  private static final String FOR_PATIENT =
      "SELECT " + COLUMNS + " FROM consent WHERE nhs_number = $1 ORDER BY first_seen_at, jti";

  /** The person's consents and the one with the presented token's id, whoever it is for. */
  private static final String FOR_RELEASE =
      "SELECT "
          + COLUMNS
          + ", token = $2 AS presented FROM consent WHERE nhs_number = $1 OR jti = $3"
          + " ORDER BY first_seen_at, jti";

  private static final String FOR_PATIENTS =
      "SELECT "
          + COLUMNS
          + " FROM consent WHERE nhs_number = ANY($1) ORDER BY nhs_number, first_seen_at, jti";
  private static final String WITHDRAW =
      "UPDATE consent SET withdrawn_at = $2, withdrawn_by = $3, withdrawal_reason = $4"
          + " WHERE jti = $1 AND withdrawn_at IS NULL";

  private final Pool pool;

  public ConsentRegister(Pool pool) {
    this.pool = pool;
  }

  /**
   * Keeps a verified consent. {@code standing} registers it to apply to every request for the
   * person; otherwise it is kept only so it can be listed and withdrawn.
   */
  public Future<Registered> keep(
      VerifiedConsent verified, boolean standing, String by, Instant now) {
    Consent c = verified.consent();
    // Most presented tokens are known already: one read answers them, without a write.
    return pool.preparedQuery(BY_ID)
        .execute(Tuple.of(c.id()))
        .compose(
            known -> {
              Optional<Registered> answer =
                  known.size() == 0
                      ? Optional.empty()
                      : compare(known.iterator().next(), verified, standing);
              return answer.isPresent()
                  ? Future.succeededFuture(answer.get())
                  : register(row(verified, standing, by, now), verified, standing);
            });
  }

  /**
   * A consent presented with a request, kept (not standing), and the person's standing consents not
   * withdrawn: what a release weighs. One read answers both when the token is known already, as
   * most presented tokens are (issue 22: a consented view made two).
   */
  public record Presented(Registered registered, List<Consent> standing) {
    public Presented {
      standing = List.copyOf(standing);
    }
  }

  /**
   * Keeps a presented consent for {@code patient} and reads their standing ones ({@link
   * Presented}).
   */
  public Future<Presented> keepPresented(
      VerifiedConsent verified, NhsNumber patient, String by, Instant now) {
    String id = verified.consent().id();
    return pool.preparedQuery(FOR_RELEASE)
        .execute(Tuple.of(patient.toString(), verified.token(), id))
        .compose(
            rows -> {
              List<Consent> standing = new ArrayList<>();
              Optional<Registered> known = Optional.empty();
              for (Row r : rows) {
                Entry e = entry(r);
                if (e.consent().id().equals(id)) {
                  known = compare(r.getBoolean("presented"), e.withdrawn(), e.standing(), false);
                }
                // The id's row may be another person's consent (a clash): never theirs to weigh.
                if (e.consent().patient().equals(patient) && e.standing() && !e.withdrawn()) {
                  standing.add(e.consent());
                }
              }
              return known.isPresent()
                  ? Future.succeededFuture(new Presented(known.get(), standing))
                  : register(row(verified, false, by, now), verified, false)
                      .map(registered -> new Presented(registered, standing));
            });
  }

  private static Tuple row(VerifiedConsent verified, boolean standing, String by, Instant now) {
    Consent c = verified.consent();
    return Tuple.tuple()
        .addString(c.id())
        .addString(c.issuer().value())
        .addString(c.patient().toString())
        .addArrayOfString(
            c.recipients().stream().map(OdsCode::value).sorted().toArray(String[]::new))
        .addArrayOfString(
            c.purposes().stream().map(PurposeOfUse::code).sorted().toArray(String[]::new))
        .addArrayOfString(c.scopes().stream().sorted().toArray(String[]::new))
        .addString(c.method().code())
        .addString(c.recordedBy())
        .addOffsetDateTime(c.notBefore().atOffset(ZoneOffset.UTC))
        .addOffsetDateTime(c.expires().atOffset(ZoneOffset.UTC))
        .addString(verified.token())
        .addBoolean(standing)
        .addOffsetDateTime(now.atOffset(ZoneOffset.UTC))
        .addString(by);
  }

  /** Registers the consent; if its id was taken meanwhile, compares, and makes it standing. */
  private Future<Registered> register(Tuple row, VerifiedConsent verified, boolean standing) {
    Tuple id = Tuple.of(verified.consent().id());
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(INSERT)
                .execute(row)
                .compose(
                    inserted -> {
                      if (inserted.rowCount() == 1) {
                        return Future.succeededFuture(Registered.NEW);
                      }
                      return conn.preparedQuery(BY_ID)
                          .execute(id)
                          .compose(
                              rows -> {
                                Optional<Registered> answer =
                                    compare(rows.iterator().next(), verified, standing);
                                if (answer.isPresent()) {
                                  return Future.succeededFuture(answer.get());
                                }
                                return conn.preparedQuery(MAKE_STANDING)
                                    .execute(id)
                                    .map(Registered.MADE_STANDING);
                              });
                    }));
  }

  /**
   * How a consent already registered under the token's id stands: another token, withdrawn, or
   * already kept; empty when it must now be made standing.
   */
  private static Optional<Registered> compare(
      Row existing, VerifiedConsent verified, boolean standing) {
    return compare(
        existing.getString("token").equals(verified.token()),
        existing.getOffsetDateTime("withdrawn_at") != null,
        existing.getBoolean("standing"),
        standing);
  }

  private static Optional<Registered> compare(
      boolean sameToken, boolean withdrawn, boolean standingNow, boolean standing) {
    if (!sameToken) {
      return Optional.of(Registered.CONFLICT);
    }
    if (withdrawn) {
      return Optional.of(Registered.WITHDRAWN);
    }
    if (standing && !standingNow) {
      return Optional.empty();
    }
    return Optional.of(Registered.ALREADY);
  }

  /** Every consent known for the person, withdrawn ones included. */
  /** The person's standing consents not withdrawn: those that apply without being presented. */
  public Future<List<Consent>> standing(NhsNumber patient) {
    return forPatient(patient)
        .map(
            entries ->
                entries.stream()
                    .filter(e -> e.standing() && !e.withdrawn())
                    .map(Entry::consent)
                    .toList());
  }

  /**
   * Each person's standing consents not withdrawn, as {@link #standing} reads them for one, in one
   * query whatever their number: a bulk job reads a chunk's members at once. Every person asked for
   * is in the answer, with an empty list when they have none.
   */
  public Future<Map<NhsNumber, List<Consent>>> standingOf(Collection<NhsNumber> patients) {
    return pool.preparedQuery(FOR_PATIENTS)
        .execute(Tuple.of(patients.stream().map(NhsNumber::toString).toArray(String[]::new)))
        .map(
            rows -> {
              Map<NhsNumber, List<Consent>> standing = new HashMap<>();
              patients.forEach(p -> standing.put(p, new ArrayList<>()));
              for (Row r : rows) {
                Entry e = entry(r);
                if (e.standing() && !e.withdrawn()) {
                  standing
                      .computeIfAbsent(e.consent().patient(), p -> new ArrayList<>())
                      .add(e.consent());
                }
              }
              standing.replaceAll((p, list) -> List.copyOf(list));
              return standing;
            });
  }

  public Future<List<Entry>> forPatient(NhsNumber patient) {
    return pool.preparedQuery(FOR_PATIENT)
        .execute(Tuple.of(patient.toString()))
        .map(
            rows -> {
              List<Entry> entries = new ArrayList<>();
              rows.forEach(r -> entries.add(entry(r)));
              return entries;
            });
  }

  /** One consent by its id. */
  public Future<Optional<Entry>> find(String jti) {
    return pool.preparedQuery(BY_ID)
        .execute(Tuple.of(jti))
        .map(
            rows ->
                rows.size() == 0 ? Optional.empty() : Optional.of(entry(rows.iterator().next())));
  }

  /** Withdraws a consent; false if it was already withdrawn. */
  public Future<Boolean> withdraw(String jti, String by, String reason, Instant now) {
    return pool.preparedQuery(WITHDRAW)
        .execute(Tuple.of(jti, now.atOffset(ZoneOffset.UTC), by, reason))
        .map(rows -> rows.rowCount() == 1);
  }

  private static Entry entry(Row r) {
    Consent consent =
        new Consent(
            r.getString("jti"),
            OdsCode.of(r.getString("issuer")),
            NhsNumber.parse(r.getString("nhs_number")),
            set(r.getArrayOfStrings("recipients")).stream()
                .map(OdsCode::of)
                .collect(Collectors.toSet()),
            set(r.getArrayOfStrings("purposes")).stream()
                .map(PurposeOfUse::of)
                .collect(Collectors.toSet()),
            set(r.getArrayOfStrings("scopes")),
            ConsentMethod.of(r.getString("method")).orElseThrow(),
            r.getString("recorded_by"),
            r.getOffsetDateTime("not_before").toInstant(),
            r.getOffsetDateTime("expires").toInstant());
    return new Entry(
        consent,
        r.getBoolean("standing"),
        r.getOffsetDateTime("first_seen_at").toInstant(),
        r.getString("first_seen_by"),
        Optional.ofNullable(r.getOffsetDateTime("withdrawn_at")).map(t -> t.toInstant()),
        Optional.ofNullable(r.getString("withdrawn_by")),
        Optional.ofNullable(r.getString("withdrawal_reason")));
  }

  private static Set<String> set(String[] values) {
    return new LinkedHashSet<>(Arrays.asList(values));
  }
}
