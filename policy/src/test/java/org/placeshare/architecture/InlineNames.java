package org.placeshare.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds fully-qualified class names written inline in Java source ({@code new
 * java.util.HashSet<>()}, {@code org.placeshare.gateway.cohort.Cohorts c}) where an import should
 * name them once at the top. Comments, string, character and text-block literals, and the {@code
 * package} and {@code import} lines are not code that names a class, so they are blanked first.
 * Bytecode keeps no trace of how a name was written, so this rule reads source, not classes.
 */
public final class InlineNames {

  /** A lower-case package path of two or more parts, then a capitalised type name. */
  private static final Pattern QUALIFIED =
      Pattern.compile("(?<![\\w.])[a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)+\\.[A-Z]\\w*");

  private InlineNames() {}

  /**
   * Every inline qualified name under a source root, as {@code path:line: name}.
   *
   * @param pending file names left out for now, each with the reason in the caller's comment
   */
  public static List<String> in(Path sourceRoot, Set<String> pending) {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(sourceRoot)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        if (!pending.contains(file.getFileName().toString())) {
          found.addAll(
              in(sourceRoot.relativize(file), Files.readString(file, StandardCharsets.UTF_8)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return found;
  }

  /** The inline qualified names in one file's text. */
  static List<String> in(Path name, String source) {
    List<String> found = new ArrayList<>();
    String[] lines = code(source).split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.startsWith("package ") || line.startsWith("import ")) {
        continue;
      }
      Matcher m = QUALIFIED.matcher(lines[i]);
      while (m.find()) {
        found.add(name + ":" + (i + 1) + ": " + m.group());
      }
    }
    return found;
  }

  /** The source with comments and literals blanked, line breaks kept so line numbers hold. */
  static String code(String source) {
    StringBuilder out = new StringBuilder(source);
    int i = 0;
    int n = source.length();
    while (i < n) {
      int end;
      if (source.startsWith("/*", i)) {
        end = close(source, "*/", i + 2);
      } else if (source.startsWith("//", i)) {
        end = source.indexOf('\n', i);
        end = end < 0 ? n : end;
      } else if (source.startsWith("\"\"\"", i)) {
        end = close(source, "\"\"\"", i + 3);
      } else if (source.charAt(i) == '"' || source.charAt(i) == '\'') {
        char quote = source.charAt(i);
        end = i + 1;
        while (end < n && source.charAt(end) != quote && source.charAt(end) != '\n') {
          end += source.charAt(end) == '\\' ? 2 : 1;
        }
        end = Math.min(end + 1, n);
      } else {
        i++;
        continue;
      }
      for (int k = i; k < end; k++) {
        if (out.charAt(k) != '\n') {
          out.setCharAt(k, ' ');
        }
      }
      i = end;
    }
    return out.toString();
  }

  private static int close(String source, String closing, int from) {
    int at = source.indexOf(closing, from);
    return at < 0 ? source.length() : at + closing.length();
  }
}
