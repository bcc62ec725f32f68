#!/usr/bin/env python3
"""latency-probe.py - feed tetra-capture at a fixed rate and time probe
events through every stage until OpenSearch can find them.

Writes the corpus's lines to stdout (tetra-capture's stdin) at RATE lines
a second, in 10 ms slices (longer below 100 a second), for SECONDS; a
line fed again when the corpus runs out gets another node_name, so it is
another document.  Every PROBE_EVERY-th line is a probe: its node_name
becomes "probe-N" (tetra-sink indexes it as host.name), and the
wall-clock moment its line was flushed is noted.

Each probe is then stamped at every stage boundary, all in wall-clock
milliseconds on this machine:
  fed      the line was written to tetra-capture's stdin
  raw      its record's timestamp in the raw topic: when tetra-capture
           produced it (CreateTime, the topics' default)
  enriched the same in the enriched topic: when tetra-enrich produced it,
           so raw -> enriched is the producer's linger, the broker's
           append, enrich's fetch and its work
  found    when a search (no _refresh: what a user's search sees) first
           returned it; searched every 50 ms.  enriched -> found is the
           linger, the broker, tetra-sink's fetch, its bulk linger, the
           _bulk request and the index's refresh (the test OpenSearch has
           no ingest processors to stamp the indexing itself; latency.sh
           reports the _bulk and refresh times from the index's statistics)
The two topics are read with kcat once the probes are found, not while the
pipeline runs: two more live consumers cost the single broker about 0.2 of
a core at 5,000 events/s, on a machine the pipeline already fills, and
were measured as the pipeline's own latency (any payload holding "probe-N"
is that probe's record).  After the feed it waits up to GRACE seconds for
stragglers (a probe not found by then counts as slower than any found, so
a rate the pipeline cannot keep up with shows as ">90s"), then writes one JSON object to RESULT-FILE: probes sent and
found, p50/p99/max of the whole latency and of each stage, and the rate
achieved; RESULT-FILE.tsv has one line per probe.

Before the measured feed, WARMUP lines (default 0) are fed at 500 a second
and waited for until OpenSearch has them all (at most 180 s): the first
documents of a new index map its fields, one cluster-state update per new
field, which stalls _bulk requests for tens of seconds on a busy machine
and would be measured as the pipeline's steady latency.  The warm-up's
own time to searchable is reported as warmup_s.

usage: latency-probe.py CORPUS OPENSEARCH_URL INDEX_PATTERN RATE SECONDS RESULT-FILE [WARMUP]
       latency-probe.py --stages RESULT-FILE BROKERS RAW_TOPIC ENRICHED_TOPIC
"""
import json, re, subprocess, sys, threading, time, urllib.request

PROBE_EVERY, SLICE, POLL, GRACE = 25, 0.01, 0.05, 90.0
PROBE = re.compile(rb"probe-(\d+)")
STAGES = [("capture", "fed", "raw"), ("enrich", "raw", "enriched"), ("sink", "enriched", "found")]


def search(url, pattern, names):
    body = json.dumps({"size": len(names), "_source": ["host.name"],
                       "query": {"terms": {"host.name": names}}}).encode()
    req = urllib.request.Request("%s/%s/_search?ignore_unavailable=true&allow_no_indices=true" % (url, pattern),
                                 data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        hits = json.load(r).get("hits", {}).get("hits", [])
    return [h["_source"] for h in hits]


class Probes:
    def __init__(self):
        self.lock = threading.Lock()
        self.t = {}          # name -> {stage: ms}

    def stamp(self, name, stage, ms):
        with self.lock:
            self.t.setdefault(name, {}).setdefault(stage, ms)

    def waiting(self):
        with self.lock:
            return [n for n, s in self.t.items() if "fed" in s and "found" not in s]


def poll(url, pattern, probes, done):
    while True:
        waiting = probes.waiting()
        if not waiting and done.is_set():
            return
        if waiting:
            try:
                got = search(url, pattern, waiting[:2000])
            except Exception as e:  # a busy cluster may refuse one poll
                print("latency-probe: search: %s" % e, file=sys.stderr)
                got = []
            now = time.time() * 1000
            for src in got:
                name = src["host"]["name"]
                probes.stamp(name, "found", now)
        if done.is_set() and time.monotonic() > done.deadline:
            return
        time.sleep(POLL)


def read_topic(brokers, topic, stage, probes):
    """Every record of topic up to its end, as "<timestamp> <4-byte
    length><payload>"; a probe's record stamps it with its CreateTime."""
    p = subprocess.Popen(["kcat", "-C", "-q", "-e", "-b", brokers, "-t", topic, "-o", "beginning",
                          "-f", "%T %R%s"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout
    try:
        while True:
            ts = b""
            while True:
                c = out.read(1)
                if not c:
                    return
                if c == b" ":
                    break
                ts += c
            n = int.from_bytes(out.read(4), "big", signed=True)
            payload = out.read(n) if n > 0 else b""
            m = PROBE.search(payload)
            if m:
                name = m.group(0).decode()
                probes.stamp(name, stage, int(ts))
    finally:
        p.kill()
        p.wait()


def count(url, pattern):
    req = urllib.request.Request("%s/%s/_count?ignore_unavailable=true&allow_no_indices=true" % (url, pattern))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r).get("count", 0)
    except Exception:
        return 0


def warm_up(out, lines, n, url, pattern):
    """Feed lines[-n:] at 500 a second, then wait until all are indexed."""
    start = time.monotonic()
    for k in range(0, n, 5):
        out.write(("\n".join(lines[-n + k:][:5]) + "\n").encode())
        out.flush()
        time.sleep(0.01)
    while count(url, pattern) < n and time.monotonic() - start < 180:
        time.sleep(0.5)
    return round(time.monotonic() - start, 1)


def pct(xs, q):
    """The q-quantile of sorted xs; a probe never found counts as longer
    than any found (">Ns", N the grace after the feed)."""
    if not xs:
        return None
    v = xs[min(len(xs) - 1, int(len(xs) * q))]
    return ">%ds" % GRACE if v == float("inf") else round(v)


def summary(vals):
    vals = sorted(vals)
    return {"n": len(vals), "p50_ms": pct(vals, 0.5), "p99_ms": pct(vals, 0.99),
            "max_ms": pct(vals, 1.0)}


def main():
    corpus, url, pattern, rate, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    result = sys.argv[6]
    lines = [l for l in open(corpus, encoding="utf-8").read().splitlines() if l]
    probes, done = Probes(), threading.Event()
    done.deadline = float("inf")
    threading.Thread(target=poll, args=(url, pattern, probes, done), daemon=True).start()
    out = sys.stdout.buffer
    warm = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    warm = min(warm, len(lines) // 2)
    warmup_s = warm_up(out, lines, warm, url, pattern) if warm else 0
    lines = lines[:len(lines) - warm]   # the measured feed never repeats a warm-up line
    per_slice = max(1, round(rate * SLICE))
    slice_s = per_slice / rate            # so a low rate is not rounded up to 100 a second
    start = time.monotonic()
    wall0 = time.time()
    i = slices = 0
    while time.monotonic() - start < seconds:
        chunk, names = [], []
        for _ in range(per_slice):
            line = lines[i % len(lines)]
            if i >= len(lines):   # a repeat of the corpus: another node, so another document
                line = line.replace('"node_name":"', '"node_name":"r%d-' % (i // len(lines)), 1)
            if i % PROBE_EVERY == 0:
                ev = json.loads(line)
                ev["node_name"] = "probe-%d" % i
                line = json.dumps(ev, separators=(",", ":"))
                names.append(ev["node_name"])
            chunk.append(line)
            i += 1
        out.write(("\n".join(chunk) + "\n").encode())
        out.flush()
        now = time.time() * 1000
        for n in names:
            probes.stamp(n, "fed", now)
        slices += 1
        delay = start + slices * slice_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    elapsed = time.monotonic() - start
    out.close()
    done.deadline = time.monotonic() + GRACE
    done.set()
    while probes.waiting() and time.monotonic() < done.deadline:
        time.sleep(0.2)
    with probes.lock:
        t = {n: dict(s) for n, s in probes.t.items() if "fed" in s}
    total = [s["found"] - s["fed"] if "found" in s else float("inf") for s in t.values()]
    res = {"events": i, "rate": round(i / elapsed), "probes": len(t),
           "found": sum(1 for s in t.values() if "found" in s),
           "warmup_s": warmup_s, "wall0": wall0, "stamps": t}
    res.update(summary(total))
    with open(result, "w") as f:
        json.dump(res, f)


def stages(result, brokers, raw_topic, enriched_topic):
    """Second step, once latency.sh has taken the CPU figures: stamp the
    probes from the two topics and add the per-stage figures."""
    with open(result) as f:
        res = json.load(f)
    probes = Probes()
    probes.t = res.pop("stamps")
    wall0 = res.pop("wall0")
    for topic, stage in ((raw_topic, "raw"), (enriched_topic, "enriched")):
        read_topic(brokers, topic, stage, probes)
    t = probes.t
    res["stages"] = {name: summary([s[b] - s[a] for s in t.values() if a in s and b in s])
                     for name, a, b in STAGES}
    with open(result + ".tsv", "w") as f:   # per probe, in feed order: seconds into the feed, stage stamps
        f.write("at_s\t" + "\t".join(st for st, _, _ in STAGES) + "\ttotal\n")
        for s in sorted(t.values(), key=lambda s: s["fed"]):
            cells = ["%.0f" % (s[b] - s[a]) if a in s and b in s else "-" for _, a, b in STAGES]
            tot = "%.0f" % (s["found"] - s["fed"]) if "found" in s else "-"
            f.write("%.3f\t%s\t%s\n" % ((s["fed"] / 1000 - wall0), "\t".join(cells), tot))
    with open(result, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--stages"]:
        stages(*sys.argv[2:6])
    else:
        main()
