#!/usr/bin/env bash
# Change notifications fanned out per second: the gateway as a real process on the embedded
# PostgreSQL, 10 subscribers each subscribed to the same 50 people, a receiver on loopback
# answering 200 at once. Posts EVENTS changes of address from THREADS threads; prints event
# acknowledgements per second and deliveries per second end to end (first post to last delivery).
# Usage: bash ops/bench/notifications.sh [EVENTS [THREADS [BATCH [POLL_MS]]]]   (500 8 20 100)
# Results: target/bench-notifications.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
mvn -q -B -pl ops -am install -DskipTests
mvn -q -B -pl ops test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/ops-bench.classpath"

(cd ops && java -cp "target/test-classes:target/classes:$(cat ../target/ops-bench.classpath)" \
  org.placeshare.ops.NotificationBenchmark "$@") | tee target/bench-notifications.txt
