#!/usr/bin/env python3
"""gen-events.py - write N realistic Tetragon events as JSON lines.

The benchmarks and the soak tests need a large corpus that looks like a
busy cluster, not one event copied 100,000 times: templates come from the
real samples and our fixtures, and every copy gets its own pids, exec ids,
pod names, timestamps and arguments, so caches and dictionaries in the
programs under test see realistic variety. Deterministic for a given seed.

usage: gen-events.py N [--seed S] [--samples DIR] [--fixtures DIR] > corpus.jsonl
"""
import argparse, base64, json, os, random, sys

def load(dirs):
    out = []
    for d in dirs:
        if not d or not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith((".json", ".jsonl")):
                continue
            text = open(os.path.join(d, name), encoding="utf-8").read()
            dec, i = json.JSONDecoder(), 0
            while i < len(text):
                while i < len(text) and text[i].isspace():
                    i += 1
                if i >= len(text):
                    break
                obj, i = dec.raw_decode(text, i)
                out.append(obj)
    return out

NS = ["default", "payments", "frontend", "kube-system", "monitoring", "batch", "auth", "search"]
WL = ["api", "worker", "web", "cron-report", "ingest", "cache", "gateway", "scheduler"]
BIN = ["/usr/bin/curl", "/bin/sh", "/usr/bin/python3", "/usr/local/bin/app", "/usr/bin/cat",
       "/usr/sbin/nginx", "/usr/bin/git", "/bin/bash", "/usr/bin/ls", "/usr/bin/java"]

def mutate(ev, rnd, i, t0):
    kind = next((k for k in ev if k.startswith("process_") or k in ("test", "rate_limit_info")), None)
    body = ev.get(kind) if kind else None
    ns, wl = rnd.choice(NS), rnd.choice(WL)
    pod = "%s-%s-%s" % (wl, "".join(rnd.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(10)),
                         "".join(rnd.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5)))
    node = "node-%02d" % rnd.randrange(20)
    ts = t0 + i * 0.0007 + rnd.random() * 0.0005
    sec = int(ts)
    stamp = "2026-11-%02dT%02d:%02d:%02d.%09dZ" % (1 + sec // 86400 % 28, sec // 3600 % 24,
                                                    sec // 60 % 60, sec % 60, int((ts - sec) * 1e9))
    ev["time"] = stamp
    ev["node_name"] = node
    if isinstance(body, dict):
        for key in ("process", "parent"):
            p = body.get(key)
            if not isinstance(p, dict):
                continue
            pid = rnd.randrange(2, 4000000)
            p["pid"] = pid
            p["exec_id"] = base64.b64encode(("%s:%d:%d" % (node, rnd.randrange(10**13), pid)).encode()).decode()
            if key == "process" and rnd.random() < 0.5:
                p["binary"] = rnd.choice(BIN)
                p["arguments"] = "--id %d --path /tmp/job-%06d --url https://svc.%s.svc:8443/v1/items/%d" % (
                    rnd.randrange(10**6), rnd.randrange(10**6), ns, rnd.randrange(10**4))
            p["start_time"] = stamp
            pd = p.get("pod")
            if isinstance(pd, dict):
                pd["namespace"], pd["name"], pd["workload"] = ns, pod, wl
                c = pd.get("container")
                if isinstance(c, dict):
                    c["id"] = "containerd://" + "%064x" % rnd.getrandbits(256)
    return ev

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--samples", default=os.path.join(here, "..", "..", "shared", "samples", "tetragon"))
    ap.add_argument("--fixtures", default=os.path.join(here, "..", "tests", "fixtures", "kinds"))
    a = ap.parse_args()
    tmpl = load([a.samples, a.fixtures])
    if not tmpl:
        sys.exit("gen-events.py: no templates found in %s or %s" % (a.samples, a.fixtures))
    # Weight like a real cluster: mostly exec/exit, some kprobes.
    weighted = []
    for t in tmpl:
        w = 6 if ("process_exec" in t or "process_exit" in t) else 2 if "process_kprobe" in t else 1
        weighted += [t] * w
    rnd = random.Random(a.seed)
    out = sys.stdout
    for i in range(a.n):
        ev = mutate(json.loads(json.dumps(rnd.choice(weighted))), rnd, i, 1764000000.0)
        out.write(json.dumps(ev, separators=(",", ":")) + "\n")

if __name__ == "__main__":
    main()
