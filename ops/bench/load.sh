#!/usr/bin/env bash
# Load harness (a benchmark, not a test): builds, starts the demo (its synthetic sources and the
# gateway, embedded PostgreSQL), and drives them with wrk on loopback:
#   (a) a source directly: the GP FHIR server's patient search;
#   (b) the person-level view through the gateway: policy, a consent token, three sources, audit.
# Reports throughput, p50/p99 latency, the demo JVM's peak memory, and the ratio (b)/(a).
# Needs wrk (Debian package wrk). Usage: bash ops/bench/load.sh [SECONDS [CONNECTIONS]]
# Results: target/load.txt; record them in docs/benchmarks.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-20}
CONNECTIONS=${2:-32}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
mvn -q -B -DskipTests package
PORT=18180
FOLDER=target/load-demo
rm -rf "$FOLDER"
# The demo's per-client limit (600 a minute) would answer most of the load with 429: lift it.
export PLACESHARE_CLIENT_REQUESTS_PER_MINUTE=1000000
java -Xmx512m -jar ops/target/placeshare.jar demo --folder "$FOLDER" --port "$PORT" > target/load-demo.out 2> target/load-demo.err &
DEMO=$!
trap 'kill $DEMO 2>/dev/null || true' EXIT
# The printed lines come one by one (tokens are minted as they go): wait for the last.
for _ in $(seq 120); do grep -q "^Stop with Ctrl-C" target/load-demo.out 2>/dev/null && break; sleep 0.5; done

GP=$(grep -A2 "id: \"gp-y90001\"\|id: gp-y90001" "$FOLDER/gateway.yaml" | grep -o 'http://[^"]*' | head -1)
PERSON=$(grep -o '/fhir/Patient/[0-9]\{10\}/' target/load-demo.out | head -1 | tr -dc 0-9)
# The frailty team's consented view: the one that reads all three sources (seven upstream
# requests); A&E's consented view (the first such line) reads no social care.
CONSENT_LINE=$(grep "^curl.*X-Consent-Token" target/load-demo.out | sed -n 2p)
AUTH=$(echo "$CONSENT_LINE" | grep -o "Authorization: Bearer [^']*")
CONSENT=$(echo "$CONSENT_LINE" | grep -o "X-Consent-Token: [^']*")
VIEW="http://127.0.0.1:$PORT/fhir/Patient/$PERSON/\$everything"
SOURCE="$GP/Patient?identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C$PERSON"

# Warm up both paths (JIT, HAPI's context, connection pools). The view's code is large: after
# 5 s the JIT compiler still took half a core, and the first run measured it, not the gateway.
wrk -t2 -c8 -d5s "$SOURCE" > /dev/null
wrk -t2 -c8 -d30s -H "$AUTH" -H "$CONSENT" "$VIEW" > /dev/null

run() { wrk -t"$(( $1 < 2 ? $1 : 2 ))" -c"$1" -d"${SECONDS_EACH}s" --latency "${@:2}"; }
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
  echo "--- (a) source directly, $CONNECTIONS connections"
  run "$CONNECTIONS" "$SOURCE"
  echo "--- (b) person-level view through the gateway, $CONNECTIONS connections"
  run "$CONNECTIONS" -H "$AUTH" -H "$CONSENT" "$VIEW"
  # The aim is a p99 at half the maximum throughput: lighter loads, to find where that falls.
  for LIGHT in 1 2 4; do
    echo "--- (b) person-level view, $LIGHT connections (lighter load)"
    run "$LIGHT" -H "$AUTH" -H "$CONSENT" "$VIEW"
  done
  echo "--- demo JVM (gateway, three sources, embedded PostgreSQL client) peak resident memory"
  grep VmHWM "/proc/$DEMO/status"
} | tee target/load.txt
# A run with refusals or errors measured something else: say so, and fail.
if grep -q "Non-2xx" target/load.txt; then
  echo "some responses were not 2xx: these figures do not measure the view" >&2
  exit 1
fi
