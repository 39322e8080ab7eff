package org.placeshare.policy;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The versioned list of codes that mark a record as sensitive, per category: SNOMED CT concepts and
 * ICD-10 code groups. It is data, reviewed and versioned by IG like the agreements; the version
 * applied is stamped on every decision that releases records.
 */
public final class SensitiveCodes {

  static final String RESOURCE = "sensitive-codes.yaml";
  private static final int MAX_BYTES = 256 * 1024;
  private static final int MAX_CODES = 5_000;

  /**
   * One code. With {@code prefix}, every code starting with it matches (ICD-10 groups like B20).
   */
  public record Entry(
      SensitiveCategory category, String system, String code, String display, boolean prefix) {
    public boolean matches(String system, String code) {
      return this.system.equals(system)
          && code != null
          && (prefix ? code.startsWith(this.code) : this.code.equals(code));
    }
  }

  private static final SensitiveCodes BUNDLED = load();

  private final String version;
  private final Map<SensitiveCategory, List<Entry>> byCategory;

  private SensitiveCodes(String version, Map<SensitiveCategory, List<Entry>> byCategory) {
    this.version = version;
    this.byCategory = byCategory;
  }

  /** The list shipped with this release. */
  public static SensitiveCodes bundled() {
    return BUNDLED;
  }

  public String version() {
    return version;
  }

  public List<Entry> codes(SensitiveCategory category) {
    return byCategory.getOrDefault(category, List.of());
  }

  /** The codes of every category an agreement does not name: what its releases must drop. */
  List<Entry> excludedUnless(Set<SensitiveCategory> named) {
    List<Entry> excluded = new ArrayList<>();
    byCategory.forEach(
        (category, entries) -> {
          if (!named.contains(category)) {
            excluded.addAll(entries);
          }
        });
    return List.copyOf(excluded);
  }

  static SensitiveCodes parse(String name, byte[] bytes) {
    Node root = StrictYaml.parse(name, bytes, MAX_BYTES);
    StrictYaml.Problems problems = new StrictYaml.Problems(name);
    var top = StrictYaml.Fields.open(root, "", problems, Set.of("version", "categories"));
    String version = top.map(f -> f.text("version")).orElse(null);
    Map<SensitiveCategory, List<Entry>> byCategory = new EnumMap<>(SensitiveCategory.class);
    top.flatMap(f -> f.map("categories", categoryKeys()))
        .ifPresent(
            categories -> {
              for (SensitiveCategory category : SensitiveCategory.values()) {
                byCategory.put(category, entries(categories, category, problems));
              }
            });
    problems.throwIfAny();
    return new SensitiveCodes(version, byCategory);
  }

  private static Set<String> categoryKeys() {
    Set<String> keys = new HashSet<>();
    for (SensitiveCategory c : SensitiveCategory.values()) {
      keys.add(c.code());
    }
    return keys;
  }

  private static List<Entry> entries(
      StrictYaml.Fields categories, SensitiveCategory category, StrictYaml.Problems problems) {
    List<Entry> entries = new ArrayList<>();
    List<Node> nodes = categories.list(category.code(), MAX_CODES);
    for (int i = 0; i < nodes.size(); i++) {
      String path = categories.path(category.code()) + "[" + i + "]";
      StrictYaml.Fields.open(
              nodes.get(i), path, problems, Set.of("system", "code", "display", "match"))
          .ifPresent(
              f -> {
                String system = f.text("system");
                String code = f.text("code");
                String display = f.text("display");
                String match = f.optionalText("match");
                if (match != null && !match.equals("prefix") && !match.equals("exact")) {
                  problems.add(
                      f.get("match"), f.path("match"), "exact or prefix", "'" + match + "'");
                }
                if (system != null && code != null && display != null) {
                  entries.add(new Entry(category, system, code, display, "prefix".equals(match)));
                }
              });
    }
    return List.copyOf(entries);
  }

  private static SensitiveCodes load() {
    try (InputStream in = SensitiveCodes.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the policy jar");
      }
      return parse(RESOURCE, in.readAllBytes());
    } catch (IOException e) {
      throw new IllegalStateException(RESOURCE + " cannot be read", e);
    }
  }
}
