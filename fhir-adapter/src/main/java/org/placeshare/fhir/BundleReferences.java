package org.placeshare.fhir;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * Every reference in a released Bundle resolves inside it, or is removed. A source's record may
 * point at records the decision did not release (another type, a sensitive code), at its own
 * server's URLs, or at other servers: none of that can be followed by the recipient, and a URL is
 * an internal address.
 *
 * <ul>
 *   <li>A reference to a record of the same source that is in the Bundle is pointed at that entry's
 *       {@code fullUrl} ({@code urn:uuid:}), as FHIR resolves references in a Bundle.
 *   <li>A {@code urn:uuid:} reference resolves to an entry's {@code fullUrl}; a {@code #id} to a
 *       resource contained in the same record.
 *   <li>Anything else loses its {@code reference}. A logical reference (an identifier, such as an
 *       ODS code) stays; the display stays unless it named a person. Where the element is required
 *       and nothing is left, the Reference carries only a data-absent-reason of {@code masked}.
 * </ul>
 *
 * @see <a href="https://hl7.org/fhir/R4/bundle.html#references">Resolving references in Bundles</a>
 */
final class BundleReferences {

  static final String DATA_ABSENT_REASON =
      "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

  /** {@code Type/id} with an optional base before it and version after it. */
  private static final Pattern REFERENCE =
      Pattern.compile(
          "(?:(.+)/)?([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\\-.]{1,64})(?:/_history/[A-Za-z0-9\\-.]{1,64})?");

  private BundleReferences() {}

  /**
   * Resolves or removes each reference of one released record.
   *
   * @param sameSource the source's released {@code Type/id} to the entry's full URL
   * @param fullUrls every entry's full URL in the Bundle
   * @param sourceBase the source's base URL: its absolute references name its own records
   */
  static void resolve(
      Resource resource, Map<String, String> sameSource, Set<String> fullUrls, String sourceBase) {
    PopulatedElements.walk(
        resource,
        Reference.class,
        false,
        (element, child) ->
            resolve(
                (Reference) element,
                resource,
                sameSource,
                fullUrls,
                sourceBase,
                child != null && child.getMin() > 0));
  }

  private static void resolve(
      Reference ref,
      Resource within,
      Map<String, String> sameSource,
      Set<String> fullUrls,
      String sourceBase,
      boolean required) {
    // HAPI's parser links a reference to any entry of the same reply whose full URL or id it
    // names, whatever that entry is (another person, a record withheld for a sensitive code). The
    // encoder writes a reference's text from that record's id when the text is empty, and
    // contains the record when its id is empty or local: a released reference is its text alone.
    ref.setResource(null);
    String target = ref.getReference();
    if (target == null || target.isBlank()) {
      return;
    }
    if (target.startsWith("urn:uuid:") && fullUrls.contains(target)) {
      return;
    }
    if (target.startsWith("#") && contains(within, target.substring(1))) {
      return;
    }
    Matcher m = REFERENCE.matcher(target);
    String type = ref.getType();
    if (m.matches()) {
      type = m.group(2);
      boolean onThisSource =
          m.group(1) == null
              || m.group(1).toLowerCase(Locale.ROOT).equals(sourceBase.toLowerCase(Locale.ROOT));
      String fullUrl = onThisSource ? sameSource.get(m.group(2) + "/" + m.group(3)) : null;
      if (fullUrl != null) {
        ref.setReference(fullUrl);
        return;
      }
    }
    ref.setReference(null);
    if (target.startsWith("#") || (type != null && AboutThePerson.PEOPLE.contains(type))) {
      ref.setDisplay(null); // a person not in the view is not named in it either
    }
    if (required && ref.isEmpty()) {
      ref.addExtension(DATA_ABSENT_REASON, new CodeType("masked"));
    }
  }

  private static boolean contains(Resource within, String id) {
    if (within instanceof DomainResource domain) {
      for (Resource c : domain.getContained()) {
        String cid = c.getIdElement().getIdPart();
        if (cid != null && (cid.equals(id) || cid.equals("#" + id))) {
          return true;
        }
      }
    }
    return false;
  }
}
