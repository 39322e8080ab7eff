package org.placeshare.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The index PolicySet decides with gives, for every request of a generated place, exactly the
 * decision a scan of every agreement in decision order gives ({@link LinearPolicy}, the code before
 * issue 22): permit or deny, the agreement chosen, every reason and refusal, the agreements
 * considered, the review flags, the consent and the obligations.
 */
class PolicyIndexTest {

  private static final AgreementCorpus PLACE = new AgreementCorpus(3_000, 22);
  private static final List<Agreement> AGREEMENTS = PLACE.agreements();
  private static final PolicySet INDEXED = PolicySet.of(AGREEMENTS);
  private static final LinearPolicy LINEAR = new LinearPolicy(AGREEMENTS);

  @Test
  void decide_generatedPlace_equalsTheLinearScan_forEveryRequest() {
    List<DecisionRequest> requests = PLACE.requests(AGREEMENTS, 20_000, 7);
    Map<Refusal, Integer> seen = new EnumMap<>(Refusal.class);
    int permits = 0;
    for (DecisionRequest q : requests) {
      Decision expected = LINEAR.decide(q);
      Decision actual = INDEXED.decide(q);
      assertSame(q, expected, actual);
      if (expected.permitted()) {
        permits++;
      }
      expected.refusals().forEach(r -> seen.merge(r, 1, Integer::sum));
    }
    // The corpus asks something of every kind: a comparison of only denies would prove little.
    assertThat(permits).as("permits among %d requests", requests.size()).isGreaterThan(1_000);
    assertThat(seen.keySet())
        .as("refusals seen")
        .containsAll(
            List.of(
                Refusal.NO_AGREEMENT,
                Refusal.NOT_IN_FORCE,
                Refusal.ROLE_NOT_ALLOWED,
                Refusal.PURPOSE_NOT_ALLOWED,
                Refusal.CONSENT_MISSING,
                Refusal.MONITOR_ONLY,
                Refusal.OUTSIDE_PILOT_COHORT,
                Refusal.NATIONAL_OPT_OUT,
                Refusal.RESTRICTED_RECORD,
                Refusal.NO_CARE_RELATIONSHIP,
                Refusal.DAILY_VOLUME_REACHED,
                Refusal.FAMILY_NOT_AGREED,
                Refusal.NOT_IN_NOTIFICATION_CLAUSE,
                Refusal.COHORT_EXPORT_NOT_AGREED,
                Refusal.SENSITIVE_SOURCE_NOT_NAMED));
  }

  @Test
  void otherQuestions_generatedPlace_equalTheLinearScan() {
    List<DecisionRequest> requests = PLACE.requests(AGREEMENTS, 2_000, 11);
    int traced = 0;
    for (DecisionRequest q : requests) {
      LocalDate day = q.day();
      assertThat(pinned(INDEXED.permitting(q))).isEqualTo(pinned(LINEAR.permitting(q)));
      assertThat(INDEXED.releasableTypes(q.recipient(), q.role(), q.purpose(), q.at()))
          .isEqualTo(LINEAR.releasableTypes(q.recipient(), q.role(), q.purpose(), q.at()));
      var tracing = INDEXED.tracingAgreement(q.recipient(), q.role(), q.purpose(), day);
      assertThat(tracing.map(Agreement::pinnedReference))
          .isEqualTo(
              LINEAR
                  .tracingAgreement(q.recipient(), q.role(), q.purpose(), day)
                  .map(Agreement::pinnedReference));
      traced += tracing.isPresent() ? 1 : 0;
      assertThat(INDEXED.cappedAgreements(List.of(q.provider(), q.recipient()), q.recipient()))
          .isEqualTo(LINEAR.cappedAgreements(List.of(q.provider(), q.recipient()), q.recipient()));
    }
    assertThat(traced).as("requests a tracing agreement answers").isGreaterThan(10);
    for (Agreement a : AGREEMENTS) {
      assertThat(INDEXED.find(a.id()).map(Agreement::pinnedReference))
          .isEqualTo(LINEAR.find(a.id()).map(Agreement::pinnedReference));
    }
    assertThat(INDEXED.find("no-such-agreement")).isEmpty();
  }

  /** Agreements by id, version and text hash: what an audit event names, short in a failure. */
  private static List<String> pinned(List<Agreement> agreements) {
    return agreements.stream().map(Agreement::pinnedReference).toList();
  }

  private static void assertSame(DecisionRequest q, Decision expected, Decision actual) {
    String about = q.toString();
    assertThat(actual.effect()).as(about).isEqualTo(expected.effect());
    assertThat(actual.provider()).as(about).isEqualTo(expected.provider());
    assertThat(actual.agreement().map(Agreement::pinnedReference))
        .as(about)
        .isEqualTo(expected.agreement().map(Agreement::pinnedReference));
    assertThat(actual.reasons()).as(about).isEqualTo(expected.reasons());
    assertThat(actual.refusals()).as(about).isEqualTo(expected.refusals());
    assertThat(pinned(actual.considered())).as(about).isEqualTo(pinned(expected.considered()));
    assertThat(actual.emergency()).as(about).isEqualTo(expected.emergency());
    assertThat(actual.selfClaimedRelationship())
        .as(about)
        .isEqualTo(expected.selfClaimedRelationship());
    assertThat(actual.consent()).as(about).isEqualTo(expected.consent());
    assertThat(actual.familyMember()).as(about).isEqualTo(expected.familyMember());
    assertThat(actual.monitored()).as(about).isEqualTo(expected.monitored());
    assertThat(actual.obligations()).as(about).isEqualTo(expected.obligations());
  }
}
