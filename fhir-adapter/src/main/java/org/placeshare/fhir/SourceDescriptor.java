package org.placeshare.fhir;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.SensitiveCategory;

/**
 * A system that holds records, as registered in configuration.
 *
 * @param baseUrl the FHIR R4 base, e.g. {@code http://127.0.0.1:8101/fhir}
 * @param deadline how long one fetch from it may take, all requests included
 * @param resourceTypes the resource types it holds, in the order they are asked for
 * @param holds the sensitive categories all of its records are of (a police force's are criminal
 *     offence data): only an agreement naming each may have anything of it, its Patient included
 */
public record SourceDescriptor(
    String id,
    OdsCode organisation,
    URI baseUrl,
    Duration deadline,
    List<String> resourceTypes,
    Set<SensitiveCategory> holds) {

  public SourceDescriptor {
    Objects.requireNonNull(id, "id");
    if (!ID_FORM.matcher(id).matches()) {
      // The id is part of the source's logical URI, which every released record carries.
      throw new IllegalArgumentException(
          "a source id: expected 1 to 64 letters, digits, '.', '_' or '-', got '" + id + "'");
    }
    Objects.requireNonNull(organisation, "organisation");
    Objects.requireNonNull(baseUrl, "baseUrl");
    Objects.requireNonNull(deadline, "deadline");
    resourceTypes = List.copyOf(resourceTypes);
    holds = Set.copyOf(holds);
  }

  /** A source of no particular sensitive category as a whole. */
  public SourceDescriptor(
      String id, OdsCode organisation, URI baseUrl, Duration deadline, List<String> resourceTypes) {
    this(id, organisation, baseUrl, deadline, resourceTypes, Set.of());
  }

  private static final Pattern ID_FORM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** The prefix of every source's logical URI: then its organisation's ODS code and its id. */
  public static final String URI_PREFIX = "urn:placeshare:source:";

  /**
   * The source's stable logical name, {@code urn:placeshare:source:{ODS code}:{id}}: what released
   * records carry in {@code meta.source} and Provenance names, in place of its base URL, which is
   * an internal address and may move.
   */
  public String uri() {
    return URI_PREFIX + organisation.value() + ":" + id;
  }

  /** The base URL without a trailing slash, to which resource paths are appended. */
  public String base() {
    String text = baseUrl.toString();
    return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
  }
}
