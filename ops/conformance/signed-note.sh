#!/usr/bin/env bash
# Signed-note conformance: the demo gateway's audit checkpoint (GET /audit/checkpoint, a C2SP
# tlog-checkpoint signed note) checked by Go's own golang.org/x/mod/sumdb/note, independent of the
# gateway's Java code, with the verifier key the demo writes (keys/audit-note.vkey). Fails if the
# note does not verify, or is not a well-formed checkpoint whose origin is the key's name.
#
#   ops/conformance/signed-note.sh      # needs ops/target/placeshare.jar (mvn package), go, and
#                                       # Debian's golang-golang-x-mod-dev (.ci/run installs both)
#
# The checkpoint is also checked for the cosignatures (C2SP tlog-cosignature cosignature/v1) of the
# demo's two partner witnesses, with their verifier keys (keys/witness-*.vkey), by the same Go
# program written from the spec with crypto/ed25519 (Go's note package ignores cosignatures).
#
# Built offline in GOPATH mode against the Debian package's source in /usr/share/gocode: no module
# download. Environment (optional): NOTE_PORT, the demo's port (default 18090).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
NOTE_PORT=${NOTE_PORT:-18090}
BASE="http://127.0.0.1:$NOTE_PORT"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/placeshare-note.XXXXXX")
DEMO_PID=""
cleanup() {
  if [ -n "$DEMO_PID" ] && kill -0 "$DEMO_PID" 2>/dev/null; then
    kill "$DEMO_PID" 2>/dev/null || true   # the demo stops gracefully on SIGTERM
    wait "$DEMO_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- the Go verifier, against Debian's x/mod (GOPATH mode: nothing fetched) ---
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/note ] \
  || { echo "signed-note: golang-golang-x-mod-dev is not installed" >&2; exit 1; }
(
  cd ops/conformance/note-verify
  GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off GOCACHE="$WORK/gocache" \
    go build -o "$WORK/note-verify" .
)

# --- the demo gateway ---
DEMO="$WORK/demo"
java -jar ops/target/placeshare.jar demo --folder "$DEMO" --port "$NOTE_PORT" >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 120); do
  if grep -q "Placeshare demo gateway on" "$WORK/demo.log" 2>/dev/null; then break; fi
  if ! kill -0 "$DEMO_PID" 2>/dev/null; then cat "$WORK/demo.log" >&2; echo "the demo did not start" >&2; exit 1; fi
  sleep 1
done
grep -q "Placeshare demo gateway on" "$WORK/demo.log" || { cat "$WORK/demo.log" >&2; echo "the demo did not start in 120 s" >&2; exit 1; }

# An unauthenticated read of the audit API is refused and audited: the log grows, and the
# gateway signs a checkpoint within a second or so.
curl -s -o /dev/null "$BASE/audit/events" || true
status=""
for _ in $(seq 1 30); do
  status=$(curl -s -o "$WORK/checkpoint" -w '%{http_code}' "$BASE/audit/checkpoint" || true)
  [ "$status" = "200" ] && break
  sleep 1
done
[ "$status" = "200" ] || { echo "signed-note: GET /audit/checkpoint answered $status" >&2; cat "$WORK/checkpoint" >&2 || true; exit 1; }

echo "signed-note: checkpoint from $BASE/audit/checkpoint:"
sed 's/^/  /' "$WORK/checkpoint"
echo "signed-note: verifier key $(cat "$DEMO/keys/audit-note.vkey")"
WITNESSES=(-witness "$DEMO/keys/witness-gpfed.vkey" -witness "$DEMO/keys/witness-council.vkey")
if "$WORK/note-verify" -keyfile "$DEMO/keys/audit-note.vkey" "${WITNESSES[@]}" -quorum 2 "$WORK/checkpoint"; then
  # A tampered copy must fail: the check is not one that passes whatever it is given.
  sed '2s/^\([0-9]*\)$/\19/' "$WORK/checkpoint" >"$WORK/tampered"
  if "$WORK/note-verify" -keyfile "$DEMO/keys/audit-note.vkey" "$WORK/tampered" 2>/dev/null; then
    echo "signed-note: a tampered checkpoint verified" >&2
    exit 1
  fi
  # A cosignature moved to another time must fail too: the witnesses' words are checked, not counted.
  # Base64 characters 9 to 12 of the line hold bytes 6 to 8: the timestamp's, zeroed here.
  sed '/witness\.gpfed/ s/ \([A-Za-z0-9+\/]\{8\}\)[A-Za-z0-9+\/]\{4\}/ \1AAAA/' "$WORK/checkpoint" >"$WORK/forged"
  if cmp -s "$WORK/checkpoint" "$WORK/forged" \
    || "$WORK/note-verify" -keyfile "$DEMO/keys/audit-note.vkey" "${WITNESSES[@]}" "$WORK/forged" 2>/dev/null; then
    echo "signed-note: a forged cosignature verified" >&2
    exit 1
  fi
  echo "signed-note: the demo's checkpoint verifies with Go's note package, and both witnesses' cosignatures verify; a tampered copy and a forged cosignature do not"
else
  echo "signed-note: the demo's checkpoint does not verify with Go's note package" >&2
  exit 1
fi
