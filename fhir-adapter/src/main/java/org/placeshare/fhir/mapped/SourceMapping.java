package org.placeshare.fhir.mapped;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.RuntimePrimitiveDatatypeDefinition;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.util.FhirTerser;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.Fhir;
import org.placeshare.policy.FhirResourceTypes;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.PolicyException;
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

  /** A JSON field (dotted path) and, for coded elements, the translation of its local codes. */
  record Rule(String field, Optional<String> system, Map<String, Coded> codes) {
    boolean coded() {
      return !codes.isEmpty();
    }
  }

  /** What a local code becomes. */
  record Coded(String code, Optional<String> display) {}

  /** One kind of record: an array of JSON items, each becoming one resource. */
  record ResourceRule(
      String type, String from, String id, String subject, Map<String, Rule> elements) {}

  private final String id;
  private final String lookup;
  private final String patientFrom;
  private final Map<String, Rule> patient;
  private final List<ResourceRule> resources;

  private SourceMapping(
      String id,
      String lookup,
      String patientFrom,
      Map<String, Rule> patient,
      List<ResourceRule> resources) {
    this.id = id;
    this.lookup = lookup;
    this.patientFrom = patientFrom;
    this.patient = patient;
    this.resources = resources;
  }

  private static final Set<String> TOP = Set.of("mapping", "lookup", "patient", "resources");
  private static final Set<String> PATIENT_FIELDS =
      Set.of("id", "nhsNumber", "family", "given", "birthDate", "gender", "postcode");
  private static final Set<String> RESOURCE_KEYS =
      Set.of("type", "from", "id", "subject", "elements");
  private static final Set<String> CODED_KEYS = Set.of("field", "system", "codes");

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
    String lookup = f.text("lookup");
    if (lookup != null && (!lookup.startsWith("/") || !lookup.contains("{nhs}"))) {
      problems.add(
          f.get("lookup"), "lookup", "a path starting with / containing {nhs}", "'" + lookup + "'");
    }
    String patientFrom = null;
    Map<String, Rule> patient = new LinkedHashMap<>();
    Set<String> patientKeys = new HashSet<>(PATIENT_FIELDS);
    patientKeys.add("from");
    Optional<Fields> p = f.map("patient", patientKeys);
    if (p.isPresent()) {
      patientFrom = p.get().text("from");
      for (String key : PATIENT_FIELDS) {
        Node value = p.get().get(key);
        if (value == null) {
          if (key.equals("id") || key.equals("nhsNumber")) {
            problems.add(p.get().node(), "patient." + key, "a JSON field", "nothing");
          }
          continue;
        }
        Rule rule = rule(value, "patient." + key, problems);
        if (rule != null && key.equals("gender")) {
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
        if (rule != null) {
          patient.put(key, rule);
        }
      }
    }
    List<ResourceRule> resources = new ArrayList<>();
    List<Node> list = f.optionalList("resources", 20);
    for (int i = 0; i < list.size(); i++) {
      String path = "resources[" + i + "]";
      Optional<Fields> r = Fields.open(list.get(i), path, problems, RESOURCE_KEYS);
      if (r.isEmpty()) {
        continue;
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
      if (type != null && from != null && itemId != null && subject != null) {
        resources.add(new ResourceRule(type, from, itemId, subject, Map.copyOf(elements)));
      }
    }
    problems.throwIfAny();
    return new SourceMapping(id, lookup, patientFrom, Map.copyOf(patient), List.copyOf(resources));
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

  /** The request path for a person. */
  public String lookup(NhsNumber patient) {
    return lookup.replace("{nhs}", patient.toString());
  }

  public String id() {
    return id;
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
    JsonNode person = field(body, patientFrom);
    if (person == null || !person.isObject()) {
      return Optional.empty();
    }
    String patientId = text(person, patient.get("id").field());
    if (patientId == null) {
      return Optional.empty();
    }
    Patient p = new Patient();
    p.setId(patientId);
    p.addIdentifier()
        .setSystem(Fhir.NHS_NUMBER_SYSTEM)
        .setValue(text(person, patient.get("nhsNumber").field()));
    Optional.ofNullable(patient.get("family"))
        .map(r -> text(person, r.field()))
        .ifPresent(v -> p.getNameFirstRep().setFamily(v));
    Optional.ofNullable(patient.get("given"))
        .map(r -> text(person, r.field()))
        .ifPresent(v -> p.getNameFirstRep().addGiven(v));
    Optional.ofNullable(patient.get("birthDate"))
        .map(r -> text(person, r.field()))
        .ifPresent(v -> p.getBirthDateElement().setValueAsString(v));
    Optional.ofNullable(patient.get("postcode"))
        .map(r -> text(person, r.field()))
        .ifPresent(v -> p.getAddressFirstRep().setPostalCode(v));
    Rule gender = patient.get("gender");
    if (gender != null) {
      String local = text(person, gender.field());
      Coded coded = local == null ? null : gender.codes().get(local);
      if (coded != null) {
        p.setGender(Enumerations.AdministrativeGender.fromCode(coded.code()));
      }
    }
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

  private static Optional<Resource> resource(ResourceRule rule, JsonNode item, String patientId) {
    String itemId = text(item, rule.id());
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
    } catch (RuntimeException e) {
      return Optional.empty(); // a value the element refuses, such as a malformed date
    }
    return Optional.of(resource);
  }

  /** The node at a dotted path, or null. */
  private static JsonNode field(JsonNode node, String path) {
    JsonNode current = node;
    for (String part : path.split("\\.")) {
      if (current == null || !current.isObject()) {
        return null;
      }
      current = current.get(part);
    }
    return current;
  }

  private static String text(JsonNode node, String path) {
    JsonNode value = field(node, path);
    return value == null || value.isNull() || value.isContainerNode() ? null : value.asText();
  }
}
