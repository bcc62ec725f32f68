# lib.sh - shared helpers of the 40_sink_*.sh tests (sourced, not run).
# Each test works in indices and a template of its own (tsink-<test>-<pid>)
# and removes them at exit, so tests never see each other's documents.
set -u
BIN=${BIN:-$ROOT/bin}
SINK="$BIN/tetra-sink"
GEN="$ROOT/tests/integration/sink/gen-events.sh"
if [ -z "${OPENSEARCH_URL:-}" ]; then
    echo "OPENSEARCH_URL is not set (start the services)"
    exit 77
fi
T=$(mktemp -d) || exit 1
OS=$OPENSEARCH_URL
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# os METHOD PATH [BODY]: a request to the cluster, response on stdout
os() {
    if [ $# -ge 3 ]; then
        curl -sS -X "$1" -H 'Content-Type: application/json' "$OS$2" -d "$3"
    else
        curl -sS -X "$1" "$OS$2"
    fi
}

# count INDEX [QUERY-JSON]: documents after a refresh
count() {
    os POST "/$1/_refresh" >/dev/null
    if [ $# -ge 2 ]; then
        os POST "/$1/_count" "{\"query\":$2}" | jq -r .count
    else
        os GET "/$1/_count" | jq -r .count
    fi
}

# expect_n N AWK-CONDITION-ON-i: how many i in [0,N) satisfy it
expect_n() { awk -v n="$1" "BEGIN { c = 0; for (i = 0; i < n; i++) if ($2) c++; print c }"; }

# setup_names TEST: PREFIX, INDEX (pattern) and TEMPLATE for this test
setup_names() {
    RUN=$(($$ % 100000))
    PREFIX="tsink-$1-$RUN"
    INDEX="$PREFIX-%Y.%m.%d"
    TEMPLATE="$PREFIX"
    trap 'cleanup' EXIT
}
cleanup() {
    [ -n "${KEEP:-}" ] && return
    os DELETE "/$PREFIX-*" >/dev/null 2>&1
    os DELETE "/_index_template/$TEMPLATE" >/dev/null 2>&1
    rm -rf "$T"
}

# start_py NAME SCRIPT ARGS...: run a Python helper server of ours in the
# background (it prints its port on stdout once it listens); sets PROXY
# to its pid and PPORT to the port, or fails naming NAME
start_py() {
    sp_name=$1
    shift
    rm -f "$T/port"
    python3 "$@" >"$T/port" 2>"$T/proxy.err" &
    PROXY=$!
    sp_i=0
    while [ ! -s "$T/port" ] && [ $sp_i -lt 300 ]; do sleep 0.1; sp_i=$((sp_i + 1)); done
    PPORT=$(cat "$T/port")
    [ -n "$PPORT" ] || fail "the $sp_name did not start: $(cat "$T/proxy.err")"
}

# stop_sink SIGNAL: stop the background sink whose pid is in PID and
# return its exit status (0 when none runs)
stop_sink() {
    [ -n "${PID:-}" ] || return 0
    kill "-$1" "$PID" 2>/dev/null
    wait "$PID"
    rc=$?
    PID=
    return $rc
}

# summary_value FILE KEY: the value of KEY= in the last summary line
summary_value() {
    grep 'read=' "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
