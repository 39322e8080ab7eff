#!/usr/bin/env bash
# Audit proof latency (from stored tiles) as the log grows, and the append throughput growing it.
# Usage: bash ops/bench/audit-proofs.sh [SIZES [IN_FLIGHT [PROOFS]]]   (defaults 100000,1000000 256 2000)
# Results: target/audit-proofs.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
mvn -q -B -pl gateway -am install -DskipTests
mvn -q -B -pl gateway test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/gateway-bench.classpath"

(cd gateway && java -cp "target/test-classes:target/classes:$(cat ../target/gateway-bench.classpath)" \
  org.placeshare.gateway.bench.AuditProofBenchmark "$@") | tee target/audit-proofs.txt
