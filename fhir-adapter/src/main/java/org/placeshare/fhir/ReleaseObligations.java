package org.placeshare.fhir;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import ca.uhn.fhir.util.FhirTerser;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.RelatedPerson;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.placeshare.policy.CodeNarrowing;
import org.placeshare.policy.Generalisation;
import org.placeshare.policy.Obligations;

/**
 * Applies a decision's obligations to one resource before it leaves: drop it if out of scope, if it
 * carries a sensitive code the agreement does not name, or if it falls outside the codes the
 * agreement narrows its type to; then remove and generalise elements, withhold other people's
 * details unless the agreement names them, strip identifiers where the agreement asks for
 * pseudonyms, and label its confidentiality. The source's narrative never leaves.
 */
public final class ReleaseObligations {

  static final String CONFIDENTIALITY_SYSTEM =
      "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

  private ReleaseObligations() {}

  /** The resource as it may be released, or empty when it must not leave at all. */
  public static Optional<Resource> apply(Resource resource, Obligations obligations) {
    return apply(resource, obligations, Optional.empty());
  }

  /**
   * The same, with the gateway's pseudonym key: where the agreement asks for pseudonyms each
   * identifier is replaced by its pseudonym under that agreement; without a key, no identifier
   * value leaves at all.
   */
  public static Optional<Resource> apply(
      Resource resource, Obligations obligations, Optional<Pseudonyms> pseudonyms) {
    if (!obligations.resourceTypes().contains(resource.fhirType())) {
      return Optional.empty();
    }
    PopulatedElements.Two<Reference, Coding> read =
        PopulatedElements.of(resource, Reference.class, Coding.class);
    return apply(resource, obligations, pseudonyms, read.first(), read.second());
  }

  /**
   * The same, given the resource's references and codings ({@link PopulatedElements}), its type in
   * scope.
   */
  static Optional<Resource> apply(
      Resource resource,
      Obligations obligations,
      Optional<Pseudonyms> pseudonyms,
      List<Reference> references,
      List<Coding> codings) {
    if (!obligations.resourceTypes().contains(resource.fhirType())) {
      return Optional.empty();
    }
    FhirTerser terser = Fhir.context().newTerser();
    if (codings.stream().anyMatch(c -> obligations.excludes(c.getSystem(), c.getCode()))) {
      return Optional.empty();
    }
    for (CodeNarrowing n : obligations.narrowing()) {
      if (n.resourceType().equals(resource.fhirType())
          && codings.stream()
              .noneMatch(
                  c -> n.system().equals(c.getSystem()) && n.codes().contains(c.getCode()))) {
        return Optional.empty();
      }
    }
    // The narrative is the source's rendering of the whole record: it would show what the
    // obligations below remove or generalise, other people, and the source's own URLs.
    dropNarrative(resource);
    for (String path : obligations.remove()) {
      remove(terser, resource, path);
    }
    for (Map.Entry<String, Generalisation> g : obligations.generalise().entrySet()) {
      generalise(terser, resource, g.getKey(), g.getValue());
    }
    if (!obligations.otherPeople()) {
      withholdOtherPeople(resource, references);
    }
    if (obligations.pseudonymKey().isPresent()) {
      String agreement = obligations.pseudonymKey().get();
      for (Identifier i : PopulatedElements.of(resource, Identifier.class)) {
        String system = i.getSystem();
        String value = i.getValue();
        i.setSystem(pseudonyms.isPresent() ? Pseudonyms.SYSTEM_PREFIX + agreement : null);
        i.setValue(
            value == null || pseudonyms.isEmpty()
                ? null
                : pseudonyms.get().of(agreement, system, value));
        i.setType(null).setAssigner(null).setPeriod(null);
      }
    }
    obligations
        .confidentiality()
        .ifPresent(code -> resource.getMeta().addSecurity(CONFIDENTIALITY_SYSTEM, code, null));
    return Optional.of(resource);
  }

  /**
   * Other people's details in the person's records, where the agreement does not name them ({@code
   * data.otherPeople}): a RelatedPerson keeps the relationship but not who they are, the Patient's
   * contacts and links go, and people contained in a record go; a reference to another person keeps
   * its target but not their name. Their NHS numbers never leave at all ({@link AboutThePerson}).
   */
  static void withholdOtherPeople(Resource resource, List<Reference> references) {
    // A reference's display is the source's words for whom it names: for a relative, the name
    // the RelatedPerson itself no longer carries, even where the reference resolves to it.
    for (Reference ref : references) {
      if (namesAnotherPerson(ref)) {
        ref.setDisplay(null);
      }
    }
    if (resource instanceof Patient patient) {
      patient.getContact().clear();
      patient.getLink().clear();
    } else if (resource instanceof RelatedPerson related) {
      related.getIdentifier().clear();
      related.getName().clear();
      related.getTelecom().clear();
      related.getAddress().clear();
      related.getPhoto().clear();
      related.setBirthDateElement(null);
    }
    if (resource instanceof DomainResource domain) {
      domain.getContained().removeIf(c -> AboutThePerson.PEOPLE.contains(c.fhirType()));
    }
  }

  /** {@code Type/id} at the end of a reference, with an optional base before and version after. */
  private static final Pattern TYPED =
      Pattern.compile("(?:^|/)([A-Z][A-Za-z]{1,63})/[^/]+(?:/_history/[^/]+)?$");

  /**
   * Whether a reference names a Person or a RelatedPerson by any of its type, its text or the
   * record HAPI linked it to: the source wrote all three, and any one saying so is enough.
   */
  private static boolean namesAnotherPerson(Reference ref) {
    if (ref.hasType() && OTHER_PEOPLE.contains(ref.getType())) {
      return true;
    }
    if (ref.getResource() != null && OTHER_PEOPLE.contains(ref.getResource().fhirType())) {
      return true;
    }
    String text = ref.getReference();
    if (text == null) {
      return false;
    }
    Matcher m = TYPED.matcher(text);
    return m.find() && OTHER_PEOPLE.contains(m.group(1));
  }

  /** People other than the person whose view it is: the Patient is the person or not released. */
  private static final Set<String> OTHER_PEOPLE = Set.of("Person", "RelatedPerson");

  private static void dropNarrative(Resource resource) {
    if (resource instanceof DomainResource domain) {
      domain.setText(null);
      domain.getContained().forEach(ReleaseObligations::dropNarrative);
    }
  }

  /** A reference to a resource of the same server: {@code Type/id}, perhaps with a version. */
  private static final Pattern RELATIVE =
      Pattern.compile("([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\\-.]{1,64})(/_history/[^/]+)?");

  /**
   * Where the agreement asks for pseudonyms, a source's resource ids are identifiers too: the
   * resource's id and each reference to another resource of its source become pseudonyms of the
   * source's ids under the agreement. They stay stable for one recipient (a second export updates
   * the first, it does not duplicate it) and cannot be matched across agreements or to the source's
   * records. Absolute references, which would name another server's record, are dropped; the
   * gateway's own ({@code urn:uuid:}) and contained ({@code #}) references stay.
   *
   * @param references the resource's references ({@link PopulatedElements})
   * @param sourceUri where the ids are unique (the source's logical URI, which survives a move of
   *     its server): two sources' ids never share a pseudonym
   */
  static void pseudonymiseIds(
      Resource resource,
      List<Reference> references,
      String sourceUri,
      String agreement,
      Pseudonyms pseudonyms) {
    for (Reference ref : references) {
      String target = ref.getReference();
      if (target == null || target.startsWith("urn:uuid:") || target.startsWith("#")) {
        continue;
      }
      Matcher relative = RELATIVE.matcher(target);
      ref.setReference(
          relative.matches()
              ? relative.group(1)
                  + "/"
                  + pseudonyms.id(agreement, sourceUri + "/" + relative.group(1), relative.group(2))
              : null);
    }
    String id = resource.getIdElement().getIdPart();
    if (id != null) {
      resource.setId(pseudonyms.id(agreement, sourceUri + "/" + resource.fhirType(), id));
    }
  }

  /** Clears the last element of {@code Type.a.b} on every {@code Type.a} present. */
  private static void remove(FhirTerser terser, Resource resource, String path) {
    int dot = path.lastIndexOf('.');
    String parentPath = path.substring(0, dot);
    String child = path.substring(dot + 1);
    List<IBase> parents =
        parentPath.equals(resource.fhirType())
            ? List.of(resource)
            : terser.getValues(resource, parentPath);
    for (IBase parent : parents) {
      var definition = Fhir.context().getElementDefinition(parent.getClass());
      if (definition instanceof BaseRuntimeElementCompositeDefinition<?> composite) {
        BaseRuntimeChildDefinition childDefinition = composite.getChildByName(child);
        if (childDefinition != null) {
          childDefinition.getMutator().setValue(parent, null);
        }
      }
    }
  }

  private static void generalise(
      FhirTerser terser, Resource resource, String path, Generalisation to) {
    for (IBase value : terser.getValues(resource, path)) {
      if (to == Generalisation.YEAR && value instanceof BaseDateTimeType date && date.hasValue()) {
        date.setPrecision(TemporalPrecisionEnum.YEAR);
      } else if (to == Generalisation.DISTRICT && value instanceof StringType postcode) {
        postcode.setValue(district(postcode.getValue()));
      }
    }
  }

  /** The outward code of a UK postcode: before the space, or all but the inward three. */
  static String district(String postcode) {
    if (postcode == null) {
      return null;
    }
    String p = postcode.strip().toUpperCase(Locale.ROOT);
    int space = p.indexOf(' ');
    if (space > 0) {
      return p.substring(0, space);
    }
    return p.length() > 3 ? p.substring(0, p.length() - 3) : p;
  }
}
