#!/usr/bin/env bash
# Sourced by the harnesses (load.sh, cohort-export.sh): cpu_ticks, with DEMO the demo's process id.
# CPU of the demo JVM by kind of thread, and of its PostgreSQL, in clock ticks (user + system):
#   gateway  vert.x threads: event loops (HTTP, the PostgreSQL client, the source clients) and
#            workers (FHIR parsing, obligations, serialising), vertx-blocked-thread-checker;
#   sources  the synthetic sources' Jetty pools (qtp*, Scheduler-*) and the JDK HTTP servers
#            (HTTP-Dispatcher, idle-timeout-task) of the demo's receivers;
#   jvm      GC, JIT compilers and VM threads, which serve both and cannot be split by thread;
#   other    the rest (the demo's JDK HTTP clients, main), idle under load;
#   total    the process (/proc/PID/stat), which also holds threads that ended in the run;
#   pg       the embedded PostgreSQL: the postmaster and its children, and the children it reaped.
# Sound because Linux accounts CPU per thread (/proc/PID/task/TID/stat): a thread's ticks are its
# own, whatever the other threads of the process do. Tick resolution is 10 ms; a 20 s run at a
# few hundred views/s spends thousands of ticks.
cpu_ticks() {
  local threads total pg
  # comm may hold spaces ("GC Thread#0"): the fields are counted from the ") " after it.
  threads=$(cat /proc/$DEMO/task/*/stat 2>/dev/null |
    awk '{ c = $0; sub(/^[0-9]+ \(/, "", c); sub(/\) [A-Za-z] .*$/, "", c)
      r = $0; sub(/^.*\) /, "", r); split(r, f, " "); t = f[12] + f[13]
      if (c ~ /^vert\.?x/) g += t
      else if (c ~ /^(qtp|Scheduler-|HTTP-Dispatcher|idle-timeout)/) s += t
      else if (c ~ /^(GC Thread|G1 |C1 Compiler|C2 Compiler|VM |Sweeper|Monitor Deflat|Service Thread|Common-Cleaner|Reference Handl|Finalizer|Signal Dispatch|Notification Th)/) j += t
      else o += t }
      END { print g + 0, s + 0, j + 0, o + 0 }')
  total=$(sed -E 's/^.*\) //' "/proc/$DEMO/stat" | awk '{ print $12 + $13 }')
  # The postmaster is the demo's child named postgres; its children are the backends and workers.
  pg=$(cat /proc/[0-9]*/stat 2>/dev/null |
    awk -v demo="$DEMO" '{ pid = $1; c = $0; sub(/^[0-9]+ \(/, "", c); sub(/\) [A-Za-z] .*$/, "", c)
      r = $0; sub(/^.*\) /, "", r); split(r, f, " ")
      ppid[pid] = f[2]; comm[pid] = c; own[pid] = f[12] + f[13]; reaped[pid] = f[14] + f[15] }
      END { for (p in comm) if (comm[p] == "postgres" && ppid[p] == demo) pm = p
            t = own[pm] + reaped[pm]; for (p in ppid) if (ppid[p] == pm && pm != "") t += own[p]
            print t + 0 }')
  echo "$threads $total $pg"
}
