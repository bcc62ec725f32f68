#!/bin/sh
# 10_capture_kafka_local.sh - the Kafka output's delivery accounting without
# the test services: librdkafka's built-in mock cluster takes every message
# (exit 0, written = read); an unreachable broker makes tetra-capture exit 1
# saying how many messages were not delivered; and while it waits for a
# flush that cannot finish, a first SIGTERM keeps waiting and a second one
# gives up (exit 1, the count of undelivered messages).  With --follow
# --state, undelivered events never count as done: the state stays before
# them, and the next run sends them.
set -u
BIN=${BIN:-$ROOT/bin}
CAP="$BIN/tetra-capture"
T=$(mktemp -d) || exit 1
pid=""
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; cat "$T"/err* 2>/dev/null; exit 1; }
for p in 1 2 3 4 5 6 7; do
    printf '{"process_exec":{"process":{"pid":%d}},"node_name":"n%d"}\n' "$p" "$p"
done >"$T/in"

"$CAP" -X test.mock.num.brokers=1 -t mock "$T/in" 2>"$T/err1" || fail "mock: exit $?"
tail -n 1 "$T/err1" | grep -q 'read=7 written=7 rejected=0$' || fail "mock summary"
echo "ok: mock cluster: all 7 delivered"

"$CAP" -b 127.0.0.1:1 -t nowhere -X message.timeout.ms=1500 "$T/in" 2>"$T/err2"
[ $? -eq 1 ] || fail "unreachable broker: exit not 1"
grep -q 'error: 7 of 7 messages not delivered' "$T/err2" || fail "no undelivered message"
tail -n 1 "$T/err2" | grep -q 'read=7 written=0 rejected=0 undelivered=7$' || fail "summary"
[ "$(grep -c '_TRANSPORT' "$T/err2")" -le 1 ] || fail "broker errors not rate-limited"
echo "ok: unreachable broker: exit 1, 7 of 7 not delivered"

"$CAP" -b 127.0.0.1:1 -t nowhere -X message.timeout.ms=60000 "$T/in" 2>"$T/err3" &
pid=$!
sleep 1
kill -TERM "$pid"
sleep 1
kill -0 "$pid" 2>/dev/null || fail "first SIGTERM did not wait for the flush"
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "second SIGTERM did not stop the flush"; sleep 0.1
done
wait "$pid"
rc=$?
pid=""
[ "$rc" -eq 1 ] || fail "abandoned flush: exit $rc, want 1"
grep -q '7 of 7 messages not delivered' "$T/err3" || fail "abandoned flush message"
echo "ok: second SIGTERM abandons the flush with exit 1"

# --follow --state with a broker that never answers: nothing delivered, so
# the saved position must not move past any event; a later run (to stdout
# here) gets every one of them
mkdir "$T/logs"
cp "$T/in" "$T/logs/tetragon.log"
"$CAP" -f --state "$T/state" -b 127.0.0.1:1 -t nowhere -X message.timeout.ms=1000 \
    "$T/logs/tetragon.log" 2>"$T/err4" &
pid=$!
sleep 3 # past the message timeout: every delivery has failed by now
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" -eq 1 ] || fail "follow with a dead broker: exit $rc, want 1"
grep -q '7 of 7 messages not delivered' "$T/err4" || fail "follow: undelivered count"
: >"$T/out5" # exists before the background shell opens it: the loop below reads it
"$CAP" -f --state "$T/state" "$T/logs/tetragon.log" >"$T/out5" 2>"$T/err5" &
pid=$!
i=0
while [ "$(wc -l <"$T/out5")" -lt 7 ]; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "the undelivered events were not read again"; sleep 0.1
done
kill -TERM "$pid"
wait "$pid" || fail "second run exit $?"
pid=""
cmp -s "$T/in" "$T/out5" || fail "second run did not send all 7 again, in order"
echo "ok: undelivered events keep the saved position; the next run sends them"
