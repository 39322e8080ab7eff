package org.placeshare.gateway.audit;

/**
 * The witnessing worker's reads of {@code audit_cosignature}, each bounded so that it reads a few
 * index rows however long a backlog one witness has left (days down: millions of checkpoints
 * cosigned by the others alone). Parameters: {@code $1} the configured witnesses' names ({@code
 * text[]}), {@code $2} the quorum.
 */
final class WitnessQueries {

  private WitnessQueries() {}

  /**
   * The largest size that can be witnessed: the quorum-th largest of the witnesses' largest
   * cosigned sizes (a size cosigned by k witnesses is at most each one's largest), one index probe
   * per witness; no row while fewer than the quorum have cosigned anything.
   */
  static final String BOUND =
      "SELECT m.size FROM unnest($1::text[]) AS n(name), LATERAL (SELECT max(s.size) AS size"
          + " FROM audit_cosignature s WHERE s.witness = n.name) m"
          + " WHERE m.size IS NOT NULL ORDER BY m.size DESC OFFSET $2 - 1 LIMIT 1";

  /**
   * How many of the witnesses in {@code $1} cosigned the size in column {@code %s}: a primary key
   * probe.
   */
  private static String count(String size) {
    return "(SELECT count(*) FROM audit_cosignature q WHERE q.size = "
        + size
        + " AND q.witness = ANY($1))";
  }

  /**
   * The newest checkpoint with cosignatures by {@code $2} of the witnesses: scanned backward from
   * {@link #BOUND}, not from the newest cosignature, so a witness long down costs nothing.
   */
  static final String WITNESSED =
      "SELECT c.size FROM audit_cosignature c WHERE c.size <= ("
          + BOUND
          + ") AND c.witness = ANY($1) AND "
          + count("c.size")
          + " >= $2 ORDER BY c.size DESC LIMIT 1";

  /**
   * The size witness {@code $3} should join, if any, and its note: the largest checkpoint above
   * {@code $4} (the larger of its own size and the witnessed size) that another configured witness
   * has cosigned, or is submitting now under a lease unexpired at {@code $5}, that has not reached
   * the quorum and that {@code $3} has not cosigned. Scanned backward from the newest cosignature:
   * the first row qualifies unless it is complete or the witness's own.
   */
  static final String TARGET =
      "SELECT c.size, c.note FROM audit_checkpoint c WHERE c.note IS NOT NULL AND c.size = ("
          + "SELECT max(t.size) FROM ("
          + "(SELECT s.size FROM audit_cosignature s WHERE s.witness = ANY($1) AND s.size > $4"
          + " AND NOT EXISTS (SELECT 1 FROM audit_cosignature m WHERE m.size = s.size"
          + " AND m.witness = $3) AND "
          + count("s.size")
          + " < $2 ORDER BY s.size DESC LIMIT 1)"
          + " UNION ALL"
          + " (SELECT w.target FROM audit_witness w WHERE w.name = ANY($1) AND w.name <> $3"
          + " AND w.lease_until > $5 AND w.target > $4"
          + " AND NOT EXISTS (SELECT 1 FROM audit_cosignature m WHERE m.size = w.target"
          + " AND m.witness = $3) AND "
          + count("w.target")
          + " < $2)) t)";
}
