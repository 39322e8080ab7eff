package org.placeshare.fhir.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.placeshare.architecture.InlineNames;

/**
 * The synthetic sources keep the source rule of every module: classes named by import, never
 * inline.
 */
class SyntheticSourceRulesTest {

  @Test
  void mainCode_namesClassesByImport_notInline() {
    assertThat(InlineNames.in(Path.of("src/main/java"), Set.of()))
        .as("inline fully-qualified class names in main code; import them instead")
        .isEmpty();
  }
}
