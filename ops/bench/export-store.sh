#!/usr/bin/env bash
# Export files through each store (issue 22): the local folder and the database (cohorts.store).
# Writes one NDJSON file of MEGABYTES in appends of APPEND_KIB (a chunk's lines), reads it back for
# its digest, and downloads it over HTTP on PORT, alternating folder, database, folder, database;
# reports MB/s, CPU per MB of the JVM and of PostgreSQL (from /proc), and the heap the download
# added. HEAP (default 64m) caps the heap: a download that held the file could not fit.
# Usage: [PORT=18600] [HEAP=64m] bash ops/bench/export-store.sh [MEGABYTES [APPEND_KIB]]
#        (defaults 64 and 96)
# Results: target/export-store.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
HEAP=${HEAP:-64m}
mvn -q -B -pl gateway -am install -DskipTests
mvn -q -B -pl gateway test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/gateway-bench.classpath"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "machine: $(nproc) vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
  (cd gateway && java -Xmx"$HEAP" -cp "target/test-classes:target/classes:$(cat ../target/gateway-bench.classpath)" \
    org.placeshare.gateway.bench.ExportStoreBenchmark "$@")
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee target/export-store.txt
