#!/bin/sh
# 10_capture_incluster.sh - tetra-capture --k8s configured the way a pod
# is: no --kubeconfig, KUBERNETES_SERVICE_HOST/PORT, and a service account
# directory (TETRA_K8S_SA_DIR, standing in for
# /var/run/secrets/kubernetes.io/serviceaccount) laid out as the kubelet
# lays it out: token, ca.crt and namespace are links into ..data, itself a
# link to a timestamped directory that a rotation replaces atomically.  The
# token is a real TokenRequest token of a ServiceAccount bound to the Role
# of examples/kubernetes/base/rbac.yaml.  Events stream; then the token is
# rotated while the old one is revoked (the ServiceAccount deleted and made
# again, so tokens of the old one are refused), the streams are cut, and
# later the API server restarted: every stream and the pod watch come back
# with the new token, without a restart of tetra-capture and without a
# single 401.  Exit 0 pass, 1 fail, 77 skip.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/k8s/lib.sh"
. "$ROOT/tests/k8s/lib_capture.sh"

kc_begin
kc_output_init k8s-incluster
SA=$K8S_DIR/serviceaccount
W=$K8S_DIR/want
: >"$W"

# sa_publish TOKEN: the kubelet's atomic update of a projected volume: the
# files go into a new ..<timestamp> directory, a ..data_tmp link to it is
# renamed over ..data (one rename(2): readers see the old set or the new
# one, never a mix), the top-level links are made once, and the old
# directory is removed.
sa_publish() {
    local ts old f
    ts=..$(date -u +%Y_%m_%d_%H_%M_%S.%N)
    mkdir -p "$SA/$ts" || return 1
    printf '%s' "$1" >"$SA/$ts/token" && cp "$K8S_CA" "$SA/$ts/ca.crt" &&
        printf 'kube-system' >"$SA/$ts/namespace" || return 1
    old=$(readlink "$SA/..data" 2>/dev/null)
    ln -s "$ts" "$SA/..data_tmp" && mv -T "$SA/..data_tmp" "$SA/..data" || return 1
    for f in token ca.crt namespace; do
        [ -L "$SA/$f" ] || ln -s "..data/$f" "$SA/$f" || return 1
    done
    if [ -n "$old" ]; then rm -rf "${SA:?}/$old"; fi
}

# the Role tetra-capture gets in examples/kubernetes/base/rbac.yaml
rules=$(python3 -c 'import json, sys, yaml
print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d["kind"] == "Role"][0]["rules"]))' \
    "$ROOT/examples/kubernetes/base/rbac.yaml" 2>/dev/null) || rules=$K8S_CAPTURE_RULES
k8s_sa_with_rules tetra-capture "$rules" || fail "service account tetra-capture"
for i in 1 2; do
    k8s_kubelet_start "kl$i" && k8s_node_create "node$i" "kl$i" && k8s_pod_create "tetragon-$i" "node$i" ||
        fail "node $i"
done

# emit POD FROM TO: events of POD, and their markers in $W
emit() {
    kc_events "$1" "$2" "$3" | k8s_append "$1" || fail "append to $1"
    seq "$2" "$3" | sed "s/^/$1-/" >>"$W"
}
emit tetragon-1 1 20
emit tetragon-2 1 20

old_token=$(k8s_sa_token tetra-capture kube-system 600) && [ -n "$old_token" ] || fail "token"
mkdir -p "$SA" && sa_publish "$old_token" || fail "service account directory"
[ "$(cat "$SA/token")" = "$old_token" ] || fail "token link does not lead to the token"

KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$K8S_API_PORT TETRA_K8S_SA_DIR=$SA \
    KUBECONFIG=$K8S_DIR/no-such-kubeconfig HOME=$K8S_DIR/no-home \
    "$KC_CAP" --k8s $KC_OUT_ARGS -v >"$K8S_DIR/run1.out" 2>"$K8S_DIR/run1.err" &
echo $! >"$K8S_DIR/pids/capture.pid"
KC_PID=$!
for i in 1 2; do kc_wait_streams "kl$i" 1 || fail "no stream at kl$i"; done
grep -qF "at https://127.0.0.1:$K8S_API_PORT" "$K8S_DIR/run1.err" ||
    fail "not the in-cluster server: $(head -n 3 "$K8S_DIR/run1.err")"
k8s_wait_for 20 "the first $(wc -l <"$W") events" kc_count_is_at_least "$(wc -l <"$W")" ||
    fail "only $(kc_markers | wc -l) of $(wc -l <"$W") events with the in-cluster configuration"
kc_expect_exactly "$W" || fail "in-cluster: not exactly once"
ok "in cluster (KUBERNETES_SERVICE_HOST/PORT, token, ca.crt and namespace from TETRA_K8S_SA_DIR): $(wc -l <"$W") events"

refused() { ! k8s_api_as "$1" GET /api/v1/namespaces/kube-system/pods >/dev/null 2>&1 && [ "$K8S_LAST_STATUS" = 401 ]; }

# rotate: revoke the current token (ServiceAccount deleted and made
# again: its tokens name the old UID and are refused from now on), mint a
# token of the new one and publish it the kubelet's way.
rotate() {
    local before new
    before=$(cat "$SA/token")
    k8s_api DELETE /api/v1/namespaces/kube-system/serviceaccounts/tetra-capture >/dev/null ||
        fail "delete the service account"
    k8s_sa_ensure tetra-capture || fail "make the service account again"
    # the API server caches a token it accepted for 10 s
    k8s_wait_for 20 "the old token refused" refused "$before" ||
        fail "the old token still works (HTTP $K8S_LAST_STATUS) after the service account was replaced"
    new=$(k8s_sa_token tetra-capture kube-system 600) && [ -n "$new" ] || fail "mint a new token"
    sa_publish "$new" || fail "rotate the token"
    [ "$(cat "$SA/token")" != "$before" ] || fail "the token did not change"
    [ "$(find "$SA" -maxdepth 1 -name '..2*' | wc -l)" = 1 ] || fail "old token directory left behind"
}

# --- rotation, then the log streams cut: they reconnect with the new token ------
rotate
emit tetragon-1 21 40
k8s_kubelet_cut kl1 now >/dev/null || fail "cut kl1"
k8s_kubelet_cut kl2 now >/dev/null || fail "cut kl2"
emit tetragon-2 21 40
k8s_wait_for 30 "the events after the rotation" kc_count_is_at_least "$(wc -l <"$W")" ||
    fail "only $(kc_markers | wc -l) of $(wc -l <"$W") events after the token rotation"
kc_expect_exactly "$W" || fail "after the rotation: not exactly once"
n=$(k8s_kubelet_call kl1 GET /control/requests | jq 'length')
[ "$n" -ge 2 ] || fail "kl1 saw $n requests: the stream did not reconnect"
ok "token rotated (..data swapped, old token revoked) and streams cut: reconnected with the new token"

# --- again, then the API server restarted: the watch and all streams -------
rotate
k8s_restart_apiserver 1 || fail "restart the API server"
emit tetragon-1 41 60
k8s_pod_create tetragon-3 node2 || fail "new pod"
emit tetragon-3 1 20
kc_wait_streams kl2 2 20 || fail "the pod made after the rotation was not followed (watch)"
emit tetragon-2 41 60
k8s_wait_for 30 "the events after the restart" kc_count_is_at_least "$(wc -l <"$W")" ||
    fail "only $(kc_markers | wc -l) of $(wc -l <"$W") events after the restart"
kc_expect_exactly "$W" || fail "after the restart: not exactly once"
kc_alive || fail "tetra-capture exited"
! grep -q 'unauthorized' "$K8S_DIR/run1.err" || fail "a request went out with a revoked token"
ok "second rotation and an API server restart: list, watch and every stream with the new token, no 401"
kc_stop TERM || fail "exit $? on TERM"
exit 0
