package org.placeshare.policy;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.placeshare.architecture.InlineNames;
import org.placeshare.architecture.PackageSlices;
import org.placeshare.architecture.ThisModulesMainClasses;

/** The design's rules for the policy module (DESIGN.md, "Modules"), checked on its main classes. */
@AnalyzeClasses(packages = "org.placeshare.policy", importOptions = ThisModulesMainClasses.class)
class PolicyArchitectureTest {

  @ArchTest
  static final ArchRule policy_knowsNothingOfHttpOrFhirParsing =
      noClasses()
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "io.vertx..",
              "io.netty..",
              "java.net.http..",
              "jakarta.servlet..",
              "javax.servlet..",
              "org.eclipse.jetty..",
              "ca.uhn.fhir..",
              "org.hl7.fhir..",
              "org.placeshare.fhir..",
              "org.placeshare.gateway..")
          .because("policy is pure Java: it knows nothing of HTTP or FHIR parsing (DESIGN.md)");

  @ArchTest
  static final ArchRule policy_dependsOnNoTooling =
      noClasses()
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("org.placeshare.ops..", "org.placeshare.fhir.synthetic..")
          .because("the product does not depend on its tooling or the demo's synthetic sources");

  @ArchTest
  static final ArchRule policy_packages_areFreeOfCycles =
      slices()
          .assignedFrom(new PackageSlices("org.placeshare.policy"))
          .should()
          .beFreeOfCycles()
          .because("identity builds on agreements, never the other way round");

  @Test
  void mainCode_namesClassesByImport_notInline() {
    assertThat(InlineNames.in(Path.of("src/main/java"), Set.of()))
        .as("inline fully-qualified class names in main code; import them instead")
        .isEmpty();
  }
}
