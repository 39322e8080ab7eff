#!/usr/bin/env bash
# JMH benchmark of ES256 token verification, cold and with the verified-token cache.
# Each benchmark runs with ECDSA in BouncyCastle's provider (the gateway's) and in the JDK's SunEC.
# Usage: bash ops/bench/tokens.sh [JMH options, e.g. -f 2 -wi 5]
# Another JDK (17 or later) runs the same classes: JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
# Results: target/jmh-tokens.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
mvn -q -B -pl policy -am install -DskipTests
mvn -q -B -pl policy test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/policy-bench.classpath"

"${JAVA:-java}" -cp "policy/target/test-classes:policy/target/classes:$(cat target/policy-bench.classpath)" \
  org.openjdk.jmh.Main TokenBenchmark "$@" | tee target/jmh-tokens.txt
