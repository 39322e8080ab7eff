#!/usr/bin/env bash
# Durable audit appends per second with group commit, on the embedded PostgreSQL.
# Usage: bash ops/bench/audit-appends.sh [EVENTS [IN_FLIGHT]]   (defaults 50000 256)
# Results: target/audit-appends.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
mvn -q -B -pl gateway -am install -DskipTests
mvn -q -B -pl gateway test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/gateway-bench.classpath"

(cd gateway && java -cp "target/test-classes:target/classes:$(cat ../target/gateway-bench.classpath)" \
  org.placeshare.gateway.bench.AuditAppendBenchmark "$@") | tee target/audit-appends.txt
