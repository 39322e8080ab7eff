#!/usr/bin/env bash
# JMH benchmark of policy decisions: one model agreement's partners (1 to 100,000 agreements,
# DecisionBenchmark) and a generated place of 1,000 to 100,000 agreements (PlaceDecisionBenchmark).
# Usage: bash ops/bench/policy-decisions.sh [JMH options, e.g. -f 2 -wi 5 -prof gc]
#        bash ops/bench/policy-decisions.sh --cpu [sizes, e.g. 10000 100000]
#          the place's cases in the deciding thread's CPU time (PlaceDecisionCpu), which a
#          machine shared with other work disturbs less than JMH's wall-clock time
# Results: target/jmh-policy-decisions.txt (or target/policy-decisions-cpu.txt); record them in
# docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
mvn -q -B -pl policy -am install -DskipTests
mvn -q -B -pl policy test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/policy-bench.classpath"
CP="policy/target/test-classes:policy/target/classes:$(cat target/policy-bench.classpath)"

if [[ "${1:-}" == "--cpu" ]]; then
  shift
  java -Xmx3g -cp "$CP" org.placeshare.policy.bench.PlaceDecisionCpu "$@" \
    | tee target/policy-decisions-cpu.txt
else
  java -cp "$CP" org.openjdk.jmh.Main DecisionBenchmark "$@" | tee target/jmh-policy-decisions.txt
fi
