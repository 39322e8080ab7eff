package org.placeshare.policy;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What must be done to records released under a decision, before they leave: keep only these types
 * and codes, drop resources with sensitive codes the agreement does not name, remove or generalise
 * elements, replace identifiers with pseudonyms keyed per agreement, label.
 *
 * @param excludedCodes codes whose resources are dropped (the sensitive categories not named)
 * @param codeListVersion the version of the sensitive code list applied, for the audit
 * @param remove element paths such as {@code Patient.telecom}
 * @param generalise element path to how it is generalised
 * @param pseudonymKey the key name for per-agreement pseudonyms; empty keeps identifiers
 * @param confidentiality an HL7 v3 Confidentiality code for {@code meta.security}, e.g. R
 * @param otherPeople true when the agreement names other people's details ({@code data.otherPeople:
 *     release}): a RelatedPerson's name and contact details, {@code Patient.contact}, {@code
 *     Patient.link} and contained people then leave; false withholds them. Another person's NHS
 *     number never leaves either way.
 */
public record Obligations(
    Set<String> resourceTypes,
    List<CodeNarrowing> narrowing,
    List<SensitiveCodes.Entry> excludedCodes,
    String codeListVersion,
    Set<String> remove,
    Map<String, Generalisation> generalise,
    Optional<String> pseudonymKey,
    Optional<String> confidentiality,
    boolean otherPeople) {

  public static final Obligations NONE =
      new Obligations(
          Set.of(),
          List.of(),
          List.of(),
          "",
          Set.of(),
          Map.of(),
          Optional.empty(),
          Optional.empty(),
          false);

  /**
   * Obligations that withhold other people's details, as an agreement does unless it names them.
   */
  public Obligations(
      Set<String> resourceTypes,
      List<CodeNarrowing> narrowing,
      List<SensitiveCodes.Entry> excludedCodes,
      String codeListVersion,
      Set<String> remove,
      Map<String, Generalisation> generalise,
      Optional<String> pseudonymKey,
      Optional<String> confidentiality) {
    this(
        resourceTypes,
        narrowing,
        excludedCodes,
        codeListVersion,
        remove,
        generalise,
        pseudonymKey,
        confidentiality,
        false);
  }

  public Obligations {
    resourceTypes = Set.copyOf(resourceTypes);
    narrowing = List.copyOf(narrowing);
    excludedCodes = List.copyOf(excludedCodes);
    remove = Set.copyOf(remove);
    generalise = Map.copyOf(generalise);
  }

  /**
   * The obligations narrowed to the types a caller asked for ({@code _type}); the Patient always
   * stays, as the anchor. Null or empty asks for everything in scope.
   */
  public Obligations askedFor(Collection<String> types) {
    if (types == null || types.isEmpty()) {
      return this;
    }
    return withResourceTypes(
        resourceTypes.stream()
            .filter(t -> t.equals("Patient") || types.contains(t))
            .collect(Collectors.toSet()));
  }

  /** The same obligations over fewer resource types. */
  public Obligations withResourceTypes(Set<String> types) {
    return new Obligations(
        types,
        narrowing,
        excludedCodes,
        codeListVersion,
        remove,
        generalise,
        pseudonymKey,
        confidentiality,
        otherPeople);
  }

  /** True when a resource carrying this coding must not be released. */
  public boolean excludes(String system, String code) {
    return excludedCodes.stream().anyMatch(e -> e.matches(system, code));
  }
}
