# lib_capture.sh - running tetra-capture --k8s in the tests of tests/k8s,
# sourced after lib.sh.
#
# Events are made unique (process.arguments = "<pod>-<n>") so that a test
# can check that every event arrived exactly once: kc_markers prints the
# arguments of every event tetra-capture produced, from the Kafka topic when
# KAFKA_BROKERS is set (read back with kcat and decoded by tetra-capture -I
# proto), else from its stdout.  tetra-capture runs in the background with
# its pid in $K8S_DIR/pids/capture.pid, so k8s_down stops it too.

# Run directly (tests/run.sh runs every tests/k8s/*.sh), this is no test.
case $(basename -- "$0") in
lib_capture.sh) echo "lib_capture.sh: a library sourced by the tests in tests/k8s, not a test"; exit 77 ;;
esac

KC_CAP=${BIN:-$ROOT/bin}/tetra-capture
KC_TOPIC=""

# kc_output_init NAME: choose the output (Kafka topic NAME-<pid>-<time>, or
# stdout) for the whole test.  Sets KC_OUT_ARGS.
kc_output_init() {
    if [ -f "$ROOT/build/services.env" ] && [ -z "${KAFKA_BROKERS:-}" ]; then
        . "$ROOT/build/services.env"
    fi
    if [ -n "${KAFKA_BROKERS:-}" ] && command -v kcat >/dev/null 2>&1; then
        KC_TOPIC="$1-$$-$(date +%s)"
        KC_OUT_ARGS="-b $KAFKA_BROKERS -t $KC_TOPIC"
    else
        KC_TOPIC=""
        KC_OUT_ARGS=""
    fi
}

# kc_events POD FROM TO [NODE]: events FROM..TO of POD, one JSON a line.
kc_events() {
    awk -v pod="$1" -v from="$2" -v to="$3" -v node="${4:-node}" 'BEGIN {
        for (i = from; i <= to; i++)
            printf "{\"process_exec\":{\"process\":{\"exec_id\":\"%s-%d\",\"pid\":%d,\"uid\":0," \
                   "\"binary\":\"/usr/bin/ev\",\"arguments\":\"%s-%d\"}},\"node_name\":\"%s\"," \
                   "\"time\":\"2026-11-26T10:00:00Z\"}\n", pod, i, 1000 + i, pod, i, node
    }'
}

# kc_start RUN ARGS...: start tetra-capture --k8s ARGS in the background,
# stdout to $K8S_DIR/RUN.out, stderr to $K8S_DIR/RUN.err.
kc_start() {
    local run
    run=$1
    shift
    # shellcheck disable=SC2086
    "$KC_CAP" --k8s $KC_OUT_ARGS "$@" >"$K8S_DIR/$run.out" 2>"$K8S_DIR/$run.err" &
    echo $! >"$K8S_DIR/pids/capture.pid"
    KC_PID=$!
}

# kc_stop [SIGNAL]: stop it (TERM by default) and wait; returns its status.
kc_stop() {
    local rc
    kill -"${1:-TERM}" "$KC_PID" 2>/dev/null
    wait "$KC_PID"
    rc=$?
    rm -f "$K8S_DIR/pids/capture.pid"
    return $rc
}

kc_alive() { kill -0 "$KC_PID" 2>/dev/null; }

# kc_markers: the arguments of every event produced so far, one a line, in
# the order they were produced (per partition for Kafka).
kc_markers() {
    if [ -n "$KC_TOPIC" ]; then
        kcat -C -b "$KAFKA_BROKERS" -t "$KC_TOPIC" -e -o beginning -q -f '%R%s' 2>/dev/null |
            python3 "$ROOT/tests/kcat-reframe.py" | "$KC_CAP" -q -I proto - |
            jq -r '.process_exec.process.arguments // empty'
    else
        cat "$K8S_DIR"/*.out 2>/dev/null | jq -r '.process_exec.process.arguments // empty'
    fi
}

kc_count_is_at_least() { [ "$(kc_markers | wc -l)" -ge "$1" ]; }

# kc_expect_exactly FILE: every marker in FILE (one a line) arrived exactly
# once, and nothing else arrived.  Prints what differs.
kc_expect_exactly() {
    kc_markers | sort >"$K8S_DIR/got.sorted"
    sort "$1" >"$K8S_DIR/want.sorted"
    if ! cmp -s "$K8S_DIR/got.sorted" "$K8S_DIR/want.sorted"; then
        echo "missing: $(comm -13 "$K8S_DIR/got.sorted" "$K8S_DIR/want.sorted" | head -5 | tr '\n' ' ')"
        echo "extra or duplicated: $(sort "$K8S_DIR/got.sorted" | uniq -d | head -5 | tr '\n' ' ')" \
             "$(comm -23 "$K8S_DIR/got.sorted" "$K8S_DIR/want.sorted" | head -5 | tr '\n' ' ')"
        return 1
    fi
}

# kc_wait_streams KUBELET N: wait until the fake kubelet has N open streams.
kc_streams_are() { [ "$(k8s_kubelet_streams "$1" | jq 'length')" = "$2" ]; }
kc_wait_streams() { k8s_wait_for "${3:-15}" "$2 log stream(s) at $1" kc_streams_are "$1" "$2"; }

# The common start of a capture test: fail/ok reporters, then a cluster up
# (exit 77 when it cannot be built).  ERRGLOB names the capture stderr files
# worth showing on failure.
kc_begin() { # [ERRGLOB]
    KC_ERRGLOB=${1:-run*.err}
    k8s_init
    kb_rc=$?
    [ $kb_rc = 0 ] || exit $kb_rc
    k8s_up || fail "the cluster did not come up"
}
fail() {
    echo "FAIL: $*" >&2
    # shellcheck disable=SC2086
    [ -n "${K8S_DIR:-}" ] && tail -n 20 "$K8S_DIR"/${KC_ERRGLOB:-run*.err} >&2
    exit 1
}
ok() { echo "ok: $*"; }
