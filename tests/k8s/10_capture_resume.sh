#!/bin/sh
# 10_capture_resume.sh - streams that break are resumed without gap or
# duplicate: a kubelet stream cut in the middle of a line (the API server
# ends it cleanly, the half line must not be passed on), a stream aborted
# between lines, and the API server restarted while events keep coming
# (the streams and the watch break; tetra-capture retries with backoff and
# reconnects with sinceTime).  After each, every event is there exactly
# once, the reconnects asked for sinceTime, and the lines the kubelet sent
# again were dropped (k8s_duplicates).  Exit 0 pass, 1 fail, 77 skip.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/k8s/lib.sh"
. "$ROOT/tests/k8s/lib_capture.sh"

kc_begin
kc_output_init k8s-resume
W=$K8S_DIR/want
: >"$W"
for i in 1 2; do
    k8s_kubelet_start "kl$i" && k8s_node_create "node$i" "kl$i" && k8s_pod_create "tetragon-$i" "node$i" ||
        fail "node $i"
done
n=0
# emit POD FROM TO: append events and remember them
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
sinces() { # KUBELET: containerLogs requests that carried a sinceTime
    k8s_kubelet_call "$1" GET /control/requests | jq '[.[] | select(.query | tostring | test("sinceTime"))] | length'
}

emit tetragon-1 1 40
emit tetragon-2 1 40
kc_start run1 --kubeconfig "$K8S_KUBECONFIG" -v
kc_wait_streams kl1 1 && kc_wait_streams kl2 1 || fail "no streams"
settle "start"
ok "streaming: $(wc -l <"$W") events"

# --- a stream cut mid-line ---------------------------------------------------
k8s_kubelet_cut kl1 midline "pod=tetragon-1" | jq -e '.streams == 1' >/dev/null || fail "cut midline"
emit tetragon-1 100 120 # the first of these is sent half, then the stream aborts
emit tetragon-2 100 120
settle "after the mid-line cut"
[ "$(sinces kl1)" -ge 1 ] || fail "no reconnect with sinceTime at kl1"
ok "a stream cut mid-line: the half line was not passed on, the reconnect (sinceTime) gave it whole"

# --- a stream aborted between lines ------------------------------------------------
k8s_kubelet_cut kl2 now | jq -e '.streams == 1' >/dev/null || fail "cut now"
emit tetragon-2 200 220
settle "after the abort"
[ "$(sinces kl2)" -ge 1 ] || fail "no reconnect with sinceTime at kl2"
ok "a stream aborted: resumed from its last line"

# --- the API server restarted while events keep coming ----------------------------
(
    for b in 1 2 3 4 5 6 7 8 9 10 11 12; do
        kc_events tetragon-1 $((1000 + b * 10)) $((1000 + b * 10 + 9)) | k8s_append tetragon-1
        kc_events tetragon-2 $((1000 + b * 10)) $((1000 + b * 10 + 9)) | k8s_append tetragon-2
        sleep 0.4
    done
) &
appender=$!
sleep 1
k8s_restart_apiserver 2 || fail "restart the API server"
wait $appender
for i in 1 2; do seq 1010 1129 | sed "s/^/tetragon-$i-/" >>"$W"; done
kc_alive || fail "tetra-capture died when the API server went away"
settle "after the API server restart"
ok "the API server restarted mid-stream: retried, reconnected, every event once"

kc_stop TERM || fail "exit $? on TERM"
summary=$(tail -n 1 "$K8S_DIR/run1.err")
echo "$summary" | grep -q "read=$(wc -l <"$W") written=$(wc -l <"$W") rejected=0" || fail "summary: $summary"
dups=$(echo "$summary" | sed -n 's/.*k8s_duplicates=\([0-9]*\).*/\1/p')
[ "${dups:-0}" -ge 1 ] || fail "no line was sent again and dropped: the dedup went untested ($summary)"
ok "summary: $summary"
exit 0
