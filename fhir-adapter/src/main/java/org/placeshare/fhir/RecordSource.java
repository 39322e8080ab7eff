package org.placeshare.fhir;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.placeshare.policy.NhsNumber;

/** A system holding records, reached through the adapter. A fetch never fails its future. */
public interface RecordSource {

  SourceDescriptor descriptor();

  /**
   * Fetches one person's records of the given types. Upstream trouble is reported as {@link
   * SourceRecords.Failed}, never as a failed future, so one source cannot sink a view.
   */
  default Future<SourceRecords> fetch(NhsNumber patient, Set<String> resourceTypes) {
    return fetch(patient, resourceTypes, Optional.empty());
  }

  /**
   * The same, keeping only records changed since an instant ({@code $everything?_since=}). The
   * Patient is always returned: it anchors the view.
   */
  Future<SourceRecords> fetch(
      NhsNumber patient, Set<String> resourceTypes, Optional<Instant> since);

  /**
   * Why the source would not be asked right now (it keeps failing and is being left alone), if so.
   * A view's answer can then be given without asking it.
   */
  default Optional<String> unavailable() {
    return Optional.empty();
  }

  /** Releases connections. */
  Future<Void> close();
}
