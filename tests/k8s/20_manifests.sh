#!/bin/sh
# 20_manifests.sh - the Kubernetes manifests and the Helm chart are what a
# real cluster accepts, and give tetra-capture the least RBAC it needs.
#
# examples/kubernetes (the base, variants/statefulset, and the sidecar patch
# on a stand-in Tetragon DaemonSet) is rendered with the real kustomize
# (kubectl kustomize) and examples/helm/tetragonsidekick with the real helm
# (lint --strict, template), both built from the Go module proxy by
# tools/k8s/build.sh.  tests/k8s/manifests.py checks what only this project
# knows (probes, metrics port, resources, security context, no secret in
# argv, consumer groups, --shard N = replicas, chart = base).  Then every
# object goes to a real kube-apiserver with server-side dry-run, with a
# ServiceMonitor CRD of ours installed first and the namespaces enforcing
# the "restricted" Pod Security Standard: an error, or a PodSecurity
# warning, fails.  Both checks are shown able to fail (a pod without a
# security context warns; a misspelt ServiceMonitor field is refused).
# Finally the RBAC objects are created for real and kubectl auth can-i
# (RBAC authorization) shows that tetra-capture's ServiceAccount may
# get/list/watch pods and get pods/log in kube-system and nothing else any
# service account may not, and that tetra-enrich and tetra-sink may do
# nothing extra at all; and tetra-capture --k8s streams with a token of each
# rendered ServiceAccount, so that RBAC is also enough.
# Exit 0 pass, 1 fail, 77 skip.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/k8s/lib.sh"
. "$ROOT/tests/k8s/lib_capture.sh"

# lib_capture's fail, showing tetra-capture's stderr only once it ran
fail() {
    echo "FAIL: $*" >&2
    for f in "${K8S_DIR:-/nonexistent}"/run-*.err; do [ -f "$f" ] && tail -n 20 "$f" >&2; done
    exit 1
}
k8s_init
rc=$?
[ $rc = 0 ] || exit $rc
sh "$ROOT/tools/k8s/build.sh" clients || fail "building kubectl and helm"
KUBECTL=$K8S_BIN/kubectl
HELM=$K8S_BIN/helm
M="python3 $ROOT/tests/k8s/manifests.py"
R=$K8S_DIR/render
CHART=$ROOT/examples/helm/tetragonsidekick
mkdir -p "$R" "$K8S_DIR/helm" || fail "mkdir"
# helm keeps its settings under HOME's XDG directories; give it its own
export HELM_CACHE_HOME=$K8S_DIR/helm/cache HELM_CONFIG_HOME=$K8S_DIR/helm/config
export HELM_DATA_HOME=$K8S_DIR/helm/data
kc() { "$KUBECTL" --cache-dir "$K8S_DIR/kube-cache" "$@"; }
ndocs() { grep -c '^kind:' "$1"; }

# --- render ---------------------------------------------------------------
kc kustomize "$ROOT/examples/kubernetes" >"$R/base.yaml" || fail "kustomize base"
kc kustomize "$ROOT/examples/kubernetes/variants/statefulset" >"$R/sts.yaml" ||
    fail "kustomize variants/statefulset"
cp -R "$ROOT/tests/k8s/fixtures/sidecar" "$K8S_DIR/sidecar" &&
    cp "$ROOT/examples/kubernetes/tetragon-sidecar-patch.yaml" "$K8S_DIR/sidecar/" || fail "copy"
kc kustomize "$K8S_DIR/sidecar" >"$R/sidecar.yaml" || fail "kustomize the sidecar patch"
"$HELM" lint --strict "$CHART" >"$K8S_DIR/helm-lint.out" 2>&1 ||
    { cat "$K8S_DIR/helm-lint.out" >&2; fail "helm lint --strict"; }
SM="--set metrics.serviceMonitor.enabled=true"
# release "tetra" in tetragonsidekick names every object as the base does
"$HELM" template tetra "$CHART" -n tetragonsidekick $SM >"$R/helm.yaml" || fail "helm template"
"$HELM" template tetra "$CHART" -n tetragonsidekick $SM --set capture.kind=statefulset \
    --set capture.shards=4 >"$R/helm-sts.yaml" || fail "helm template (statefulset)"
# and another release in its own namespace, next to the base in the cluster
"$HELM" template tsk "$CHART" -n tsk-helm $SM >"$R/helm-tsk.yaml" || fail "helm template tsk"
if "$HELM" template tetra "$CHART" --set capture.kind=daemonset >/dev/null 2>&1; then
    fail "helm accepted capture.kind=daemonset"
fi
ok "rendered: base $(ndocs "$R/base.yaml"), statefulset $(ndocs "$R/sts.yaml"), sidecar" \
   "$(ndocs "$R/sidecar.yaml"), helm $(ndocs "$R/helm.yaml") objects"

# --- what the API server cannot know ------------------------------------------
$M check "$R/base.yaml" || fail "the base"
$M check "$R/sts.yaml" --capture statefulset || fail "variants/statefulset"
$M check "$R/sidecar.yaml" --capture none || fail "the sidecar patch"
$M check "$R/helm.yaml" || fail "the chart"
$M check "$R/helm-sts.yaml" --capture statefulset || fail "the chart, capture.kind=statefulset"
grep -q -- '--shard=$(POD_INDEX)/4' "$R/helm-sts.yaml" || fail "capture.shards=4 is not --shard .../4"
$M same "$R/base.yaml" "$R/helm.yaml" || fail "the chart renders the programs unlike the base"
sed 's#--shard=$(POD_INDEX)/4#--shard=$(POD_INDEX)/3#' "$R/helm-sts.yaml" >"$R/bad-shard.yaml"
sed 's#path: /readyz#path: /ready#' "$R/base.yaml" >"$R/bad-probe.yaml"
for bad in bad-shard bad-probe; do
    if $M check "$R/$bad.yaml" --capture "$([ $bad = bad-shard ] && echo statefulset || echo deployment)" \
        2>"$K8S_DIR/$bad.err"; then
        fail "manifests.py passed $bad.yaml"
    fi
done
ok "probes, metrics, resources, security, secrets, groups, shards; chart = base"

# --- server-side dry-run against a real kube-apiserver ----------------------
k8s_up || fail "the cluster did not come up"
export KUBECONFIG=$K8S_KUBECONFIG
kc apply -f "$ROOT/tests/k8s/fixtures/servicemonitor-crd.yaml" >/dev/null || fail "the ServiceMonitor CRD"
kc wait --for=condition=Established --timeout=60s crd/servicemonitors.monitoring.coreos.com \
    >/dev/null || fail "the ServiceMonitor CRD is not established"
# the namespaces for real: objects in them are dry-run, and their Pod
# Security labels decide the warnings
$M select "$R/base.yaml" Namespace | kc apply -f - >/dev/null || fail "namespace tetragonsidekick"
kc create namespace tsk-helm >/dev/null &&
    kc label namespace tsk-helm pod-security.kubernetes.io/enforce=restricted \
        pod-security.kubernetes.io/warn=restricted >/dev/null || fail "namespace tsk-helm"

# dry NAME: every object of $R/NAME.yaml accepted, none with a warning
dry() {
    local out n
    out=$K8S_DIR/dry-$1.out
    if ! kc apply --dry-run=server -f "$R/$1.yaml" >"$out" 2>&1; then
        cat "$out" >&2
        fail "the API server refused $1.yaml"
    fi
    if grep -i 'warning' "$out" >&2; then fail "$1.yaml: the API server warned"; fi
    n=$(grep -c '(server dry run)$' "$out")
    [ "$n" = "$(ndocs "$R/$1.yaml")" ] || { cat "$out" >&2; fail "$1.yaml: $n objects accepted"; }
}
for f in base sts sidecar helm helm-sts helm-tsk; do dry $f; done
ok "every object accepted by kube-apiserver $(kc version -o json | jq -r .serverVersion.gitVersion)" \
   "(server-side dry-run, strict field validation, restricted Pod Security): no warning"

# the checks above can fail: a pod without the restricted settings warns,
# and a misspelt ServiceMonitor field is refused
cat >"$R/unsafe.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: unsafe, namespace: tetragonsidekick}
spec:
  selector: {matchLabels: {app: unsafe}}
  template:
    metadata: {labels: {app: unsafe}}
    spec:
      containers: [{name: c, image: tetragonsidekick}]
EOF
kc apply --dry-run=server -f "$R/unsafe.yaml" 2>&1 | grep -q 'would violate PodSecurity "restricted' ||
    fail "no PodSecurity warning for a pod without a security context"
python3 -c 'import sys, yaml
sm = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "ServiceMonitor"][0]
sm["spec"]["endpoints"][0]["intervall"] = sm["spec"]["endpoints"][0].pop("interval")
yaml.safe_dump(sm, sys.stdout)' "$R/base.yaml" >"$R/misspelt.yaml" || fail "no interval to misspell"
if kc apply --dry-run=server -f "$R/misspelt.yaml" >"$K8S_DIR/misspelt.out" 2>&1; then
    fail "the API server accepted a ServiceMonitor with a misspelt field"
fi
grep -q 'unknown field' "$K8S_DIR/misspelt.out" || { cat "$K8S_DIR/misspelt.out" >&2; fail "misspelt"; }
ok "an unsafe pod warns, a misspelt ServiceMonitor field is refused"

# --- RBAC: the least that --k8s needs ---------------------------------------------
for f in base helm-tsk; do
    $M select "$R/$f.yaml" ServiceAccount Role RoleBinding | kc apply -f - >/dev/null ||
        fail "RBAC of $f.yaml"
done

# rights SA_NS SA NS: what system:serviceaccount:SA_NS:SA may do in NS,
# beyond what every service account may (compared with one of no binding)
canlist() {
    kc auth can-i --list --as="system:serviceaccount:$1:$2" -n "$3" | tail -n +2 | tr -s ' ' | sort
}
rights() {
    canlist tsk-nobody nobody "$3" >"$K8S_DIR/can-base"
    canlist "$1" "$2" "$3" >"$K8S_DIR/can-sa"
    comm -13 "$K8S_DIR/can-base" "$K8S_DIR/can-sa" | tr '\n' ';'
}
WANT='pods [] [] [get list watch];pods/log [] [] [get];'
for sa in tetragonsidekick/tetra tsk-helm/tsk; do
    sns=${sa%/*} pre=${sa#*/}
    got=$(rights "$sns" "$pre-capture" kube-system)
    [ "$got" = "$WANT" ] || fail "$pre-capture in kube-system may: $got; want: $WANT"
    for ns in default kube-public tetragonsidekick tsk-helm; do
        got=$(rights "$sns" "$pre-capture" $ns)
        [ -z "$got" ] || fail "$pre-capture may in $ns: $got"
    done
    for prog in enrich sink; do
        for ns in kube-system default tetragonsidekick tsk-helm; do
            got=$(rights "$sns" "$pre-$prog" $ns)
            [ -z "$got" ] || fail "$pre-$prog may in $ns: $got"
        done
    done
    as="--as=system:serviceaccount:$sns:$pre-capture"
    for q in "get secrets -n kube-system" "list pods -A" "list nodes" "create pods -n kube-system" \
        "delete pods -n kube-system" "patch pods -n kube-system" "create pods/exec -n kube-system" \
        "create pods/eviction -n kube-system" "get configmaps -n kube-system" "list pods -n default"; do
        # shellcheck disable=SC2086
        if kc auth can-i $q "$as" >/dev/null 2>&1; then fail "$pre-capture can $q"; fi
    done
    kc auth can-i watch pods -n kube-system "$as" >/dev/null || fail "$pre-capture cannot watch pods"
done
ok "RBAC: capture get/list/watch pods and get pods/log in kube-system, nothing else;" \
   "enrich and sink nothing"

# and enough: tetra-capture --k8s streams with each rendered ServiceAccount
KC_OUT_ARGS=""
k8s_kubelet_start kl1 && k8s_node_create node1 kl1 && k8s_pod_create tetragon-a node1 || fail "node, pod"
kc_events tetragon-a 1 3 | k8s_append tetragon-a || fail "append"
n_out() { [ "$(jq -r '.process_exec.process.arguments // empty' "$K8S_DIR/$1.out" | wc -l)" -ge 3 ]; }
for sa in tetragonsidekick/tetra-capture tsk-helm/tsk-capture; do
    run=run-${sa%/*}
    token=$(k8s_sa_token "${sa#*/}" "${sa%/*}" 600) || fail "token of $sa"
    k8s_kubeconfig "$K8S_DIR/$run.kubeconfig" token "$token" || fail "kubeconfig"
    kc_start "$run" --kubeconfig "$K8S_DIR/$run.kubeconfig" --namespace kube-system
    k8s_wait_for 30 "events through $sa" n_out "$run" || fail "no events with the RBAC of $sa"
    kc_stop || fail "tetra-capture with $sa: exit $?"
    if grep -q 'forbidden\|403' "$K8S_DIR/$run.err"; then fail "$sa: a denial"; fi
done
ok "tetra-capture --k8s streams with the base's and the chart's ServiceAccount"

k8s_down || fail "processes left behind"
echo "PASS"
