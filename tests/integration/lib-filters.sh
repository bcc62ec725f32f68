# lib-filters.sh - sourced by the tests that run the three filters as
# background processes against the services (65_metrics, 56_secrets_planted).
# Set RUN (the prefix of topics, groups and indices) first; this gives a
# scratch directory T, a list of processes pids that is killed on exit along
# with RUN's indices, failure bookkeeping (bad, fail), free ports and a wait
# for a condition.
# shellcheck shell=sh
BIN=${BIN:-$ROOT/bin}
S="$ROOT/tests/fixtures/scenarios"
T=$(mktemp -d) || exit 1
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    curl -s -XDELETE "$OPENSEARCH_URL/$RUN-*" >/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# until_ok SECONDS COMMAND...: wait for a condition given as the command
until_ok() {
    n=$1; shift
    while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 1; n=$((n - 1)); done
    return 1
}
