#!/bin/sh
# k8s.sh - tetra-capture --k8s with 100 Tetragon pods streaming through a
# real kube-apiserver (tests/k8s/lib.sh: etcd, kube-apiserver, fake
# kubelets), as make bench runs it.
#
# Each pod's log holds BENCH_K8S_PER_POD events of the corpus when
# tetra-capture starts; more are appended while it follows (the live part).
# Measured: wall time until every event came out, events/s, tetra-capture's
# own CPU seconds (utime + stime from /proc) and peak RSS (VmHWM), at 10 and
# at 100 pods, to show that CPU per event and memory stay flat as pods grow.
# The API server and kubelets share the machine, so events/s is the whole
# path's rate; tetra-capture's CPU share is the number that is its own.
# Prints a Markdown section; skips with a message when the cluster cannot
# be built (no Go toolchain).
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${BIN:-$ROOT/bin}
PER_POD=${BENCH_K8S_PER_POD:-1000}
NODES=${BENCH_K8S_NODES:-10}
. "$ROOT/tests/k8s/lib.sh"

skip() { printf '\n## tetra-capture --k8s: 100 pods\n\nskipped: %s\n\n' "$1"; exit 0; }

CORPUS=${CORPUS:-}
if [ -z "$CORPUS" ] || [ ! -s "$CORPUS" ]; then
    CORPUS=$ROOT/build/bench/k8s-corpus.jsonl
    mkdir -p "$ROOT/build/bench"
    [ -s "$CORPUS" ] || python3 "$ROOT/bench/gen-events.py" 20000 >"$CORPUS" || skip "no corpus"
fi
k8s_init bench-k8s >&2 || skip "the Kubernetes test cluster cannot be built here (needs Go, see docs/K8S-TESTING.md)"
k8s_up >&2 || skip "the cluster did not come up"
for n in $(seq 1 "$NODES"); do
    k8s_kubelet_start "kl$n" >&2 && k8s_node_create "node$n" "kl$n" >&2 || skip "node $n did not start"
done
corpus_lines=$(wc -l <"$CORPUS")

# fill POD FIRST: PER_POD corpus lines (from FIRST on, wrapping) stamped
# with increasing times, appended to the pod's log file at once.
fill() {
    local f base
    f=$(k8s_pod_log_file "$1") || return 1
    base=$(date -u +%Y-%m-%dT%H:%M:%S)
    awk -v first="$2" -v n="$PER_POD" -v total="$corpus_lines" -v base="$base" -v pid="$3" '
        NR == FNR { line[FNR] = $0; next }
        END { for (i = 0; i < n; i++) printf "%s.%09dZ %s\n", base, pid * 1000000 + i,
                                               line[(first + i) % total + 1] }' "$CORPUS" /dev/null >>"$f"
}

cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hwm_of() { awk '/VmHWM/ { print $2 }' "/proc/$1/status"; }
out_lines() { [ "$(wc -l <"$K8S_DIR/out")" -ge "$1" ]; }

# run PODS: PODS pods (the first ones already exist from a smaller run are
# deleted first), backlog + live events, one row of the table.
run() {
    local pods i want t0 t1 cpu hwm tck live
    pods=$1
    for i in $(seq 1 "$pods"); do
        k8s_pod_create "tetragon-$pods-$i" "node$(( (i - 1) % NODES + 1 ))" >/dev/null 2>&1 || return 1
        fill "tetragon-$pods-$i" $((i * 37)) "$i" || return 1
    done
    live=$((pods * 100))
    want=$((pods * PER_POD + live))
    : >"$K8S_DIR/out"
    t0=$(date +%s.%N)
    "$BIN/tetra-capture" --k8s --kubeconfig "$K8S_KUBECONFIG" -q \
        --selector "bench=run$pods" >"$K8S_DIR/out" 2>"$K8S_DIR/err" &
    echo $! >"$K8S_DIR/pids/capture.pid"
    cap=$!
    sleep 1
    for i in $(seq 1 "$pods"); do # the live part: 100 more per pod while it follows
        head -n 100 "$CORPUS" | k8s_append "tetragon-$pods-$i" >/dev/null 2>&1
    done
    k8s_wait_for 600 "$want events" out_lines "$want" || { kill "$cap"; echo "bench: only $(wc -l <"$K8S_DIR/out") of $want" >&2; return 1; }
    t1=$(date +%s.%N)
    tck=$(getconf CLK_TCK)
    cpu=$(cpu_of "$cap")
    hwm=$(hwm_of "$cap")
    kill -TERM "$cap"
    wait "$cap"
    rm -f "$K8S_DIR/pids/capture.pid"
    awk -v p="$pods" -v n="$want" -v t0="$t0" -v t1="$t1" -v cpu="$cpu" -v tck="$tck" -v hwm="$hwm" \
        'BEGIN { s = t1 - t0; c = cpu / tck;
                 printf "| %d | %d | %.1f | %.0f | %.2f | %.1f | %d |\n", p, n, s, n / s, c, c * 1e6 / n, hwm }'
}

# pods of a run carry their own label, so the runs do not see each other
export K8S_POD_LABELS
{
    K8S_POD_LABELS='{"bench":"run10"}'
    row10=$(run 10) || skip "the 10-pod run failed"
    K8S_POD_LABELS='{"bench":"run100"}'
    row100=$(run 100) || skip "the 100-pod run failed"
} 2>/dev/null
cat <<REPORT

## tetra-capture --k8s: 100 pods streaming through kube-apiserver

$NODES fake kubelets, $PER_POD events per pod in the log at start plus 100 per
pod appended while following; stdout JSON.  events/s is end to end (API
server and kubelets on the same $(nproc) cores); CPU is tetra-capture's own.

| pods | events | seconds | events/s | tetra-capture CPU s | CPU µs/event | peak RSS (KiB) |
|---:|---:|---:|---:|---:|---:|---:|
$row10
$row100

REPORT
k8s_down >/dev/null 2>&1
trap - EXIT
exit 0
