#!/bin/sh
# 40_sink_dlqtopic.sh - dead letters to a Kafka topic: from a consumed
# topic, a record that is not JSON and a document OpenSearch refuses end up
# on the --dlq-topic with their reasons, every other record is indexed, and
# the offsets move past the rejected records (a restart reads nothing).
# A full dead-letter producer queue pauses reading without freezing the
# sink or committing past undelivered entries.
. "$ROOT/tests/integration/sink/lib.sh"
[ -n "${KAFKA_BROKERS:-}" ] || { echo "KAFKA_BROKERS is not set"; exit 77; }
command -v kcat >/dev/null || { echo "kcat is not installed"; exit 77; }
setup_names dlqt
TOPIC="$PREFIX-in"
DLQ="$PREFIX-dlq"
N=500
{
    sh "$GEN" "$N" "$RUN"
    echo '{"process_kprobe":{"process":{"exec_id":"bad-1","binary":"/x"},"function_name":"f","args":[{"sock_arg":{"saddr":"not-an-ip"}}]},"node_name":"n","time":"2024-05-01T01:02:03Z"}'
    echo '{"process_exec": nope'
} | kcat -P -b "$KAFKA_BROKERS" -t "$TOPIC" || fail "kcat -P"

run_sink() { # log [options]: run until N documents are there (or 8 s for an empty run), then SIGTERM
    log=$1
    shift
    "$SINK" -b "$KAFKA_BROKERS" -t "$TOPIC" -G "$PREFIX-g" --opensearch "$OS" --index "$INDEX" \
        --template-name "$TEMPLATE" --dlq-topic "$DLQ" "$@" 2>"$log" &
    pid=$!
    i=0
    while [ "$(count "$PREFIX-*")" != "$N" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
    sleep 3
    kill -TERM $pid
    wait $pid || fail "exit $?: $(cat "$log")"
    cat "$log"
}
run_sink "$T/e1"
[ "$(count "$PREFIX-*")" = "$N" ] || fail "$(count "$PREFIX-*") documents, want $N"
[ "$(summary_value "$T/e1" dead_lettered)" = 2 ] || fail "dead_lettered != 2"
kcat -C -b "$KAFKA_BROKERS" -t "$DLQ" -e -q >"$T/dlq" 2>/dev/null || fail "kcat -C"
[ "$(wc -l <"$T/dlq")" = 2 ] || fail "dead-letter topic holds $(wc -l <"$T/dlq") entries: $(cat "$T/dlq")"
jq -e -s 'any(.[]; .reason == "os_rejected" and (.error | test("mapper_parsing_exception")))' \
    "$T/dlq" >/dev/null || fail "no os_rejected entry: $(cat "$T/dlq")"
jq -e -s 'any(.[]; .reason == "invalid_json")' "$T/dlq" >/dev/null || fail "no invalid_json entry"
ok "$N documents indexed; the refused document and the broken record are on $DLQ with reasons"

run_sink "$T/e2"
[ "$(summary_value "$T/e2" read)" = 0 ] || fail "a restart read records again"
ok "offsets moved past the dead-lettered records"

# Without a dead-letter destination the two are dropped: the sink goes on,
# commits past them (they must not hold the partition), and exits 1
"$SINK" -b "$KAFKA_BROKERS" -t "$TOPIC" -G "$PREFIX-g0" --opensearch "$OS" --index "$INDEX" \
    --template-name "$TEMPLATE" 2>"$T/d1" &
pid=$!
i=0
while [ "$(summary_value "$T/d1" read)" = "" ] && [ $i -lt 100 ]; do
    sleep 0.2
    i=$((i + 1))
    [ $i = 50 ] && kill -TERM $pid
done
wait $pid
rc=$?
grep -v 'kafka:' "$T/d1" | tail -n 4
[ $rc = 1 ] || fail "2 records dropped: exit $rc, want 1"
grep -q "error: 2 records were dropped" "$T/d1" || fail "no error line counting the dropped records"
grep -q "dropped the record at $TOPIC/0 offset" "$T/d1" || fail "no warning saying where"
[ "$(summary_value "$T/d1" read)" = $((N + 2)) ] || fail "did not read past the dropped records"
run_sink "$T/d2" -G "$PREFIX-g0"
[ "$(summary_value "$T/d2" read)" = 0 ] || fail "the offsets did not move past the dropped records"
ok "without a dead-letter destination: dropped with warnings, offsets move on, exit 1"

# A dead-letter producer whose queue is full (room for one entry, which
# lingers for a minute) must not freeze the sink: it stops reading, still
# obeys SIGTERM, and commits nothing past the entries not yet delivered,
# so a restart dead-letters the same records again.
TOPIC2="$PREFIX-full"
DLQ2="$PREFIX-dlq2"
{
    echo '{"process_exec": bad-1'
    echo '{"process_exec": bad-2'
    echo '{"process_exec": bad-3'
    sh "$GEN" 20 "$((RUN + 1))"
} | kcat -P -p 0 -b "$KAFKA_BROKERS" -t "$TOPIC2" || fail "kcat -P"
"$SINK" -v -b "$KAFKA_BROKERS" -t "$TOPIC2" -G "$PREFIX-g2" --opensearch "$OS" --index "$INDEX" \
    --template-name "$TEMPLATE" --dlq-topic "$DLQ2" --drain-ms 2000 \
    -X queue.buffering.max.messages=1 -X linger.ms=60000 2>"$T/f1" &
pid=$!
i=0
while ! grep -q 'assigned' "$T/f1" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 3
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then
    kill -KILL $pid
    wait $pid
    fail "still running 15 s after SIGTERM with a full dead-letter queue: $(grep -v kafka: "$T/f1" | tail -n 5)"
fi
wait $pid
rc=$?
grep -v 'kafka:' "$T/f1" | tail -n 4
[ $rc = 1 ] || fail "exit $rc with dead-letter entries undelivered, want 1"
[ "$(summary_value "$T/f1" read)" -lt 23 ] || fail "reading did not pause"
grep -q 'not delivered' "$T/f1" || fail "no message about the undelivered entries"
ok "a full dead-letter queue pauses reading; SIGTERM still stops the sink (exit 1)"
"$SINK" -b "$KAFKA_BROKERS" -t "$TOPIC2" -G "$PREFIX-g2" --opensearch "$OS" --index "$INDEX" \
    --template-name "$TEMPLATE" --dlq-topic "$DLQ2" 2>"$T/f2" &
pid=$!
i=0
while [ "$(summary_value "$T/f2" read)" = "" ] && [ $i -lt 100 ]; do
    sleep 0.2
    i=$((i + 1))
    [ $i = 40 ] && kill -TERM $pid
done
wait $pid || fail "restart: exit $?: $(tail -n 5 "$T/f2")"
tail -n 1 "$T/f2"
[ "$(summary_value "$T/f2" read)" = 23 ] || fail "the restart did not read all 23 records again"
[ "$(summary_value "$T/f2" dead_lettered)" = 3 ] || fail "the restart did not dead-letter the 3"
ok "nothing was committed past the undelivered entries: the restart dead-letters them"
exit 0
