package org.placeshare.fhir;

import static com.tngtech.archunit.base.DescribedPredicate.or;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameMatching;
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

/**
 * The design's rules for the adapter (DESIGN.md, "Modules"), checked on its main classes. It
 * fetches over HTTP as a client; it serves nothing, so it knows no routes, servers or tokens.
 */
@AnalyzeClasses(packages = "org.placeshare.fhir", importOptions = ThisModulesMainClasses.class)
class AdapterArchitectureTest {

  @ArchTest
  static final ArchRule adapter_knowsNothingOfRoutesOrTokens =
      noClasses()
          .should()
          .dependOnClassesThat(
              or(
                  resideInAnyPackage(
                      "io.vertx.ext.web..",
                      "jakarta.servlet..",
                      "org.eclipse.jetty..",
                      "ca.uhn.fhir.rest.server..",
                      "com.nimbusds.jwt..",
                      "org.placeshare.policy.identity..",
                      "org.placeshare.gateway.."),
                  nameMatching("io\\.vertx\\.core\\.http\\.(HttpServer|ServerWebSocket).*")))
          .because(
              "the adapter knows nothing of routes or tokens (DESIGN.md): serving, authenticating"
                  + " and callers are the gateway's");

  @ArchTest
  static final ArchRule adapter_dependsOnNoTooling =
      noClasses()
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("org.placeshare.ops..", "org.placeshare.fhir.synthetic..")
          .because("the product does not depend on its tooling or the demo's synthetic sources");

  @ArchTest
  static final ArchRule adapter_packages_areFreeOfCycles =
      slices().assignedFrom(new PackageSlices("org.placeshare.fhir")).should().beFreeOfCycles();

  @Test
  void mainCode_namesClassesByImport_notInline() {
    assertThat(InlineNames.in(Path.of("src/main/java"), Set.of()))
        .as("inline fully-qualified class names in main code; import them instead")
        .isEmpty();
  }
}
