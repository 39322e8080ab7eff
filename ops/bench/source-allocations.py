"""Sums a JFR recording's allocation samples (jdk.ObjectAllocationSample, as `jfr print --json`
prints them) of the gateway's threads (vert.x event loops and workers) by the part of the source
request path their stack passes through, per view. A sample's weight is the bytes it stands for:
the bytes the thread allocated since its last sample, so one sample after a long gap can weigh
hundreds of MB. Both the weights and the samples' count are printed: a part seen in a handful of
samples is below what the recording can tell apart.
Used by source-connections.sh (ALLOCATIONS=1). Usage: source-allocations.py RECORDING.json VIEWS"""
import collections
import json
import sys

# The first part whose frame is on the stack names the allocation (most specific first).
PARTS = [
    ("FhirRestSource.parseBundle", "a source's reply parsed (HAPI, FhirRestSource.parseBundle)"),
    ("MappedSource.map", "a mapped source's reply mapped (MappedSource.map)"),
    ("CappedBody.", "a source's reply body gathered (CappedBody)"),
    ("FhirRestSource.once", "a source request made (FhirRestSource.once: options, headers, URI, request)"),
    ("MappedSource.lookup", "a source request made (MappedSource.lookup)"),
    ("FhirRestSource.", "a source's searches planned and paged (FhirRestSource)"),
    ("io.vertx.core.http.impl.", "Vert.x HTTP (the gateway's server and its source clients)"),
]


def frames(event):
    trace = event["values"].get("stackTrace") or {}
    out = []
    for f in trace.get("frames", []):
        m = f["method"]
        out.append(m["type"]["name"].replace("/", ".") + "." + m["name"])
    return out


def max_weight(events):
    return max((e["values"]["weight"] for e in events), default=0)


def main():
    events = json.load(open(sys.argv[1]))["recording"]["events"]
    views = float(sys.argv[2])
    total = 0
    samples = 0
    parts = collections.Counter()
    counts = collections.Counter()
    made = collections.Counter()
    for e in events:
        thread = e["values"].get("eventThread") or {}
        name = thread.get("javaName") or thread.get("osName") or ""
        if "vert.x" not in name and "vertx" not in name:
            continue
        weight = e["values"]["weight"]
        total += weight
        samples += 1
        stack = frames(e)
        text = " ".join(stack)
        part = next((p for key, p in PARTS if key in text), "the rest of the view")
        parts[part] += weight
        counts[part] += 1
        if part.startswith("a source request made"):
            # What was allocated, and by which frame under the gateway's own.
            for i, f in enumerate(stack):
                if f.startswith("org.placeshare"):
                    made[e["values"]["objectClass"]["name"] + " in " + " <- ".join(stack[max(0, i - 2): i + 1])] += weight
                    break
    print("gateway threads allocated %.0f MB, %.1f kB a view (%d views), in %d samples (the heaviest %.0f MB)"
          % (total / 1e6, total / 1e3 / views, views, samples, max_weight(events) / 1e6))
    print("by weight             by samples")
    for part, weight in parts.most_common():
        print("%6.2f%%  %9.2f kB a view  %5d (%5.2f%%)  %s" % (100 * weight / total, weight / 1e3 / views, counts[part], 100 * counts[part] / samples, part))
    print("the largest allocations of making a source request:")
    for what, weight in made.most_common(6):
        print("  %6.3f%%  %7.2f kB a view  %s" % (100 * weight / total, weight / 1e3 / views, what))


main()
