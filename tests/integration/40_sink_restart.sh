#!/bin/sh
# 40_sink_restart.sh - the issue's case taken literally: the real OpenSearch
# is stopped for 30 s mid-stream and started again (same port, same data).
# The sink keeps running, exits 0 once its input ends, every event is in the
# index exactly once, and a replay adds nothing.
#
# Unlike 40_sink_outage.sh (a killed TCP proxy), this is `services.sh bounce
# opensearch`: requests in flight are cut by the JVM's own shutdown (one
# may have been applied before its answer was lost: its retry then finds
# 409s, counted as duplicates), and after the start the sink meets the
# node's recovery.  Here that showed no 503s: OpenSearch held the first
# requests until its "state not recovered" block and red indices cleared
# (about a second), so the sink saw connections refused, then slow
# answers; a 503 would be retried like them.
#
# It stops the cluster every other test uses: that is safe because
# tests/run.sh runs the integration tests one after another, never two at
# once; do not run it by hand beside other tests.  It skips (77) when
# OPENSEARCH_URL is unset or is not the OpenSearch this checkout's
# services.sh runs (an external cluster cannot be bounced), and it leaves
# OpenSearch running and ready however it ends.
#
# The events go in through a FIFO in three parts, so the stream is mid-way
# at every step: part 1 before the stop, part 2 a little at a time while
# the node shuts down (so requests are in flight when it goes), part 3 once
# part 2 is in and the node is down, so those events must wait for the
# restart.
# SINK_RESTART_S changes the 30 s, SINK_TEST_N the 20000 events.
. "$ROOT/tests/integration/sink/lib.sh"
SERVICES="$ROOT/tests/services/services.sh"
envf="$ROOT/build/services/opensearch/env"
managed=$(sed -n "s/^export OPENSEARCH_URL='\(.*\)'\$/\1/p" "$envf" 2>/dev/null)
if [ "${managed%/}" != "${OS%/}" ]; then
    echo "OPENSEARCH_URL=$OS is not the OpenSearch that $SERVICES runs; cannot bounce it"
    exit 77
fi
setup_names restart
N=${SINK_TEST_N:-20000}
DOWN=${SINK_RESTART_S:-30}
SPID='' BPID='' FEED=''

os_ready() { curl -sf "$OS/_cluster/health" | grep -Eq '"status":"(green|yellow)"'; }

# However the test ends: stop the feeders and the sink (KILL: on TERM it
# would go on delivering and re-create the indices after cleanup), let a
# bounce under way finish (it brings the node back), start the node again
# if it is still not ready, and only then delete the test's indices.
# shellcheck disable=SC2317 # run by the trap
finish() {
    rc=$?
    [ -n "$FEED" ] && kill "$FEED" 2>/dev/null
    [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    exec 3>&-
    if [ -n "$BPID" ]; then
        wait "$BPID"
        sed 's/^/    /' "$T/bounce"
    fi
    if ! os_ready; then
        echo "OpenSearch is not ready at the end; starting it again"
        sh "$SERVICES" bounce opensearch 0 3>&-
    fi
    cleanup
    exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM

sh "$GEN" "$N" "$RUN" >"$T/events"
q=$((N / 4))
head -n "$q" "$T/events" >"$T/part1"
sed -n "$((q + 1)),$((2 * q))p" "$T/events" | split -l 250 - "$T/part2."
tail -n +$((2 * q + 1)) "$T/events" >"$T/part3"

mkfifo "$T/in"
"$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" \
    --batch-docs 200 --inflight 2 --max-queued 2000 --retry-max-ms 2000 --timeout-ms 5000 \
    --drain-ms 120000 <"$T/in" 2>"$T/err" &
SPID=$!
exec 3>"$T/in"

# alive WHAT: fail unless the sink still runs.
alive() { kill -0 "$SPID" 2>/dev/null || fail "the sink exited $1: $(cat "$T/err")"; }

cat "$T/part1" >&3
i=0
while [ "$(count "$PREFIX-*")" -lt $((q / 2)) ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
alive "before the stop"
before=$(count "$PREFIX-*")
[ "$before" -lt "$N" ] || fail "everything was indexed before the stop"
ok "$before of $N documents indexed; stopping OpenSearch for $DOWN s"

# 3>&-: neither the bounce nor the node it starts may hold the FIFO open,
# or the sink never sees the end of its input
sh "$SERVICES" bounce opensearch "$DOWN" >"$T/bounce" 2>&1 3>&- &
BPID=$!
# one writer: two at once would interleave their lines in the FIFO
{
    for f in "$T"/part2.*; do cat "$f"; sleep 0.2; done
    while [ ! -e "$T/down" ]; do sleep 0.1; done
    cat "$T/part3"
} >&3 &
FEED=$!
i=0
while ! grep -qs 'opensearch stopped' "$T/bounce"; do
    kill -0 "$BPID" 2>/dev/null || fail "bounce ended before the node was down: $(cat "$T/bounce")"
    [ $i -lt 600 ] || fail "OpenSearch did not stop within 60 s: $(cat "$T/bounce")"
    sleep 0.1; i=$((i + 1))
done
t0=$(date +%s)
: >"$T/down"
ok "OpenSearch is down; the last $((N - 2 * q)) events go in only now"

while kill -0 "$BPID" 2>/dev/null; do
    alive "while OpenSearch was down or recovering"
    sleep 1
done
wait "$BPID"
brc=$?
BPID=
sed 's/^/    /' "$T/bounce"
[ $brc -eq 0 ] || fail "services.sh bounce failed (exit $brc)"
ok "OpenSearch ready again $(($(date +%s) - t0)) s after it stopped; the sink still runs"

# all input must be read within a few minutes of the restart
i=0
while kill -0 "$FEED" 2>/dev/null; do
    alive "before reading all its input"
    [ $i -lt 300 ] || fail "the sink stopped reading its input after the restart: $(cat "$T/err")"
    sleep 1; i=$((i + 1))
done
FEED=''
exec 3>&-
i=0
while kill -0 "$SPID" 2>/dev/null; do
    [ $i -lt 300 ] || fail "the sink did not finish within 300 s of its input's end: $(cat "$T/err")"
    sleep 1; i=$((i + 1))
done
wait "$SPID"
rc=$?
SPID=
grep -o 'bulk request failed ([^)]*)' "$T/err" | sort | uniq -c | sed 's/^/    warned: /'
tail -n 1 "$T/err"
[ $rc -eq 0 ] || fail "the sink's exit status is $rc: $(cat "$T/err")"
r=$(summary_value "$T/err" retries)
[ "${r:-0}" -gt 0 ] || fail "no retries counted"
[ "$(summary_value "$T/err" read)" = "$N" ] || fail "read != $N"
[ "$(summary_value "$T/err" rejected)" = 0 ] || fail "rejected != 0"
ind=$(summary_value "$T/err" indexed)
dup=$(summary_value "$T/err" duplicates)
[ $((ind + dup)) = "$N" ] || fail "indexed $ind + duplicates $dup != $N"
got=$(count "$PREFIX-*")
[ "$got" = "$N" ] || fail "$got documents, want $N"
ok "exit 0, $got of $N documents ($ind indexed, $dup found already there after a cut request), $r retries"

"$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" <"$T/events" \
    2>"$T/err2"
rc=$?
tail -n 1 "$T/err2"
[ $rc -eq 0 ] || fail "replay exit $rc"
[ "$(summary_value "$T/err2" duplicates)" = "$N" ] || fail "replay: duplicates != $N"
[ "$(summary_value "$T/err2" indexed)" = 0 ] || fail "replay indexed something"
got=$(count "$PREFIX-*")
[ "$got" = "$N" ] || fail "after the replay $got documents, want $N"
ok "replay: all $N duplicates, still $got documents"
exit 0
