package org.placeshare.policy.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
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
import org.placeshare.policy.Agreement;
import org.placeshare.policy.AgreementFile;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicySet;
import org.placeshare.policy.PurposeOfUse;

/**
 * The cost of one decision with 1, 100 and 1,000 agreements loaded. Every agreement names the same
 * GP practice as provider, each a different recipient, as a place with many partners would. Run
 * with {@code ops/bench/policy-decisions.sh}; results in docs/benchmarks.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecisionBenchmark {

  @Param({"1", "100", "1000", "10000", "100000"})
  int agreements;

  PolicySet policy;
  DecisionRequest emergency;
  DecisionRequest refused;

  @Setup
  public void load() throws IOException {
    String model;
    try (InputStream in =
        DecisionBenchmark.class.getResourceAsStream("/org/placeshare/policy/good-agreement.yaml")) {
      model = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<Agreement> set = new ArrayList<>();
    for (int i = 0; i < agreements; i++) {
      // Agreement 0 is the model (recipient R9A); the others each name their own recipient.
      String yaml =
          i == 0
              ? model
              : model
                  .replace("id: coventry-direct-care", "id: agreement-" + i)
                  .replace("organisation: R9A", "organisation: X" + (10000 + i));
      set.add(AgreementFile.parse("a" + i + ".yaml", yaml.getBytes(StandardCharsets.UTF_8)));
    }
    policy = PolicySet.of(set);
    Instant at = Instant.parse("2026-11-22T10:00:00Z");
    NhsNumber person = NhsNumber.parse("9990000018");
    emergency =
        DecisionRequest.of(
                OdsCode.of("R9A"),
                "clinician",
                PurposeOfUse.EMERGENCY_TREATMENT,
                person,
                OdsCode.of("Y90001"),
                at)
            .withEmergencyReason(Optional.of("collapsed"));
    refused =
        DecisionRequest.of(
            OdsCode.of("R9A"), "clinician", PurposeOfUse.TREAT, person, OdsCode.of("Y90001"), at);
  }

  @Benchmark
  public Decision permitEmergency() {
    return policy.decide(emergency);
  }

  @Benchmark
  public Decision denyWithoutConsent() {
    return policy.decide(refused);
  }
}
