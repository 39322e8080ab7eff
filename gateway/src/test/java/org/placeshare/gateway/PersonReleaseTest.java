package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.gateway.release.PersonRelease;
import org.placeshare.gateway.release.ReleaseOptions;
import org.placeshare.gateway.release.ReleaseOutcome;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.Caller;

/**
 * The release's rules without HTTP: the gateway's own {@link PersonRelease} called directly, on a
 * real PostgreSQL and real FHIR sources (a GP practice and an acute trust up, the council's source
 * down), one test per outcome and rule. Callers are verified from real access tokens.
 */
class PersonReleaseTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static PersonRelease release;
  static AccessTokens tokens;

  /** Opted out of sharing beyond direct care (national data opt-out), on the register. */
  static NhsNumber optedOut;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    release = fixture.gateway.release();
    tokens =
        new AccessTokens(
            fixture.gatewayKey,
            GatewayFixture.PUBLIC_URL,
            fixture.gateway.clients(),
            GatewayFixture.CLOCK);
    optedOut = fixture.people.get(1).nhsNumber();
    fixture
        .register()
        .upsert(
            List.of(new PatientRegister.Entry(optedOut, true, false, Optional.empty())),
            GatewayFixture.CLOCK.instant())
        .await();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static Caller caller(String client, String role, String purpose) throws Exception {
    return tokens.verify(fixture.token(client, role, purpose));
  }

  private static Caller clinician(String purpose) throws Exception {
    return caller(GatewayFixture.AE_CLIENT, "clinician", purpose);
  }

  private static Caller analyst() throws Exception {
    return caller(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
  }

  private static ReleaseOptions view(Optional<String> emergency, Optional<String> consent) {
    return new ReleaseOptions(
        emergency,
        Optional.empty(),
        consent,
        Optional.empty(),
        Optional.empty(),
        new ReleaseOptions.View(
            UUID.randomUUID().toString(), "read-person-view", Instant.now(), false));
  }

  private static ReleaseOutcome release(Caller caller, NhsNumber patient, ReleaseOptions options) {
    return release.release(caller, patient, options).await();
  }

  private static NhsNumber unknownPerson() {
    return SyntheticPopulation.generate(fixture.people.size() + 1, 42)
        .get(fixture.people.size())
        .nhsNumber();
  }

  @Test
  void release_emergencyWithReason_isReleasedWithTheEventToAudit() throws Exception {
    NhsNumber person = fixture.firstPerson().nhsNumber();

    ReleaseOutcome outcome =
        release(clinician("ETREAT"), person, view(Optional.of("Unconscious"), Optional.empty()));

    assertThat(outcome).isInstanceOf(ReleaseOutcome.Released.class);
    ReleaseOutcome.Released released = (ReleaseOutcome.Released) outcome;
    assertThat(released.view().resourceCount()).isPositive();
    assertThat(released.view().bundle().getEntry())
        .extracting(e -> e.getResource().fhirType())
        .contains("Patient", "MedicationStatement", "Encounter");
    AuditEvent event = released.event();
    assertThat(event.patient()).contains(person);
    assertThat(event.outcome()).isEqualTo(AuditEvent.Outcome.PERMITTED);
    assertThat(event.released()).containsOnlyKeys("gp-y90001", "acute-r9a");
    assertThat(event.decisions()).isEqualTo(outcome.trail().decisions());
    // Emergency direct care reaches the GP and the trust, both up; the council's is not asked.
    assertThat(released.problems()).isEmpty();
    assertThat(released.trail().lookups())
        .extracting(ReleaseOutcome.Lookup::source)
        .containsExactlyInAnyOrder("gp-y90001", "acute-r9a");
  }

  @Test
  void release_breakGlass_isFlaggedForReviewInTheEvent() throws Exception {
    ReleaseOutcome.Released released =
        (ReleaseOutcome.Released)
            release(
                clinician("ETREAT"),
                fixture.firstPerson().nhsNumber(),
                view(Optional.of("Collapsed in street"), Optional.empty()));

    assertThat(released.event().emergency()).isTrue();
    assertThat(released.event().emergencyReason()).contains("Collapsed in street");
    assertThat(released.event().decisions())
        .filteredOn(d -> d.effect().equals("permit"))
        .isNotEmpty()
        .allSatisfy(d -> assertThat(d.reviewRequired()).isTrue());
  }

  @Test
  void release_directCareWithoutConsent_isRefusedByPolicyWithTheReasons() throws Exception {
    ReleaseOutcome outcome =
        release(
            clinician("TREAT"),
            fixture.firstPerson().nhsNumber(),
            view(Optional.empty(), Optional.empty()));

    assertThat(outcome).isInstanceOf(ReleaseOutcome.Refused.class);
    ReleaseOutcome.Refused refused = (ReleaseOutcome.Refused) outcome;
    assertThat(refused.ground()).isEqualTo(ReleaseOutcome.Ground.POLICY);
    assertThat(refused.auditDetail())
        .contains("coventry-direct-care@1: consent is required and none was presented");
    assertThat(outcome.trail().decisions())
        .allSatisfy(d -> assertThat(d.effect()).isEqualTo("deny"));
    assertThat(outcome.trail().lookups()).isEmpty();
  }

  @Test
  void release_presentedConsentToken_isVerifiedAndPermits() throws Exception {
    NhsNumber person = fixture.firstPerson().nhsNumber();
    String consent = fixture.gpConsent("release-consent-1", person, "TREAT");

    ReleaseOutcome outcome =
        release(clinician("TREAT"), person, view(Optional.empty(), Optional.of(consent)));

    assertThat(outcome).isInstanceOf(ReleaseOutcome.Released.class);
    assertThat(outcome.trail().decisions())
        .filteredOn(d -> d.effect().equals("permit"))
        .isNotEmpty()
        .allSatisfy(d -> assertThat(d.consent()).contains("release-consent-1 by Y90001"));
  }

  @Test
  void release_tamperedConsentToken_isRefusedForTheTokenBeforeAnyDecision() throws Exception {
    NhsNumber person = fixture.firstPerson().nhsNumber();
    String consent = fixture.gpConsent("release-consent-2", person, "TREAT");
    // A change to the signature: the token no longer verifies.
    String tampered =
        consent.substring(0, consent.length() - 4) + (consent.endsWith("AAAA") ? "BBBB" : "AAAA");

    ReleaseOutcome outcome =
        release(clinician("TREAT"), person, view(Optional.empty(), Optional.of(tampered)));

    assertThat(outcome).isInstanceOf(ReleaseOutcome.Refused.class);
    assertThat(((ReleaseOutcome.Refused) outcome).ground())
        .isEqualTo(ReleaseOutcome.Ground.CONSENT_TOKEN);
    assertThat(outcome.trail().decisions()).isEmpty();
  }

  @Test
  void release_personInNoPermittedSource_isNotHeld() throws Exception {
    // Direct care in an emergency reaches the GP and the acute trust, both up.
    ReleaseOutcome outcome =
        release(
            clinician("ETREAT"),
            unknownPerson(),
            view(Optional.of("Collapsed in street"), Optional.empty()));

    assertThat(outcome).isInstanceOf(ReleaseOutcome.NotHeld.class);
    assertThat(outcome.trail().lookups())
        .extracting(ReleaseOutcome.Lookup::result)
        .containsOnly("not-found");
  }

  @Test
  void release_notHeldWhereReadableButASourceIsDown_isFailedNotNotHeld() throws Exception {
    ReleaseOutcome outcome =
        release(analyst(), unknownPerson(), view(Optional.empty(), Optional.empty()));

    assertThat(outcome).isInstanceOf(ReleaseOutcome.Failed.class);
    assertThat(((ReleaseOutcome.Failed) outcome).problems())
        .singleElement()
        .asString()
        .startsWith("council-asc: ");
  }

  @Test
  void release_optedOutPerson_isConcealedAsTheLookupWouldEnd_andCountedAsWithoutTheFlag()
      throws Exception {
    ReleaseOutcome outcome = release(analyst(), optedOut, view(Optional.empty(), Optional.empty()));

    // The GP and the trust are refused only for the opt-out: hidden, as if they held nobody. The
    // council's own source, permitted, is down: the answer is that it could not be read.
    assertThat(outcome).isInstanceOf(ReleaseOutcome.Concealed.class);
    ReleaseOutcome.Concealed concealed = (ReleaseOutcome.Concealed) outcome;
    assertThat(concealed.problems()).singleElement().asString().startsWith("council-asc: ");
    assertThat(concealed.trail().hidden()).containsOnlyKeys("gp-y90001", "acute-r9a");
    assertThat(concealed.trail().decisions())
        .filteredOn(d -> d.refusals().contains("national_opt_out"))
        .extracting(AuditEvent.SourceDecision::source)
        .containsExactly("gp-y90001", "acute-r9a");
    assertThat(concealed.trail().counted())
        .filteredOn(d -> Set.of("gp-y90001", "acute-r9a").contains(d.source()))
        .allSatisfy(d -> assertThat(d.effect()).isEqualTo("permit"));
    assertThat(outcome.flagged()).isTrue();
  }

  @Test
  void release_cohortMember_isAuditedUnderTheJobAndDecidedForTheCohortsSize() throws Exception {
    UUID job = UUID.randomUUID();

    ReleaseOutcome outcome =
        release(
            clinician("ETREAT"),
            fixture.firstPerson().nhsNumber(),
            ReleaseOptions.member(job, 20, "cohort-export", Optional.empty(), Optional.empty()));

    // Direct care is one person at a time: the agreement does not cover a cohort of 20.
    assertThat(outcome).isInstanceOf(ReleaseOutcome.Refused.class);
    assertThat(((ReleaseOutcome.Refused) outcome).auditDetail()).contains("cohort");
    assertThat(
            release.refusedForEveryone(clinician("ETREAT"), fixture.firstPerson().nhsNumber(), 20))
        .isNotEmpty();
  }

  @Test
  void release_pilotCapReachedBetweenDecisionAndRelease_isCapReached() throws Exception {
    Path gm = fixture.agreements.resolve("gm-connect-council-intelligence.yaml");
    String original = Files.readString(gm);
    Files.writeString(gm, original.replace("dailyVolume: 200", "dailyVolume: 1"));
    fixture.gateway.policy().reload(fixture.vertx).await();
    try {
      Caller analyst = analyst();
      // Both read today's count (none) before either is counted: one of them finds the cap taken.
      List<ReleaseOutcome> outcomes =
          Future.all(
                  release.release(
                      analyst,
                      fixture.people.get(2).nhsNumber(),
                      view(Optional.empty(), Optional.empty())),
                  release.release(
                      analyst,
                      fixture.people.get(3).nhsNumber(),
                      view(Optional.empty(), Optional.empty())))
              .await()
              .list();

      assertThat(outcomes).hasAtLeastOneElementOfType(ReleaseOutcome.Released.class);
      assertThat(outcomes).hasAtLeastOneElementOfType(ReleaseOutcome.CapReached.class);
      ReleaseOutcome.CapReached cap =
          outcomes.stream()
              .filter(o -> o instanceof ReleaseOutcome.CapReached)
              .map(ReleaseOutcome.CapReached.class::cast)
              .findFirst()
              .orElseThrow();
      assertThat(cap.reasons())
          .singleElement()
          .asString()
          .contains("the pilot's daily volume of 1 for E08000026 was reached");
    } finally {
      Files.writeString(gm, original);
      fixture.gateway.policy().reload(fixture.vertx).await();
    }
  }
}
