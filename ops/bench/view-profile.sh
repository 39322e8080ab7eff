#!/usr/bin/env bash
# Where a view's CPU goes (a benchmark's profile, not a test): starts the demo under Java Flight
# Recorder, drives the frailty team's consented view through the gateway with wrk (as load.sh's
# run (b) does), and sums the JFR execution samples of the gateway's threads (vert.x event loops and
# workers) by the first frame that is not the JDK's: HAPI's parser and serialiser, the PostgreSQL
# client, Netty and Vert.x, Jackson, BouncyCastle and nimbus, or the gateway's own code.
# Needs wrk. Usage: [PORT=18190] bash ops/bench/view-profile.sh [SECONDS [CONNECTIONS]]
# Results: target/view-profile.txt (and the recording, target/view-profile.jfr).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-30}
CONNECTIONS=${2:-32}
PORT=${PORT:-18190}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
[ -f ops/target/placeshare.jar ] || mvn -q -B -DskipTests package
FOLDER=target/profile-demo
rm -rf "$FOLDER" target/view-profile.jfr target/profile-demo.out  # a stale .out would read as ready
export PLACESHARE_CLIENT_REQUESTS_PER_MINUTE=1000000
java -Xmx512m -XX:StartFlightRecording=settings=profile,filename=target/view-profile.jfr,dumponexit=true \
  -jar ops/target/placeshare.jar demo --folder "$FOLDER" --port "$PORT" > target/profile-demo.out 2> target/profile-demo.err &
DEMO=$!
trap 'kill $DEMO 2>/dev/null || true' EXIT
. ops/bench/demo.sh
await_demo target/profile-demo.out "$DEMO" 120
view_credentials target/profile-demo.out "$PORT"
# Warm-up (JIT, pools), then the measured run; the recording and the summary hold both.
wrk -t2 -c8 -d10s -H "$AUTH" -H "$CONSENT" "$VIEW" > /dev/null
WRK=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency -H "$AUTH" -H "$CONSENT" "$VIEW")
# SIGTERM: a background job of a script ignores SIGINT. The JVM writes the recording as it stops.
kill $DEMO; wait $DEMO 2>/dev/null || true
trap - EXIT
# jfr prints each sample's thread and stack, the top frame first; a sample is counted under the
# first frame outside java.*/jdk.*/sun.* (what the JDK was doing it for), by the library it is in.
jfr print --stack-depth 64 --events jdk.ExecutionSample target/view-profile.jfr | awk '
  /sampledThread = / { thread = $0; gateway = (thread ~ /vert\.?x/); placed = 0; next }
  /^[ \t]+[a-zA-Z_$][a-zA-Z0-9_$.]*\.[a-zA-Z_$<][^ ]*\(/ && gateway && !placed {
    f = $1
    if (f ~ /^(java|jdk|sun)\./) next
    placed = 1
    if (f ~ /^ca\.uhn\.fhir\.parser/) k = "HAPI parse and serialise (ca.uhn.fhir.parser)"
    else if (f ~ /^ca\.uhn|^org\.hl7/) k = "HAPI model and terser (ca.uhn, org.hl7)"
    else if (f ~ /^io\.vertx\.pgclient|^io\.vertx\.sqlclient/) k = "PostgreSQL client (io.vertx.pgclient, sqlclient)"
    else if (f ~ /^io\.netty/) k = "Netty (sockets, buffers, TLS-free HTTP)"
    else if (f ~ /^io\.vertx/) k = "Vert.x core (HTTP server and clients, futures)"
    else if (f ~ /^com\.fasterxml/) k = "Jackson"
    else if (f ~ /^org\.bouncycastle|^com\.nimbusds/) k = "BouncyCastle and nimbus (tokens, signatures)"
    else if (f ~ /^org\.placeshare\.fhir/) k = "the gateway: fhir-adapter (release, obligations)"
    else if (f ~ /^org\.placeshare\.policy/) k = "the gateway: policy (decisions)"
    else if (f ~ /^org\.placeshare/) k = "the gateway: gateway (handlers, audit, registers)"
    else k = "other: " f
    n[k]++; all++
  }
  END { for (k in n) printf "%6.1f%%  %6d  %s\n", 100 * n[k] / all, n[k], k; printf "%6s  %6d  samples of the gateway threads\n", "", all }' \
  | sort -rn > target/view-profile.body
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "machine: $(nproc) vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
  echo "view: $CONNECTIONS connections, ${SECONDS_EACH}s: $(grep -o '[0-9]* requests in [0-9.]*[a-z]*' <<< "$WRK"), $(grep 'Requests/sec' <<< "$WRK" | tr -s ' ')"
  echo "JFR execution samples of the gateway's threads (warm-up included), by the first frame outside the JDK:"
  cat target/view-profile.body
} | tee target/view-profile.txt
