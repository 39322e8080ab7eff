package org.placeshare.gateway.register;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.Decision;
import org.placeshare.policy.OdsCode;

/**
 * One release owed to the pilots' daily volumes: each capped agreement among a release's permits,
 * counted for its recipient and day, only under its cap. Taken in a transaction the caller holds
 * (the audit append's, so the count, the cap check and the event commit together, issue 22), in one
 * batch for many releases.
 *
 * @param capped the permits' agreements with a daily volume, each once
 */
public record PilotCount(List<Agreement> capped, OdsCode recipient, LocalDate day) {

  /** Counts one release, only under the cap: no row comes back when the cap is reached. */
  static final String COUNT_RELEASE =
      "INSERT INTO pilot_usage (agreement_id, recipient, day, released) VALUES ($1, $2, $3, 1)"
          + " ON CONFLICT (agreement_id, recipient, day) DO UPDATE SET released ="
          + " pilot_usage.released + 1 WHERE pilot_usage.released < $4 RETURNING released";

  /** Takes back a count of a release that another of its agreements' caps refused. */
  private static final String UNCOUNT =
      "UPDATE pilot_usage SET released = released - 1 WHERE agreement_id = $1 AND recipient = $2"
          + " AND day = $3";

  public PilotCount {
    capped = List.copyOf(capped);
  }

  /** The count a release under these permits owes; empty when none of them is capped. */
  public static Optional<PilotCount> of(
      Collection<Decision> permits, OdsCode recipient, LocalDate day) {
    Map<String, Agreement> capped = new LinkedHashMap<>();
    permits.stream()
        .map(d -> d.agreement().orElseThrow())
        .filter(a -> a.dailyVolume().isPresent())
        .forEach(a -> capped.putIfAbsent(a.id(), a));
    return capped.isEmpty()
        ? Optional.empty()
        : Optional.of(new PilotCount(List.copyOf(capped.values()), recipient, day));
  }

  /** The lines a refusal for these agreements' caps reads, for the caller and the audit. */
  public static List<String> reasons(List<Agreement> reached, OdsCode recipient) {
    return reached.stream()
        .map(
            a ->
                a.id()
                    + ": the pilot's daily volume of "
                    + a.dailyVolume().getAsInt()
                    + " for "
                    + recipient
                    + " was reached while this request was answered")
        .collect(Collectors.toList());
  }

  /**
   * Takes every count in one batch on {@code conn}, inside the caller's transaction. Answers, for
   * each count in order, the agreements whose cap was already reached (that release does not
   * happen, and its other counts are taken back in the same transaction) or an empty list when it
   * was counted. Rows are counted in key order, so two batches never wait on each other's rows in a
   * cycle. A cap is never exceeded: each row is counted under its cap by one atomic upsert, and its
   * lock is held to the commit.
   */
  public static Future<List<List<Agreement>>> take(SqlConnection conn, List<PilotCount> counts) {
    record One(int count, Agreement agreement, PilotCount of) {}
    List<One> ones = new ArrayList<>();
    for (int i = 0; i < counts.size(); i++) {
      for (Agreement a : counts.get(i).capped()) {
        ones.add(new One(i, a, counts.get(i)));
      }
    }
    ones.sort(
        Comparator.comparing((One o) -> o.agreement().id())
            .thenComparing(o -> o.of().recipient().value())
            .thenComparing(o -> o.of().day())
            .thenComparingInt(One::count));
    List<List<Agreement>> reached = new ArrayList<>();
    counts.forEach(c -> reached.add(new ArrayList<>()));
    if (ones.isEmpty()) {
      return Future.succeededFuture(reached);
    }
    List<Tuple> tuples =
        ones.stream()
            .map(
                o ->
                    Tuple.of(
                        o.agreement().id(),
                        o.of().recipient().value(),
                        o.of().day(),
                        o.agreement().dailyVolume().getAsInt()))
            .toList();
    return conn.preparedQuery(COUNT_RELEASE)
        .executeBatch(tuples)
        .compose(
            first -> {
              boolean[] counted = new boolean[ones.size()];
              RowSet<Row> rows = first;
              for (int i = 0; i < ones.size(); i++) {
                counted[i] = rows.size() > 0;
                if (!counted[i]) {
                  reached.get(ones.get(i).count()).add(ones.get(i).agreement());
                }
                rows = rows.next();
              }
              // A release refused by one cap is not counted against the others.
              List<Tuple> undo = new ArrayList<>();
              for (int i = 0; i < ones.size(); i++) {
                if (counted[i] && !reached.get(ones.get(i).count()).isEmpty()) {
                  undo.add(tuples.get(i));
                }
              }
              List<List<Agreement>> answer = reached.stream().map(List::copyOf).toList();
              return undo.isEmpty()
                  ? Future.succeededFuture(answer)
                  : conn.preparedQuery(UNCOUNT)
                      .executeBatch(
                          undo.stream()
                              .map(t -> Tuple.of(t.getValue(0), t.getValue(1), t.getValue(2)))
                              .toList())
                      .map(answer);
            });
  }

  /** A release refused at its count: a pilot's cap reached since the decision. */
  public static final class Reached extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient List<Agreement> agreements;
    private final transient OdsCode recipient;

    public Reached(List<Agreement> agreements, OdsCode recipient) {
      super("a pilot's daily volume was reached", null, false, false);
      this.agreements = List.copyOf(agreements);
      this.recipient = recipient;
    }

    /** The refusal's lines, as {@link PilotCount#reasons}. */
    public List<String> reasons() {
      return PilotCount.reasons(agreements, recipient);
    }
  }
}
