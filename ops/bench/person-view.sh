#!/usr/bin/env bash
# JMH benchmark of the person view: parse, apply obligations and serialise 200 resources.
# Usage: [BENCH=regexp] bash ops/bench/person-view.sh [JMH options, e.g. -f 2 -wi 5 -prof gc]
#   BENCH picks benchmarks (default all of PersonViewBenchmark; 'PersonViewBenchmark.view$' the
#   whole view, whose thread CPU per view is printed after each iteration). view and serialise run
#   with each encoder (released: the gateway's ReleasedJson; hapi: HAPI's own, as before); pick one
#   with -p encoder=released. ReleaseEncodeFloorBenchmark: what a streaming writer could save.
# Results: target/jmh-person-view.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
mvn -q -B -pl fhir-adapter -am install -DskipTests
mvn -q -B -pl fhir-adapter test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/fhir-bench.classpath"

java -cp "fhir-adapter/target/test-classes:fhir-adapter/target/classes:$(cat target/fhir-bench.classpath)" \
  org.openjdk.jmh.Main "${BENCH:-PersonViewBenchmark}" "$@" | tee target/jmh-person-view.txt
