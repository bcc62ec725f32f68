#!/bin/sh
# run.sh - the one test driver behind make test, test-unit, test-integration
# and test-k8s.
#
# Unit tests are check executables under build/*/tests; integration tests
# are shell scripts under tests/integration (and tests/k8s) that exit 0 for
# pass, 77 for skip (a failure when CI=true), anything else for fail.  Services are started once for
# the whole run and always stopped again, also when a test fails or the run
# is interrupted.  Each test gets TEST_TIMEOUT seconds (default 1800; the
# first k8s test builds kube-apiserver on a fresh machine).  The closing
# line is "N passed, N failed, N skipped".
#
# usage: tests/run.sh [--san 0|1] unit|integration|k8s|all [PATTERN]
set -u
SAN=1
if [ "${1:-}" = "--san" ]; then SAN=$2; shift 2; fi
WHAT=${1:-all}
PATTERN=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
if [ "$SAN" = 1 ]; then OBJ=build/san; export BIN="$ROOT/build/san/bin"; else
    OBJ=build/obj; export BIN="$ROOT/bin"; fi
export ROOT
export SAMPLES_DIR="${SAMPLES_DIR:-$ROOT/../shared/samples/tetragon}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
LOGDIR="$ROOT/build/test-logs"
mkdir -p "$LOGDIR"

pass=0 fail=0 skip=0 failed=""
# Under CI (CI=true) a skip is a failure: a test that could not run has not
# passed, and a green run must mean every test ran.
record() { # name rc log
    case $2 in
    0) pass=$((pass + 1)); echo "PASS $1" ;;
    77) if [ "${CI:-}" = true ]; then
            fail=$((fail + 1)); failed="$failed $1"
            echo "FAIL $1 (skipped, and under CI a skip is a failure): $(tail -n 1 "$3" 2>/dev/null)"
        else skip=$((skip + 1)); echo "SKIP $1: $(tail -n 1 "$3" 2>/dev/null)"; fi ;;
    *) fail=$((fail + 1)); failed="$failed $1"; echo "FAIL $1 (exit $2), last lines of $3:"
       tail -n 25 "$3" | sed 's/^/    /' ;;
    esac
}

run_unit() {
    for t in "$OBJ"/tests/test_*; do
        [ -x "$t" ] || continue
        n=$(basename "$t")
        case $n in *"$PATTERN"*) ;; *) continue ;; esac
        log="$LOGDIR/$n.log"
        CK_DEFAULT_TIMEOUT=120 timeout -k 30 "${TEST_TIMEOUT:-1800}" "$t" >"$log" 2>&1
        rc=$?
        grep -E '^[0-9]+%: Checks' "$log" | sed "s/^/    $n: /"
        record "unit/$n" $rc "$log"
    done
}

run_scripts() { # dir
    for t in "$1"/[0-9]*.sh; do # lib*.sh beside them are helpers, not tests
        [ -f "$t" ] || continue
        n=$(basename "$t" .sh)
        case $n in *"$PATTERN"*) ;; *) continue ;; esac
        log="$LOGDIR/$(basename "$1")-$n.log"
        # a hung test must not eat CI's whole budget: TERM, then KILL
        timeout -k 30 "${TEST_TIMEOUT:-1800}" sh "$t" >"$log" 2>&1 </dev/null
        record "$(basename "$1")/$n" $? "$log"
    done
}

services_started=0
services_up() {
    [ "$services_started" = 1 ] && return 0
    services_started=1
    if ! sh tests/services/services.sh up ${TEST_SERVICES:-kafka opensearch llm}; then
        echo "run.sh: the test services did not start; see above" >&2
        return 1
    fi
    # shellcheck disable=SC1091
    . "$ROOT/build/services.env"
    export KAFKA_BROKERS OPENSEARCH_URL LLM_URL LLM_MODEL
}
cleanup() {
    if [ "$services_started" = 1 ] && [ -z "${KEEP_SERVICES:-}" ]; then
        sh tests/services/services.sh down >/dev/null 2>&1
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case $WHAT in
unit) run_unit ;;
integration) if services_up; then run_scripts tests/integration; else fail=$((fail + 1)); fi ;;
k8s) run_scripts tests/k8s ;;
all) run_unit
     if services_up; then run_scripts tests/integration; else fail=$((fail + 1)); fi
     run_scripts tests/k8s ;;
*) echo "usage: tests/run.sh [--san 0|1] unit|integration|k8s|all [PATTERN]" >&2; exit 2 ;;
esac

echo "$pass passed, $fail failed, $skip skipped"
[ -n "$failed" ] && echo "failed:$failed"
[ "$fail" = 0 ]
