#!/bin/sh
# 40_sink_partitions.sh - offsets of more partitions than one commit call
# carries (256) are all committed at exit.  A 1000-partition topic on
# tetra-mockbroker gets keyed records spread over nearly every partition;
# the sink holds every document until the stop (--linger-ms, no byte or
# count limit reached), so they all finish at once and at most three
# commits see them (a timer tick in the drain, the one after it, the one at
# the revoke on close): three calls of 256 used to leave the rest
# uncommitted.  A restart on the same group must then read nothing.
. "$ROOT/tests/integration/sink/lib.sh"
MB="$BIN/tetra-mockbroker"
[ -x "$MB" ] || { echo "no tetra-mockbroker"; exit 77; }
command -v kcat >/dev/null || { echo "kcat is not installed"; exit 77; }
setup_names parts
TOPIC="$PREFIX"
N=5000
PID= MBPID=
trap '[ -n "$PID" ] && kill -KILL $PID; [ -n "$MBPID" ] && kill $MBPID; cleanup' EXIT

"$MB" -t "$TOPIC:1000" >"$T/mb" 2>"$T/mb.err" &
MBPID=$!
i=0
while [ ! -s "$T/mb" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
BROKERS=$(head -n 1 "$T/mb")
[ -n "$BROKERS" ] || fail "tetra-mockbroker did not start: $(cat "$T/mb.err")"

sh "$GEN" "$N" "$RUN" | awk '{ printf "k%d\t%s\n", NR, $0 }' |
    kcat -P -K '\t' -b "$BROKERS" -t "$TOPIC" || fail "kcat -P"
used=$(kcat -C -b "$BROKERS" -t "$TOPIC" -e -q -f '%p\n' | sort -u | wc -l)
[ "$used" -gt 768 ] || fail "only $used partitions got records"

# The mock cluster lets a new member in only when the last one's session
# has expired (it sends no LeaveGroup on close), hence the short session.
run_sink() { # log extra-options...: join, read for a while, SIGTERM; returns the exit status
    log=$1
    shift
    "$SINK" -v -b "$BROKERS" -t "$TOPIC" -G "$PREFIX-g" --opensearch "$OS" --index "$INDEX" \
        --template-name "$TEMPLATE" --dlq "$T/dlq" -X session.timeout.ms=6000 "$@" 2>"$log" &
    PID=$!
    i=0
    while ! grep -q 'assigned 1000' "$log" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    grep -q 'assigned 1000' "$log" || fail "no assignment after 60 s: $(tail -n 5 "$log")"
    sleep 4
    kill -TERM $PID
    wait $PID
    rc=$?
    PID=
    grep -v 'kafka:' "$log" | tail -n 3
    return $rc
}
run_sink "$T/e1" --linger-ms 600000 --batch-docs 100000 --batch-bytes 1g ||
    fail "exit $?: $(tail -n 5 "$T/e1")"
[ "$(summary_value "$T/e1" read)" = "$N" ] || fail "read != $N"
[ "$(count "$PREFIX-*")" = "$N" ] || fail "$(count "$PREFIX-*") documents, want $N"
ok "$N records over $used partitions indexed at the stop"

run_sink "$T/e2" || fail "restart: exit $?"
got=$(summary_value "$T/e2" read)
[ "$got" = 0 ] || fail "a restart read $got records again: the exit commit missed partitions"
ok "the exit commit covered all $used partitions"
exit 0
