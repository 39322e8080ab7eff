package org.placeshare.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The source rule's own cases: what it must find, and what it must leave alone. */
class InlineNamesTest {

  private static final Path FILE = Path.of("A.java");

  @Test
  void in_qualifiedNameInCode_isFound() {
    assertThat(InlineNames.in(FILE, "class A {\n  Object o = new java.util.HashSet<>();\n}\n"))
        .containsExactly("A.java:2: java.util.HashSet");
  }

  @Test
  void in_qualifiedNestedTypeAndMethodReference_areFound() {
    assertThat(
            InlineNames.in(
                FILE, "class A {\n  org.placeshare.gateway.config.GatewayConfig.Cohorts c;\n}\n"))
        .containsExactly("A.java:2: org.placeshare.gateway.config.GatewayConfig");
  }

  @Test
  void in_importsCommentsAndLiterals_areNotCode() {
    String source =
        "package org.placeshare.x;\n"
            + "import java.util.List;\n"
            + "/** See {@link java.util.List}. */\n"
            + "class A {\n"
            + "  // java.util.Map is not used\n"
            + "  String s = \"java.util.Set\";\n"
            + "  char c = '\"';\n"
            + "  String t = \"\"\"\n    org.example.Text\n    \"\"\";\n"
            + "  List<String> l = List.of();\n"
            + "}\n";

    assertThat(InlineNames.in(FILE, source)).isEmpty();
  }

  @Test
  void in_memberChainsAndLowerCaseCalls_areNotQualifiedNames() {
    assertThat(InlineNames.in(FILE, "class A {\n  int n = config.cohorts().maxMembers();\n}\n"))
        .isEmpty();
  }
}
