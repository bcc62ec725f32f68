#!/bin/sh
# 40_sink_refused.sh - documents the real OpenSearch refuses for reasons of
# its own setup stop the sink, and nothing is lost or committed.
#
# The test cluster runs without the security plugin, so the per-document
# 403 here is a write block (cluster_block_exception) on indices created
# beforehand; missing index permissions come back in the same shape and
# take the same path.  The sink must exit non-zero naming the status, the
# error and what to do, and dead-letter nothing.  On Kafka it must commit
# nothing: once the block is lifted, a restart on the same group reads
# every record again and indexes them all.
. "$ROOT/tests/integration/sink/lib.sh"
setup_names refused
N=${SINK_TEST_N:-300}
PID=

sh "$GEN" "$N" "$RUN" >"$T/events"
# the sink's template first (no input: it installs it and ends), so the
# indices get its mappings; then the indices the events go to, each with
# writes blocked
"$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" </dev/null 2>"$T/err0" ||
    fail "template: $(cat "$T/err0")"
"$SINK" --emit-bulk --index "$INDEX" <"$T/events" 2>/dev/null |
    jq -r 'select(.create) | .create._index' | sort -u >"$T/indices"
[ -s "$T/indices" ] || fail "no index names from --emit-bulk"
for i in $(cat "$T/indices"); do
    os PUT "/$i" '{"settings":{"index.blocks.write":true}}' | grep -q '"acknowledged":true' ||
        fail "cannot create $i"
done

"$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" --dlq "$T/dlq" \
    <"$T/events" 2>"$T/err1"
rc=$?
cat "$T/err1"
[ $rc -ne 0 ] || fail "exit 0 although every document was refused"
grep -q 'HTTP 403 cluster_block_exception: index \[' "$T/err1" || fail "no status and reason"
grep -q 'lift the block' "$T/err1" || fail "no hint what to do"
[ "$(summary_value "$T/err1" rejected)" = 0 ] || fail "refused documents counted as rejected"
[ ! -s "$T/dlq" ] || fail "dead letters: $(head -3 "$T/dlq")"
ok "stdin: per-document 403 -> exit $rc with the reason, nothing dead-lettered"

if [ -z "${KAFKA_BROKERS:-}" ] || ! command -v kcat >/dev/null; then
    echo "no Kafka or kcat: the commit half not run"
    exit 77
fi
TOPIC="$PREFIX"
GROUP="$PREFIX-g"
trap '[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; cleanup' EXIT
kcat -P -b "$KAFKA_BROKERS" -t "$TOPIC" <"$T/events" || fail "kcat -P"
timeout 120 "$SINK" -b "$KAFKA_BROKERS" -t "$TOPIC" -G "$GROUP" --opensearch "$OS" \
    --index "$INDEX" --template-name "$TEMPLATE" --dlq "$T/dlq" 2>"$T/k1"
rc=$?
cat "$T/k1"
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "Kafka: exit $rc, want a refusal of its own"
grep -q 'HTTP 403 cluster_block_exception' "$T/k1" || fail "Kafka: no status and reason"
[ ! -s "$T/dlq" ] || fail "Kafka: dead letters: $(head -3 "$T/dlq")"
ok "Kafka: per-document 403 -> exit $rc"

os PUT "/$PREFIX-*/_settings" '{"index.blocks.write":false}' | grep -q '"acknowledged":true' ||
    fail "cannot lift the block"
"$SINK" -b "$KAFKA_BROKERS" -t "$TOPIC" -G "$GROUP" --opensearch "$OS" --index "$INDEX" \
    --template-name "$TEMPLATE" --dlq "$T/dlq" 2>"$T/k2" &
PID=$!
i=0
while [ "$(count "$PREFIX-*")" != "$N" ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
cat "$T/k2"
[ $rc -eq 0 ] || fail "restart: exit $rc"
[ "$(summary_value "$T/k2" read)" = "$N" ] || fail "restart read $(summary_value "$T/k2" read), want $N: offsets were committed"
[ "$(count "$PREFIX-*")" = "$N" ] || fail "$(count "$PREFIX-*") documents, want $N"
ok "block lifted: a restart on the same group reads all $N records again and indexes them"
