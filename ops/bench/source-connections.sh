#!/usr/bin/env bash
# Connections to the sources under load (a benchmark, not a test): starts the demo, drives the
# frailty team's consented view through the gateway with wrk (load.sh's run (b): seven upstream
# requests to three sources), and counts
#   (1) the TCP connections the demo JVM opened while the view ran: its connect() calls, recorded by
#       strace, by the port they went to (each source and the reference index), per view;
#   (2) the connections open to each source when the run ended (ss), against the pool's cap;
#   (3) in a second run without strace (strace slows every thread it traces): the CPU per view of
#       the gateway's threads and of the sources' threads, from /proc (cpu-ticks.sh).
# A client that reuses its connections opens none per view once its pool is full; one defeated
# (a body not read to its end, a Connection: close, a client per request) opens one per request.
# JAVA_OPTS is passed to the demo's JVM (for A/B runs of a client setting). With ALLOCATIONS=1,
# run (3) is recorded by Java Flight Recorder (settings=profile) and its allocation samples of the
# gateway's threads are summed by the part of the source request path they were made in
# (source-allocations.py); the recorder's own cost then counts in that run's CPU.
# Needs wrk, strace (and for ALLOCATIONS=1 the JDK's jcmd and jfr, and python3), and ptrace of the demo (root, or ptrace_scope 0).
# Usage: [PORT=18400] [JAVA_OPTS=...] [ALLOCATIONS=1] bash ops/bench/source-connections.sh [SECONDS [CONNECTIONS]]
# Results: target/source-connections.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-20}
CONNECTIONS=${2:-32}
PORT=${PORT:-18400}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
command -v strace >/dev/null || { echo "strace is needed: apt-get install strace" >&2; exit 2; }
[ -f ops/target/placeshare.jar ] || mvn -q -B -DskipTests package
FOLDER=target/connections-demo
rm -rf "$FOLDER" target/connections-demo.out  # a stale .out would be read as the new demo ready
export PLACESHARE_CLIENT_REQUESTS_PER_MINUTE=1000000
# shellcheck disable=SC2086
java -Xmx512m ${JAVA_OPTS:-} -jar ops/target/placeshare.jar demo --folder "$FOLDER" --port "$PORT" \
  > target/connections-demo.out 2> target/connections-demo.err &
DEMO=$!
trap 'kill $DEMO 2>/dev/null || true' EXIT
. ops/bench/demo.sh
await_demo target/connections-demo.out "$DEMO" 120
view_credentials target/connections-demo.out "$PORT"
# The sources the view reads, by id and port, from the demo's configuration.
SOURCES=$(awk '/^referenceIndex:/{ id = "reference-index" } /^[ -]*id: /{ gsub(/"/, "", $NF); id = $NF } /baseUrl: "http:\/\/127.0.0.1:/{ p = $0; sub(/.*127\.0\.0\.1:/, "", p); sub(/[^0-9].*/, "", p); print id ":" p }' "$FOLDER/gateway.yaml")

. ops/bench/cpu-ticks.sh
wrk_views() { grep -o '[0-9]* requests in' <<< "$1" | tr -dc 0-9; }

# Warm-up: JIT, the pools filled.
wrk -t2 -c8 -d10s -H "$AUTH" -H "$CONSENT" "$VIEW" > /dev/null
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load average: $(cut -d' ' -f1-3 /proc/loadavg); JAVA_OPTS: ${JAVA_OPTS:-none}"
  echo "--- (1) connections opened during $SECONDS_EACH s of the view at $CONNECTIONS connections (under strace)"
  strace -f -qq -p "$DEMO" -e trace=connect -o target/connections-strace.txt &
  STRACE=$!
  sleep 2
  OUT=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" -H "$AUTH" -H "$CONSENT" "$VIEW")
  kill "$STRACE"; wait "$STRACE" 2>/dev/null || true
  VIEWS=$(wrk_views "$OUT")
  echo "views: $VIEWS ($(grep -o 'Requests/sec: *[0-9.]*' <<< "$OUT" | tr -s ' ') under strace); non-2xx: $(grep -o 'Non-2xx.*' <<< "$OUT" || echo none)"
  for S in $SOURCES; do
    ID=${S%%:*}; P=${S##*:}
    N=$(grep -c "htons($P)" target/connections-strace.txt || true)
    echo "$ID (port $P): $N connections opened, $(awk -v n="$N" -v v="$VIEWS" 'BEGIN { printf "%.4f", n / v }') per view"
  done
  echo "all connect() calls of the demo JVM (the sources above, its PostgreSQL, anything else): $(grep -c 'connect(' target/connections-strace.txt || true)"
  echo "--- (2) connections established to each source as the run ended (ss; the pool holds at most 16)"
  sleep 1
  for S in $SOURCES; do
    ID=${S%%:*}; P=${S##*:}
    echo "$ID: $(ss -tnH state established "( dport = :$P )" | wc -l)"
  done
  echo "--- (3) CPU per view, $SECONDS_EACH s at $CONNECTIONS connections (no strace)"
  [ "${ALLOCATIONS:-0}" = 1 ] && jcmd "$DEMO" JFR.start name=sources settings=profile > /dev/null
  BEFORE=$(cpu_ticks)
  OUT=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency -H "$AUTH" -H "$CONSENT" "$VIEW")
  AFTER=$(cpu_ticks)
  if [ "${ALLOCATIONS:-0}" = 1 ]; then
    jcmd "$DEMO" JFR.stop name=sources filename="$PWD/target/source-connections.jfr" > /dev/null
  fi
  VIEWS=$(wrk_views "$OUT")
  echo "$OUT" | grep -E 'Requests/sec|Non-2xx| 50%| 99%'
  awk -v views="$VIEWS" -v hz="$(getconf CLK_TCK)" -v before="$BEFORE" -v after="$AFTER" 'BEGIN {
    split(before, b, " "); split(after, a, " ")
    for (i = 1; i <= 6; i++) d[i] = (a[i] - b[i]) * 1000 / hz / views
    printf "CPU per view: gateway threads %.3f ms, sources %.3f ms, its PostgreSQL %.3f ms, JVM GC/JIT/VM %.3f ms, demo JVM in all %.3f ms (%d views)\n",
      d[1], d[2], d[6], d[3], d[5], views }'
  if [ "${ALLOCATIONS:-0}" = 1 ]; then
    echo "--- (4) allocation samples of the gateway's threads in run (3), by where they were made"
    jfr print --json --stack-depth 64 --events jdk.ObjectAllocationSample target/source-connections.jfr \
      > target/source-allocations.json
    python3 ops/bench/source-allocations.py target/source-allocations.json "$VIEWS"
    rm -f target/source-allocations.json
  fi
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee target/source-connections.txt
rm -f target/connections-strace.txt
