#!/bin/sh
# 10_capture_state.sh - tetra-capture --k8s --state FILE survives its own
# death: killed with SIGKILL once its state file caught up with what it
# delivered, and stopped with SIGTERM (which saves after the final flush);
# events written while it was down (often in the same second as the last one
# it delivered) arrive after the restart, each exactly once.  Killed in the
# middle of a burst, nothing is lost and only the events delivered after
# the last save (at most a second's) come again: at least once.  A pod
# re-created under the same name (a new UID) is read from its start, not
# from the old pod's position.  Exit 0 pass, 1 fail, 77 skip.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/k8s/lib.sh"
. "$ROOT/tests/k8s/lib_capture.sh"

kc_begin
kc_output_init k8s-state
W=$K8S_DIR/want
ST=$K8S_DIR/capture.state
: >"$W"
for i in 1 2; do
    k8s_kubelet_start "kl$i" && k8s_node_create "node$i" "kl$i" && k8s_pod_create "tetragon-$i" "node$i" ||
        fail "node $i"
done
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
# the state file names both pods at the timestamp of their last line
state_current() {
    local i ts
    for i in 1 2; do
        ts=$(tail -n 1 "$(k8s_pod_log_file "tetragon-$i")" | cut -d' ' -f1)
        grep -q " kube-system/tetragon-$i\$" "$ST" || return 1
        want=$(python3 -c "import sys,datetime as d; s=sys.argv[1]; b=d.datetime.strptime(s[:19],'%Y-%m-%dT%H:%M:%S').replace(tzinfo=d.timezone.utc); print(int(b.timestamp())*10**9+int(s[20:29]))" "$ts")
        grep " kube-system/tetragon-$i\$" "$ST" | awk -v w="$want" '$3 == w { f = 1 } END { exit !f }' || return 1
    done
}

emit tetragon-1 1 30
emit tetragon-2 1 30
kc_start run1 --kubeconfig "$K8S_KUBECONFIG" --state "$ST" -v
settle "first run"
k8s_wait_for 10 "the state file to catch up" state_current || { cat "$ST"; fail "state file not current"; }
head -n 1 "$ST" | grep -qx 'tetra-capture-k8s-state 1' || fail "state file header: $(head -n 1 "$ST")"
kc_stop KILL
ok "first run delivered $(wc -l <"$W") events, state saved, then SIGKILL"

# while it is down: more events (often in the same second as the last ones,
# so the restart must drop by count at that timestamp, not just by time)
emit tetragon-1 31 60
emit tetragon-2 31 45
kc_start run2 --kubeconfig "$K8S_KUBECONFIG" --state "$ST" -v
settle "after the SIGKILL restart"
ok "restarted from the state file: the events written while down, each once"

emit tetragon-1 61 70
settle "before TERM"
kc_stop TERM || fail "exit $? on TERM"
state_current || { cat "$ST"; fail "TERM did not save the final positions"; }
emit tetragon-2 46 80
kc_start run3 --kubeconfig "$K8S_KUBECONFIG" --state "$ST"
settle "after the TERM restart"
ok "stopped with TERM, restarted: nothing lost, nothing twice"

# SIGKILL in the middle of a burst: the state lags what was delivered by up
# to a second, so nothing may be lost and only that last second's events
# may come again (at least once, as with --follow)
(
    for b in $(seq 0 14); do
        kc_events tetragon-2 $((500 + b * 10)) $((509 + b * 10)) | k8s_append tetragon-2
        sleep 0.2
    done
) &
burst=$!
sleep 1.5
kc_stop KILL
wait $burst
seq 500 649 | sed 's/^/tetragon-2-/' >>"$W"
kc_start run4 --kubeconfig "$K8S_KUBECONFIG" --state "$ST"
k8s_wait_for 30 "all $(wc -l <"$W") events" all_arrived || fail "SIGKILL mid-burst: events lost"
sleep 1
kc_markers | sort >"$K8S_DIR/got.sorted"
sort -u "$W" >"$K8S_DIR/want.sorted"
[ -z "$(comm -13 "$K8S_DIR/got.sorted" "$K8S_DIR/want.sorted")" ] || fail "SIGKILL mid-burst: a gap"
again=$(uniq -d "$K8S_DIR/got.sorted" | wc -l)
[ "$again" -le 60 ] || fail "SIGKILL mid-burst: $again events came again, more than a second's worth"
kc_stop TERM || fail "exit $? on TERM"
# from here on compare with the repeats of the kill counted once
uniq "$K8S_DIR/got.sorted" >"$K8S_DIR/seen"
ok "SIGKILL mid-burst: no gap; $again events of the last second before the kill came again"

# the same pod name again, a new UID: its log starts anew and is read whole
kc_start run5 --kubeconfig "$K8S_KUBECONFIG" --state "$ST"
k8s_pod_delete tetragon-1 || fail "delete"
kc_wait_streams kl1 0 10 || fail "stream of the deleted pod"
k8s_pod_create tetragon-1 node1 || fail "re-create"
kc_events tetragon-1 1 10 | sed 's/"arguments":"tetragon-1-/"arguments":"tetragon-1-again-/' |
    k8s_append tetragon-1 || fail "append"
seq 1 10 | sed "s/^/tetragon-1-again-/" | sort >"$K8S_DIR/again"
again_in() { [ "$(kc_markers | grep -c -- '-again-')" -ge 10 ]; }
k8s_wait_for 30 "the re-created pod's events" again_in || fail "re-created pod not read"
sleep 1
kc_markers | grep -- '-again-' | sort | cmp -s - "$K8S_DIR/again" ||
    fail "the re-created pod's events not exactly once: $(kc_markers | grep -c -- '-again-')"
cat "$K8S_DIR/seen" "$K8S_DIR/again" | sort >"$K8S_DIR/want.u"
kc_markers | sort -u | cmp -s - "$K8S_DIR/want.u" || fail "after re-creating the pod: other events came"
kc_stop TERM || fail "exit $? on TERM"
[ "$(grep -c ' kube-system/tetragon-1$' "$ST")" = 1 ] || { cat "$ST"; fail "the old pod's entry was kept"; }
ok "a re-created pod (new UID) is read from its start; the state keeps one entry per live pod"
exit 0
