package org.placeshare.fhir.mapped;

import io.vertx.core.Future;
import java.util.Optional;
import org.placeshare.fhir.SourceDescriptor;

/**
 * An agency that lists the people it holds, page by page, so that each can be traced to an NHS
 * number before any record of theirs joins a view.
 */
public interface Roster {

  SourceDescriptor descriptor();

  /**
   * One page: the first when {@code cursor} is empty, else the page the previous one named. Fails
   * with an {@link org.placeshare.fhir.UpstreamException} (message safe to show) when the source
   * cannot be read.
   */
  Future<RosterPage> page(Optional<String> cursor);
}
