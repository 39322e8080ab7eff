#!/usr/bin/env bash
# Where the demo's PostgreSQL spends its CPU on the person view (issue 22), a benchmark, not a
# test: starts the demo (its three sources, the gateway, the embedded PostgreSQL), drives the
# frailty team's consented view (load.sh's (b)) with wrk at CONNECTIONS for SECONDS, RUNS times,
# and prints for each run the CPU per view from /proc (cpu_ticks: the gateway's threads, its
# PostgreSQL, the sources) and the load average.
# With STATEMENTS=1 the server first gets pg_stat_statements (shared_preload_libraries, set with
# ALTER SYSTEM and a restart of the demo, planning tracked too), reset before each run, and each
# run also prints per statement: calls per view, execution and planning time per view (ms), and
# the plans PostgreSQL built. The extension costs CPU itself: compare runs with it off.
#
# JAR=... runs another build (for before/after: copy a tree's ops/target/placeshare.jar aside).
# Needs wrk and psql (Debian's postgresql-client).
# Usage: [PORT=18180] [JAR=...] [STATEMENTS=1] bash ops/bench/pg-statements.sh [SECONDS [CONNECTIONS [RUNS]]]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-20}
CONNECTIONS=${2:-32}
RUNS=${3:-2}
PORT=${PORT:-18180}
STATEMENTS=${STATEMENTS:-0}
JAR=${JAR:-ops/target/placeshare.jar}
[ -f "$JAR" ] || mvn -q -B -DskipTests package
FOLDER=target/pg-statements-demo
rm -rf "$FOLDER"
mkdir -p target
# As load.sh: the demo's per-client limit would answer most of the load with 429.
export PLACESHARE_CLIENT_REQUESTS_PER_MINUTE=1000000

. ops/bench/demo.sh
DEMO=""
start_demo() {
  : > target/pg-statements-demo.out
  java -Xmx512m -jar "$JAR" demo --folder "$FOLDER" --port "$PORT" > target/pg-statements-demo.out 2> target/pg-statements-demo.err &
  DEMO=$!
  await_demo target/pg-statements-demo.out "$DEMO" 120
  DB_PORT=$(grep -o 'embedded PostgreSQL ready on 127.0.0.1:[0-9]*' target/pg-statements-demo.err | grep -o '[0-9]*$' | tail -1)
  PGPASSWORD=$(tr -d '\n' < "$(find "$FOLDER" -name password | head -1)")
  export PGPASSWORD
}
stop_demo() { kill "$DEMO" 2>/dev/null || true; wait "$DEMO" 2>/dev/null || true; }
trap stop_demo EXIT
sql() { psql -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres -At -q -v ON_ERROR_STOP=1 "$@"; }

start_demo
if [ "$STATEMENTS" = 1 ]; then
  sql -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" \
    -c "ALTER SYSTEM SET pg_stat_statements.track_planning = on" \
    -c "ALTER SYSTEM SET pg_stat_statements.max = 1000"
  stop_demo
  start_demo
  sql -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
fi

# load.sh's (b): the frailty team's consented view, which reads all three sources.
view_credentials target/pg-statements-demo.out "$PORT"

. ops/bench/cpu-ticks.sh
HZ=$(getconf CLK_TCK)
# The PostgreSQL processes' ticks by kind (the title each sets: client backend, walwriter,
# checkpointer, autovacuum worker, ...), as "kind ticks" lines; the postmaster's reaped children
# (backends and workers that ended) under "ended".
pg_kinds() {
  local pm
  pm=$(awk -v demo="$DEMO" '$4 == demo { print $1 }' /proc/[0-9]*/stat 2>/dev/null | while read -r p; do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = postgres ] && echo "$p"; done | head -1)
  [ -n "$pm" ] || return 0
  sed -E 's/^.*\) //' "/proc/$pm/stat" | awk '{ print "postmaster", $12 + $13; print "ended", $14 + $15 }'
  for p in $(awk -v pm="$pm" '{ r = $0; sub(/^.*\) /, "", r); split(r, f, " "); if (f[2] == pm) print $1 }' /proc/[0-9]*/stat 2>/dev/null); do
    kind=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | sed -E 's/^postgres: //; s/ +$//')
    case "$kind" in *"127.0.0.1("*) kind="client backend" ;; esac
    echo "$kind $(sed -E 's/^.*\) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')"
  done | awk '{ t = $NF; $NF = ""; sub(/ $/, ""); k[$0] += t } END { for (x in k) print x, k[x] }'
}
wrk -t2 -c8 -d30s -H "$AUTH" -H "$CONSENT" "$VIEW" > /dev/null

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ); jar: $JAR ($(sha256sum "$JAR" | cut -c1-12)); pg_stat_statements: $STATEMENTS"
  for RUN in $(seq "$RUNS"); do
    [ "$STATEMENTS" = 1 ] && sql -c "SELECT pg_stat_statements_reset()" > /dev/null
    LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
    KINDS_BEFORE=$(pg_kinds)
    BEFORE=$(cpu_ticks)
    OUT=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" -H "$AUTH" -H "$CONSENT" "$VIEW")
    AFTER=$(cpu_ticks)
    KINDS_AFTER=$(pg_kinds)
    VIEWS=$(grep -o '[0-9]* requests in' <<< "$OUT" | tr -dc 0-9)
    grep -q "Non-2xx" <<< "$OUT" && { echo "$OUT"; echo "some views were not 2xx" >&2; exit 1; }
    awk -v views="$VIEWS" -v hz="$HZ" -v before="$BEFORE" -v after="$AFTER" -v load="$LOAD" -v run="$RUN" \
      -v rate="$(grep -o 'Requests/sec: *[0-9.]*' <<< "$OUT" | tr -dc 0-9.)" 'BEGIN {
      split(before, b, " "); split(after, a, " ")
      for (i = 1; i <= 6; i++) d[i] = (a[i] - b[i]) * 1000 / hz / views
      printf "run %d (load average %s): %d views, %s views/s; CPU per view: its PostgreSQL %.2f ms, gateway threads %.2f ms, sources %.2f ms, JVM GC/JIT/VM %.2f ms\n",
        run, load, views, rate, d[6], d[1], d[2], d[3] }'
    # A kind's ticks per view; a process that ended in the run moves from its kind to "ended".
    printf '%s\n' "$KINDS_BEFORE" | sed 's/^/b /' | cat - <(printf '%s\n' "$KINDS_AFTER" | sed 's/^/a /') |
      awk -v views="$VIEWS" -v hz="$HZ" '{ w = $1; t = $NF; $1 = ""; $NF = ""; gsub(/^ +| +$/, ""); if (w == "a") d[$0] += t; else d[$0] -= t }
        END { printf "  PostgreSQL by process, ms per view:"; for (k in d) if (d[k] != 0) printf " %s %.3f;", k, d[k] * 1000 / hz / views; print "" }'
    if [ "$STATEMENTS" = 1 ]; then
      echo "  per view: calls, execution ms, planning ms, plans built; statement"
      sql -F' ' -c "SELECT to_char(sum(calls) / $VIEWS.0, 'FM990.00'), to_char(sum(total_exec_time) / $VIEWS, 'FM990.0000'),
          to_char(sum(total_plan_time) / $VIEWS, 'FM990.0000'), to_char(sum(plans) / $VIEWS.0, 'FM990.00'),
          left(regexp_replace(query, '\s+', ' ', 'g'), 90)
        FROM pg_stat_statements WHERE calls >= $VIEWS / 20 AND query NOT LIKE '%pg_stat_statements%'
        GROUP BY query ORDER BY sum(total_exec_time) + sum(total_plan_time) DESC LIMIT 25" | sed 's/^/  /'
      sql -F' ' -c "SELECT 'all statements: calls ' || to_char(sum(calls) / $VIEWS.0, 'FM990.00') || ', execution ' ||
          to_char(sum(total_exec_time) / $VIEWS, 'FM990.0000') || ' ms, planning ' || to_char(sum(total_plan_time) / $VIEWS, 'FM990.0000') ||
          ' ms, plans ' || to_char(sum(plans) / $VIEWS.0, 'FM990.00') || ' per view'
        FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'" | sed 's/^/  /'
    fi
  done
} | tee target/pg-statements.txt
