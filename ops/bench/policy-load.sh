#!/usr/bin/env bash
# JMH benchmark of loading and reloading 10,000 signed agreement files as the gateway does
# (PolicyFolder: read, verify each detached signature, parse and validate, build the set).
# Usage: bash ops/bench/policy-load.sh [JMH options, e.g. -prof gc]
# Results: target/jmh-policy-load.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
mvn -q -B -pl policy -am install -DskipTests
mvn -q -B -pl policy test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/policy-bench.classpath"

java -cp "policy/target/test-classes:policy/target/classes:$(cat target/policy-bench.classpath)" \
  org.openjdk.jmh.Main AgreementLoadBenchmark "$@" | tee target/jmh-policy-load.txt
