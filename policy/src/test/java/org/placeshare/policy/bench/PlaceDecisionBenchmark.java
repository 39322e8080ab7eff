package org.placeshare.policy.bench;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.placeshare.policy.AgreementCorpus;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.PolicySet;
import org.placeshare.policy.PurposeOfUse;

/**
 * The cost of one decision in a generated place of 1,000, 10,000 and 100,000 agreements ({@link
 * AgreementCorpus}: many organisations, six kinds of sharing, statuses, time windows, versions,
 * pilots and cohorts). {@code mixed} decides 1,024 generated requests in turn (permits and denies
 * of every kind, some for pairs no agreement names); {@code typicalPermit} and {@code typicalDeny}
 * are one of each from that mix; {@code hubPermit} and {@code hubDeny} ask of the pair named by
 * about 100 agreements, the worst case, where a deny must give every one's refusal and the permit
 * is the latest in decision order that could be found. {@code mixedReasons} and {@code
 * hubDenyReasons} also read the decision's reasons, as the gateway's audit and OperationOutcome do.
 * Run with {@code ops/bench/policy-decisions.sh}; results in docs/benchmarks.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx3g")
public class PlaceDecisionBenchmark {

  @Param({"1000", "10000", "100000"})
  int agreements;

  PolicySet policy;
  DecisionRequest[] mix;
  DecisionRequest typicalPermit;
  DecisionRequest typicalDeny;
  DecisionRequest hubPermit;
  DecisionRequest hubDeny;
  int next;

  @Setup
  public void load() {
    AgreementCorpus corpus = new AgreementCorpus(agreements, 22);
    policy = PolicySet.of(corpus.agreements());
    mix = corpus.requests(policy.agreements(), 1024, 7).toArray(DecisionRequest[]::new);
    for (DecisionRequest q : mix) {
      boolean hub = q.provider().equals(AgreementCorpus.HUB_PROVIDER);
      Decision d = policy.decide(q);
      if (typicalPermit == null && !hub && d.permitted()) {
        typicalPermit = q;
      } else if (typicalDeny == null && !hub && !d.permitted() && !d.considered().isEmpty()) {
        typicalDeny = q;
      }
    }
    hubPermit = latestHubPermit();
    hubDeny =
        DecisionRequest.of(
            AgreementCorpus.HUB_RECIPIENT,
            "clinician",
            PurposeOfUse.of("PUBHLTH"),
            AgreementCorpus.person(1),
            AgreementCorpus.HUB_PROVIDER,
            AgreementCorpus.AT);
    Decision deny = policy.decide(hubDeny);
    Decision permit = policy.decide(hubPermit);
    System.out.printf(
        "%n%d agreements: hub pair named by %d; hub deny gives %d refusals; hub permit under %s,"
            + " %d evaluated before it%n",
        agreements,
        deny.considered().size(),
        deny.reasons().size(),
        permit.agreement().orElseThrow().reference(),
        permit.considered().indexOf(permit.agreement().orElseThrow()));
    if (deny.permitted() || !permit.permitted()) {
      throw new IllegalStateException("expected the hub deny to deny and the hub permit to permit");
    }
  }

  /** The hub request (role, purpose, emergency) whose permitting agreement comes latest. */
  private DecisionRequest latestHubPermit() {
    DecisionRequest latest = null;
    int latestAt = -1;
    for (String role :
        List.of("clinician", "frailty-clinician", "care-coordinator", "pharmacist")) {
      for (String purpose : List.of("TREAT", "ETREAT", "COC", "CAREMGT")) {
        DecisionRequest q =
            DecisionRequest.of(
                    AgreementCorpus.HUB_RECIPIENT,
                    role,
                    PurposeOfUse.of(purpose),
                    AgreementCorpus.person(2),
                    AgreementCorpus.HUB_PROVIDER,
                    AgreementCorpus.AT)
                .withEmergencyReason(Optional.of("collapsed"));
        Decision d = policy.decide(q);
        if (d.permitted()) {
          int at = d.considered().indexOf(d.agreement().orElseThrow());
          if (at > latestAt) {
            latest = q;
            latestAt = at;
          }
        }
      }
    }
    return latest;
  }

  @Benchmark
  public Decision mixed() {
    return policy.decide(mix[next++ & (mix.length - 1)]);
  }

  @Benchmark
  public Decision typicalPermit() {
    return policy.decide(typicalPermit);
  }

  @Benchmark
  public Decision typicalDeny() {
    return policy.decide(typicalDeny);
  }

  @Benchmark
  public Decision hubPermit() {
    return policy.decide(hubPermit);
  }

  @Benchmark
  public Decision hubDeny() {
    return policy.decide(hubDeny);
  }

  @Benchmark
  public List<String> mixedReasons() {
    return policy.decide(mix[next++ & (mix.length - 1)]).reasons();
  }

  @Benchmark
  public List<String> hubDenyReasons() {
    return policy.decide(hubDeny).reasons();
  }
}
