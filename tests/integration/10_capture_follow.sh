#!/bin/sh
# 10_capture_follow.sh - tetra-capture --follow through the real binary:
# events appended later are picked up, a rotation (rename + new file) loses
# nothing of the old file, a truncation starts over at 0, SIGTERM exits 0
# after saving the state, and a restart with --state resumes exactly where it
# stopped even across a rotation that happened while it was down: every
# event comes out once, none twice, none skipped.
set -u
BIN=${BIN:-$ROOT/bin}
CAP="$BIN/tetra-capture"
T=$(mktemp -d) || exit 1
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in "$T"/err*; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
    exit 1
}
mkdir "$T/logs"
LOG="$T/logs/tetragon.log"
ev() { # pid...
    for p in "$@"; do
        printf '{"process_exec":{"process":{"pid":%d,"binary":"/bin/x"}},"node_name":"n1"}\n' "$p"
    done
}
pids() { jq -r '.process_exec.process.pid' "$1" | tr '\n' ' ' | sed 's/ $//'; }
wait_lines() { # file count
    i=0
    while [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
        i=$((i + 1))
        [ $i -gt 150 ] && fail "timed out waiting for $2 lines in $1 (have: $(pids "$1"))"
        sleep 0.1
    done
}
wait_open() { # pid file: until the process holds the file open
    i=0
    while ! ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "-> $2\$"; do
        i=$((i + 1))
        [ $i -gt 150 ] && fail "process $1 never opened $2"
        sleep 0.1
    done
}
start() { # out err
    "$CAP" -f --state "$T/state" "$LOG" >"$1" 2>"$2" &
    pid=$!
}
stop() {
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    pid=""
    [ "$rc" -eq 0 ] || fail "exit $rc after SIGTERM"
}

# 1. a file that does not exist yet is waited for; appends are picked up
start "$T/out1" "$T/err1"
sleep 0.3
ev 1 2 3 >"$LOG"
wait_lines "$T/out1" 3
ev 4 5 >>"$LOG"
wait_lines "$T/out1" 5
echo "ok: appended events picked up"

# 2. rotation: the last lines of the old file, then the new file
ev 6 7 >>"$LOG"
mv "$LOG" "$LOG.1"
ev 8 9 >"$LOG"
wait_lines "$T/out1" 9
echo "ok: rotation"

# 3. truncation: start over at 0 (truncate, then write less than before)
sleep 0.3
: >"$LOG"
ev 10 >>"$LOG"
wait_lines "$T/out1" 10
stop
[ "$(pids "$T/out1")" = "1 2 3 4 5 6 7 8 9 10" ] || fail "first run: $(pids "$T/out1")"
tail -n 1 "$T/err1" | grep -q 'read=10 written=10 rejected=0' || fail "summary: $(tail -n 1 "$T/err1")"
grep -q 'rotations=1' "$T/err1" && grep -q 'truncations=1' "$T/err1" || fail "rotation/truncation not counted"
[ -s "$T/state" ] || fail "no state file"
echo "ok: truncation, SIGTERM exit 0, state saved"

# 4. while down: more events, a rotation, a new file
ev 11 12 >>"$LOG"
mv "$LOG" "$LOG.2"
ev 13 >"$LOG"
start "$T/out2" "$T/err2"
wait_lines "$T/out2" 3
ev 14 >>"$LOG"
wait_lines "$T/out2" 4
sleep 1.2 # one periodic save while running
stop
[ "$(pids "$T/out2")" = "11 12 13 14" ] || fail "after restart: $(pids "$T/out2"), want 11 12 13 14"
echo "ok: restart resumed exactly, across a rotation while down"

# 5. a restart with nothing new sends nothing again
start "$T/out3" "$T/err3"
sleep 1
stop
[ ! -s "$T/out3" ] || fail "a restart re-sent: $(pids "$T/out3")"
tail -n 1 "$T/err3" | grep -q 'read=0 written=0' || fail "idle restart summary"
echo "ok: an idle restart sends nothing twice"

# 6. a record split across two writes is sent once, whole; a pretty-printed
#    event works in follow mode too
printf '{"process_exec":{"process":{"pid":15,' >>"$LOG"
start "$T/out4" "$T/err4"
sleep 0.5
printf '"binary":"/bin/x"}},"node_name":"n1"}\n{\n  "process_exec": {\n    "process": {"pid": 16}\n  }\n}\n' >>"$LOG"
wait_lines "$T/out4" 2
stop
[ "$(pids "$T/out4")" = "15 16" ] || fail "split/pretty: $(pids "$T/out4")"
echo "ok: split writes and pretty-printed events"

# 7. --from-end without state starts at the end
ev 100 101 >"$T/logs/other.log"
"$CAP" -f --from-end "$T/logs/other.log" >"$T/out5" 2>"$T/err5" &
pid=$!
wait_open "$pid" "$T/logs/other.log"
ev 102 >>"$T/logs/other.log"
wait_lines "$T/out5" 1
stop
[ "$(pids "$T/out5")" = "102" ] || fail "--from-end: $(pids "$T/out5")"
echo "ok: --from-end"
