package org.placeshare.gateway.linkage;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.Link;
import org.placeshare.fhir.linkage.LinkLookup;
import org.placeshare.fhir.linkage.LinkMethod;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.policy.NhsNumber;

/**
 * The linkage register in PostgreSQL: per (source, local id) the NHS number its record is linked
 * to, the grade, score, method (automatic, or reviewed and by whom), when, the demographics it was
 * made on and their fingerprint, and its status; the data stewards' review queue; and per source
 * what its last sync could not trace or use. A view finds an agency's records through {@link
 * #linksTo}, which returns live links only.
 *
 * <p>Writes that a steward makes (a decision, an undo) lock their row and append their audit event
 * before they commit, so two stewards cannot both decide one review and nothing changes unaudited.
 */
public final class LinkageRegister implements LinkLookup {

  private static final Logger LOG = Logger.getLogger(LinkageRegister.class.getName());

  /** More links from one source to one person than this is not one person's records but a fault. */
  public static final int MAX_LINKS_PER_PERSON = 50;

  /** Most reviews or links one listing returns. */
  public static final int MAX_LISTED = 200;

  private static final String LINK_COLUMNS =
      "source, local_id, nhs_number, grade, score, method, reviewer_user, reviewer_client,"
          + " linked_at, demographics, fingerprint, status, undone_by, undone_reason, undone_at";
  private static final String REVIEW_COLUMNS =
      "id, source, local_id, demographics, fingerprint, candidates, reason, opened_at,"
          + " decided_at, decided_user, decided_client, outcome";
  private static final String UPSERT_LINK =
      "INSERT INTO linkage_link ("
          + LINK_COLUMNS
          + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'linked', NULL, NULL, NULL)"
          + " ON CONFLICT (source, local_id) DO UPDATE SET nhs_number = EXCLUDED.nhs_number,"
          + " grade = EXCLUDED.grade, score = EXCLUDED.score, method = EXCLUDED.method,"
          + " reviewer_user = EXCLUDED.reviewer_user, reviewer_client = EXCLUDED.reviewer_client,"
          + " linked_at = EXCLUDED.linked_at, demographics = EXCLUDED.demographics,"
          + " fingerprint = EXCLUDED.fingerprint, status = 'linked', undone_by = NULL,"
          + " undone_reason = NULL, undone_at = NULL";
  private static final String SUPERSEDE =
      "UPDATE linkage_review SET decided_at = $3, outcome = '"
          + Review.SUPERSEDED
          + "' WHERE source = $1 AND local_id = $2 AND decided_at IS NULL";

  private final Pool pool;
  // Read by views on the event loop without a query: refreshed at each sync from the table, so
  // every instance learns of a failing index within one sync interval.
  private final Map<String, String> trouble = new ConcurrentHashMap<>();

  public LinkageRegister(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<List<Link>> linksTo(String sourceId, NhsNumber nhsNumber) {
    return pool.preparedQuery(
            "SELECT "
                + LINK_COLUMNS
                + " FROM linkage_link WHERE source = $1 AND nhs_number = $2 AND status = 'linked'"
                + " ORDER BY local_id LIMIT "
                + MAX_LINKS_PER_PERSON)
        .execute(Tuple.of(sourceId, nhsNumber.toString()))
        .map(rows -> list(rows, r -> link(r).link()));
  }

  @Override
  public Optional<String> tracingTrouble(String sourceId) {
    return Optional.ofNullable(trouble.get(sourceId));
  }

  /** Reads every source's trouble from the table: what other instances' syncs recorded. */
  public Future<Void> loadTrouble() {
    return pool.query("SELECT source, trouble FROM linkage_source")
        .execute()
        .map(
            rows -> {
              for (Row r : rows) {
                String t = r.getString("trouble");
                if (t == null) {
                  trouble.remove(r.getString("source"));
                } else {
                  trouble.put(r.getString("source"), t);
                }
              }
              return null;
            });
  }

  /** The register's row for one record, live or not. */
  public Future<Optional<RegisteredLink>> link(String source, String localId) {
    return pool.preparedQuery(
            "SELECT " + LINK_COLUMNS + " FROM linkage_link WHERE source = $1 AND local_id = $2")
        .execute(Tuple.of(source, localId))
        .map(
            rows ->
                rows.size() == 0 ? Optional.empty() : Optional.of(link(rows.iterator().next())));
  }

  /** A source's links, by local id: all of them (up to {@link #MAX_LISTED}), or one record's. */
  public Future<List<RegisteredLink>> links(String source, Optional<String> localId) {
    return pool.preparedQuery(
            "SELECT "
                + LINK_COLUMNS
                + " FROM linkage_link WHERE source = $1 AND ($2::text IS NULL OR local_id = $2)"
                + " ORDER BY local_id LIMIT "
                + MAX_LISTED)
        .execute(Tuple.of(source, localId.orElse(null)))
        .map(rows -> list(rows, LinkageRegister::link));
  }

  /**
   * What the register holds about each of these records of one source, for a sync's page. A record
   * whose stored link cannot be read back has no state here: the sync skips it and counts it.
   */
  public Future<Map<String, RecordState>> states(String source, Collection<String> localIds) {
    String[] ids = localIds.toArray(new String[0]);
    Tuple args = Tuple.tuple().addString(source).addArrayOfString(ids);
    Set<String> unreadable = new HashSet<>();
    Future<List<RegisteredLink>> links =
        pool.preparedQuery(
                "SELECT "
                    + LINK_COLUMNS
                    + " FROM linkage_link WHERE source = $1 AND local_id = ANY($2)")
            .execute(args)
            .map(
                rows -> {
                  List<RegisteredLink> read = new ArrayList<>();
                  for (Row r : rows) {
                    try {
                      read.add(link(r));
                    } catch (RuntimeException e) {
                      unreadable.add(r.getString("local_id"));
                    }
                  }
                  return read;
                });
    Future<Map<String, String>> open =
        pool.preparedQuery(
                "SELECT local_id, fingerprint FROM linkage_review WHERE source = $1"
                    + " AND local_id = ANY($2) AND decided_at IS NULL")
            .execute(args)
            .map(
                rows -> {
                  Map<String, String> found = new HashMap<>();
                  rows.forEach(r -> found.put(r.getString(0), r.getString(1)));
                  return found;
                });
    Future<Map<String, RecordState.LastDecision>> decided =
        pool.preparedQuery(
                "SELECT DISTINCT ON (local_id) local_id, outcome, fingerprint FROM linkage_review"
                    + " WHERE source = $1 AND local_id = ANY($2) AND decided_at IS NOT NULL"
                    + " AND outcome <> '"
                    + Review.SUPERSEDED
                    + "' ORDER BY local_id, decided_at DESC")
            .execute(args)
            .map(
                rows -> {
                  Map<String, RecordState.LastDecision> found = new HashMap<>();
                  rows.forEach(
                      r ->
                          found.put(
                              r.getString(0),
                              new RecordState.LastDecision(r.getString(1), r.getString(2))));
                  return found;
                });
    return Future.all(links, open, decided)
        .map(
            all -> {
              Map<String, RegisteredLink> byId = new HashMap<>();
              links.result().forEach(l -> byId.put(l.link().localId(), l));
              Map<String, RecordState> states = new HashMap<>();
              for (String id : localIds) {
                if (unreadable.contains(id)) {
                  continue; // its stored link does not read back: the sync skips it and counts it
                }
                states.put(
                    id,
                    new RecordState(
                        Optional.ofNullable(byId.get(id)),
                        Optional.ofNullable(open.result().get(id)),
                        Optional.ofNullable(decided.result().get(id))));
              }
              return states;
            });
  }

  /**
   * Links a record automatically on a certain trace, or refreshes its live link with the
   * demographics that traced certainly to the same person again; closes any review it had open.
   * Only a record with no row yet, or whose live link is to the same NHS number, is written: the
   * sync read the record's state before it traced, and a steward may have decided or undone
   * meanwhile, so a link that is not live, or is to another person, is left as it is (nothing is
   * written and the future holds false; the caller decides again on the state as it now is). A link
   * never moves from one person to another but by a steward. {@code audited} appends the link's
   * audit event once the row is written; the write commits only after it.
   */
  public Future<Boolean> linkAutomatically(
      String source,
      String localId,
      Demographics demographics,
      Candidate certain,
      Instant at,
      Supplier<Future<?>> audited) {
    if (certain.grade() != MatchGrade.CERTAIN) {
      throw new IllegalArgumentException(
          "expected a CERTAIN candidate to link automatically, got " + certain.grade());
    }
    return pool.<Boolean>withTransaction(
            conn ->
                conn.preparedQuery(SUPERSEDE)
                    .execute(Tuple.of(source, localId, time(at)))
                    .compose(
                        x ->
                            conn.preparedQuery(
                                    UPSERT_LINK
                                        + " WHERE linkage_link.status = 'linked'"
                                        + " AND linkage_link.nhs_number = EXCLUDED.nhs_number")
                                .execute(
                                    linkTuple(
                                        source,
                                        localId,
                                        certain.entry().nhsNumber(),
                                        certain.grade(),
                                        certain.score().total(),
                                        LinkMethod.AUTOMATIC,
                                        Optional.empty(),
                                        at,
                                        demographics)))
                    .compose(
                        rows ->
                            rows.rowCount() == 1
                                ? audited.get().map(true)
                                // Rolls back the review closed above: the caller decides again.
                                : Future.<Boolean>failedFuture(new LinkHeld())))
        .recover(
            e -> e instanceof LinkHeld ? Future.succeededFuture(false) : Future.failedFuture(e));
  }

  /** The record's row changed since the sync read it: an automatic link leaves it as it is. */
  private static final class LinkHeld extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LinkHeld() {
      super("the record's link changed since its state was read", null, false, false);
    }
  }

  /**
   * Puts a record to its steward's review, closing any review it had open (its demographics have
   * changed since); with {@code recheck}, its live link stops being live until the steward decides.
   */
  public Future<UUID> openReview(
      String source,
      String localId,
      Demographics demographics,
      List<ReviewCandidate> candidates,
      String reason,
      boolean recheck,
      Instant at) {
    UUID id = UUID.randomUUID();
    JsonArray list = new JsonArray();
    candidates.forEach(c -> list.add(c.stored()));
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(SUPERSEDE)
                .execute(Tuple.of(source, localId, time(at)))
                .compose(
                    x ->
                        conn.preparedQuery(
                                "INSERT INTO linkage_review (id, source, local_id, demographics,"
                                    + " fingerprint, candidates, reason, opened_at) VALUES ($1,"
                                    + " $2, $3, $4, $5, $6, $7, $8)")
                            .execute(
                                Tuple.tuple()
                                    .addUUID(id)
                                    .addString(source)
                                    .addString(localId)
                                    .addValue(DemographicsJson.json(demographics))
                                    .addString(DemographicsJson.fingerprint(demographics))
                                    .addValue(list)
                                    .addString(reason)
                                    .addOffsetDateTime(time(at))))
                .compose(
                    x ->
                        recheck
                            ? conn.preparedQuery(
                                    "UPDATE linkage_link SET status = 'rechecking' WHERE source"
                                        + " = $1 AND local_id = $2 AND status = 'linked'")
                                .execute(Tuple.of(source, localId))
                                .mapEmpty()
                            : Future.succeededFuture())
                .map(id));
  }

  /** Closes a record's open review, if any: it no longer traces to anyone. */
  public Future<Void> supersede(String source, String localId, Instant at) {
    return pool.preparedQuery(SUPERSEDE).execute(Tuple.of(source, localId, time(at))).mapEmpty();
  }

  /** The open reviews of these sources, oldest first, at most {@link #MAX_LISTED}. */
  public Future<List<Review>> openReviews(Collection<String> sources) {
    return pool.preparedQuery(
            "SELECT "
                + REVIEW_COLUMNS
                + " FROM linkage_review WHERE source = ANY($1) AND decided_at IS NULL"
                + " ORDER BY opened_at, id LIMIT "
                + MAX_LISTED)
        .execute(Tuple.tuple().addArrayOfString(sources.toArray(new String[0])))
        .map(rows -> list(rows, LinkageRegister::review));
  }

  /** One review, open or decided. */
  public Future<Optional<Review>> review(UUID id) {
    return pool.preparedQuery("SELECT " + REVIEW_COLUMNS + " FROM linkage_review WHERE id = $1")
        .execute(Tuple.of(id))
        .map(
            rows ->
                rows.size() == 0 ? Optional.empty() : Optional.of(review(rows.iterator().next())));
  }

  /**
   * A steward's decision as the register applied it: the review, the link it made, if any, and the
   * NHS number of the record's earlier link it ended, if any (a link being re-checked, undone by a
   * no-match or replaced by a link to another person), so both people's audit names the decision.
   */
  public record Decision(
      Review review, String outcome, Optional<RegisteredLink> link, Optional<NhsNumber> unlinked) {}

  /**
   * Decides an open review of one of {@code sources}: link it to the candidate {@code candidate}
   * names by its handle ({@link Review#handle}), or (empty) say that none matches, which undoes a
   * link being re-checked. A POSSIBLE candidate is never linked: a steward sees only its grade and
   * agreement levels, too weak a ground to join an agency's records to a person's. {@code audited}
   * appends the decision's audit events; the decision commits only after them.
   *
   * @throws LinkageRefused in the future: 404 when the review is not there or not of these sources,
   *     409 when it was decided already, 400 when the handle names no candidate, 422 when it names
   *     a possible one
   */
  public Future<Decision> decide(
      UUID id,
      Set<String> sources,
      Optional<String> candidate,
      Steward by,
      Instant at,
      Function<Decision, Future<?>> audited) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(
                    "SELECT " + REVIEW_COLUMNS + " FROM linkage_review WHERE id = $1 FOR UPDATE")
                .execute(Tuple.of(id))
                .compose(
                    rows -> {
                      Optional<Review> found =
                          rows.size() == 0
                              ? Optional.empty()
                              : Optional.of(review(rows.iterator().next()));
                      if (found.isEmpty() || !sources.contains(found.get().source())) {
                        return Future.failedFuture(
                            new LinkageRefused(
                                LinkageRefused.NOT_FOUND,
                                "no review with that id",
                                "no review " + id + " of the steward's sources"));
                      }
                      Review review = found.get();
                      if (!review.open()) {
                        return Future.failedFuture(
                            new LinkageRefused(
                                LinkageRefused.CONFLICT,
                                "that review was decided already ("
                                    + review.decided().get().outcome()
                                    + ")",
                                "second decision of review " + id));
                      }
                      return chosen(review, candidate)
                          .compose(
                              chosen ->
                                  earlier(conn, review)
                                      .compose(
                                          was ->
                                              apply(conn, review, chosen, was, by, at, audited)));
                    }));
  }

  /** The candidate a decision names, refused when it names none of the review's or a possible. */
  private static Future<Optional<ReviewCandidate>> chosen(
      Review review, Optional<String> candidate) {
    if (candidate.isEmpty()) {
      return Future.succeededFuture(Optional.empty());
    }
    Optional<ReviewCandidate> chosen = review.candidate(candidate.get());
    if (chosen.isEmpty()) {
      return Future.failedFuture(
          new LinkageRefused(
              LinkageRefused.INVALID,
              "candidate: expected one of the review's candidates, "
                  + (review.candidates().isEmpty()
                      ? "and it has none"
                      : "1 to " + review.candidates().size()),
              "decision of review " + review.id() + " named no candidate of it"));
    }
    if (chosen.get().grade() == MatchGrade.POSSIBLE) {
      return Future.failedFuture(
          new LinkageRefused(
              LinkageRefused.UNPROCESSABLE,
              "candidate: a possible match is never linked; decide no-match, or correct the"
                  + " record in the agency's system so that it traces again",
              "decision of review " + review.id() + " to link a possible candidate"));
    }
    return Future.succeededFuture(chosen);
  }

  /** The record's link that is not undone: to whom, and whether it is live or being re-checked. */
  private record Earlier(NhsNumber nhsNumber, LinkStatus status) {}

  /** The record's link that is not undone, locked for the decision. */
  private static Future<Optional<Earlier>> earlier(SqlConnection conn, Review review) {
    return conn.preparedQuery(
            "SELECT nhs_number, status FROM linkage_link WHERE source = $1 AND local_id = $2"
                + " AND status <> 'undone' FOR UPDATE")
        .execute(Tuple.of(review.source(), review.localId()))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return Optional.empty();
              }
              Row r = rows.iterator().next();
              return Optional.of(
                  new Earlier(
                      NhsNumber.parse(r.getString("nhs_number")),
                      LinkStatus.of(r.getString("status"))));
            });
  }

  private Future<Decision> apply(
      SqlConnection conn,
      Review review,
      Optional<ReviewCandidate> chosen,
      Optional<Earlier> earlier,
      Steward by,
      Instant at,
      Function<Decision, Future<?>> audited) {
    String outcome = chosen.isPresent() ? Review.LINK : Review.NO_MATCH;
    Optional<RegisteredLink> link =
        chosen.map(
            c ->
                new RegisteredLink(
                    new Link(
                        review.source(),
                        review.localId(),
                        c.nhsNumber(),
                        c.grade(),
                        c.score(),
                        LinkMethod.REVIEWED,
                        Optional.of(by.describe()),
                        at,
                        review.demographics().fingerprint()),
                    LinkStatus.LINKED,
                    review.demographics(),
                    DemographicsJson.fingerprint(review.demographics()),
                    Optional.empty()));
    // A no-match ends a link being re-checked (below); a link to another person ends the record's
    // earlier link, whatever its status.
    Optional<NhsNumber> unlinked =
        earlier
            .filter(
                e ->
                    chosen
                        .map(c -> !c.nhsNumber().equals(e.nhsNumber()))
                        .orElse(e.status() == LinkStatus.RECHECKING))
            .map(Earlier::nhsNumber);
    Decision decision = new Decision(review, outcome, link, unlinked);
    return audited
        .apply(decision)
        .compose(
            x ->
                conn.preparedQuery(
                        "UPDATE linkage_review SET decided_at = $2, decided_user = $3,"
                            + " decided_client = $4, outcome = $5 WHERE id = $1")
                    .execute(Tuple.of(review.id(), time(at), by.user(), by.client(), outcome)))
        .compose(
            x ->
                chosen.isPresent()
                    ? conn.preparedQuery(UPSERT_LINK)
                        .execute(
                            linkTuple(
                                review.source(),
                                review.localId(),
                                chosen.get().nhsNumber(),
                                chosen.get().grade(),
                                chosen.get().score(),
                                LinkMethod.REVIEWED,
                                Optional.of(by),
                                at,
                                review.demographics()))
                    : conn.preparedQuery(
                            "UPDATE linkage_link SET status = 'undone', undone_by = $3,"
                                + " undone_reason = $4, undone_at = $5 WHERE source = $1 AND"
                                + " local_id = $2 AND status = 'rechecking'")
                        .execute(
                            Tuple.of(
                                review.source(),
                                review.localId(),
                                by.describe(),
                                "no match at review " + review.id(),
                                time(at))))
        .map(decision);
  }

  /**
   * Undoes a link of one of {@code sources}: it stops being live at once, and a later sync puts the
   * record to review rather than linking it again. {@code audited} appends the undo's audit event
   * before it commits.
   *
   * @throws LinkageRefused in the future: 404 when there is no such link of these sources, 409 when
   *     it was undone already
   */
  public Future<RegisteredLink> undo(
      String source,
      String localId,
      Set<String> sources,
      Steward by,
      String reason,
      Instant at,
      Function<RegisteredLink, Future<?>> audited) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(
                    "SELECT "
                        + LINK_COLUMNS
                        + " FROM linkage_link WHERE source = $1 AND local_id = $2 FOR UPDATE")
                .execute(Tuple.of(source, localId))
                .compose(
                    rows -> {
                      if (rows.size() == 0 || !sources.contains(source)) {
                        return Future.failedFuture(
                            new LinkageRefused(
                                LinkageRefused.NOT_FOUND,
                                "no link of that record",
                                "no link of " + source + " record " + localId));
                      }
                      RegisteredLink was = link(rows.iterator().next());
                      if (was.status() == LinkStatus.UNDONE) {
                        return Future.failedFuture(
                            new LinkageRefused(
                                LinkageRefused.CONFLICT,
                                "that link was undone already",
                                "second undo of " + source + " record " + localId));
                      }
                      RegisteredLink undone =
                          new RegisteredLink(
                              was.link(),
                              LinkStatus.UNDONE,
                              was.demographics(),
                              was.fingerprint(),
                              Optional.of(new RegisteredLink.Undoing(by.describe(), reason, at)));
                      return audited
                          .apply(undone)
                          .compose(
                              x ->
                                  conn.preparedQuery(
                                          "UPDATE linkage_link SET status = 'undone', undone_by ="
                                              + " $3, undone_reason = $4, undone_at = $5 WHERE"
                                              + " source = $1 AND local_id = $2")
                                      .execute(
                                          Tuple.of(
                                              source, localId, by.describe(), reason, time(at))))
                          .map(undone);
                    }));
  }

  /**
   * Records how a sync of a source ended. A failed one keeps the counts of the last that ran and
   * records its trouble until a sync succeeds.
   */
  public Future<Void> recordSync(SyncReport report) {
    boolean failed = report.outcome() == SyncReport.Outcome.FAILED;
    String sql =
        failed
            ? "INSERT INTO linkage_source (source, last_sync_at, last_outcome, trouble) VALUES ($1,"
                + " $2, $3, $4) ON CONFLICT (source) DO UPDATE SET last_sync_at ="
                + " EXCLUDED.last_sync_at, last_outcome = EXCLUDED.last_outcome, trouble ="
                + " EXCLUDED.trouble"
            : "INSERT INTO linkage_source (source, last_sync_at, last_outcome, trouble, not_traced,"
                + " unusable) VALUES ($1, $2, $3, NULL, $4, $5) ON CONFLICT (source) DO UPDATE SET"
                + " last_sync_at = EXCLUDED.last_sync_at, last_outcome = EXCLUDED.last_outcome,"
                + " trouble = NULL, not_traced = EXCLUDED.not_traced, unusable ="
                + " EXCLUDED.unusable";
    Tuple args =
        failed
            ? Tuple.of(
                report.source(),
                time(report.finished()),
                report.outcome().code(),
                report.trouble().orElse("the sync failed"))
            : Tuple.of(
                report.source(),
                time(report.finished()),
                report.outcome().code(),
                report.notTraced(),
                report.unusable());
    return pool.preparedQuery(sql)
        .execute(args)
        .map(
            x -> {
              if (failed) {
                trouble.put(report.source(), report.trouble().orElse("the sync failed"));
              } else {
                trouble.remove(report.source());
              }
              return null;
            });
  }

  /** Where each of these sources stands, in the order given. */
  public Future<List<SourceLinkage>> summaries(List<String> sources) {
    return pool.preparedQuery(
            "SELECT s.source, (SELECT count(*) FROM linkage_link l WHERE l.source = s.source AND"
                + " l.status = 'linked') AS linked, (SELECT count(*) FROM linkage_link l WHERE"
                + " l.source = s.source AND l.status = 'rechecking') AS rechecking, (SELECT"
                + " count(*) FROM linkage_link l WHERE l.source = s.source AND l.status ="
                + " 'undone') AS undone, (SELECT count(*) FROM linkage_review r WHERE r.source ="
                + " s.source AND r.decided_at IS NULL) AS awaiting, ls.not_traced, ls.unusable,"
                + " ls.last_sync_at, ls.last_outcome, ls.trouble FROM unnest($1::text[]) WITH"
                + " ORDINALITY AS s(source, position) LEFT JOIN linkage_source ls ON ls.source ="
                + " s.source ORDER BY s.position")
        .execute(Tuple.tuple().addArrayOfString(sources.toArray(new String[0])))
        .map(
            rows ->
                list(
                    rows,
                    r ->
                        new SourceLinkage(
                            r.getString("source"),
                            r.getLong("linked"),
                            r.getLong("awaiting"),
                            r.getLong("rechecking"),
                            r.getLong("undone"),
                            r.getInteger("not_traced") == null ? 0 : r.getInteger("not_traced"),
                            r.getInteger("unusable") == null ? 0 : r.getInteger("unusable"),
                            instant(r, "last_sync_at"),
                            Optional.ofNullable(r.getString("last_outcome")),
                            Optional.ofNullable(r.getString("trouble")))));
  }

  private static Tuple linkTuple(
      String source,
      String localId,
      NhsNumber nhsNumber,
      MatchGrade grade,
      double score,
      LinkMethod method,
      Optional<Steward> reviewer,
      Instant at,
      Demographics demographics) {
    return Tuple.tuple()
        .addString(source)
        .addString(localId)
        .addString(nhsNumber.toString())
        .addString(Grades.code(grade))
        .addDouble(score)
        .addString(method.name().toLowerCase(Locale.ROOT))
        .addString(reviewer.map(Steward::user).orElse(null))
        .addString(reviewer.map(Steward::client).orElse(null))
        .addOffsetDateTime(time(at))
        .addValue(DemographicsJson.json(demographics))
        .addString(DemographicsJson.fingerprint(demographics));
  }

  private static RegisteredLink link(Row r) {
    String user = r.getString("reviewer_user");
    Optional<String> reviewer =
        user == null
            ? Optional.empty()
            : Optional.of(new Steward(user, r.getString("reviewer_client")).describe());
    Link link =
        new Link(
            r.getString("source"),
            r.getString("local_id"),
            NhsNumber.parse(r.getString("nhs_number")),
            Grades.of(r.getString("grade")),
            r.getDouble("score"),
            LinkMethod.valueOf(r.getString("method").toUpperCase(Locale.ROOT)),
            reviewer,
            r.getOffsetDateTime("linked_at").toInstant(),
            r.getString("fingerprint"));
    Optional<RegisteredLink.Undoing> undone =
        instant(r, "undone_at")
            .map(
                at ->
                    new RegisteredLink.Undoing(
                        r.getString("undone_by"), r.getString("undone_reason"), at));
    return new RegisteredLink(
        link,
        LinkStatus.of(r.getString("status")),
        DemographicsJson.read(jsonObject(r, "demographics")),
        r.getString("fingerprint"),
        undone);
  }

  private static Review review(Row r) {
    List<ReviewCandidate> candidates = new ArrayList<>();
    Object stored = r.getValue("candidates");
    JsonArray list = stored instanceof JsonArray a ? a : new JsonArray(String.valueOf(stored));
    list.forEach(c -> candidates.add(ReviewCandidate.read((JsonObject) c)));
    Optional<Review.Decided> decided =
        instant(r, "decided_at")
            .map(
                at ->
                    new Review.Decided(
                        at,
                        Optional.ofNullable(r.getString("decided_user"))
                            .map(u -> new Steward(u, r.getString("decided_client"))),
                        r.getString("outcome")));
    return new Review(
        r.getUUID("id"),
        r.getString("source"),
        r.getString("local_id"),
        DemographicsJson.read(jsonObject(r, "demographics")),
        candidates,
        r.getString("reason"),
        r.getOffsetDateTime("opened_at").toInstant(),
        decided);
  }

  private static JsonObject jsonObject(Row r, String column) {
    Object value = r.getValue(column);
    return value instanceof JsonObject o ? o : new JsonObject(String.valueOf(value));
  }

  private static Optional<Instant> instant(Row r, String column) {
    return Optional.ofNullable(r.getOffsetDateTime(column)).map(OffsetDateTime::toInstant);
  }

  private static OffsetDateTime time(Instant at) {
    return at.atOffset(ZoneOffset.UTC);
  }

  /**
   * The rows that read back. A stored row that does not (written before a rule tightened, or
   * damaged) is skipped and logged by count, never the whole listing: one bad row must not jam a
   * source's views, review queue or links. The log names the source and the kind of fault only.
   */
  private static <T> List<T> list(Iterable<Row> rows, Function<Row, T> read) {
    List<T> list = new ArrayList<>();
    Map<String, Integer> unreadable = new TreeMap<>();
    for (Row r : rows) {
      try {
        list.add(read.apply(r));
      } catch (RuntimeException e) {
        unreadable.merge(sourceOf(r) + " (" + e.getClass().getSimpleName() + ")", 1, Integer::sum);
      }
    }
    unreadable.forEach(
        (where, count) ->
            LOG.warning(
                "linkage register: skipped "
                    + count
                    + " stored row(s) of source "
                    + where
                    + " that could not be read back"));
    return List.copyOf(list);
  }

  private static String sourceOf(Row r) {
    try {
      return String.valueOf(r.getString("source"));
    } catch (RuntimeException e) {
      return "unknown";
    }
  }
}
