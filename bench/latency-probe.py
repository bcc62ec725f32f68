#!/usr/bin/env python3
"""latency-probe.py - feed tetra-capture at a fixed rate and time probe
events until OpenSearch can find them.

Writes the corpus's lines to stdout (tetra-capture's stdin) at RATE lines
a second, in 10 ms slices, for SECONDS.  Every PROBE_EVERY-th line is a
probe: its node_name becomes "probe-N" (tetra-sink indexes it as
host.name), and the moment its line is flushed is noted.  A second
thread searches the index pattern every 50 ms for the probes still
outstanding (no _refresh: "searchable" means what a user's search sees)
and notes when each first appears.  After the feed ends it waits up to
GRACE seconds for stragglers, then writes one JSON object to RESULT-FILE: probes sent
and found, p50/p99/max latency in ms, and the rate achieved.

usage: latency-probe.py CORPUS OPENSEARCH_URL INDEX_PATTERN RATE SECONDS RESULT-FILE
"""
import json, sys, threading, time, urllib.request

PROBE_EVERY, SLICE, POLL, GRACE = 25, 0.01, 0.05, 90.0

def search(url, pattern, names):
    body = json.dumps({"size": len(names), "_source": ["host.name"],
                       "query": {"terms": {"host.name": names}}}).encode()
    req = urllib.request.Request("%s/%s/_search?ignore_unavailable=true&allow_no_indices=true" % (url, pattern),
                                 data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        hits = json.load(r).get("hits", {}).get("hits", [])
    return [h["_source"]["host"]["name"] for h in hits]

def poll(url, pattern, sent, found, lock, done):
    while True:
        with lock:
            waiting = [n for n in sent if n not in found]
        if not waiting and done.is_set():
            return
        if waiting:
            try:
                got = search(url, pattern, waiting[:2000])
            except Exception as e:  # a busy cluster may refuse one poll
                print("latency-probe: search: %s" % e, file=sys.stderr)
                got = []
            now = time.monotonic()
            with lock:
                for n in got:
                    found.setdefault(n, now)
        if done.is_set() and time.monotonic() > done.deadline:
            return
        time.sleep(POLL)

def main():
    corpus, url, pattern, rate, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    lines = [l for l in open(corpus, encoding="utf-8").read().splitlines() if l]
    sent, found, lock, done = {}, {}, threading.Lock(), threading.Event()
    done.deadline = float("inf")
    t = threading.Thread(target=poll, args=(url, pattern, sent, found, lock, done), daemon=True)
    t.start()
    out = sys.stdout.buffer
    per_slice = max(1, int(rate * SLICE))
    start = time.monotonic()
    i = slices = 0
    while time.monotonic() - start < seconds:
        chunk, probes = [], []
        for _ in range(per_slice):
            line = lines[i % len(lines)]
            if i % PROBE_EVERY == 0:
                ev = json.loads(line)
                ev["node_name"] = "probe-%d" % i
                line = json.dumps(ev, separators=(",", ":"))
                probes.append(ev["node_name"])
            chunk.append(line)
            i += 1
        out.write(("\n".join(chunk) + "\n").encode())
        out.flush()
        now = time.monotonic()
        with lock:
            for n in probes:
                sent[n] = now
        slices += 1
        delay = start + slices * SLICE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    elapsed = time.monotonic() - start
    out.close()
    done.deadline = time.monotonic() + GRACE
    done.set()
    t.join()
    lat = sorted((found[n] - sent[n]) * 1000 for n in sent if n in found)
    pick = lambda q: round(lat[min(len(lat) - 1, int(len(lat) * q))]) if lat else None
    with open(sys.argv[6] + ".tsv", "w") as f:   # per probe, in feed order: seconds into the feed, latency
        for n in sorted(sent, key=lambda n: sent[n]):
            f.write("%.3f\t%s\n" % (sent[n] - start, round((found[n] - sent[n]) * 1000) if n in found else "-"))
    with open(sys.argv[6], "w") as f:
        json.dump({"events": i, "rate": round(i / elapsed), "probes": len(sent), "found": len(lat),
                   "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": round(lat[-1]) if lat else None}, f)

if __name__ == "__main__":
    main()
