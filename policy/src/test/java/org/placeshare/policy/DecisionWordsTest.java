package org.placeshare.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A deny keeps each agreement's refusal unsaid and puts it in words only when its reasons are read
 * (the audit event, an OperationOutcome's diagnostics, the policy endpoints). The words must be
 * those the evaluation wrote at once before ({@link WordedEvaluation}, through {@link
 * LinearPolicy}), word for word, however late they are read: after other decisions, and after the
 * request's own decision was made long before.
 */
class DecisionWordsTest {

  private static final AgreementCorpus PLACE = new AgreementCorpus(1_000, 22);
  private static final List<Agreement> AGREEMENTS = PLACE.agreements();
  private static final PolicySet POLICY = PolicySet.of(AGREEMENTS);
  private static final LinearPolicy BEFORE = new LinearPolicy(AGREEMENTS);

  @Test
  void reasons_readAfterEveryDecisionIsMade_areTheWordsTheEvaluationBeforeWrote() {
    List<DecisionRequest> requests = new ArrayList<>(PLACE.requests(AGREEMENTS, 6_000, 13));
    requests.addAll(hubRequests());
    // Every decision first, every reason after: words said late must not take another request's
    // facts, or a later evaluation's.
    List<Decision> decided = requests.stream().map(POLICY::decide).toList();
    int permits = 0;
    int refusalLines = 0;
    int longestDeny = 0;
    Set<Refusal> worded = EnumSet.noneOf(Refusal.class);
    for (int i = 0; i < requests.size(); i++) {
      Decision expected = BEFORE.decide(requests.get(i));
      Decision actual = decided.get(i);
      assertThat(actual.reasons()).as(requests.get(i).toString()).isEqualTo(expected.reasons());
      if (actual.permitted()) {
        permits++;
      } else if (!actual.considered().isEmpty()) {
        refusalLines += actual.reasons().size();
        longestDeny = Math.max(longestDeny, actual.reasons().size());
        worded.addAll(actual.refusals());
      }
    }
    // Enough of each, and every kind of refusal an agreement gives, for the comparison to mean
    // something.
    assertThat(permits).as("permits").isGreaterThan(300);
    assertThat(refusalLines).as("refusals compared in words").isGreaterThan(20_000);
    assertThat(longestDeny).as("the hub pair's deny, one line an agreement").isEqualTo(100);
    assertThat(worded)
        .as("kinds of refusal compared in words")
        .containsAll(EnumSet.complementOf(EnumSet.of(Refusal.NO_AGREEMENT)));
  }

  @Test
  void reasons_readTwice_areTheSameWords() {
    Decision deny = POLICY.decide(hubRequests().get(0));
    List<String> first = deny.reasons();

    assertThat(deny.permitted()).isFalse();
    assertThat(first).hasSize(deny.considered().size());
    assertThat(deny.reasons()).isSameAs(first);
    assertThat(first.get(0)).startsWith(deny.considered().get(0).reference() + ": ");
  }

  /** Every role and purpose asked of the pair a hundred agreements name, with and without facts. */
  private static List<DecisionRequest> hubRequests() {
    List<DecisionRequest> asked = new ArrayList<>();
    for (String role : AgreementCorpus.ROLES) {
      for (String purpose : List.of("PUBHLTH", "TREAT", "ETREAT", "COC", "CAREMGT", "HOPERAT")) {
        DecisionRequest q =
            DecisionRequest.of(
                AgreementCorpus.HUB_RECIPIENT,
                role,
                PurposeOfUse.of(purpose),
                AgreementCorpus.person(1),
                AgreementCorpus.HUB_PROVIDER,
                AgreementCorpus.AT);
        asked.add(q);
        asked.add(q.withEmergencyReason(Optional.of("collapsed")));
      }
    }
    return asked;
  }
}
