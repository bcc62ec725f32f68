#!/bin/sh
# 40_sink_dlqtopic.sh - dead letters to a Kafka topic: from a consumed
# topic, a record that is not JSON and a document OpenSearch refuses end up
# on the --dlq-topic with their reasons, every other record is indexed, and
# the offsets move past the rejected records (a restart reads nothing).
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

run_sink() { # log: run until N documents are there (or 8 s for an empty run), then SIGTERM
    "$SINK" -b "$KAFKA_BROKERS" -t "$TOPIC" -G "$PREFIX-g" --opensearch "$OS" --index "$INDEX" \
        --template-name "$TEMPLATE" --dlq-topic "$DLQ" 2>"$1" &
    pid=$!
    i=0
    while [ "$(count "$PREFIX-*")" != "$N" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
    sleep 3
    kill -TERM $pid
    wait $pid || fail "exit $?: $(cat "$1")"
    cat "$1"
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
exit 0
