#!/usr/bin/env bash
# What the demo's embedded PostgreSQL waits on while load.sh runs (issue 22): samples
# pg_stat_activity every 100 ms over one psql session (one backend, not one a sample) and appends
# the active client backends as time|wait type|wait event|statement's first 40 characters.
# Start it beside load.sh, in the same folder, before the demo starts; it ends with the demo:
#   bash ops/bench/pg-waits.sh target/load-waits.txt & PORT=18400 bash ops/bench/load.sh
# Summarise with, for example:
#   grep -v '^#' target/load-waits.txt | cut -d'|' -f2- | sort | uniq -c | sort -rn | head
# Needs psql (Debian's postgresql-client). PORT as for load.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=$1
PORT=${PORT:-18180}
DB_PORT=""
PASSWORD_FILE=""
for _ in $(seq 2400); do
  DB_PORT=$(grep -ho 'embedded PostgreSQL ready on 127.0.0.1:[0-9]*' target/load-demo.err 2>/dev/null | grep -o '[0-9]*$' | tail -1)
  PASSWORD_FILE=$(find target/load-demo -name password 2>/dev/null | head -1)
  [ -n "$DB_PORT" ] && [ -n "$PASSWORD_FILE" ] && break
  sleep 0.5
done
[ -n "$DB_PORT" ] || { echo "the demo's PostgreSQL did not start" >&2; exit 1; }
PGPASSWORD=$(tr -d '\n' < "$PASSWORD_FILE")
export PGPASSWORD
echo "# embedded PostgreSQL on port $DB_PORT" > "$OUT"
DEMO=$(pgrep -f "placeshare.jar demo --folder target/load-demo --port $PORT" | head -1)
while kill -0 "$DEMO" 2>/dev/null; do
  echo "SELECT to_char(clock_timestamp(), 'HH24:MI:SS'), coalesce(wait_event_type, 'CPU'),"
  echo " coalesce(wait_event, '-'), left(regexp_replace(query, '\s+', ' ', 'g'), 40)"
  echo " FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend'"
  echo " AND pid <> pg_backend_pid();"
  sleep 0.1
done | psql -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres -At -F'|' -q >> "$OUT" 2>/dev/null
