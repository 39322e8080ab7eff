#!/usr/bin/env bash
# Sourced by the harnesses that start the demo and load one view (load.sh, pg-statements.sh,
# source-connections.sh, view-profile.sh).

# await_demo OUT PID SECONDS: waits for the demo's last printed line in OUT (tokens are minted as
# the lines go, so the last means all are there); fails with a reason if it does not come within
# SECONDS or the demo (PID) exits first.
await_demo() {
  local out=$1 pid=$2 seconds=$3
  for _ in $(seq $(( seconds * 2 ))); do
    grep -q "^Stop with Ctrl-C" "$out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  grep -q "^Stop with Ctrl-C" "$out" 2>/dev/null && return 0
  echo "the demo did not start within $seconds s, or exited: see ${out%.out}.err" >&2
  exit 1
}

# view_credentials OUT PORT: PERSON, AUTH, CONSENT and VIEW of the frailty team's consented view
# from the demo's printed lines. It reads all three sources (seven upstream requests); A&E's
# consented view (the first such line) reads no social care.
view_credentials() {
  local out=$1 port=$2 line
  PERSON=$(grep -o '/fhir/Patient/[0-9]\{10\}/' "$out" | head -1 | tr -dc 0-9)
  line=$(grep "^curl.*X-Consent-Token" "$out" | sed -n 2p)
  AUTH=$(echo "$line" | grep -o "Authorization: Bearer [^']*")
  CONSENT=$(echo "$line" | grep -o "X-Consent-Token: [^']*")
  VIEW="http://127.0.0.1:$port/fhir/Patient/$PERSON/\$everything"
}
