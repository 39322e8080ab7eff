#!/usr/bin/env bash
# Load harness (a benchmark, not a test): builds, starts the demo (its synthetic sources and the
# gateway, embedded PostgreSQL), and drives them on loopback:
#   (a) a source directly with wrk: the GP FHIR server's patient search;
#   (b) the person-level view through the gateway with wrk: policy, a consent token, three
#       sources, audit; at CONNECTIONS, then at 1, 2 and 4 connections (lighter loads);
#   (c) the direct baseline (issue 22): the upstream requests one view makes, made by a client
#       straight to the sources, CONNECTIONS views' worth in flight, beside (d) the same view
#       through the gateway by the same client; their ratio is the headline;
#   (e, f) the same pair for a mix: every demo person, two clients (the frailty team and A&E), a
#       consent per person, each view once in turn (ViewLoadBenchmark.MIX_CLIENTS says why two).
# For each run through the gateway: CPU per view of the gateway's threads, its PostgreSQL, the
# sources' threads, from /proc (see cpu_ticks). Then the demo JVM's peak resident memory.
#
# Why a Java client for (c) to (f), not wrk: wrk reaches one host, and a view's seven requests go
# to three servers, the searches after the Patient search they need. ViewLoadBenchmark (ops test
# sources, never run by the build) makes them in the gateway's order, with its 16 connections a
# source, reads the bodies whole without parsing, and drives (d) and (f) too, so both sides of the
# ratio carry the same client. The requests are not written down here: they are captured from one
# view of each (client, person) while strace records the demo's socket reads (the requests the
# sources receive), so the baseline makes exactly what the gateway made, page links included.
#
# Needs wrk and strace (Debian packages), and ptrace of the demo (root, or ptrace_scope 0).
# Usage: bash ops/bench/load.sh [SECONDS [CONNECTIONS]]
# Results: target/load.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-20}
CONNECTIONS=${2:-32}
# Warm-up of each client run, not counted (its own JIT, the pools, the new tokens' first use).
CLIENT_WARMUP=5
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
command -v strace >/dev/null || { echo "strace is needed: apt-get install strace" >&2; exit 2; }
# package compiles the test sources too: the load client is among them.
mvn -q -B -DskipTests package
CLIENT_CP="ops/target/test-classes:ops/target/placeshare.jar"
client() { java -cp "$CLIENT_CP" org.placeshare.ops.ViewLoadBenchmark "$@"; }
PORT=${PORT:-18180}   # PORT=... to run beside another demo
FOLDER=target/load-demo
rm -rf "$FOLDER" target/load-demo.out  # a stale .out would read as the new demo ready
# The demo's per-client limit (600 a minute) would answer most of the load with 429: lift it.
export PLACESHARE_CLIENT_REQUESTS_PER_MINUTE=1000000
java -Xmx512m -jar ops/target/placeshare.jar demo --folder "$FOLDER" --port "$PORT" > target/load-demo.out 2> target/load-demo.err &
DEMO=$!
trap 'kill $DEMO 2>/dev/null || true' EXIT
. ops/bench/demo.sh
# On a busy machine the demo took more than a minute to start, and the harness went on without it.
await_demo target/load-demo.out "$DEMO" 300

GATEWAY="http://127.0.0.1:$PORT"
GP=$(grep -A2 "id: \"gp-y90001\"\|id: gp-y90001" "$FOLDER/gateway.yaml" | grep -o 'http://[^"]*' | head -1)
view_credentials target/load-demo.out "$PORT"
SOURCE="$GP/Patient?identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C$PERSON"
# The client runs' single view: the same client and person as (b).
SINGLE="coventry-frailty/$PERSON"

# cpu_ticks: CPU of the demo JVM by kind of thread, and of its PostgreSQL (see cpu-ticks.sh).
. ops/bench/cpu-ticks.sh
# Prints the CPU per view between two cpu_ticks samples, for VIEWS views.
cpu_per_view() {
  awk -v views="$3" -v hz="$(getconf CLK_TCK)" -v before="$1" -v after="$2" 'BEGIN {
    split(before, b, " "); split(after, a, " ")
    for (i = 1; i <= 6; i++) d[i] = (a[i] - b[i]) * 1000 / hz / views
    printf "CPU per view: gateway threads %.2f ms, its PostgreSQL %.2f ms; sources %.2f ms; JVM GC/JIT/VM %.2f ms (shared); other %.2f ms; unattributed (exited threads, sampling) %.2f ms; demo JVM in all %.2f ms (%d views)\n",
      d[1], d[6], d[2], d[3], d[4], d[5] - d[1] - d[2] - d[3] - d[4], d[5], views }'
}
wrk_views() { grep -o '[0-9]* requests in' <<< "$1" | tr -dc 0-9; }
client_views() { grep '^views-all:' <<< "$1" | tr -dc 0-9; }
views_per_second() { grep -o '[0-9.]* views/s' <<< "$1" | head -1 | cut -d' ' -f1; }

# Warm up both paths (JIT, HAPI's context, connection pools). The view's code is large: after
# 5 s the JIT compiler still took half a core, and the first run measured it, not the gateway.
wrk -t2 -c8 -d5s "$SOURCE" > /dev/null
wrk -t2 -c8 -d30s -H "$AUTH" -H "$CONSENT" "$VIEW" > /dev/null

run() { wrk -t"$(( $1 < 2 ? $1 : 2 ))" -c"$1" -d"${SECONDS_EACH}s" --latency "${@:2}"; }
# A client run with the demo's CPU sampled around it: LABEL PLAN POOL ANSWERS [ENTRY]
client_run() {
  local before after out
  before=$(cpu_ticks)
  local status=0
  out=$(client run "$2" "$CONNECTIONS" "$SECONDS_EACH" "$CLIENT_WARMUP" "$3" "$4" "${@:5}" 2>target/load-client.err) || status=$?
  after=$(cpu_ticks)
  # A run that did not finish has no figures: stop. One that finished with unexpected answers or
  # failed requests (each request has a deadline, so every run finishes) prints its figures
  # marked, and the harness fails at the end, as for wrk's non-2xx.
  grep -q ' views/s' <<< "$out" || { echo "$out"; cat target/load-client.err >&2; echo "the client did not finish: $1" >&2; exit 1; }
  echo "--- $1, $CONNECTIONS views in flight"
  echo "$out" | grep -v '^views-all:'
  if [ "$status" -ne 0 ]; then
    echo "client run not clean (unexpected answers or failed requests; the client said:)"
    sed 's/^/  /' target/load-client.err | head -20
  fi
  cpu_per_view "$before" "$after" "$(client_views "$out")"
  LAST_VIEWS_PER_SECOND=$(views_per_second "$out")
}
# A fresh plan of the mix's views through the gateway (tokens last five minutes), the views that
# answered 200 at the capture only.
gateway_plan() {
  client views "$FOLDER" "$GATEWAY" target/load-views-new.tsv
  awk -F'\t' 'NR == FNR { ok[$1]; next } ($1 in ok)' target/load-mix.ids target/load-views-new.tsv > target/load-views.tsv
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "--- (a) source directly, $CONNECTIONS connections"
  run "$CONNECTIONS" "$SOURCE"
  echo "--- (b) person-level view through the gateway, $CONNECTIONS connections"
  BEFORE=$(cpu_ticks)
  OUT=$(run "$CONNECTIONS" -H "$AUTH" -H "$CONSENT" "$VIEW")
  AFTER=$(cpu_ticks)
  echo "$OUT"
  cpu_per_view "$BEFORE" "$AFTER" "$(wrk_views "$OUT")"
  # The aim is a p99 at half the maximum throughput: lighter loads, to find where that falls.
  # (These use the tokens the demo printed at start, five minutes long: they run before the rest.)
  for LIGHT in 1 2 4; do
    echo "--- (b) person-level view, $LIGHT connections (lighter load)"
    run "$LIGHT" -H "$AUTH" -H "$CONSENT" "$VIEW"
  done

  # Capture: every view of the mix once, one after another, while strace records what the demo
  # reads from its sockets. A view's upstream requests come between its own request line and the
  # next view's; those to the configured sources' ports are the view's direct equivalent.
  client views "$FOLDER" "$GATEWAY" target/load-views-new.tsv
  strace -f -qq -p "$DEMO" -e trace=read -s 512 -o target/load-strace.txt &
  STRACE=$!
  sleep 3
  while IFS=$'\t' read -r ID URL HEADER1 HEADER2; do
    curl -s -o /dev/null -w "%{http_code}\n" -H "$HEADER1" ${HEADER2:+-H "$HEADER2"} "$URL"
  done < target/load-views-new.tsv > target/load-capture.status
  sleep 1
  kill "$STRACE"; wait "$STRACE" || true
  SOURCE_PORTS=$(grep -o 'baseUrl: "http://127.0.0.1:[0-9]*' "$FOLDER/gateway.yaml" | grep -o '[0-9]*$' | tr '\n' ' ')
  paste <(cut -f1 target/load-views-new.tsv) target/load-capture.status | awk '$2 == 200 { print $1 }' > target/load-mix.ids
  awk -v gw="$PORT" -v ports="$SOURCE_PORTS" -v idsfile=target/load-views-new.tsv '
    BEGIN { n = split(ports, p, " "); for (i = 1; i <= n; i++) source[p[i]] = 1
            while ((getline line < idsfile) > 0) { split(line, f, "\t"); id[++ids] = f[1] } }
    /"GET / {
      path = $0; sub(/.*"GET /, "", path); sub(/ HTTP\/1\.1.*/, "", path)
      if (!match($0, /[Hh]ost: 127\.0\.0\.1:[0-9]+/)) next
      port = substr($0, RSTART, RLENGTH); sub(/.*:/, "", port)
      if (port == gw) { k++; next }
      if (!(port in source) || k == 0) next
      accept = match($0, /accept: [^\\]*/) ? "\tAccept: " substr($0, RSTART + 8, RLENGTH - 8) : ""
      print id[k] "\thttp://127.0.0.1:" port path accept }' target/load-strace.txt |
    awk -F'\t' 'NR == FNR { ok[$1]; next } ($1 in ok)' target/load-mix.ids - > target/load-direct.tsv
  # The trace holds the views' tokens and is large: keep only what was taken from it.
  rm -f target/load-strace.txt
  echo "--- capture: $(wc -l < target/load-mix.ids) of $(wc -l < target/load-views-new.tsv) views answered 200 (the others are left out of the mix: $(sort target/load-capture.status | uniq -c | awk '$2 != 200 { printf "%s x %s ", $1, $2 }')); upstream requests per view, by client:"
  cut -f1 target/load-direct.tsv | uniq -c | awk '{ split($2, c, "/"); n[c[1] " " $1]++ } END { for (k in n) { split(k, x, " "); printf "  %s: %d views of %d requests\n", x[1], n[k], x[2] } }' | sort
  echo "  (b)'s view, $SINGLE:"
  awk -F'\t' -v id="$SINGLE" '$1 == id { print "    " $2 }' target/load-direct.tsv

  client_run "(c) direct baseline, one person: the upstream requests of (b)'s view" target/load-direct.tsv 16 200,404 "$SINGLE"
  DIRECT_ONE=$LAST_VIEWS_PER_SECOND
  gateway_plan
  client_run "(d) person-level view through the gateway, one person, the same client as (c)" target/load-views.tsv "$CONNECTIONS" 200 "$SINGLE"
  VIEW_ONE=$LAST_VIEWS_PER_SECOND
  client_run "(e) direct baseline, the mix: every view's upstream requests, each view in turn" target/load-direct.tsv 16 200,404
  DIRECT_MIX=$LAST_VIEWS_PER_SECOND
  gateway_plan
  client_run "(f) the mix through the gateway: $(wc -l < target/load-views.tsv) views (people x clients), each in turn" target/load-views.tsv "$CONNECTIONS" 200
  VIEW_MIX=$LAST_VIEWS_PER_SECOND

  echo "--- demo JVM (gateway, three sources, embedded PostgreSQL client) peak resident memory"
  grep VmHWM "/proc/$DEMO/status"
  echo "=== view/direct, one person, $CONNECTIONS in flight: $(awk -v v="$VIEW_ONE" -v d="$DIRECT_ONE" 'BEGIN { printf "%.2f (%s views/s through the gateway, %s views'"'"' worth/s direct)", v / d, v, d }')"
  echo "=== view/direct, the mix, $CONNECTIONS in flight: $(awk -v v="$VIEW_MIX" -v d="$DIRECT_MIX" 'BEGIN { printf "%.2f (%s views/s through the gateway, %s views'"'"' worth/s direct)", v / d, v, d }')"
} | tee target/load.txt
# A run with refusals or errors measured something else: say so, and fail.
if grep -q "Non-2xx\|^client run not clean" target/load.txt || ! grep -q "^=== view/direct, the mix" target/load.txt; then
  echo "some responses were not 2xx, or a run failed: these figures do not measure the view" >&2
  exit 1
fi
