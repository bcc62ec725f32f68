#!/bin/sh
# 10_capture_stream.sh - tetra-capture --k8s follows three Tetragon pods on
# three nodes through a real kube-apiserver: every event, written before
# and while it runs, arrives exactly once (in the Kafka topic when
# KAFKA_BROKERS is set, else on stdout); a pod outside the selector, one in
# another namespace and another container of the pod are not read; a pod
# deleted and a new one created: the old stream is closed and the new one
# followed within seconds.  A bad line goes to the dead-letter file named
# after its pod, as a bad line of stdin would.  Exit 0 pass, 1 fail, 77 skip.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/k8s/lib.sh"
. "$ROOT/tests/k8s/lib_capture.sh"

kc_begin
kc_output_init k8s-stream
W=$K8S_DIR/want
: >"$W"
for i in 1 2 3; do
    k8s_kubelet_start "kl$i" && k8s_node_create "node$i" "kl$i" && k8s_pod_create "tetragon-$i" "node$i" ||
        fail "node $i"
done
# not ours: another app's pod on node1, a tetragon pod in another namespace,
# and the other container of tetragon-1
K8S_POD_LABELS='{"app.kubernetes.io/name":"other"}' k8s_pod_create other-app node1 || fail "other pod"
kc_events other-app 1 5 node1 | k8s_append other-app || fail "append"
k8s_sa_ensure default default || fail "service account default/default"
k8s_pod_create tetragon-elsewhere node2 default || fail "pod in default"
kc_events tetragon-elsewhere 1 5 node2 | k8s_append tetragon-elsewhere export-stdout default || fail "append"
kc_events tetragon-1-agent 1 5 node1 | k8s_append tetragon-1 tetragon || fail "append"

# events before tetra-capture starts
for i in 1 2 3; do
    kc_events "tetragon-$i" 1 50 "node$i" | tee -a "$W" | k8s_append "tetragon-$i" >/dev/null || fail "append"
done
sed -i 's/.*"arguments":"\([^"]*\)".*/\1/' "$W"

kc_start run1 --kubeconfig "$K8S_KUBECONFIG" -v --dlq "$K8S_DIR/dlq"
for i in 1 2 3; do kc_wait_streams "kl$i" 1 || fail "no stream at kl$i"; done
ok "one log stream per node"
# the watch and the three streams multiplex on one HTTP/2 connection (a
# connection per stream cost 85 KB a pod; docs/K8S-TESTING.md)
if command -v ss >/dev/null 2>&1; then
    conns=$(ss -Htnp state established "( dport = :$K8S_API_PORT )" | grep -c "pid=$KC_PID,")
    [ "$conns" = 1 ] || fail "$conns connections to the API server for one watch and three streams"
    ok "one watch and three log streams on one connection to the API server"
fi
# events while it runs, in several bursts
for b in 1 2 3; do
    for i in 1 2 3; do
        kc_events "tetragon-$i" $((b * 100)) $((b * 100 + 30)) "node$i" | k8s_append "tetragon-$i" || fail "append"
        seq $((b * 100)) $((b * 100 + 30)) | sed "s/^/tetragon-$i-/" >>"$W"
    done
    sleep 0.3
done
echo 'not json {' | k8s_append tetragon-3 || fail "append"
# a line of 3 MB (over the 1 MiB record limit, and longer than any chunk
# the stream comes in): rejected as too_long with its size, kept only in
# part while it arrives, and the lines after it are read
head -c 3000000 /dev/zero | tr '\0' x | { cat; echo; } | k8s_append tetragon-3 || fail "append"
k8s_wait_for 30 "all $(wc -l <"$W") events" kc_count_is_at_least "$(wc -l <"$W")" ||
    fail "only $(kc_markers | wc -l) of $(wc -l <"$W") events arrived"
sleep 1
kc_expect_exactly "$W" || fail "not exactly the events of the three pods"
ok "$(wc -l <"$W") events of three pods on three nodes, each exactly once${KC_TOPIC:+ (Kafka topic $KC_TOPIC)}"
k8s_wait_for 10 "the dead letter" test -s "$K8S_DIR/dlq" || fail "no dead letter for the bad line"
jq -e 'select(.source == "k8s:kube-system/tetragon-3") | .reason' "$K8S_DIR/dlq" >/dev/null ||
    fail "dead letter does not name its pod: $(cat "$K8S_DIR/dlq")"
ok "a bad line is rejected like a bad stdin line, its dead letter names k8s:kube-system/tetragon-3"
k8s_wait_for 10 "the too_long dead letter" \
    jq -e -s 'any(.[]; .reason == "too_long" and .size >= 3000000)' "$K8S_DIR/dlq" >/dev/null ||
    fail "no too_long dead letter with the line's size: $(cut -c1-200 "$K8S_DIR/dlq")"
ok "a 3 MB line: too_long, with its size, in the dead-letter file"

# --- a pod deleted, a new one created on the same node -----------------------
k8s_pod_delete tetragon-2 || fail "delete"
kc_wait_streams kl2 0 10 || fail "the deleted pod's stream stayed open"
t0=$(date +%s)
k8s_pod_create tetragon-2b node2 || fail "new pod"
kc_events tetragon-2b 1 20 node2 | k8s_append tetragon-2b || fail "append"
seq 1 20 | sed "s/^/tetragon-2b-/" >>"$W"
kc_wait_streams kl2 1 10 || fail "the new pod was not followed within 10 s"
k8s_wait_for 15 "the new pod's events" kc_count_is_at_least "$(wc -l <"$W")" ||
    fail "the new pod's events did not arrive"
t1=$(date +%s)
kc_expect_exactly "$W" || fail "after the pod was replaced"
ok "a replaced pod: old stream closed, new one followed and delivered in $((t1 - t0)) s"

kc_stop TERM || fail "tetra-capture exited $? on TERM"
tail -n 1 "$K8S_DIR/run1.err" | grep -q "read=$(($(wc -l <"$W") + 2)) written=$(wc -l <"$W") rejected=2" ||
    fail "summary: $(tail -n 1 "$K8S_DIR/run1.err")"
ok "TERM: exit 0, summary $(tail -n 1 "$K8S_DIR/run1.err")"
exit 0
