#!/bin/sh
# 10_capture_relist.sh - the pod watch expires: with etcd compacted every
# 3 s and the watch cache off, a watch resumed from an old resourceVersion
# (after an API server restart, with only other objects changing since)
# gets 410 Gone.  tetra-capture must list again, keep following the pods it
# has (no event lost or doubled), and go on watching: a pod created after
# that is followed, a deleted one closed.  Exit 0 pass, 1 fail, 77 skip.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/k8s/lib.sh"
. "$ROOT/tests/k8s/lib_capture.sh"

K8S_APISERVER_FLAGS="--etcd-compaction-interval=3s --watch-cache=false"
kc_begin
kc_output_init k8s-relist
W=$K8S_DIR/want
: >"$W"
k8s_kubelet_start kl1 && k8s_node_create node1 kl1 && k8s_pod_create tetragon-1 node1 || fail "node"
k8s_sa_ensure default default || fail "default/default"
emit() {
    kc_events "$1" "$2" "$3" | k8s_append "$1" || fail "append"
    seq "$2" "$3" | sed "s/^/$1-/" >>"$W"
}
all_arrived() { kc_count_is_at_least "$(wc -l <"$W")"; }
settle() {
    k8s_wait_for 30 "all $(wc -l <"$W") events" all_arrived ||
        fail "$1: only $(kc_markers | wc -l) of $(wc -l <"$W") events arrived"
    sleep 1
    kc_expect_exactly "$W" || fail "$1: not exactly once"
}

emit tetragon-1 1 20
kc_start run1 --kubeconfig "$K8S_KUBECONFIG" -v
settle "start"
# other objects change (our pods do not): etcd's revision moves on and is
# compacted past the watch's resourceVersion
for i in 1 2 3 4 5 6; do
    K8S_POD_LABELS='{"app.kubernetes.io/name":"other"}' k8s_pod_create "noise-$i" node1 default >/dev/null ||
        fail "noise pod"
    sleep 1.5
done
emit tetragon-1 21 40
k8s_restart_apiserver || fail "restart the API server"
k8s_wait_for 30 "the relist" grep -q '410 Gone' "$K8S_DIR/run1.err" ||
    fail "the watch never expired: $(grep -i watch "$K8S_DIR/run1.err" | tail -n 3)"
settle "after the relist"
ok "the watch expired (410 Gone), tetra-capture listed again; events exactly once"

k8s_pod_create tetragon-2 node1 || fail "new pod"
emit tetragon-2 1 20
kc_wait_streams kl1 2 15 || fail "the pod created after the relist is not followed"
settle "new pod after the relist"
k8s_pod_delete tetragon-1 || fail "delete"
kc_wait_streams kl1 1 15 || fail "the deleted pod's stream stayed open"
emit tetragon-2 21 30
settle "after the delete"
kc_stop TERM || fail "exit $? on TERM"
summary=$(tail -n 1 "$K8S_DIR/run1.err")
echo "$summary" | grep -q 'k8s_relists=[1-9]' || fail "no relist counted: $summary"
ok "watching again after the relist: new pod followed, deleted pod closed ($summary)"
exit 0
