package org.placeshare.fhir.linkage;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import org.placeshare.policy.NhsNumber;

/**
 * The reference demographic index (as PDS is in England): where an NHS number is found from
 * demographics. The index proposes candidates; the gateway scores and grades them itself ({@link
 * Matcher}), so an index's own score is never trusted to link.
 */
public interface ReferenceIndex {

  /**
   * The best candidates for the demographics, best first, at most {@code count}, graded by {@link
   * Matcher#rank}. The future fails with an {@link org.placeshare.fhir.UpstreamException} whose
   * message is safe to show when the index cannot be read.
   */
  Future<List<Candidate>> search(Demographics query, int count);

  /**
   * The index's record of one person, by NHS number (PDS's read), to compare the sources'
   * demographics with; empty when the index holds nobody with it. Fails as {@link #search} does.
   */
  Future<Optional<IndexEntry>> read(NhsNumber nhsNumber);

  /** The trace of one record: its best candidate, or none. */
  default Future<Trace> trace(Demographics query) {
    return search(query, MAX_CANDIDATES).map(Trace::of);
  }

  /** Most candidates one search asks for. */
  int MAX_CANDIDATES = 10;

  /** Releases connections. */
  Future<Void> close();
}
