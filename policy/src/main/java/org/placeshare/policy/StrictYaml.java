package org.placeshare.policy;

import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A strict reader for files people write: the YAML is composed into nodes (never constructed into
 * objects, so no tag can run code), and every value keeps its line and column for the message that
 * names it. Anchors, aliases, duplicate keys, deep nesting and large files are refused. Agreements
 * are read with it, and so are other files operators write, such as source mappings.
 */
public final class StrictYaml {

  static final int MAX_DEPTH = 20;

  private StrictYaml() {}

  /** Parses one YAML document into its node tree, or throws a message with line and column. */
  public static Node parse(String name, byte[] bytes, int maxBytes) {
    if (bytes.length > maxBytes) {
      throw new PolicyException(
          name + ": expected at most " + maxBytes + " bytes, got " + bytes.length);
    }
    String text = utf8(name, bytes);
    if (text.isBlank()) {
      throw new PolicyException(name + ": the file is empty");
    }
    LoaderOptions options = new LoaderOptions();
    // An alias can make a small file expand into a huge tree ("billion laughs").
    options.setMaxAliasesForCollections(0);
    options.setCodePointLimit(maxBytes);
    options.setNestingDepthLimit(MAX_DEPTH);
    options.setAllowDuplicateKeys(false);
    try {
      Node root = new Yaml(options).compose(new StringReader(text));
      if (root == null) {
        throw new PolicyException(name + ": the file is empty");
      }
      refuseAnchors(name, root, 0);
      return root;
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      throw new PolicyException(
          at(name, mark) + ": not valid YAML: " + firstLine(e.getProblem()), e);
    } catch (YAMLException e) {
      throw new PolicyException(name + ": not valid YAML: " + firstLine(e.getMessage()), e);
    }
  }

  private static String utf8(String name, byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new PolicyException(name + ": expected UTF-8 text, got bytes that are not", e);
    }
  }

  private static void refuseAnchors(String name, Node node, int depth) {
    if (node.getAnchor() != null) {
      throw new PolicyException(
          at(name, node.getStartMark())
              + ": anchors and aliases are not allowed, got '&"
              + node.getAnchor()
              + "'");
    }
    if (depth > MAX_DEPTH) {
      throw new PolicyException(
          at(name, node.getStartMark()) + ": expected at most " + MAX_DEPTH + " levels of nesting");
    }
    if (node instanceof MappingNode map) {
      for (NodeTuple t : map.getValue()) {
        refuseAnchors(name, t.getKeyNode(), depth + 1);
        refuseAnchors(name, t.getValueNode(), depth + 1);
      }
    } else if (node instanceof SequenceNode seq) {
      for (Node n : seq.getValue()) {
        refuseAnchors(name, n, depth + 1);
      }
    }
  }

  private static String firstLine(String text) {
    if (text == null) {
      return "unreadable";
    }
    int nl = text.indexOf('\n');
    return nl < 0 ? text : text.substring(0, nl);
  }

  /** {@code file:line:column}, one-based as editors count. */
  static String at(String name, Mark mark) {
    return mark == null ? name : name + ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1);
  }

  /** Every problem in one file, each with where it is, what was expected and what came. */
  public static final class Problems {
    private final String name;
    private final List<String> list = new ArrayList<>();

    public Problems(String name) {
      this.name = name;
    }

    public void add(Node at, String path, String expected, String got) {
      add(at, path, expected, got, null);
    }

    public void add(Node at, String path, String expected, String got, String hint) {
      list.add(
          at(name, at == null ? null : at.getStartMark())
              + ": "
              + path
              + ": expected "
              + expected
              + ", got "
              + got
              + (hint == null ? "" : " (hint: " + hint + ")"));
    }

    public boolean isEmpty() {
      return list.isEmpty();
    }

    public void throwIfAny() {
      if (!list.isEmpty()) {
        throw new PolicyException(String.join("\n", list));
      }
    }
  }

  /** How a scalar is shown in a message: quoted, or its length when it is long. */
  public static String shown(Node node) {
    if (node == null) {
      return "nothing";
    }
    if (node instanceof ScalarNode s) {
      String v = s.getValue();
      if (v.isEmpty() && isNull(s)) {
        return "nothing";
      }
      return v.length() > 60 ? "a " + v.length() + "-character value" : "'" + v + "'";
    }
    return node instanceof MappingNode ? "a mapping" : "a list";
  }

  static boolean isNull(Node node) {
    return node == null
        || (node instanceof ScalarNode s && s.getTag().getValue().endsWith(":null"));
  }

  /**
   * One mapping in the file, read key by key. Unknown and duplicate keys are reported when it is
   * opened; reading a key that is missing or of the wrong shape is reported once, by the reader.
   */
  public static final class Fields {
    private final Node node;
    private final String path;
    private final Problems problems;
    private final Map<String, Node> values = new LinkedHashMap<>();

    private Fields(Node node, String path, Problems problems) {
      this.node = node;
      this.path = path;
      this.problems = problems;
    }

    /** Opens a mapping, reporting keys outside {@code allowed} with the nearest known key. */
    public static Optional<Fields> open(
        Node node, String path, Problems problems, Set<String> allowed) {
      if (!(node instanceof MappingNode map)) {
        problems.add(node, path, "a mapping of " + sorted(allowed), shown(node));
        return Optional.empty();
      }
      Fields fields = new Fields(node, path, problems);
      for (NodeTuple t : map.getValue()) {
        Node keyNode = t.getKeyNode();
        String key = keyNode instanceof ScalarNode s ? s.getValue() : null;
        String where = path.isEmpty() ? "" : path + ".";
        if (key == null || !allowed.contains(key)) {
          problems.add(
              keyNode,
              where + (key == null ? "?" : key),
              "one of the keys " + sorted(allowed),
              "an unknown key " + shown(keyNode),
              key == null
                  ? null
                  : nearest(key, allowed).map(k -> "did you mean '" + k + "'?").orElse(null));
        } else if (fields.values.put(key, t.getValueNode()) != null) {
          problems.add(keyNode, where + key, "each key once", "'" + key + "' again");
        }
      }
      return Optional.of(fields);
    }

    public Node node() {
      return node;
    }

    public String path(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }

    public boolean has(String key) {
      return !isNull(values.get(key));
    }

    /** The value node, or null when the key is absent or written as null. */
    public Node get(String key) {
      Node value = values.get(key);
      return isNull(value) ? null : value;
    }

    /** A required scalar, stripped; reported and null when missing, blank or not a scalar. */
    public String text(String key) {
      Node value = get(key);
      if (value == null) {
        problems.add(node, path(key), "a value", "nothing");
        return null;
      }
      return scalar(value, path(key), problems);
    }

    /** An optional scalar; null when absent. */
    public String optionalText(String key) {
      Node value = get(key);
      return value == null ? null : scalar(value, path(key), problems);
    }

    /** A required non-empty list, capped at {@code max} entries; empty when reported. */
    public List<Node> list(String key, int max) {
      Node value = get(key);
      if (value == null) {
        problems.add(node, path(key), "at least one entry", "none");
        return List.of();
      }
      return StrictYaml.list(value, path(key), max, problems);
    }

    /** An optional list; empty when absent. */
    public List<Node> optionalList(String key, int max) {
      Node value = get(key);
      return value == null ? List.of() : StrictYaml.list(value, path(key), max, problems);
    }

    /** An optional nested mapping. */
    public Optional<Fields> optionalMap(String key, Set<String> allowed) {
      Node value = get(key);
      return value == null ? Optional.empty() : open(value, path(key), problems, allowed);
    }

    /** A required nested mapping. */
    public Optional<Fields> map(String key, Set<String> allowed) {
      Node value = get(key);
      if (value == null) {
        problems.add(node, path(key), "a mapping of " + sorted(allowed), "nothing");
        return Optional.empty();
      }
      return open(value, path(key), problems, allowed);
    }
  }

  /**
   * A mapping whose keys are the writer's own (element paths, local codes): scalar keys, each once,
   * at most {@code max}. Empty when reported.
   */
  public static Map<String, Node> entries(Node node, String path, int max, Problems problems) {
    Map<String, Node> entries = new LinkedHashMap<>();
    if (!(node instanceof MappingNode map)) {
      problems.add(node, path, "a mapping", shown(node));
      return entries;
    }
    if (map.getValue().size() > max) {
      problems.add(node, path, "at most " + max + " entries", map.getValue().size() + "");
      return entries;
    }
    for (NodeTuple t : map.getValue()) {
      String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue().strip() : null;
      if (key == null || key.isEmpty()) {
        problems.add(t.getKeyNode(), path, "a plain key", shown(t.getKeyNode()));
      } else if (entries.put(key, t.getValueNode()) != null) {
        problems.add(t.getKeyNode(), path + "." + key, "each key once", "'" + key + "' again");
      }
    }
    return entries;
  }

  public static String scalar(Node value, String path, Problems problems) {
    if (!(value instanceof ScalarNode s)) {
      problems.add(value, path, "a single value", shown(value));
      return null;
    }
    String text = s.getValue().strip();
    if (text.isEmpty()) {
      problems.add(value, path, "a value", "nothing");
      return null;
    }
    return text;
  }

  public static List<Node> list(Node value, String path, int max, Problems problems) {
    if (!(value instanceof SequenceNode seq)) {
      problems.add(value, path, "a list", shown(value), "write one entry per line after '- '");
      return List.of();
    }
    if (seq.getValue().isEmpty()) {
      problems.add(value, path, "at least one entry", "none");
      return List.of();
    }
    if (seq.getValue().size() > max) {
      problems.add(value, path, "at most " + max + " entries", seq.getValue().size() + " entries");
      return List.of();
    }
    return seq.getValue();
  }

  private static String sorted(Set<String> keys) {
    return String.join(", ", keys.stream().sorted().toList());
  }

  /** The allowed key within two edits of a mistyped one, for the hint. */
  static Optional<String> nearest(String key, Set<String> allowed) {
    return allowed.stream()
        .filter(k -> distance(k.toLowerCase(), key.toLowerCase()) <= 2)
        .min(Comparator.comparingInt(k -> distance(k.toLowerCase(), key.toLowerCase())));
  }

  /** Edit distance counting a swap of neighbours as one edit, the commonest typing slip. */
  private static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      for (int j = 0; j <= b.length(); j++) {
        if (i == 0 || j == 0) {
          d[i][j] = i + j;
          continue;
        }
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
