#!/usr/bin/env bash
# The demo gateway's audit log checked by an independent RFC 9162 verifier (verify_tiles.py,
# written from the spec with Python's standard library): the verifier against the
# transparency-dev vectors first, then the demo's checkpoint, every hash tile, every leaf's
# inclusion, every entry bundle (with an IG lead's token) and a sample of the gateway's proofs.
#
#   ops/conformance/audit-tiles.sh          # needs ops/target/placeshare.jar (mvn package)
#
# Environment (optional): TILES_PORT, the demo gateway's port (default 18081).
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${TILES_PORT:-18081}
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/placeshare-tiles.XXXXXX")
DEMO_PID=""
cleanup() {
  if [ -n "$DEMO_PID" ] && kill -0 "$DEMO_PID" 2>/dev/null; then
    kill "$DEMO_PID" 2>/dev/null || true   # the demo stops gracefully on SIGTERM
    wait "$DEMO_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

python3 ops/conformance/verify_tiles.py --vectors gateway/src/test/resources/merkle

if [ ! -f ops/target/placeshare.jar ]; then
  mvn -q -DskipTests package
fi
DEMO="$WORK/demo"
java -jar ops/target/placeshare.jar demo --folder "$DEMO" --port "$PORT" >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 120); do
  if grep -q "Placeshare demo gateway on" "$WORK/demo.log" 2>/dev/null; then break; fi
  if ! kill -0 "$DEMO_PID" 2>/dev/null; then cat "$WORK/demo.log" >&2; echo "the demo did not start" >&2; exit 1; fi
  sleep 1
done
grep -q "Placeshare demo gateway on" "$WORK/demo.log" || { cat "$WORK/demo.log" >&2; echo "the demo did not start in 120 s" >&2; exit 1; }

token() {
  java -jar ops/target/placeshare.jar token --client "$1" --purpose HOPERAT \
    --folder "$DEMO" --gateway "$BASE" | tail -1
}
PLACESHARE_TOKEN=$(token council-intel)
PLACESHARE_IG_TOKEN=$(token ig-console)
export PLACESHARE_TOKEN PLACESHARE_IG_TOKEN
sleep 2   # a checkpoint is signed each second while events arrive: let one cover the demo's
python3 ops/conformance/verify_tiles.py "$BASE"
