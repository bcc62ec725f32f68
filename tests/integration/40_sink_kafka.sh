#!/bin/sh
# 40_sink_kafka.sh - tetra-sink as a consumer-group member on the real Kafka
# and OpenSearch: N records -> N documents, SIGTERM exits 0 after committing
# (a restart on the same group reads nothing again), and a sink killed with
# SIGKILL mid-stream and restarted on the same group leaves exactly the
# right number of documents: none missing, none doubled.  JSON records go in
# through kcat, binary ones through tetra-capture (message-type header).
# The user's Kafka settings (-X, -c, TETRA_KAFKA_*) win over the sink's
# defaults, and automatic commits cannot be turned on.
. "$ROOT/tests/integration/sink/lib.sh"
[ -n "${KAFKA_BROKERS:-}" ] || { echo "KAFKA_BROKERS is not set"; exit 77; }
command -v kcat >/dev/null || { echo "kcat is not installed"; exit 77; }
setup_names kafka
TOPIC="$PREFIX"
GROUP="$PREFIX-g"
N=${SINK_TEST_N:-3000}
M=${SINK_TEST_M:-20000}
PID=

start_sink() { # log-file extra-options...
    log=$1; shift
    "$SINK" -b "$KAFKA_BROKERS" -t "$TOPIC" -G "$GROUP" --opensearch "$OS" --index "$INDEX" \
        --template-name "$TEMPLATE" --dlq "$T/dlq" "$@" 2>"$log" &
    PID=$!
}
wait_count() { # want seconds
    i=0
    while [ $i -lt $(($2 * 5)) ]; do
        [ "$(count "$PREFIX-*")" = "$1" ] && return 0
        sleep 0.2
        i=$((i + 1))
    done
    return 1
}
trap 'stop_sink KILL; cleanup' EXIT

# 1. JSON records (enriched and plain) through kcat
sh "$GEN" "$N" "$RUN" | kcat -P -b "$KAFKA_BROKERS" -t "$TOPIC" || fail "kcat -P"
start_sink "$T/e1"
wait_count "$N" 120 || fail "only $(count "$PREFIX-*") of $N documents after 120 s: $(cat "$T/e1")"
stop_sink TERM || fail "exit $? after SIGTERM: $(cat "$T/e1")"
cat "$T/e1"
[ "$(summary_value "$T/e1" read)" = "$N" ] || fail "read != $N"
ok "$N records -> $N documents; SIGTERM exits 0"

# 2. the group's offsets were committed: a restart reads nothing
start_sink "$T/e2"
sleep 8
stop_sink TERM || fail "restart: exit $?"
cat "$T/e2"
[ "$(summary_value "$T/e2" read)" = 0 ] || fail "restart on the same group read records again"
ok "restart on the same group reads nothing again"

# 2b. the user's Kafka settings win over the sink's defaults: a -c file and
# TETRA_KAFKA_* variables; automatic commits are refused
joined_read() { # log extra-args...: join, give it 3 s to fetch, SIGTERM
    log=$1
    shift
    "$SINK" -v --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" --dlq "$T/dlq" \
        "$@" 2>"$log" &
    PID=$!
    i=0
    while ! grep -q 'assigned' "$log" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    grep -q 'assigned' "$log" || fail "no partitions assigned in 30 s: $(tail -n 5 "$log")"
    sleep 3
    stop_sink TERM || fail "exit $? after SIGTERM: $(tail -n 5 "$log")"
}
# acks is a topic-level property: it must not cost a new group the
# sink's earliest start (librdkafka copies topic settings whole)
joined_read "$T/x1" -b "$KAFKA_BROKERS" -t "$TOPIC" -G "$GROUP-acks" -X acks=1
got=$(summary_value "$T/x1" read)
[ "$got" = "$N" ] || fail "-X acks=1 on a new group read $got records, want $N"
ok "a topic-level -X keeps the earliest start of a new group"
printf 'group.id=%s\n' "$GROUP" >"$T/kafka.conf"
joined_read "$T/x2" -b "$KAFKA_BROKERS" -t "$TOPIC" -c "$T/kafka.conf"
got=$(summary_value "$T/x2" read)
[ "$got" = 0 ] || fail "group.id from -c was not used: read $got records again"
ok "group.id from a -c file is honoured"
export TETRA_KAFKA_AUTO_OFFSET_RESET=latest
joined_read "$T/x3" -b "$KAFKA_BROKERS" -t "$TOPIC" -G "$GROUP-env"
unset TETRA_KAFKA_AUTO_OFFSET_RESET
got=$(summary_value "$T/x3" read)
[ "$got" = 0 ] || fail "TETRA_KAFKA_AUTO_OFFSET_RESET=latest was not used: read $got records"
ok "TETRA_KAFKA_* variables are read"
for kv in enable.auto.commit=true enable.auto.offset.store=true; do
    timeout 20 "$SINK" -b "$KAFKA_BROKERS" -t "$TOPIC" -G "$GROUP-auto" --opensearch "$OS" \
        -X "$kv" 2>"$T/x4"
    rc=$?
    [ $rc = 2 ] || fail "-X $kv: exit $rc, want 2: $(cat "$T/x4")"
    grep -q "$kv" "$T/x4" || fail "-X $kv: no message naming it: $(cat "$T/x4")"
done
TETRA_KAFKA_NO_SUCH_PROPERTY=1 timeout 20 "$SINK" -b "$KAFKA_BROKERS" -t "$TOPIC" \
    --opensearch "$OS" 2>"$T/x5"
rc=$?
[ $rc = 2 ] || fail "TETRA_KAFKA_NO_SUCH_PROPERTY: exit $rc, want 2: $(cat "$T/x5")"
grep -q TETRA_KAFKA_NO_SUCH_PROPERTY "$T/x5" || fail "no message naming the variable: $(cat "$T/x5")"
ok "automatic commits and unknown TETRA_KAFKA_* variables are usage errors"

# a topic that does not exist is not a silent wait: warned about once
"$SINK" -b "$KAFKA_BROKERS" -t "$TOPIC-none" -G "$GROUP" --opensearch "$OS" --index "$INDEX" \
    --template-name "$TEMPLATE" 2>"$T/x6" &
PID=$!
sleep 8
stop_sink TERM || fail "missing topic: exit $?: $(cat "$T/x6")"
cat "$T/x6"
[ "$(grep -c "warning: kafka: consumer: .*$TOPIC-none.*nknown topic" "$T/x6")" = 1 ] ||
    fail "the missing topic was not warned about exactly once"
ok "a missing topic is warned about once"

# 3. SIGKILL mid-stream, restart, exact count
command -v "$BIN/tetra-capture" >/dev/null || { echo "no tetra-capture"; exit 77; }
sh "$GEN" "$M" "$((RUN + 1))" plain | "$BIN/tetra-capture" -b "$KAFKA_BROKERS" -t "$TOPIC" \
    2>"$T/cap" || fail "tetra-capture: $(cat "$T/cap")"
want=$((N + M))
start_sink "$T/e3" --batch-docs 200 --inflight 2
i=0
while [ "$(count "$PREFIX-*")" -lt $((N + M / 5)) ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
at=$(count "$PREFIX-*")
stop_sink KILL
[ "$at" -lt "$want" ] || echo "note: the kill came after everything was indexed"
ok "killed with SIGKILL at $at of $want documents"
start_sink "$T/e4"
wait_count "$want" 180 || fail "after restart only $(count "$PREFIX-*") of $want: $(cat "$T/e4")"
sleep 3
got=$(count "$PREFIX-*")
stop_sink TERM || fail "exit $? after SIGTERM: $(cat "$T/e4")"
cat "$T/e4"
[ "$got" = "$want" ] || fail "$got documents, want $want"
[ ! -s "$T/dlq" ] || fail "dead letters: $(head -3 "$T/dlq")"
ok "restart on the same group: $got documents, none missing, none doubled ($(summary_value "$T/e4" duplicates) re-read as duplicates)"
exit 0
