#!/bin/sh
# 10_capture_shard.sh - two replicas with --shard 0/2 and --shard 1/2 split
# the pods by node: together they deliver every event exactly once, each
# only from the pods of its own nodes.  Exit 0 pass, 1 fail, 77 skip.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/k8s/lib.sh"
. "$ROOT/tests/k8s/lib_capture.sh"

kc_begin "shard*.err"
KC_OUT_ARGS="" # stdout, one file per replica
W=$K8S_DIR/want
: >"$W"
for i in 1 2 3 4; do
    k8s_kubelet_start "kl$i" && k8s_node_create "node$i" "kl$i" && k8s_pod_create "tetragon-$i" "node$i" ||
        fail "node $i"
    kc_events "tetragon-$i" 1 25 | k8s_append "tetragon-$i" || fail "append"
    seq 1 25 | sed "s/^/tetragon-$i-/" >>"$W"
done
for s in 0 1; do
    "$KC_CAP" --k8s --kubeconfig "$K8S_KUBECONFIG" --shard "$s/2" >"$K8S_DIR/shard$s.out" \
        2>"$K8S_DIR/shard$s.err" &
    echo $! >"$K8S_DIR/pids/capture$s.pid"
done
all_arrived() { kc_count_is_at_least "$(wc -l <"$W")"; }
k8s_wait_for 30 "all events" all_arrived || fail "only $(kc_markers | wc -l) of $(wc -l <"$W")"
sleep 1
kc_expect_exactly "$W" || fail "the two shards together are not exactly the events"
for s in 0 1; do
    k8s_stop "capture$s" || fail "stop shard $s"
    jq -r '.process_exec.process.arguments' "$K8S_DIR/shard$s.out" | sed 's/-[0-9]*$//' | sort -u \
        >"$K8S_DIR/pods$s"
done
[ -s "$K8S_DIR/pods0" ] && [ -s "$K8S_DIR/pods1" ] ||
    fail "one shard got every pod: 0: $(cat "$K8S_DIR/pods0" | tr '\n' ' ') 1: $(cat "$K8S_DIR/pods1" | tr '\n' ' ')"
[ -z "$(comm -12 "$K8S_DIR/pods0" "$K8S_DIR/pods1")" ] || fail "a pod was read by both shards"
ok "shard 0: $(tr '\n' ' ' <"$K8S_DIR/pods0")| shard 1: $(tr '\n' ' ' <"$K8S_DIR/pods1")| every event once"
exit 0
