package org.placeshare.fhir;

import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.util.FhirTerser;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Person;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.policy.NhsNumber;

/**
 * What a source sent is checked to be about the person asked for, before anything else reads it. An
 * upstream is untrusted: it may ignore the search's {@code patient} parameter, answer a search for
 * one NHS number with someone else, or mention other people in its records.
 *
 * <ul>
 *   <li>The source's Patient must carry exactly one NHS number, the one asked for; otherwise the
 *       source answers with a conflict ({@link Conflict}) and none of its records leave.
 *   <li>Every record must be in the asked person's Patient compartment: each reference on a path
 *       that makes a resource a member of a Patient compartment (FHIR R4's {@code
 *       CompartmentDefinition} for Patient, as HAPI's search parameter definitions give it:
 *       subject, patient, beneficiary, performer and the like) that names a patient must name this
 *       source's Patient, and at least one must. Anything else is left out and counted.
 *   <li>Any other reference that names a patient (Observation.focus, an extension; by id, by an NHS
 *       number or by its type) must name this source's Patient too: it says whom the record is
 *       about as much as the compartment does.
 *   <li>Another person's NHS number is stripped wherever it appears in what is kept.
 *   <li>Every record kept has a FHIR id, and no other record of its type from the source has the
 *       same one: the view and the audit name each record by its type and id, and a record that
 *       cannot be named, or is named twice, could not be told apart from another in either. The
 *       first of a repeated id is kept (a server's pages can shift while they are read); the
 *       others, and records without a FHIR id, are left out and the source's part says how many.
 * </ul>
 *
 * @see <a href="https://hl7.org/fhir/R4/compartmentdefinition-patient.html">Patient compartment</a>
 */
public final class AboutThePerson {

  /** A source answered for someone else than the person asked for: none of its records leave. */
  public static final class Conflict extends WithheldAnswer {
    private static final long serialVersionUID = 1L;

    public Conflict(String why) {
      super("answered with a conflict: " + why);
    }
  }

  /** How a reference names a patient, if it does. */
  enum Naming {
    THE_PERSON,
    SOMEONE_ELSE,
    NOT_A_PATIENT
  }

  /** {@code Type/id} on the source, absolute or relative, perhaps with a version. */
  private static final Pattern REFERENCE =
      Pattern.compile(
          "(?:(.+)/)?([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\\-.]{1,64})(?:/_history/[A-Za-z0-9\\-.]{1,64})?");

  /** FHIR R4's id type: 1 to 64 letters, digits, '-' and '.'. */
  private static final Pattern FHIR_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

  /** R4 compartment paths say "X.subject.where(resolve() is Patient)"; the type is read below. */
  private static final Pattern WHERE_RESOLVE =
      Pattern.compile("(.+)\\.where\\(resolve\\(\\) is [A-Za-z]+\\)");

  /** A reference string that names a Patient, in any case, by id, search or conditional. */
  private static final Pattern NAMES_A_PATIENT = Pattern.compile("(?i)(?:^|/)patient(?:[/?]|$)");

  /** The NHS number system as sources may write it: either scheme, any case, a trailing slash. */
  private static final Pattern NHS_NUMBER_SYSTEM =
      Pattern.compile("(?i)\\s*https?://fhir\\.nhs\\.uk/id/nhs-number/?\\s*");

  /** Spaces and hyphens, as people write NHS numbers ({@code 999 000 0018}). */
  private static final Pattern NHS_NUMBER_SEPARATORS = Pattern.compile("[\\s-]");

  /** Resource types that name a person, whose details are another person's in someone's record. */
  static final Set<String> PEOPLE = Set.of("Patient", "Person", "RelatedPerson");

  /** Per resource type, the element paths that put a resource in a Patient compartment. */
  private static final Map<String, List<String>> COMPARTMENT_PATHS = new ConcurrentHashMap<>();

  private AboutThePerson() {}

  /**
   * The source's answer as it may be used: a Found whose Patient is not the person becomes a
   * conflict; its records not about the person are left out and counted; other people's NHS numbers
   * stripped. NotFound and Failed pass as they are.
   *
   * @throws Conflict when the source's Patient is not (only) the person asked for
   */
  public static SourceRecords check(NhsNumber asked, SourceRecords result) {
    if (!(result instanceof SourceRecords.Found found)) {
      return result;
    }
    requireThePerson(found.patient(), asked);
    ThePatient patient =
        new ThePatient(found.patient().getIdElement().getIdPart(), found.source(), asked);
    List<Resource> kept = new ArrayList<>();
    Set<String> named = new HashSet<>();
    int leftOut = 0;
    int withoutId = 0;
    int repeated = 0;
    for (Resource r : found.resources()) {
      if (r instanceof Patient) {
        // A Patient among the records is another Patient: the source's own came from its lookup.
        leftOut++;
        continue;
      }
      // One walk for both: whether it is about the person reads the references, which the
      // stripping of other NHS numbers then changes only in their displays.
      PopulatedElements.Two<Reference, Identifier> elements =
          PopulatedElements.of(r, Reference.class, Identifier.class);
      if (!patient.isAbout(r, elements.first())) {
        leftOut++;
        continue;
      }
      String id = r.getIdElement().getIdPart();
      if (!isFhirId(id)) {
        withoutId++;
        continue;
      }
      if (!named.add(r.fhirType() + "/" + id)) {
        repeated++;
        continue;
      }
      stripOtherNhsNumbers(elements.first(), elements.second(), asked);
      kept.add(r);
    }
    stripOtherNhsNumbers(found.patient(), asked);
    List<String> warnings = new ArrayList<>(found.warnings());
    if (withoutId > 0) {
      warnings.add(missing(withoutId, "without a FHIR id"));
    }
    if (repeated > 0) {
      warnings.add(
          "sent "
              + records(repeated)
              + " with the id of another record of the same type; only the first is in this view");
    }
    return new SourceRecords.Found(
        found.source(),
        found.patient(),
        kept,
        warnings,
        found.notAboutThePerson() + leftOut,
        found.links());
  }

  private static String records(int n) {
    return n + (n == 1 ? " record" : " records");
  }

  /** "sent 2 records {@code what}; they are missing from this view", for a source's part. */
  static String missing(int n, String what) {
    return "sent "
        + records(n)
        + " "
        + what
        + "; "
        + (n == 1 ? "it is" : "they are")
        + " missing from this view";
  }

  /** Whether {@code id} (an id part: no type, no version) is a FHIR R4 id. */
  public static boolean isFhirId(String id) {
    return id != null && FHIR_ID.matcher(id).matches();
  }

  /**
   * A Patient a source gave for an NHS number must carry that NHS number and no other.
   *
   * @throws Conflict naming how it differs, never the numbers
   */
  public static void requireThePerson(Patient patient, NhsNumber asked) {
    Set<String> numbers = new TreeSet<>();
    for (Identifier id : patient.getIdentifier()) {
      if (isNhsNumber(id)) {
        numbers.add(nhsNumberValue(id));
      }
    }
    if (numbers.isEmpty()) {
      throw new Conflict("its Patient for this NHS number carries no NHS number");
    }
    if (!numbers.contains(asked.toString())) {
      throw new Conflict("its Patient for this NHS number carries another NHS number");
    }
    if (numbers.size() > 1) {
      throw new Conflict("its Patient carries " + numbers.size() + " NHS numbers, not one");
    }
    if (!isFhirId(patient.getIdElement().getIdPart())) {
      throw new Conflict(
          "its Patient has no FHIR id, so its records cannot be told to be about it");
    }
  }

  /** Clears every NHS-number identifier that is not the person's: nobody decided about them. */
  static void stripOtherNhsNumbers(Resource resource, NhsNumber asked) {
    PopulatedElements.Two<Reference, Identifier> elements =
        PopulatedElements.of(resource, Reference.class, Identifier.class);
    stripOtherNhsNumbers(elements.first(), elements.second(), asked);
  }

  /** The same, given the resource's references and identifiers ({@link PopulatedElements}). */
  private static void stripOtherNhsNumbers(
      List<Reference> references, List<Identifier> identifiers, NhsNumber asked) {
    for (Reference ref : references) {
      if (isOtherNhsNumber(ref.getIdentifier(), asked)) {
        ref.setDisplay(null); // the display of a reference to someone else names them
      }
    }
    for (Identifier id : identifiers) {
      if (isOtherNhsNumber(id, asked)) {
        // An empty Identifier is not encoded: the element is gone from what leaves.
        id.setUse(null).setType(null).setSystem(null).setValue(null).setPeriod(null);
        id.setAssigner(null);
        id.getExtension().clear();
        id.setId(null);
      }
    }
  }

  private static boolean isOtherNhsNumber(Identifier id, NhsNumber asked) {
    return id != null && isNhsNumber(id) && !asked.toString().equals(nhsNumberValue(id));
  }

  /**
   * An NHS-number identifier, under the system written any way a source may write it: a variant
   * would otherwise carry another person's number past the checks.
   */
  public static boolean isNhsNumber(Identifier id) {
    return id.getSystem() != null && NHS_NUMBER_SYSTEM.matcher(id.getSystem()).matches();
  }

  /** The identifier's value without spaces or hyphens; empty when it has none. */
  public static String nhsNumberValue(Identifier id) {
    return id.getValue() == null ? "" : NHS_NUMBER_SEPARATORS.matcher(id.getValue()).replaceAll("");
  }

  /** The source's Patient for the asked NHS number, as its records should name it. */
  record ThePatient(String id, SourceDescriptor source, NhsNumber nhsNumber) {

    /**
     * In the person's Patient compartment, and in nobody else's; and naming no other patient
     * anywhere else, such as an Observation's focus.
     */
    boolean isAbout(Resource resource, List<Reference> references) {
      boolean named = false;
      for (Reference ref : compartmentReferences(resource)) {
        switch (names(ref, resource)) {
          case THE_PERSON -> named = true;
          case SOMEONE_ELSE -> {
            return false;
          }
          case NOT_A_PATIENT -> {}
        }
      }
      if (!named) {
        return false;
      }
      for (Reference ref : references) {
        if (namesAPatient(ref, resource) && names(ref, resource) != Naming.THE_PERSON) {
          return false;
        }
      }
      return true;
    }

    /** Whether a reference outside the compartment paths says it names a patient at all. */
    private static boolean namesAPatient(Reference ref, Resource within) {
      String target = ref.getReference();
      if (target != null && target.startsWith("#")) {
        Resource contained = contained(within, target.substring(1));
        return contained instanceof Patient || contained instanceof Person;
      }
      return "Patient".equalsIgnoreCase(ref.getType())
          || (target != null && NAMES_A_PATIENT.matcher(target).find())
          || (ref.hasIdentifier() && isNhsNumber(ref.getIdentifier()));
    }

    /**
     * Whom a reference names. One that cannot be read where a patient could be named (a {@code
     * urn:uuid:}, another server's URL, a Patient by an identifier other than the NHS number) is
     * taken as someone else: nothing shows it is the person.
     */
    Naming names(Reference ref, Resource within) {
      String target = ref.getReference();
      boolean typedPatient = "Patient".equals(ref.getType());
      if (target != null && !target.isBlank()) {
        if (target.startsWith("#")) {
          Resource contained = contained(within, target.substring(1));
          if (contained != null) {
            return contained instanceof Patient || contained instanceof Person
                ? Naming.SOMEONE_ELSE
                : Naming.NOT_A_PATIENT;
          }
          return typedPatient ? Naming.SOMEONE_ELSE : Naming.NOT_A_PATIENT;
        }
        Matcher m = REFERENCE.matcher(target);
        if (!m.matches()) {
          return Naming.SOMEONE_ELSE;
        }
        if (!m.group(2).equals("Patient")) {
          return typedPatient ? Naming.SOMEONE_ELSE : Naming.NOT_A_PATIENT;
        }
        boolean onThisSource =
            m.group(1) == null
                || m.group(1)
                    .toLowerCase(Locale.ROOT)
                    .equals(source.base().toLowerCase(Locale.ROOT));
        return onThisSource && m.group(3).equals(id) ? Naming.THE_PERSON : Naming.SOMEONE_ELSE;
      }
      if (ref.hasIdentifier() && isNhsNumber(ref.getIdentifier())) {
        return nhsNumber.toString().equals(nhsNumberValue(ref.getIdentifier()))
            ? Naming.THE_PERSON
            : Naming.SOMEONE_ELSE;
      }
      return typedPatient ? Naming.SOMEONE_ELSE : Naming.NOT_A_PATIENT;
    }
  }

  private static Resource contained(Resource within, String id) {
    if (within instanceof DomainResource domain) {
      for (Resource c : domain.getContained()) {
        String cid = c.getIdElement().getIdPart();
        if (cid != null && (cid.equals(id) || cid.equals("#" + id))) {
          return c;
        }
      }
    }
    return null;
  }

  /** The references on the resource's Patient-compartment paths. */
  static List<Reference> compartmentReferences(Resource resource) {
    FhirTerser terser = Fhir.context().newTerser();
    List<Reference> refs = new ArrayList<>();
    for (String path : compartmentPaths(resource.fhirType())) {
      refs.addAll(terser.getValues(resource, path, Reference.class));
    }
    return refs;
  }

  /** The paths of a type's search parameters that give membership of a Patient compartment. */
  static List<String> compartmentPaths(String type) {
    return COMPARTMENT_PATHS.computeIfAbsent(
        type,
        t -> {
          RuntimeResourceDefinition definition = Fhir.context().getResourceDefinition(t);
          List<String> paths = new ArrayList<>();
          for (RuntimeSearchParam param : definition.getSearchParamsForCompartmentName("Patient")) {
            for (String path : param.getPathsSplit()) {
              Matcher where = WHERE_RESOLVE.matcher(path.strip());
              String plain = where.matches() ? where.group(1) : path.strip();
              if (plain.startsWith(t + ".") && !paths.contains(plain)) {
                paths.add(plain);
              }
            }
          }
          return List.copyOf(paths);
        });
  }
}
