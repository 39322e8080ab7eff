#!/usr/bin/env bash
# FHIR Bulk Data conformance: the SMART Bulk Data test suite (bdt v2.0.0, ../shared/tools/bdt)
# against the demo gateway, authenticated as SMART Backend Services with the demo's registered
# system client, as any standard client would. Fails on any failed bdt test. Tests that do not
# apply to Placeshare are listed in NOT_APPLICABLE below, each with its reason.
#
#   ops/conformance/bulk-data.sh            # needs ops/target/placeshare.jar (mvn package)
#
# Environment (all optional):
#   BDT_SRC        the suite (default ../shared/tools/bdt; read-only: it is copied first)
#   BDT_CACHE      a folder keeping installed node_modules between runs, keyed by the lockfile
#   BDT_PORT       the demo gateway's port (default 18080)
#   BDT_CLIENT     the SMART system client registered in the demo (default council-bi)
#   BDT_KEY        its private key as a JWK file (default: the demo folder's keys/clients/$BDT_CLIENT.private.jwk.json)
#   BDT_REPORT     where to keep bdt's own report (its json reporter's events, one per line)
#   BDT_AUTH       backend-services (default), or demo-token: bdt's authentication off and a
#                  token of the demo's council-intel client (analyst, PUBHLTH), got with the
#                  `token` command, sent as a custom Authorization header. Only for seeing which
#                  non-authorisation checks pass before the SMART client exists; it skips bdt's
#                  authorisation tests, so it is never the conformance verdict.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ -z "${BDT_SRC:-}" ]; then
  # Beside the clone (../shared), beside the folder of worktrees (../../shared), or beside the
  # repository this one was cloned from (a check clone in /tmp of a checkout beside ../shared).
  BDT_SRC=$ROOT/../shared/tools/bdt
  [ -d "$BDT_SRC" ] || BDT_SRC=$ROOT/../../shared/tools/bdt
  ORIGIN=$(git -C "$ROOT" remote get-url origin 2>/dev/null || true)
  if [ ! -d "$BDT_SRC" ] && [ -d "$ORIGIN" ]; then BDT_SRC=$ORIGIN/../shared/tools/bdt; fi
  [ -d "$BDT_SRC" ] || { echo "bdt: no suite at ../shared/tools/bdt (set BDT_SRC)" >&2; exit 1; }
fi
BDT_PORT=${BDT_PORT:-18080}
BDT_CLIENT=${BDT_CLIENT:-council-bi}
BDT_AUTH=${BDT_AUTH:-backend-services}
BASE="http://127.0.0.1:$BDT_PORT"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/placeshare-bdt.XXXXXX")
DEMO_PID=""
cleanup() {
  if [ -n "$DEMO_PID" ] && kill -0 "$DEMO_PID" 2>/dev/null; then
    kill "$DEMO_PID" 2>/dev/null || true   # the demo stops gracefully on SIGTERM
    wait "$DEMO_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Tests that do not apply, by bdt test id (`bin.js list`), each with why. Anything else
# that does not succeed fails the run.
# (System-level export is not offered: every export is of people the recipient named, a Group or
# its cohorts for Patient/$export. bdt reads that from the CapabilityStatement and marks those
# tests not-supported itself, so they need no entry here.)
declare -A NOT_APPLICABLE=(
  # The patient parameter is refused (400) however lenient the client: Placeshare exports the
  # people of registered Groups, and a Group of the people wanted is the way to narrow one.
  [20129-supports-the-patient-parameter-via-the-patient-export-endpoint]="patient parameter refused by design: register a Group of those people"
  [204-can-start-an-export-with-patient-parameter]="patient parameter refused by design: register a Group of those people"
  [22129-supports-the-patient-parameter-via-the-group-export-endpoint]="patient parameter refused by design: register a Group of those people"
  [224-can-start-an-export-with-patient-parameter]="patient parameter refused by design: register a Group of those people"
  # Accept on the kick-off: "If omitted, the server MAY return an error or MAY process the
  # request as if application/fhir+json was supplied" (Bulk Data v2). Placeshare does the latter
  # (its CLI and clients send none); any other Accept is 406. bdt insists on the former.
  [2000-requires-accept-header]="Accept is optional in Bulk Data v2; omitted, it is taken as application/fhir+json"
  [2001-requires-accept-header-in-post-requests]="Accept is optional in Bulk Data v2; omitted, it is taken as application/fhir+json"
  [2200-requires-accept-header]="Accept is optional in Bulk Data v2; omitted, it is taken as application/fhir+json"
  [2201-requires-accept-header-in-post-requests]="Accept is optional in Bulk Data v2; omitted, it is taken as application/fhir+json"
  # includeAssociatedData is not supported: refused under strict handling (the default), ignored
  # under lenient, as bdt's own 20119/22119 require (and pass). These two send it without
  # handling=lenient and expect the kick-off to succeed, contradicting 20119.
  [20120-accepts-multiple-includeassociateddata-values-as-comma-separated-list]="contradicts 20119: unsupported includeAssociatedData is refused without handling=lenient"
  [20121-accepts-multiple-includeassociateddata-parameters]="contradicts 20119: unsupported includeAssociatedData is refused without handling=lenient"
  [22120-accepts-multiple-includeassociateddata-values-as-comma-separated-list]="contradicts 22119: unsupported includeAssociatedData is refused without handling=lenient"
  [22121-accepts-multiple-includeassociateddata-parameters]="contradicts 22119: unsupported includeAssociatedData is refused without handling=lenient"
  # bdt sends one client assertion (one jti) several times within each of these tests; SMART
  # Backend Services requires a server to refuse a jti it has seen (the gateway does:
  # SmartBackendServicesTest.token_replayedJti_isRefused), so the second request is invalid_client.
  # The scope rules they check are tested in SmartBackendServicesTest (wildcards granted in the
  # form asked, .* as .read, cruds as rs, mutation-only scopes invalid_scope).
  [0315-handles-v1-scopes-correctly]="reuses one assertion jti, which SMART requires the server to refuse"
  [0316-handles-v2-scopes-correctly]="reuses one assertion jti, which SMART requires the server to refuse"
  [0325-rejects-explicit-mutation-v2-scopes]="reuses one assertion jti, which SMART requires the server to refuse"
  # Granted scopes are what was asked narrowed to the types the client's agreements release
  # (RFC 6749 3.3 lets a server grant less; issue 20 asks for it); none releases Observation to
  # the council's BI tool, and bdt requires both of its mixed scopes granted.
  [0324-supports-mixed-v1-and-v2-scopes]="Observation is not released to this client by any agreement: the server grants less"
  # System-level export is not offered (every export is of people a recipient named); bdt looks
  # for a system-level operation named export in the CapabilityStatement.
  [302-check-if-export-operation-is-defined-in-the-capabilitystatement]="system-level export is not offered"
  # The Bulk Data v2 CapabilityStatement names the Patient and Group operations "export" (their
  # definitions patient-export and group-export), as the gateway's does; bdt looks for operations
  # named patient-export and group-export.
  [303-check-if-patient-export-operation-is-defined-in-the-capabilitystatement]="declared as Patient operation export (definition patient-export), as Bulk Data v2 names it"
  [304-check-if-group-export-operation-is-defined-in-the-capabilitystatement]="declared as Group operation export (definition group-export), as Bulk Data v2 names it"
  # A v2 manifest lists its error files as {type: OperationOutcome, url}, as output files are; the
  # lenient notes are in that file (BulkDataExportTest.kickOff_unknownParameterUnderLenient_...).
  # bdt looks for error[].resourceType, which no manifest entry has.
  [43-includes-lenient-errors-in-the-payload-errors-array]="bdt reads error[].resourceType; v2 manifest entries are {type, url} (the notes are in the error file)"
  # No export holds DocumentReference attachments: no source releases DocumentReference.
  [14-supports-binary-file-attachments-in-documentreference-resources]="no DocumentReference is released by any source"
)

# --- the suite, copied out of the read-only folder, its dependencies installed once ---
echo "bdt: copying $BDT_SRC"
mkdir -p "$WORK/bdt"
(cd "$BDT_SRC" && tar --exclude=./node_modules -cf - .) | (cd "$WORK/bdt" && tar -xf -)
LOCK_HASH=$(sha256sum "$WORK/bdt/package-lock.json" | cut -c1-16)
CACHE_DIR=${BDT_CACHE:+$BDT_CACHE/$LOCK_HASH}
if [ -d "$BDT_SRC/node_modules" ]; then
  cp -r "$BDT_SRC/node_modules" "$WORK/bdt/node_modules"
elif [ -n "$CACHE_DIR" ] && [ -d "$CACHE_DIR/node_modules" ]; then
  echo "bdt: dependencies from $CACHE_DIR"
  cp -r "$CACHE_DIR/node_modules" "$WORK/bdt/node_modules"
else
  (cd "$WORK/bdt" && npm ci --omit=dev --no-audit --no-fund)
  if [ -n "$CACHE_DIR" ]; then
    mkdir -p "$CACHE_DIR" && cp -r "$WORK/bdt/node_modules" "$CACHE_DIR/node_modules"
  fi
fi

# --- the demo gateway (the README's first command, on its own port and folder) ---
if [ ! -f ops/target/placeshare.jar ]; then
  mvn -q -DskipTests package
fi
DEMO="$WORK/demo"
java -jar ops/target/placeshare.jar demo --folder "$DEMO" --port "$BDT_PORT" >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 120); do
  if grep -q "Placeshare demo gateway on" "$WORK/demo.log" 2>/dev/null; then break; fi
  if ! kill -0 "$DEMO_PID" 2>/dev/null; then cat "$WORK/demo.log" >&2; echo "the demo did not start" >&2; exit 1; fi
  sleep 1
done
grep -q "Placeshare demo gateway on" "$WORK/demo.log" || { cat "$WORK/demo.log" >&2; echo "the demo did not start in 120 s" >&2; exit 1; }
echo "bdt: demo gateway on $BASE (folder $DEMO)"

# --- a cohort for the group-level tests, registered by this script: ten of the demo's people ---
head -10 "$DEMO/caseload.txt" | grep -v '^#' >"$WORK/bdt-cohort.txt"
GROUP=$(java -jar ops/target/placeshare.jar cohort register --file "$WORK/bdt-cohort.txt" \
  --name "bdt conformance" --gateway "$BASE" --folder "$DEMO")
echo "bdt: cohort Group/$GROUP registered"

# --- the bdt configuration ---
KEY=${BDT_KEY:-$DEMO/keys/clients/$BDT_CLIENT.private.jwk.json}
TOKEN=""
if [ "$BDT_AUTH" = "demo-token" ]; then
  TOKEN=$(java -jar ops/target/placeshare.jar token --client council-intel --purpose PUBHLTH \
    --folder "$DEMO" --gateway "$BASE" | tail -1)
fi
if [ "$BDT_AUTH" = "backend-services" ] && [ ! -f "$KEY" ]; then
  echo "no private JWK for the SMART client $BDT_CLIENT at $KEY (set BDT_KEY)" >&2
  exit 1
fi
CONFIG="$WORK/bdt-config.js"
node - "$CONFIG" "$BASE" "$GROUP" "$BDT_CLIENT" "$KEY" "$BDT_AUTH" "$TOKEN" <<'JS'
const fs = require("fs");
const [config, base, group, client, key, auth, token] = process.argv.slice(2);
const authentication =
  auth === "demo-token"
    ? { type: "none", optional: false }
    : {
        type: "backend-services",
        optional: false,
        tokenEndpoint: base + "/oauth2/token",
        clientId: client,
        privateKey: JSON.parse(fs.readFileSync(key, "utf8")), // an ES384 (P-384) private JWK
        scope: "system/*.read",
        tokenSignAlgorithm: "ES384",
        tokenExpiresIn: "5m",
        customTokenClaims: {},
        customTokenHeaders: {},
      };
fs.writeFileSync(
  config,
  "module.exports = " +
    JSON.stringify(
      {
        baseURL: base + "/fhir",
        systemExportEndpoint: "", // not offered: bdt reads the CapabilityStatement and skips
        patientExportEndpoint: "Patient/$export",
        groupExportEndpoint: "Group/" + group + "/$export",
        fastestResource: "Patient",
        authentication,
        requests: {
          strictSSL: true,
          timeout: 30000,
          customHeaders: auth === "demo-token" ? { Authorization: "Bearer " + token } : {},
        },
      },
      null,
      2
    ) +
    ";\n"
);
JS

# --- the run: the json reporter (one event per line) read for the verdict ---
set +e
node "$WORK/bdt/build/lib/bin.js" test --config "$CONFIG" --api-version 2.0.0 --reporter json \
  >"$WORK/bdt.jsonl" 2>"$WORK/bdt.err"
BDT_EXIT=$?
set -e
if [ -n "${BDT_REPORT:-}" ]; then cp "$WORK/bdt.jsonl" "$BDT_REPORT"; fi
NA=$(for name in "${!NOT_APPLICABLE[@]}"; do printf '%s\t%s\n' "$name" "${NOT_APPLICABLE[$name]}"; done)
VERDICT=0
NOT_APPLICABLE_TSV="$NA" node - "$WORK/bdt.jsonl" <<'JS' || VERDICT=$?
const fs = require("fs");
const notApplicable = new Map(
  (process.env.NOT_APPLICABLE_TSV || "").split("\n").filter(Boolean).map(l => l.split("\t"))
);
const counts = {};
const failed = [];
for (const line of fs.readFileSync(process.argv[2], "utf8").split("\n")) {
  let event;
  try { event = JSON.parse(line); } catch { continue; }
  if (event.type !== "testEnd") continue;
  const t = event.data, status = t.status;
  counts[status] = (counts[status] || 0) + 1;
  const why = notApplicable.get(t.id);
  const mark = status === "succeeded" ? "PASS" : why ? "N/A " : status === "failed" ? "FAIL" : status.toUpperCase();
  console.log(`${mark} ${t.path || ""} ${t.name}${why ? "  (" + why + ")" : ""}`);
  if (status === "failed" && !why) {
    failed.push(t);
    const error = t.error && (t.error.message || t.error);
    if (error) console.log("     " + String(error).split("\n")[0]);
  }
}
console.log("bdt: " + JSON.stringify(counts));
if (failed.length > 0 || Object.keys(counts).length === 0) {
  console.log(`bdt: ${failed.length} failed` + (Object.keys(counts).length === 0 ? " (no test ran)" : ""));
  process.exit(1);
}
JS
if [ "$BDT_EXIT" != "0" ] && [ -s "$WORK/bdt.err" ]; then head -20 "$WORK/bdt.err" >&2; fi
exit "$VERDICT"
