package org.placeshare.fhir.mapped;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.RuntimePrimitiveDatatypeDefinition;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.util.FhirTerser;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.AboutThePerson;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.UpstreamException;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.policy.FhirResourceTypes;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.SensitiveCategory;
import org.placeshare.policy.StrictYaml;
import org.placeshare.policy.StrictYaml.Fields;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * How a system that does not speak FHIR becomes FHIR R4: a declarative mapping file saying where
 * the person is looked up, which JSON field becomes which Patient element, and for each kind of
 * record which field becomes which element, with local codes translated to SNOMED CT or a named
 * code system. Checked in full when loaded (every element path against the R4 definitions, every
 * code against its element), so a mistake stops the gateway at start, not a request at night.
 */
public final class SourceMapping {

  static final int MAX_FILE_BYTES = 64 * 1024;
  private static final int MAX_ENTRIES = 200;

  private static final HexFormat UPPER_HEX = HexFormat.of().withUpperCase();

  /** The most pages a roster section may allow: a mapping file cannot raise it. */
  public static final int MAX_ROSTER_PAGES = 10_000;

  /** The most people a roster section may allow. */
  public static final int MAX_ROSTER_PEOPLE = 1_000_000;

  /** The largest roster page a roster section may allow. */
  public static final int MAX_ROSTER_PAGE_BYTES = 8 * 1024 * 1024;

  /** A source's own id for a person longer than this is bad data, not an id: it is left out. */
  public static final int MAX_LOCAL_ID_LENGTH = 64;

  /**
   * The system of the {@code meta.security} coding that marks a record of a sensitive category
   * ({@code sensitive:} in a resource rule); its code is the category's. The bundled sensitive code
   * list names these codes, so a release drops the record unless its agreement names the category.
   */
  public static final String SENSITIVE_CATEGORY_SYSTEM =
      "https://placeshare.example/CodeSystem/sensitive-category";

  /**
   * Family names that stand for no name: a record under one of them has no usable demographics.
   * Compared after folding to upper case.
   */
  static final Set<String> PLACEHOLDER_NAMES =
      Set.of("UNKNOWN", "NOT KNOWN", "NOTKNOWN", "UNK", "NK", "XXX", "ZZZ", "NONE", "N/A");

  /** A JSON field (dotted path) and, for coded elements, the translation of its local codes. */
  record Rule(String field, Optional<String> system, Map<String, Coded> codes) {
    boolean coded() {
      return !codes.isEmpty();
    }
  }

  /** What a local code becomes. */
  record Coded(String code, Optional<String> display) {}

  /** A fixed value of an element; a CodeableConcept's comes with its system. */
  record Constant(Optional<String> system, Coded value) {
    Rule rule() {
      return new Rule("", system, Map.of());
    }
  }

  /**
   * One kind of record: an array of JSON items, each becoming one resource.
   *
   * @param identifierSystem when present, each resource gets an identifier of its item id under it
   * @param sensitive when present, each resource is marked as of this category in meta.security
   */
  record ResourceRule(
      String type,
      String from,
      String id,
      String subject,
      Map<String, Rule> elements,
      Map<String, Constant> constants,
      Optional<String> identifierSystem,
      Optional<SensitiveCategory> sensitive) {}

  /**
   * Where a traced source lists the people it holds, and the caps on reading it.
   *
   * @param path the first page, appended to the source's base URL
   * @param items the dotted path of the array of people in a page; each is read with the patient
   *     section's fields
   * @param next the dotted path of the next page's URL in a page (absolute, or a path resolved
   *     against the base URL); empty when the roster is one page
   */
  public record RosterRule(
      String path,
      String items,
      Optional<String> next,
      int maxPages,
      int maxPeople,
      int maxPageBytes) {}

  private final String id;
  private final String lookup;
  private final Optional<RosterRule> roster;
  private final String patientFrom;
  private final Map<String, Rule> patient;
  private final List<ResourceRule> resources;

  private SourceMapping(
      String id,
      String lookup,
      Optional<RosterRule> roster,
      String patientFrom,
      Map<String, Rule> patient,
      List<ResourceRule> resources) {
    this.id = id;
    this.lookup = lookup;
    this.roster = roster;
    this.patientFrom = patientFrom;
    this.patient = patient;
    this.resources = resources;
  }

  private static final Set<String> TOP =
      Set.of("mapping", "lookup", "roster", "patient", "resources");
  private static final List<String> PATIENT_FIELDS =
      List.of(
          "id",
          "nhsNumber",
          "family",
          "given",
          "birthDate",
          "gender",
          "postcode",
          "addressLine",
          "previousFamily",
          "uprn");
  private static final Set<String> ROSTER_KEYS =
      Set.of("path", "items", "next", "maxPages", "maxPeople", "maxPageBytes");
  private static final Set<String> RESOURCE_KEYS =
      Set.of("type", "from", "id", "subject", "elements", "constants", "identifier", "sensitive");
  private static final Set<String> CODED_KEYS = Set.of("field", "system", "codes");
  private static final Set<String> CONSTANT_KEYS = Set.of("system", "code", "display");

  /** Reads and checks a mapping file; every problem is listed with its line and column. */
  public static SourceMapping load(Path file) {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new PolicyException(file + ": expected at most " + MAX_FILE_BYTES + " bytes");
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new PolicyException(file + ": cannot be read: " + e.getMessage(), e);
    }
    String name = file.getFileName().toString();
    StrictYaml.Problems problems = new StrictYaml.Problems(name);
    Node root = StrictYaml.parse(name, bytes, MAX_FILE_BYTES);
    Optional<Fields> top = Fields.open(root, "", problems, TOP);
    if (top.isEmpty()) {
      problems.throwIfAny();
    }
    Fields f = top.get();
    String id = f.text("mapping");
    Optional<RosterRule> roster = Optional.empty();
    if (f.has("roster")) {
      roster = roster(f, problems);
    }
    boolean traced = f.has("roster");
    String lookup = f.text("lookup");
    String key = traced ? "{id}" : "{nhs}";
    String other = traced ? "{nhs}" : "{id}";
    if (lookup != null
        && (!lookup.startsWith("/") || !lookup.contains(key) || lookup.contains(other))) {
      problems.add(
          f.get("lookup"),
          "lookup",
          "a path starting with / containing "
              + key
              + (traced ? " (a traced source is looked up by its own id)" : ""),
          "'" + lookup + "'");
    }
    String patientFrom = null;
    Map<String, Rule> patient = new LinkedHashMap<>();
    Set<String> patientKeys = new HashSet<>(PATIENT_FIELDS);
    patientKeys.add("from");
    Optional<Fields> p = f.map("patient", patientKeys);
    if (p.isPresent()) {
      patientFrom = p.get().text("from");
      Set<String> required =
          traced ? Set.of("id", "family", "birthDate") : Set.of("id", "nhsNumber");
      for (String field : PATIENT_FIELDS) {
        Node value = p.get().get(field);
        if (value == null) {
          if (required.contains(field)) {
            problems.add(
                p.get().node(),
                "patient." + field,
                "a JSON field" + (traced ? " (tracing needs it)" : ""),
                "nothing");
          }
          continue;
        }
        if (traced && field.equals("nhsNumber")) {
          problems.add(
              value,
              "patient.nhsNumber",
              "no NHS number in a traced mapping (its people are traced to one)",
              StrictYaml.shown(value));
          continue;
        }
        Rule rule = rule(value, "patient." + field, problems);
        if (rule != null && field.equals("gender")) {
          rule.codes()
              .forEach(
                  (local, coded) -> {
                    try {
                      Enumerations.AdministrativeGender.fromCode(coded.code());
                    } catch (Exception e) {
                      problems.add(
                          value,
                          "patient.gender.codes." + local,
                          "male, female, other or unknown",
                          "'" + coded.code() + "'");
                    }
                  });
        }
        if (rule != null && !field.equals("gender") && rule.coded()) {
          problems.add(value, "patient." + field, "a JSON field", "codes");
          continue;
        }
        if (rule != null) {
          patient.put(field, rule);
        }
      }
    }
    List<ResourceRule> resources = new ArrayList<>();
    List<Node> list = f.optionalList("resources", 20);
    for (int i = 0; i < list.size(); i++) {
      resource(list.get(i), "resources[" + i + "]", problems).ifPresent(resources::add);
    }
    problems.throwIfAny();
    return new SourceMapping(
        id, lookup, roster, patientFrom, Map.copyOf(patient), List.copyOf(resources));
  }

  private static Optional<RosterRule> roster(Fields top, StrictYaml.Problems problems) {
    Optional<Fields> r = top.map("roster", ROSTER_KEYS);
    if (r.isEmpty()) {
      return Optional.empty();
    }
    Fields f = r.get();
    String path = f.text("path");
    if (path != null && !path.startsWith("/")) {
      problems.add(f.get("path"), "roster.path", "a path starting with /", "'" + path + "'");
    }
    String items = f.text("items");
    Optional<String> next = Optional.ofNullable(f.optionalText("next"));
    int maxPages = count(f, "maxPages", MAX_ROSTER_PAGES, problems);
    int maxPeople = count(f, "maxPeople", MAX_ROSTER_PEOPLE, problems);
    int maxPageBytes = count(f, "maxPageBytes", MAX_ROSTER_PAGE_BYTES, problems);
    if (path == null || items == null || maxPages == 0 || maxPeople == 0 || maxPageBytes == 0) {
      return Optional.empty();
    }
    return Optional.of(new RosterRule(path, items, next, maxPages, maxPeople, maxPageBytes));
  }

  /** A required whole number from 1 to {@code max}; 0 when reported. */
  private static int count(Fields f, String key, int max, StrictYaml.Problems problems) {
    String text = f.text(key);
    if (text == null) {
      return 0;
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    problems.add(f.get(key), f.path(key), "a whole number from 1 to " + max, "'" + text + "'");
    return 0;
  }

  private static Optional<ResourceRule> resource(
      Node node, String path, StrictYaml.Problems problems) {
    Optional<Fields> r = Fields.open(node, path, problems, RESOURCE_KEYS);
    if (r.isEmpty()) {
      return Optional.empty();
    }
    String type = r.get().text("type");
    RuntimeResourceDefinition definition = null;
    if (type != null) {
      if (!FhirResourceTypes.R4.contains(type) || type.equals("Patient")) {
        problems.add(
            r.get().get("type"),
            path + ".type",
            "an R4 resource type other than Patient",
            "'" + type + "'");
      } else {
        definition = Fhir.context().getResourceDefinition(type);
      }
    }
    String from = r.get().text("from");
    String itemId = r.get().text("id");
    String subject = r.get().text("subject");
    if (definition != null && subject != null && !isReference(definition, subject)) {
      problems.add(
          r.get().get("subject"),
          path + ".subject",
          "a Reference element of " + type,
          "'" + subject + "'");
    }
    Map<String, Rule> elements = new LinkedHashMap<>();
    Node elementsNode = r.get().get("elements");
    if (elementsNode != null) {
      var entries = StrictYaml.entries(elementsNode, path + ".elements", MAX_ENTRIES, problems);
      for (var e : entries.entrySet()) {
        String where = path + ".elements." + e.getKey();
        Rule rule = rule(e.getValue(), where, problems);
        if (rule != null && definition != null) {
          checkElement(definition, e.getKey(), rule, e.getValue(), where, problems);
          elements.put(e.getKey(), rule);
        }
      }
    }
    Map<String, Constant> constants = new LinkedHashMap<>();
    Node constantsNode = r.get().get("constants");
    if (constantsNode != null) {
      var entries = StrictYaml.entries(constantsNode, path + ".constants", MAX_ENTRIES, problems);
      for (var e : entries.entrySet()) {
        String where = path + ".constants." + e.getKey();
        Constant constant = constant(e.getValue(), where, problems);
        if (constant != null && definition != null) {
          if (elements.containsKey(e.getKey())) {
            problems.add(e.getValue(), where, "an element not also mapped from a field", "both");
            continue;
          }
          checkConstant(definition, e.getKey(), constant, e.getValue(), where, problems);
          constants.put(e.getKey(), constant);
        }
      }
    }
    Optional<String> identifierSystem = Optional.ofNullable(r.get().optionalText("identifier"));
    if (identifierSystem.isPresent() && !isAbsoluteUri(identifierSystem.get())) {
      problems.add(
          r.get().get("identifier"),
          path + ".identifier",
          "an absolute URI naming the system of the item ids",
          "'" + identifierSystem.get() + "'");
    } else if (identifierSystem.isPresent()
        && definition != null
        && element(definition, "identifier") == null) {
      problems.add(
          r.get().get("identifier"),
          path + ".identifier",
          "a resource type with an identifier element",
          type);
    }
    Optional<SensitiveCategory> sensitive = Optional.empty();
    String category = r.get().optionalText("sensitive");
    if (category != null) {
      sensitive = SensitiveCategory.of(category);
      if (sensitive.isEmpty()) {
        problems.add(
            r.get().get("sensitive"),
            path + ".sensitive",
            "a sensitive category ("
                + Arrays.stream(SensitiveCategory.values())
                    .map(SensitiveCategory::code)
                    .collect(Collectors.joining(", "))
                + ")",
            "'" + category + "'");
      }
    }
    if (type == null || from == null || itemId == null || subject == null) {
      return Optional.empty();
    }
    return Optional.of(
        new ResourceRule(
            type,
            from,
            itemId,
            subject,
            Map.copyOf(elements),
            Map.copyOf(constants),
            identifierSystem,
            sensitive));
  }

  /** A scalar, or {@code {system, code, display}} for a CodeableConcept. */
  private static Constant constant(Node value, String path, StrictYaml.Problems problems) {
    if (!(value instanceof MappingNode)) {
      String text = StrictYaml.scalar(value, path, problems);
      return text == null
          ? null
          : new Constant(Optional.empty(), new Coded(text, Optional.empty()));
    }
    Optional<Fields> f = Fields.open(value, path, problems, CONSTANT_KEYS);
    if (f.isEmpty()) {
      return null;
    }
    String system = f.get().text("system");
    String code = f.get().text("code");
    if (system == null || code == null) {
      return null;
    }
    return new Constant(
        Optional.of(system), new Coded(code, Optional.ofNullable(f.get().optionalText("display"))));
  }

  /** A constant goes where a mapped value could, and must be a value its element accepts. */
  private static void checkConstant(
      RuntimeResourceDefinition type,
      String elementPath,
      Constant constant,
      Node at,
      String where,
      StrictYaml.Problems problems) {
    BaseRuntimeElementDefinition<?> target = element(type, elementPath);
    if (target == null) {
      problems.add(at, where, "an element path of " + type.getName(), "'" + elementPath + "'");
      return;
    }
    boolean concept = target.getImplementingClass().equals(CodeableConcept.class);
    if (!(target instanceof RuntimePrimitiveDatatypeDefinition) && !concept) {
      problems.add(at, where, "an element holding a value or a CodeableConcept", target.getName());
      return;
    }
    if (concept != constant.system().isPresent()) {
      problems.add(
          at,
          where,
          concept ? "{system, code, display} for a CodeableConcept" : "a plain value",
          concept ? "a plain value" : "a system and code");
      return;
    }
    try {
      set((Resource) type.newInstance(), elementPath, constant.rule(), constant.value());
    } catch (RuntimeException ex) {
      problems.add(
          at,
          where,
          "a value " + target.getName() + " accepts",
          "'" + constant.value().code() + "'");
    }
  }

  private static boolean isAbsoluteUri(String text) {
    try {
      return new URI(text).isAbsolute();
    } catch (URISyntaxException e) {
      return false;
    }
  }

  /** A field name, or {@code {field, system, codes}} for a coded element. */
  private static Rule rule(Node value, String path, StrictYaml.Problems problems) {
    if (!(value instanceof MappingNode)) {
      String field = StrictYaml.scalar(value, path, problems);
      return field == null ? null : new Rule(field, Optional.empty(), Map.of());
    }
    Optional<Fields> f = Fields.open(value, path, problems, CODED_KEYS);
    if (f.isEmpty()) {
      return null;
    }
    String field = f.get().text("field");
    Optional<String> system = Optional.ofNullable(f.get().optionalText("system"));
    Map<String, Coded> codes = new LinkedHashMap<>();
    Node codesNode = f.get().get("codes");
    if (codesNode == null) {
      problems.add(value, path + ".codes", "local codes and what each becomes", "nothing");
    } else {
      for (var e :
          StrictYaml.entries(codesNode, path + ".codes", MAX_ENTRIES, problems).entrySet()) {
        String where = path + ".codes." + e.getKey();
        if (e.getValue() instanceof MappingNode) {
          Optional<Fields> c =
              Fields.open(e.getValue(), where, problems, Set.of("code", "display"));
          c.ifPresent(
              cf -> {
                String code = cf.text("code");
                if (code != null) {
                  codes.put(
                      e.getKey(), new Coded(code, Optional.ofNullable(cf.optionalText("display"))));
                }
              });
        } else {
          String code = StrictYaml.scalar(e.getValue(), where, problems);
          if (code != null) {
            codes.put(e.getKey(), new Coded(code, Optional.empty()));
          }
        }
      }
    }
    return field == null ? null : new Rule(field, system, Map.copyOf(codes));
  }

  /** The element path must exist on the type and end in a value or a CodeableConcept. */
  private static void checkElement(
      RuntimeResourceDefinition type,
      String elementPath,
      Rule rule,
      Node at,
      String where,
      StrictYaml.Problems problems) {
    BaseRuntimeElementDefinition<?> target = element(type, elementPath);
    if (target == null) {
      problems.add(at, where, "an element path of " + type.getName(), "'" + elementPath + "'");
      return;
    }
    boolean concept = target.getImplementingClass().equals(CodeableConcept.class);
    if (!(target instanceof RuntimePrimitiveDatatypeDefinition) && !concept) {
      problems.add(at, where, "an element holding a value or a CodeableConcept", target.getName());
      return;
    }
    if (concept && (!rule.coded() || rule.system().isEmpty())) {
      problems.add(at, where, "a system and codes for a CodeableConcept", "none");
      return;
    }
    // Each translated code must be acceptable where it goes: try it on a scratch resource.
    for (var e : rule.codes().entrySet()) {
      try {
        set((Resource) type.newInstance(), elementPath, rule, e.getValue());
      } catch (RuntimeException ex) {
        problems.add(
            at,
            where + ".codes." + e.getKey(),
            "a code " + target.getName() + " accepts",
            "'" + e.getValue().code() + "'");
      }
    }
  }

  private static BaseRuntimeElementDefinition<?> element(
      RuntimeResourceDefinition type, String path) {
    BaseRuntimeElementDefinition<?> current = type;
    for (String part : path.split("\\.")) {
      if (!(current instanceof BaseRuntimeElementCompositeDefinition<?> composite)) {
        return null;
      }
      BaseRuntimeChildDefinition child = composite.getChildByName(part);
      if (child == null) {
        return null;
      }
      current = child.getChildByName(part);
      if (current == null) {
        return null;
      }
    }
    return current;
  }

  private static boolean isReference(RuntimeResourceDefinition type, String path) {
    BaseRuntimeElementDefinition<?> e = element(type, path);
    return e != null && e.getImplementingClass().equals(Reference.class);
  }

  /** Sets one element from a value already translated. */
  private static void set(Resource resource, String path, Rule rule, Coded value) {
    FhirTerser terser = Fhir.context().newTerser();
    BaseRuntimeElementDefinition<?> target =
        element(Fhir.context().getResourceDefinition(resource), path);
    if (target != null && target.getImplementingClass().equals(CodeableConcept.class)) {
      CodeableConcept concept = (CodeableConcept) terser.getValues(resource, path, true).get(0);
      var coding = concept.addCoding().setSystem(rule.system().orElseThrow()).setCode(value.code());
      value
          .display()
          .ifPresent(
              d -> {
                coding.setDisplay(d);
                concept.setText(d);
              });
    } else {
      terser.setElement(resource, path, value.code());
    }
  }

  /** What a lookup gave, in FHIR: the Patient, the records, and how many items could not map. */
  public record Mapped(Patient patient, List<Resource> resources, int unmapped) {}

  /** The request path for a person, for a source that holds the NHS number. */
  public String lookup(NhsNumber patient) {
    if (traced()) {
      throw new IllegalStateException("a traced source is looked up by its own id");
    }
    return lookup.replace("{nhs}", patient.toString());
  }

  /** The request path for one of a traced source's own ids, as a path segment (RFC 3986). */
  public String lookup(String localId) {
    if (!traced()) {
      throw new IllegalStateException("this source is looked up by NHS number");
    }
    return lookup.replace("{id}", pathSegment(localId));
  }

  public String id() {
    return id;
  }

  /** Where a traced source lists its people; empty for a source that holds the NHS number. */
  public Optional<RosterRule> roster() {
    return roster;
  }

  /** True when the source holds no NHS number: its people are traced to one. */
  public boolean traced() {
    return roster.isPresent();
  }

  /** The resource types this mapping can produce, besides Patient. */
  public Set<String> resourceTypes() {
    Set<String> types = new LinkedHashSet<>();
    resources.forEach(r -> types.add(r.type()));
    return types;
  }

  /**
   * Maps one lookup's JSON. Empty when it holds no person. An item whose field cannot be read or
   * whose code has no translation is left out and counted, never guessed.
   */
  public Optional<Mapped> map(JsonNode body) {
    return map(body, Optional.empty());
  }

  /**
   * Maps one lookup of a traced source's record linked to an NHS number: the Patient carries that
   * number (the source never had it), and the records point at {@code patientId}, the one Patient
   * of all the person's linked records in this source. Empty when the reply holds no person.
   *
   * @throws UpstreamException when the reply is about another of the source's ids than asked
   */
  public Optional<Mapped> mapLinked(
      JsonNode body, String localId, String patientId, NhsNumber linkedTo) {
    JsonNode person = field(body, patientFrom);
    String answered = person == null ? null : text(person, patient.get("id").field());
    if (answered != null && !answered.equals(localId)) {
      // Linked by its id, not by the NHS number: another id's record is not this person's.
      throw new UpstreamException("answered a lookup of one of its ids with the record of another");
    }
    Optional<Mapped> mapped = map(body, Optional.of(patientId));
    mapped.ifPresent(
        m ->
            m.patient()
                .addIdentifier()
                .setSystem(Fhir.NHS_NUMBER_SYSTEM)
                .setValue(linkedTo.toString()));
    return mapped;
  }

  private Optional<Mapped> map(JsonNode body, Optional<String> as) {
    JsonNode person = field(body, patientFrom);
    if (person == null || !person.isObject()) {
      return Optional.empty();
    }
    String ownId = text(person, patient.get("id").field());
    if (ownId == null) {
      return Optional.empty();
    }
    // Written as the items' ids are, so that the records' subject names the Patient.
    String patientId = fhirId(as.orElse(ownId));
    if (patientId == null) {
      return Optional.empty();
    }
    Patient p = new Patient();
    p.setId(patientId);
    if (!traced()) {
      p.addIdentifier()
          .setSystem(Fhir.NHS_NUMBER_SYSTEM)
          .setValue(text(person, patient.get("nhsNumber").field()));
    }
    patientText(person, "family").ifPresent(v -> p.getNameFirstRep().setFamily(v));
    patientText(person, "given").ifPresent(v -> p.getNameFirstRep().addGiven(v));
    patientText(person, "previousFamily")
        .ifPresent(v -> p.addName().setUse(HumanName.NameUse.OLD).setFamily(v));
    patientText(person, "birthDate")
        .ifPresent(
            v -> {
              try {
                p.getBirthDateElement().setValueAsString(v);
              } catch (RuntimeException e) {
                p.setBirthDateElement(null); // not a date: left out, as an unmapped value is
              }
            });
    patientText(person, "addressLine").ifPresent(v -> p.getAddressFirstRep().addLine(v));
    patientText(person, "postcode").ifPresent(v -> p.getAddressFirstRep().setPostalCode(v));
    gender(person).ifPresent(g -> p.setGender(Enumerations.AdministrativeGender.fromCode(g)));
    List<Resource> out = new ArrayList<>();
    int unmapped = 0;
    for (ResourceRule rule : resources) {
      JsonNode items = field(body, rule.from());
      if (items == null || !items.isArray()) {
        continue;
      }
      for (JsonNode item : items) {
        Optional<Resource> r = resource(rule, item, patientId);
        if (r.isPresent()) {
          out.add(r.get());
        } else {
          unmapped++;
        }
      }
    }
    return Optional.of(new Mapped(p, out, unmapped));
  }

  /**
   * One person of a roster page, read with the patient section's fields: their id and the
   * demographics tracing compares, or why those cannot be used (no birth date, no family name or a
   * placeholder such as UNKNOWN, a value {@link Demographics} refuses). Empty when the item has no
   * id, or one longer than {@value #MAX_LOCAL_ID_LENGTH} characters: there is nothing to link.
   */
  public Optional<RosterEntry> rosterEntry(JsonNode item) {
    String localId = item == null ? null : text(item, patient.get("id").field());
    if (localId == null || localId.isBlank() || localId.length() > MAX_LOCAL_ID_LENGTH) {
      return Optional.empty();
    }
    return Optional.of(entry(localId, item));
  }

  /**
   * The demographics a lookup's person has now, read as the roster reads them: a view compares
   * their fingerprint with the one the record's link was made on. Empty when the reply holds no
   * person or their demographics are unusable now.
   */
  public Optional<Demographics> demographicsNow(JsonNode body, String localId) {
    JsonNode person = field(body, patientFrom);
    if (person == null || !person.isObject()) {
      return Optional.empty();
    }
    return entry(localId, person).demographics();
  }

  private RosterEntry entry(String localId, JsonNode person) {
    Optional<String> family = patientText(person, "family").filter(v -> !v.isBlank());
    if (family.isEmpty()) {
      return unusable(localId, "no family name");
    }
    if (PLACEHOLDER_NAMES.contains(family.get().strip().toUpperCase(Locale.ROOT))) {
      return unusable(localId, "a placeholder for a family name");
    }
    Optional<String> birth = patientText(person, "birthDate").filter(v -> !v.isBlank());
    if (birth.isEmpty()) {
      return unusable(localId, "no birth date");
    }
    LocalDate birthDate;
    try {
      birthDate = LocalDate.parse(birth.get().strip());
    } catch (DateTimeParseException e) {
      return unusable(localId, "a birth date that is not a date (YYYY-MM-DD)");
    }
    try {
      Demographics demographics =
          new Demographics(
              family.get(),
              patientText(person, "given").filter(v -> !v.isBlank()).orElse(null),
              patientText(person, "previousFamily").filter(v -> !v.isBlank()).stream().toList(),
              birthDate,
              gender(person).orElse(null),
              patientText(person, "postcode").filter(v -> !v.isBlank()).orElse(null),
              List.of(),
              patientText(person, "addressLine").filter(v -> !v.isBlank()).orElse(null),
              patientText(person, "uprn").filter(v -> !v.isBlank()));
      return new RosterEntry(localId, Optional.of(demographics), Optional.empty());
    } catch (IllegalArgumentException e) {
      // Demographics' messages name the field and the rule, never the value.
      return unusable(localId, "a value tracing refuses: " + e.getMessage());
    }
  }

  private static RosterEntry unusable(String localId, String why) {
    return new RosterEntry(localId, Optional.empty(), Optional.of(why));
  }

  private Optional<String> patientText(JsonNode person, String key) {
    return Optional.ofNullable(patient.get(key)).map(r -> text(person, r.field()));
  }

  /** The FHIR gender of the person's local code; empty when absent or not translated. */
  private Optional<String> gender(JsonNode person) {
    Rule gender = patient.get("gender");
    if (gender == null) {
      return Optional.empty();
    }
    String local = text(person, gender.field());
    Coded coded = local == null ? null : gender.codes().get(local);
    return Optional.ofNullable(coded).map(Coded::code);
  }

  /**
   * A local id (a person's or an item's) as a FHIR id, or null when there is none or it would be
   * longer than FHIR allows. Local reference numbers often hold a '/' or a space ({@code
   * INC/25/00003}); given to HAPI as written, such an id is cut to its last part ({@code 00003}),
   * and two items become one. An id that is a FHIR id without a '.' stays as it is; any other has
   * each UTF-8 byte but letters, digits and '-' written as '.' and two hex digits ({@code
   * INC.2F25.2F00003}): only converted ids hold a '.', so two local ids never become one. Text that
   * is not well-formed (a lone surrogate) has no id.
   */
  static String fhirId(String local) {
    if (local == null || (AboutThePerson.isFhirId(local) && local.indexOf('.') < 0)) {
      return local;
    }
    ByteBuffer bytes;
    try {
      bytes = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(local));
    } catch (CharacterCodingException e) {
      return null;
    }
    StringBuilder id = new StringBuilder();
    while (bytes.hasRemaining()) {
      byte b = bytes.get();
      char c = (char) (b & 0xff);
      if (c < 0x80 && (Character.isLetterOrDigit(c) || c == '-')) {
        id.append(c);
      } else {
        id.append('.').append(UPPER_HEX.toHexDigits(b));
      }
    }
    String converted = id.toString();
    return AboutThePerson.isFhirId(converted) ? converted : null;
  }

  private static Optional<Resource> resource(ResourceRule rule, JsonNode item, String patientId) {
    String local = text(item, rule.id());
    String itemId = fhirId(local);
    if (itemId == null) {
      return Optional.empty();
    }
    Resource resource = (Resource) Fhir.context().getResourceDefinition(rule.type()).newInstance();
    resource.setId(itemId);
    FhirTerser terser = Fhir.context().newTerser();
    ((Reference) terser.getValues(resource, rule.subject(), true).get(0))
        .setReference("Patient/" + patientId);
    try {
      for (var e : rule.elements().entrySet()) {
        Rule r = e.getValue();
        String value = text(item, r.field());
        if (value == null) {
          continue;
        }
        Coded coded = r.coded() ? r.codes().get(value) : new Coded(value, Optional.empty());
        if (coded == null) {
          return Optional.empty(); // a local code with no translation: not guessed
        }
        set(resource, e.getKey(), r, coded);
      }
      for (var e : rule.constants().entrySet()) {
        set(resource, e.getKey(), e.getValue().rule(), e.getValue().value());
      }
      rule.identifierSystem()
          .ifPresent(
              system ->
                  ((Identifier) terser.addElement(resource, "identifier"))
                      .setSystem(system)
                      .setValue(local)); // the agency's own reference, as its staff write it
    } catch (RuntimeException e) {
      return Optional.empty(); // a value the element refuses, such as a malformed date
    }
    rule.sensitive()
        .ifPresent(
            category ->
                resource
                    .getMeta()
                    .addSecurity(SENSITIVE_CATEGORY_SYSTEM, category.code(), category.code()));
    return Optional.of(resource);
  }

  /** Percent-encodes everything but RFC 3986's unreserved characters. */
  static String pathSegment(String value) {
    StringBuilder out = new StringBuilder();
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  /** The node at a dotted path, or null. */
  static JsonNode field(JsonNode node, String path) {
    JsonNode current = node;
    for (String part : path.split("\\.")) {
      if (current == null || !current.isObject()) {
        return null;
      }
      current = current.get(part);
    }
    return current;
  }

  static String text(JsonNode node, String path) {
    JsonNode value = field(node, path);
    return value == null || value.isNull() || value.isContainerNode() ? null : value.asText();
  }
}
