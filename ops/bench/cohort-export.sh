#!/usr/bin/env bash
# Cohort export benchmark (a benchmark, not a test): builds, starts the demo with a population of
# PEOPLE synthetic people (its three sources and the gateway, embedded PostgreSQL), and exports the
# council's caseload (every one of them) with the cohort command, as an analyst would. Reports the
# time to finish, what was included and left out, the gateway JVM's heap in use sampled from
# /metrics on the management listener (the demo's port + 1) during the export (peak and before), and
# the JVM's peak resident memory. The sources
# run in the same JVM, so the resident figure includes their records too.
# It also reports the CPU per member by kind of thread (gateway, its PostgreSQL, the sources, the
# JVM's GC/JIT), counted from /proc as load.sh counts per view.
# Usage: [HEAP=1g] [CONCURRENCY=8] [STORE=folder|database] [JAVA_OPTS=...] bash ops/bench/cohort-export.sh [PEOPLE]
#        (the demo default: 8 members at a time; STORE: where the job's files are kept, cohorts.store);
#        JAVA_OPTS go to the demo JVM, e.g. -XX:StartFlightRecording=filename=x.jfr
# Results: target/cohort-export.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
PEOPLE=${1:-10000}
HEAP=${HEAP:-1g}
CONCURRENCY=${CONCURRENCY:-8}   # members a job decides and fetches at once (cohorts.concurrency)
mvn -q -B -DskipTests package
PORT=${PORT:-18280}   # PORT=... to run beside another demo
MANAGEMENT_PORT=$((PORT + 1))   # the demo's management listener: metrics are not on the public port
FOLDER=target/cohort-demo
mkdir -p target
rm -rf "$FOLDER" target/cohort-demo.out  # a stale .out would read as the new demo ready
STORE=${STORE:-folder}
# shellcheck disable=SC2086
PLACESHARE_COHORTS_STORE=$STORE java -Xmx"$HEAP" ${JAVA_OPTS:-} -jar ops/target/placeshare.jar demo --folder "$FOLDER" --port "$PORT" --people "$PEOPLE" --cohort-concurrency "$CONCURRENCY" \
  > target/cohort-demo.out 2> target/cohort-demo.err &
DEMO=$!
trap 'kill $DEMO 2>/dev/null || true' EXIT
# A population of 100,000 takes minutes to generate, index and register: wait up to 20 minutes.
for _ in $(seq 2400); do
  grep -q "^java -jar.*cohort export" target/cohort-demo.out 2>/dev/null && break
  kill -0 $DEMO 2>/dev/null || { echo "the demo ended before it was ready:"; tail -20 target/cohort-demo.err; exit 1; }
  sleep 0.5
done
EXPORT=$(grep "^java -jar.*cohort export" target/cohort-demo.out | head -1 | sed 's|^java -jar ops/target/placeshare.jar ||')

# cpu_ticks: CPU of the demo JVM by kind of thread, and of its PostgreSQL (see cpu-ticks.sh).
. ops/bench/cpu-ticks.sh
cpu_per_member() {
  awk -v n="$3" -v hz="$(getconf CLK_TCK)" -v before="$1" -v after="$2" 'BEGIN {
    split(before, b, " "); split(after, a, " ")
    for (i = 1; i <= 6; i++) d[i] = (a[i] - b[i]) * 1000 / hz / n
    printf "CPU per member: gateway threads %.2f ms, its PostgreSQL %.2f ms; sources %.2f ms; JVM GC/JIT/VM %.2f ms (shared); other %.2f ms; demo JVM in all %.2f ms (%d members)\n",
      d[1], d[6], d[2], d[3], d[4], d[5], n }'
}

# Heap in use (MiB), and the old generation's size after the last collection (live data).
heap() {
  curl -s "http://127.0.0.1:$MANAGEMENT_PORT/metrics" \
    | awk 'index($0, "jvm_memory_used_bytes{area=\"heap\"") == 1 {sum += $NF}
           index($0, "jvm_gc_live_data_size_bytes") == 1 {live = $NF}
           END {printf "%.0f %.0f", sum / 1048576, live / 1048576}'
}
BEFORE=$(heap)
: > target/cohort-heap.txt
( while kill -0 $DEMO 2>/dev/null; do heap >> target/cohort-heap.txt; echo >> target/cohort-heap.txt; sleep 0.5; done ) &
SAMPLER=$!
CPU_BEFORE=$(cpu_ticks)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date +%s.%N)
# shellcheck disable=SC2086
java -jar ops/target/placeshare.jar $EXPORT > target/cohort-export.out 2> target/cohort-export.err
END=$(date +%s.%N)
CPU_AFTER=$(cpu_ticks)
kill $SAMPLER 2>/dev/null || true
PEAK=$(awk 'NF == 2 && $1 > p {p = $1} END {print p}' target/cohort-heap.txt)
LIVE=$(awk 'NF == 2 && $2 > l {l = $2} END {print l}' target/cohort-heap.txt)
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
  echo "cohort: $PEOPLE people, $CONCURRENCY members at a time, files in the $STORE store"
  echo "load average before the export: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "time to finish: $(echo "$END - $START" | bc) s (kick-off to the last file downloaded), $(echo "scale=1; $PEOPLE / ($END - $START)" | bc) members/s"
  cpu_per_member "$CPU_BEFORE" "$CPU_AFTER" "$PEOPLE"
  head -1 target/cohort-export.out
  echo "files: $(tail -n +2 target/cohort-export.out | awk '{print $2, $3}' | paste -sd ',' -)"
  echo "demo JVM heap in use (sampled every 0.5 s): before the export ${BEFORE%% *} MiB, peak ${PEAK} MiB during it (-Xmx$HEAP)"
  echo "demo JVM live data after collection: before ${BEFORE##* } MiB, peak ${LIVE} MiB during the export"
  echo "demo JVM peak resident memory: $(grep VmHWM "/proc/$DEMO/status" | awk '{print $2, $3}')"
} | tee target/cohort-export.txt
