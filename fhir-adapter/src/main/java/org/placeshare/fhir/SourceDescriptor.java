package org.placeshare.fhir;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.placeshare.policy.OdsCode;

/**
 * A system that holds records, as registered in configuration.
 *
 * @param baseUrl the FHIR R4 base, e.g. {@code http://127.0.0.1:8101/fhir}
 * @param deadline how long one fetch from it may take, all requests included
 * @param resourceTypes the resource types it holds, in the order they are asked for
 */
public record SourceDescriptor(
    String id, OdsCode organisation, URI baseUrl, Duration deadline, List<String> resourceTypes) {

  public SourceDescriptor {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(organisation, "organisation");
    Objects.requireNonNull(baseUrl, "baseUrl");
    Objects.requireNonNull(deadline, "deadline");
    resourceTypes = List.copyOf(resourceTypes);
  }

  /** The base URL without a trailing slash, to which resource paths are appended. */
  public String base() {
    String text = baseUrl.toString();
    return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
  }
}
