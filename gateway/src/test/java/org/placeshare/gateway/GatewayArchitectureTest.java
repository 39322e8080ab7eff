package org.placeshare.gateway;

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
import org.placeshare.gateway.cohort.ExportJobs;
import org.placeshare.gateway.http.GatewayRoutes;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.JobCallers;

/** The design's rules for the gateway (DESIGN.md, "Modules"), checked on its main classes. */
@AnalyzeClasses(packages = "org.placeshare.gateway", importOptions = ThisModulesMainClasses.class)
class GatewayArchitectureTest {

  /**
   * Files the rest of issue 16 rewrites (the one release path and the templated console); they
   * leave this list as that work lands, so the two changes can merge.
   */
  private static final Set<String> PENDING = Set.of();

  @ArchTest
  static final ArchRule gateway_dependsOnNoTooling =
      noClasses()
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("org.placeshare.ops..", "org.placeshare.fhir.synthetic..")
          .because("the product does not depend on its tooling or the demo's synthetic sources");

  @ArchTest
  static final ArchRule gateway_packages_areFreeOfCycles =
      slices()
          .assignedFrom(new PackageSlices("org.placeshare.gateway"))
          .should()
          .beFreeOfCycles()
          .because("each package is a room: the wiring reaches into them, they never reach back");

  @ArchTest
  static final ArchRule jobCaller_isRebuiltOnlyByTheJobsStore =
      noClasses()
          .that()
          .doNotHaveFullyQualifiedName(ExportJobs.class.getName())
          .and()
          .doNotHaveFullyQualifiedName(DeliveryWorker.class.getName())
          .should()
          .callMethod(
              JobCallers.class,
              "resume",
              OdsCode.class,
              String.class,
              String.class,
              String.class,
              PurposeOfUse.class)
          .because(
              "a Caller comes from a verified token; only a job resumed from its store, or a"
                  + " delivery for the subscription a verified subscriber made, may stand in for"
                  + " the one its starter presented");

  @ArchTest
  static final ArchRule jobCallers_areHandedOutOnlyByTheWiring =
      noClasses()
          .that()
          .doNotHaveFullyQualifiedName(Gateway.class.getName())
          .and()
          .doNotHaveFullyQualifiedName(GatewayRoutes.class.getName())
          .and()
          .doNotHaveFullyQualifiedName(Components.class.getName())
          .should()
          .callMethod(AccessTokens.class, "jobCallers")
          .because(
              "the capability goes from the verifier to the jobs store and the delivery worker,"
                  + " through the wiring");

  @Test
  void mainCode_namesClassesByImport_notInline() {
    assertThat(InlineNames.in(Path.of("src/main/java"), PENDING))
        .as("inline fully-qualified class names in main code; import them instead")
        .isEmpty();
  }
}
