package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.synthetic.Agency;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.FamilyRelationship;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyFolder;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.Refusal;
import org.placeshare.policy.identity.JwsVerifiers;
import org.placeshare.policy.identity.SigningKey;
import picocli.CommandLine;

/** {@code policy lint}, {@code policy dry-run} and {@code policy sign} on the model agreements. */
class PolicyCommandTest {

  private static final LocalDate TODAY = LocalDate.of(2026, 11, 22);
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

  @TempDir Path dir;
  Path inForce;
  Path proposed;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void copyModelAgreements() throws Exception {
    inForce = copy(dir.resolve("in-force"));
    proposed = copy(dir.resolve("proposed"));
  }

  private static Path copy(Path folder) throws Exception {
    Files.createDirectories(folder);
    for (String name : DemoFolder.AGREEMENTS) {
      try (InputStream in = PolicyCommandTest.class.getResourceAsStream("/agreements/" + name)) {
        Files.copy(in, folder.resolve(name));
      }
    }
    return folder;
  }

  private PrintStream print(ByteArrayOutputStream buffer) {
    return new PrintStream(buffer, true, StandardCharsets.UTF_8);
  }

  @Test
  void lint_modelAgreements_loadAndExitZero() {
    int code = PolicyCommand.lint(inForce, Optional.empty(), TODAY, print(out), print(err));

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .startsWith(DemoFolder.AGREEMENTS.size() + " agreements load; fingerprint ");
  }

  @Test
  void lint_brokenFile_printsEveryErrorAndExitsOne() throws Exception {
    Path file = proposed.resolve("coventry-direct-care.yaml");
    Files.writeString(
        file,
        Files.readString(file)
            .replace("status: active", "status: live")
            .replace("R9A      #", "r9a      #"));

    int code = PolicyCommand.lint(proposed, Optional.empty(), TODAY, print(out), print(err));

    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("error: coventry-direct-care.yaml:9:9: status: expected one of draft")
        .contains("error: coventry-direct-care.yaml:35:5: providers:")
        .contains("2 errors; nothing would load");
  }

  @Test
  void lintMapping_everyAgencyMapping_loadsAndExitsZero() throws Exception {
    List<Path> files = new ArrayList<>();
    for (Agency agency : Agency.values()) {
      Path file = dir.resolve(agency.mappingFile());
      try (InputStream in = agency.mapping()) {
        Files.copy(in, file);
      }
      files.add(file);
    }

    int code = PolicyCommand.lintMappings(files, print(out), print(err));

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "police-npf-mapping.yaml: mapping npf-police-v1 loads (traced: a roster, looked up by"
                + " the source's own id; makes Observation, Flag)");
  }

  @Test
  void lintMapping_brokenFile_printsEachProblemAtItsLineAndColumn() throws Exception {
    Path file = dir.resolve("police-npf.yaml");
    try (InputStream in = Agency.POLICE.mapping()) {
      Files.copy(in, file);
    }
    Files.writeString(
        file,
        Files.readString(file)
            .replace("sensitive: criminal-offence", "sensitive: criminal")
            .replace("  maxPages: 400", "  maxPages: lots"));

    int code = PolicyCommand.lintMappings(List.of(file), print(out), print(err));

    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "error: police-npf.yaml:12:13: roster.maxPages: expected a whole number from 1 to"
                + " 10000, got 'lots'")
        .contains("error: police-npf.yaml:35:16: resources[0].sensitive: expected a sensitive")
        .contains("error: police-npf.yaml:65:16: resources[1].sensitive: expected a sensitive")
        .contains("3 errors; the files with errors would not load");
  }

  @Test
  void lint_notificationsClauseWithoutARelationshipRule_isAWarning() throws Exception {
    Path file = inForce.resolve("tell-us-once.yaml");
    String model = Files.readString(file);
    // The model requires a care relationship: the model agreements load without a warning.
    assertThat(PolicyCommand.lint(inForce, Optional.empty(), TODAY, print(out), print(err)))
        .isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("warning");
    out.reset();
    int start = model.indexOf("relationship:\n");
    int end = model.indexOf("\n\n", start);
    assertThat(start).isPositive();
    Files.writeString(file, model.substring(0, start) + model.substring(end + 2));

    int code = PolicyCommand.lint(inForce, Optional.empty(), TODAY, print(out), print(err));

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "warning: tell-us-once@1: notifications flow without a care relationship rule, so a"
                + " subscriber is told about anyone it puts in a cohort (add relationship:"
                + " required)")
        .contains("with 1 warnings");
  }

  @Test
  void lint_overdueReview_isAWarningNotAnError() {
    int code =
        PolicyCommand.lint(
            inForce, Optional.empty(), LocalDate.of(2027, 7, 1), print(out), print(err));

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("warning: coventry-direct-care@1: review was due on 2027-06-30")
        .contains("warning: coventry-frailty-social-care@1: review was due on 2027-06-30")
        .contains("warning: sunderland-intelligence@1: review was due on 2027-03-31")
        .contains("warning: safeguarding-partnership@1: review was due on 2027-03-31")
        .contains("warning: tell-us-once@1: review was due on 2027-03-31")
        .contains("with 7 warnings");
  }

  @Test
  void dryRun_suspendingTheCouncilAgreement_showsWhatStopsBeingShared() throws Exception {
    Path file = proposed.resolve("gm-connect-council-intelligence.yaml");
    Files.writeString(
        file,
        Files.readString(file)
            .replace("status: pilot", "status: suspended")
            .replaceAll("(?s)\npilot:.*?\n\n", "\n\n"));

    int code = PolicyCommand.dryRun(proposed, inForce, CLOCK, print(out), print(err));

    String report = out.toString(StandardCharsets.UTF_8);
    assertThat(code).isZero();
    // 50 people, 7 opted out (index 5, 12, ... 47) and 5 restricted (6, 17, 28, 39, 50 is out),
    // flags that do not hide from the council the records of its own case system. The council's
    // own records stay shared with its analysts under sunderland-intelligence, which names the
    // council as a provider too.
    assertThat(report)
        .contains("* council-intel HOPERAT from Y90001: 39 -> 0 of 50")
        .contains("  council-intel HOPERAT from E08000026: 50 -> 50 of 50")
        .contains("  coventry-ae ETREAT from Y90001: 50 -> 50 of 50")
        .contains("  coventry-ae TREAT from Y90001: 0 -> 0 of 50")
        .contains("78 decisions would change");
  }

  @Test
  void sign_thenLoadWithSignaturesRequired_accepts() throws Exception {
    SigningKey ig = SigningKey.generate();
    ig.writePem(dir.resolve("ig.key.pem"), dir.resolve("ig.pub.pem"));
    List<String> args =
        new java.util.ArrayList<>(
            List.of("policy", "sign", "--key", dir.resolve("ig.key.pem").toString()));
    for (String name : DemoFolder.AGREEMENTS) {
      args.add(inForce.resolve(name).toString());
    }

    int code = new CommandLine(new Ops()).execute(args.toArray(String[]::new));

    assertThat(code).isZero();
    var options =
        new PolicyFolder.Options(
            Optional.empty(),
            List.of(SigningKey.readPublicPem(dir.resolve("ig.pub.pem"))),
            true,
            JwsVerifiers.factory());
    assertThat(PolicyFolder.load(inForce, options, TODAY).set().agreements())
        .hasSize(DemoFolder.AGREEMENTS.size());
  }

  @Test
  void safeguardingPartnership_releasesAFamilyMemberOnlyTheirIdentityConcernsAndFlags() {
    var options =
        new PolicyFolder.Options(Optional.empty(), List.of(), false, JwsVerifiers.factory());
    var policy = PolicyFolder.load(inForce, options, TODAY).set();
    var practitioner =
        DecisionRequest.of(
            OdsCode.of("E08000026"),
            "safeguarding-practitioner",
            PurposeOfUse.of("HOPERAT"),
            NhsNumber.parse("9990000018"),
            OdsCode.of("Y90001"),
            CLOCK.instant());

    var child = policy.decide(practitioner);
    var parent =
        policy.decide(
            practitioner.withFamilyOf(
                Set.of(FamilyRelationship.PARENT_CHILD),
                Set.of(child.agreement().orElseThrow().id())));
    // The council's analysts have no family clause: a member is never theirs to see.
    var analystsMember =
        policy.decide(
            DecisionRequest.of(
                    OdsCode.of("E08000026"),
                    "analyst",
                    PurposeOfUse.of("HOPERAT"),
                    NhsNumber.parse("9990000018"),
                    OdsCode.of("Y90001"),
                    CLOCK.instant())
                .withFamilyOf(
                    Set.of(FamilyRelationship.HOUSEHOLD),
                    Set.of("gm-connect-council-intelligence")));

    assertThat(child.agreement().orElseThrow().id()).isEqualTo("safeguarding-partnership");
    assertThat(child.resourceTypes())
        .contains("Condition", "Encounter", "EpisodeOfCare", "Observation", "Flag", "Patient");
    assertThat(parent.permitted()).isTrue();
    assertThat(parent.resourceTypes()).containsExactlyInAnyOrder("Patient", "Observation", "Flag");
    assertThat(analystsMember.permitted()).isFalse();
    assertThat(analystsMember.refusals()).contains(Refusal.FAMILY_NOT_AGREED);
  }
}
