#!/usr/bin/env bash
# Tracing through the reference index over HTTP: a seeded population with known truth (the
# synthetic index in Jetty, FhirReferenceIndex on Vert.x), every agency record traced (or an evenly
# spaced sample of RECORDS of them). Prints precision of certain links, recall, traces per second,
# and the CPU split between the index's side and the gateway's side.
# Usage: bash ops/bench/tracing.sh [people=10000] [seed=17] [in-flight=16] [records=all]
#   JAVA_OPTS (default -Xmx4g) sizes the JVM: 1,000,000 people need about 2 GB of heap.
# Results: target/bench-tracing.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
# Compiled in the reactor, not installed: the classpath points at each module's target/classes.
mvn -q -B -pl fhir-adapter -am test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/fhir-bench.classpath"

java ${JAVA_OPTS:--Xmx4g} -cp "fhir-adapter/target/test-classes:fhir-adapter/target/classes:synthetic/target/classes:policy/target/classes:$(cat target/fhir-bench.classpath)" \
  org.placeshare.fhir.bench.TracingBenchmark "$@" | tee target/bench-tracing.txt
