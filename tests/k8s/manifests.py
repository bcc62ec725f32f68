#!/usr/bin/env python3
"""manifests.py - reads rendered manifests for tests/k8s/20_manifests.sh.

The API server checks that every object is valid Kubernetes; it cannot know
what this project promises about its own objects: the three programs each
with probes on /healthz and /readyz, --metrics-addr on the metrics port,
requests and limits, a locked-down security context, secrets taken from
Secrets and never from argv, consumer groups for the replicas, --shard N
equal to the StatefulSet's replicas, and the Helm chart rendering the same
programs the same way as the kustomize base.  This script checks those on
the output of kubectl kustomize and helm template (multi-document YAML).

usage:
  manifests.py check FILE [--capture deployment|statefulset|none]
  manifests.py select FILE KIND...     print the documents of these kinds
  manifests.py same FILE1 FILE2        both render the same programs alike
exit: 0 ok, 1 a check failed (each failure on stderr), 2 usage
"""
import re
import sys

import yaml

METRICS_PORT = 9464
PROGRAMS = ("tetra-capture", "tetra-enrich", "tetra-sink")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
# Words that must never appear in an argument: a secret there is visible in
# ps, in the pod spec and in every log of the command line.
SECRET_ARG = re.compile(r"(password|passwd|api[-_]?key|secret|token)=", re.I)


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def containers_of(doc):
    """The containers of a workload that run one of our programs."""
    spec = doc["spec"]["template"]["spec"]
    for c in spec.get("containers", []):
        if any(c.get("command", [""])[0].endswith("/" + p) for p in PROGRAMS):
            yield spec, c


def program_of(container):
    return container["command"][0].rsplit("/", 1)[1]


class Checker:
    def __init__(self):
        self.failures = []

    def expect(self, cond, what):
        if not cond:
            self.failures.append(what)
        return cond

    def probes(self, where, c):
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = (c.get(kind) or {}).get("httpGet") or {}
            port = get.get("port")
            port = ports.get(port, port)
            self.expect(get.get("path") == path and port == METRICS_PORT,
                        f"{where}: {kind} is not GET {path} on port {METRICS_PORT}")
        self.expect(f"--metrics-addr=0.0.0.0:{METRICS_PORT}" in c.get("args", []),
                    f"{where}: no --metrics-addr=0.0.0.0:{METRICS_PORT}")

    def resources(self, where, c):
        r = c.get("resources") or {}
        for part in ("requests", "limits"):
            for res in ("cpu", "memory"):
                self.expect(res in (r.get(part) or {}), f"{where}: no {res} in resources.{part}")

    def security(self, where, pod, c, root_ok=False):
        sc, psc = c.get("securityContext") or {}, pod.get("securityContext") or {}
        self.expect(sc.get("readOnlyRootFilesystem") is True, f"{where}: root filesystem not read-only")
        self.expect(sc.get("allowPrivilegeEscalation") is False, f"{where}: privilege escalation allowed")
        self.expect((sc.get("capabilities") or {}).get("drop") == ["ALL"], f"{where}: capabilities not all dropped")
        self.expect(not (sc.get("capabilities") or {}).get("add"), f"{where}: capabilities added")
        seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
        self.expect(seccomp == "RuntimeDefault", f"{where}: seccomp profile is not RuntimeDefault")
        if not root_ok:
            non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
            uid = sc.get("runAsUser", psc.get("runAsUser"))
            self.expect(non_root is True and uid == 65532, f"{where}: not runAsNonRoot as UID 65532")

    def secrets(self, where, c):
        for a in c.get("args", []):
            self.expect(not SECRET_ARG.search(a), f"{where}: a secret in argv: {a}")
        for e in c.get("env", []):
            if re.search(r"PASSWORD|API_KEY|TOKEN", e["name"]):
                self.expect("secretKeyRef" in (e.get("valueFrom") or {}),
                            f"{where}: {e['name']} does not come from a Secret")

    def container(self, where, pod, c, root_ok=False):
        self.expect(c.get("image", "").split("/")[-1].split(":")[0] == "tetragonsidekick",
                    f"{where}: image is not tetragonsidekick")
        self.probes(where, c)
        self.resources(where, c)
        self.security(where, pod, c, root_ok)
        self.secrets(where, c)


def arg_value(c, name):
    for a in c.get("args", []):
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def env_ref(c, name):
    for e in c.get("env", []):
        if e["name"] == name:
            return e.get("valueFrom") or {"value": e.get("value")}
    return None


def check_pipeline(ck, docs, capture_kind):
    """The whole pipeline of the base or the chart."""
    kinds = {d["kind"] for d in docs}
    for k in ("ConfigMap", "Secret", "Service", "ServiceMonitor", "PodDisruptionBudget",
              "ServiceAccount", "Role", "RoleBinding"):
        ck.expect(k in kinds, f"no {k}")
    ck.expect("ClusterRole" not in kinds and "ClusterRoleBinding" not in kinds,
              "a cluster-wide role: tetra-capture needs one namespace only")
    found = {}
    for d in (d for d in docs if d["kind"] in WORKLOADS):
        for pod, c in containers_of(d):
            where = f"{d['kind']}/{d['metadata']['name']}"
            ck.container(where, pod, c)
            found[program_of(c)] = (d, pod, c)
    ck.expect(sorted(found) == sorted(PROGRAMS), f"programs found: {sorted(found)}")
    for prog in ("tetra-enrich", "tetra-sink"):
        if prog in found:
            d, pod, c = found[prog]
            ck.expect(d["kind"] == "Deployment" and d["spec"].get("replicas", 1) >= 2,
                      f"{prog}: not a Deployment of 2 or more replicas")
            ck.expect(bool(arg_value(c, "--group")), f"{prog}: no --group (consumer group)")
            ck.expect(pod.get("automountServiceAccountToken") is False,
                      f"{prog}: mounts an API token it never uses")
    if "tetra-capture" in found:
        d, pod, c = found["tetra-capture"]
        ck.expect(d["kind"].lower() == capture_kind, f"tetra-capture is a {d['kind']}, not a {capture_kind}")
        ck.expect("--k8s" in c.get("args", []), "tetra-capture: no --k8s")
        shard = arg_value(c, "--shard")
        if capture_kind == "statefulset":
            n = d["spec"].get("replicas", 1)
            ck.expect(shard == f"$(POD_INDEX)/{n}", f"tetra-capture: --shard={shard}, not $(POD_INDEX)/{n}")
            ref = (env_ref(c, "POD_INDEX") or {}).get("fieldRef", {}).get("fieldPath")
            ck.expect(ref == "metadata.labels['apps.kubernetes.io/pod-index']",
                      f"tetra-capture: POD_INDEX is {ref}, not the pod-index label")
        else:
            ck.expect(d["spec"].get("replicas") == 1 and shard is None,
                      "tetra-capture Deployment: not one unsharded replica")
    check_metrics(ck, docs)


def check_metrics(ck, docs):
    """The metrics Service selects every program's pods; the ServiceMonitor selects it."""
    svc = [d for d in docs if d["kind"] == "Service"]
    mon = [d for d in docs if d["kind"] == "ServiceMonitor"]
    if not ck.expect(len(svc) == 1 and len(mon) == 1, "not one metrics Service and one ServiceMonitor"):
        return
    sel = svc[0]["spec"]["selector"]
    for d in (d for d in docs if d["kind"] in WORKLOADS):
        labels = d["spec"]["template"]["metadata"]["labels"]
        ck.expect(all(labels.get(k) == v for k, v in sel.items()),
                  f"{d['kind']}/{d['metadata']['name']}: pods not selected by the metrics Service")
    ml = mon[0]["spec"]["selector"]["matchLabels"]
    ck.expect(all(svc[0]["metadata"]["labels"].get(k) == v for k, v in ml.items()),
              "the ServiceMonitor does not select the metrics Service")
    ck.expect(svc[0]["spec"].get("clusterIP") == "None", "the metrics Service is not headless")


def check_sidecar(ck, docs):
    """Tetragon's DaemonSet with tetra-capture as a sidecar."""
    ds = [d for d in docs if d["kind"] == "DaemonSet"]
    if not ck.expect(len(ds) == 1, "no DaemonSet"):
        return
    names = [c["name"] for c in ds[0]["spec"]["template"]["spec"]["containers"]]
    ck.expect("tetra-capture" in names and len(names) >= 2,
              f"the sidecar did not join Tetragon's containers: {names}")
    for pod, c in containers_of(ds[0]):
        ck.container("DaemonSet/tetragon tetra-capture", pod, c, root_ok=True)
        ck.expect("--follow" in c["args"], "sidecar: no --follow")


def workload_view(docs):
    """What must agree between the base and the chart, per program."""
    view = {}
    for d in (d for d in docs if d["kind"] in WORKLOADS):
        for pod, c in containers_of(d):
            view[program_of(c)] = {
                "kind": d["kind"], "replicas": d["spec"].get("replicas"),
                "args": c.get("args"), "command": c.get("command"),
                "probes": [c.get("livenessProbe"), c.get("readinessProbe")],
                "ports": c.get("ports"), "resources": c.get("resources"),
                "securityContext": c.get("securityContext"),
                "secretEnv": sorted(e["name"] for e in c.get("env", [])
                                    if "secretKeyRef" in (e.get("valueFrom") or {})),
                "serviceAccount": pod.get("serviceAccountName"),
                "podSecurityContext": pod.get("securityContext"),
            }
    rules = [d["rules"] for d in docs if d["kind"] == "Role"]
    view["roles"] = rules
    return view


def main(argv):
    if len(argv) >= 2 and argv[0] == "check":
        capture = "deployment"
        if len(argv) == 4 and argv[2] == "--capture":
            capture = argv[3]
        ck = Checker()
        docs = load(argv[1])
        if capture == "none":
            check_sidecar(ck, docs)
        else:
            check_pipeline(ck, docs, capture)
    elif len(argv) >= 3 and argv[0] == "select":
        kinds = set(argv[2:])
        yaml.safe_dump_all([d for d in load(argv[1]) if d["kind"] in kinds], sys.stdout)
        return 0
    elif len(argv) == 3 and argv[0] == "same":
        ck = Checker()
        a, b = workload_view(load(argv[1])), workload_view(load(argv[2]))
        for key in sorted(set(a) | set(b)):
            ck.expect(a.get(key) == b.get(key), f"{key} differs:\n  {a.get(key)}\n  {b.get(key)}")
    else:
        print(__doc__.split("usage:")[1].split("exit:")[0], file=sys.stderr)
        return 2
    for f in ck.failures:
        print(f"manifests.py: {argv[1]}: {f}", file=sys.stderr)
    return 1 if ck.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
