#!/usr/bin/env bash
# JMH benchmark of loading and reloading 10,000 signed agreement files as the gateway does
# (PolicyFolder: read, verify each detached signature, parse and validate, build the set).
# Usage: bash ops/bench/policy-load.sh [JMH options, e.g. -prof gc]
#        bash ops/bench/policy-load.sh --cpu [files, default 10000]
#          each case's wall-clock and whole-process CPU time (AgreementLoadCpu), which a machine
#          shared with other work disturbs less than JMH's wall-clock time
# Results: target/jmh-policy-load.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
mvn -q -B -pl policy -am install -DskipTests
mvn -q -B -pl policy test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/policy-bench.classpath"

CP="policy/target/test-classes:policy/target/classes:$(cat target/policy-bench.classpath)"

if [[ "${1:-}" == "--cpu" ]]; then
  shift
  java -Xmx2g -cp "$CP" org.placeshare.policy.bench.AgreementLoadCpu "$@" \
    | tee target/policy-load-cpu.txt
else
  java -cp "$CP" org.openjdk.jmh.Main AgreementLoadBenchmark "$@" | tee target/jmh-policy-load.txt
fi
