#!/usr/bin/env bash
# Tracing through the reference index over HTTP: a seeded population with known truth (the
# synthetic index in Jetty, FhirReferenceIndex on Vert.x), every agency record traced.
# Prints precision of certain links, recall and traces per second.
# Usage: bash ops/bench/tracing.sh [people=10000] [seed=17] [in-flight=16]
# Results: target/bench-tracing.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
mvn -q -B -pl fhir-adapter -am install -DskipTests
mvn -q -B -pl fhir-adapter test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/fhir-bench.classpath"

java -cp "fhir-adapter/target/test-classes:fhir-adapter/target/classes:synthetic/target/classes:policy/target/classes:$(cat target/fhir-bench.classpath)" \
  org.placeshare.fhir.bench.TracingBenchmark "$@" | tee target/bench-tracing.txt
