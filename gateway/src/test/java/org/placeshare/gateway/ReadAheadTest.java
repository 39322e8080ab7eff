package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.gateway.consent.ConsentRegister;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.gateway.release.PersonRelease;
import org.placeshare.gateway.release.ReadAhead;
import org.placeshare.gateway.release.ReleaseOptions;
import org.placeshare.gateway.release.ReleaseOutcome;
import org.placeshare.policy.CareRelationship;
import org.placeshare.policy.Consent;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PatientFacts;
import org.placeshare.policy.RelationshipKind;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.Caller;

/**
 * A bulk job reads a chunk's register facts and standing consents at once ({@link ReadAhead}); a
 * release decided on them must be the release each member's own reads give. The corpus holds the
 * cases the reads decide: opted out, restricted, a standing consent, a withdrawn one, a care
 * relationship, a district, a person the register does not know; each is released both ways and the
 * outcomes compared (decisions, counts, what was released and what the audit event says).
 */
class ReadAheadTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static PersonRelease release;
  static AccessTokens tokens;
  static List<NhsNumber> corpus;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    fixture.addAgreement("gm-connect-population-health.yaml");
    release = fixture.gateway.release();
    tokens =
        new AccessTokens(
            fixture.gatewayKey,
            GatewayFixture.PUBLIC_URL,
            fixture.gateway.clients(),
            GatewayFixture.CLOCK);
    List<SyntheticPerson> people = fixture.people;
    Instant now = GatewayFixture.CLOCK.instant();
    fixture
        .register()
        .upsert(
            List.of(
                new PatientRegister.Entry(people.get(1).nhsNumber(), true, false, Optional.empty()),
                new PatientRegister.Entry(people.get(2).nhsNumber(), false, true, Optional.empty()),
                new PatientRegister.Entry(
                    people.get(3).nhsNumber(), false, false, Optional.of("CV1"))),
            now)
        .await();
    CareRelationship gp =
        new CareRelationship(OdsCode.of("Y90001"), RelationshipKind.REGISTERED_GP);
    fixture.register().relate(people.get(3).nhsNumber(), gp, now).await();
    fixture.register().relate(people.get(4).nhsNumber(), gp, now).await();
    fixture.register().relate(people.get(5).nhsNumber(), gp, now).await();
    // A standing consent for two people (one of them with two), and one withdrawn.
    String gpToken = fixture.token(GatewayFixture.GP_CLIENT, "gp", "TREAT");
    standing(gpToken, "read-ahead-1", people.get(4).nhsNumber());
    standing(gpToken, "read-ahead-2", people.get(5).nhsNumber());
    standing(gpToken, "read-ahead-3", people.get(5).nhsNumber());
    standing(gpToken, "read-ahead-4", people.get(6).nhsNumber());
    assertThat(fixture.delete("/consents/read-ahead-4", gpToken).statusCode()).isEqualTo(200);
    corpus = new ArrayList<>();
    people.subList(0, 8).forEach(p -> corpus.add(p.nhsNumber()));
    corpus.add(SyntheticPopulation.generate(people.size() + 1, 42).get(people.size()).nhsNumber());
  }

  private static void standing(String token, String id, NhsNumber person) throws Exception {
    String consent = fixture.gpConsent(id, person, "TREAT");
    HttpResponse<String> registered =
        fixture.post("/consents", token, new JsonObject().put("token", consent).encode());
    assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void readAhead_factsAndStandingConsents_areEachPersonsOwnRead() {
    PatientRegister register = fixture.register();
    ConsentRegister consents = new ConsentRegister(fixture.gateway.pool());

    Map<NhsNumber, PatientFacts> facts = register.factsOf(corpus).await();
    Map<NhsNumber, List<Consent>> standing = consents.standingOf(corpus).await();

    assertThat(facts).containsOnlyKeys(corpus);
    assertThat(standing).containsOnlyKeys(corpus);
    for (NhsNumber person : corpus) {
      assertThat(facts.get(person)).isEqualTo(register.facts(person).await());
      assertThat(standing.get(person)).isEqualTo(consents.standing(person).await());
    }
    // The corpus holds what the reads decide: otherwise the comparison proves little.
    assertThat(facts.values()).anyMatch(PatientFacts::optedOut).anyMatch(PatientFacts::restricted);
    assertThat(facts.values()).anyMatch(f -> !f.relationships().isEmpty());
    assertThat(standing.values()).anyMatch(l -> l.size() == 2);
    assertThat(standing.get(corpus.get(6))).isEmpty();
    assertThat(release.readAhead(corpus).await().size()).isEqualTo(corpus.size());
  }

  @Test
  void release_withTheChunkReadAhead_isTheReleaseOfItsOwnReads() throws Exception {
    ReadAhead read = release.readAhead(corpus).await();
    Caller clinician = tokens.verify(fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT"));
    Caller analyst =
        tokens.verify(fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH"));
    List<String> kinds = new ArrayList<>();
    for (NhsNumber person : corpus) {
      for (Caller caller : List.of(clinician, analyst)) {
        ReleaseOptions options =
            caller == analyst
                ? ReleaseOptions.member(
                    UUID.randomUUID(), 20, "cohort-export", Optional.empty(), Optional.empty())
                : new ReleaseOptions(
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    new ReleaseOptions.View(
                        "read-ahead", "read-person-view", Instant.now(), false));

        ReleaseOutcome own = release.release(caller, person, options).await();
        ReleaseOutcome ahead = release.release(caller, person, options, read).await();

        assertThat(ahead.getClass()).as(person.toString()).isEqualTo(own.getClass());
        assertThat(ahead.trail().decisions()).isEqualTo(own.trail().decisions());
        assertThat(ahead.trail().counted()).isEqualTo(own.trail().counted());
        assertThat(ahead.flagged()).isEqualTo(own.flagged());
        if (own instanceof ReleaseOutcome.Released r) {
          ReleaseOutcome.Released a = (ReleaseOutcome.Released) ahead;
          assertThat(a.view().referencesBySource()).isEqualTo(r.view().referencesBySource());
          assertThat(a.event().decisions()).isEqualTo(r.event().decisions());
          assertThat(a.event().released()).isEqualTo(r.event().released());
          assertThat(a.event().detail()).isEqualTo(r.event().detail());
        }
        if (own instanceof ReleaseOutcome.Refused r) {
          assertThat(((ReleaseOutcome.Refused) ahead).auditDetail()).isEqualTo(r.auditDetail());
        }
        kinds.add(own.getClass().getSimpleName());
      }
    }
    // Released, refused and concealed people among them: each path was compared.
    assertThat(kinds).contains("Released", "Refused", "Concealed");
  }
}
