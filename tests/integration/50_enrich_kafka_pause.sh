#!/bin/sh
# 50_enrich_kafka_pause.sh - a full flow pauses fetching, keeps polling.
#
# The stub LLM answers after 8 seconds and tetra-enrich holds at most 4
# records (--max-pending 4), so the flow is full for as long as a call
# takes, longer than the consumer's max.poll.interval.ms (7 s here).  A
# loop that stopped polling while full would be thrown out of its group
# (librdkafka's "maximum poll interval exceeded"), lose its partition
# mid-flight and enrich records twice; one that kept fetching would queue
# the topic in memory.  Reading must instead pause the partitions and
# resume them when a slot frees.  In both Kafka modes, one uninterrupted
# run each:
#   - nothing lost and nothing doubled: every source offset once;
#   - the input paused (pauses= in the summary) and the member never left
#     its group;
#   - memory bounded by --max-pending: never more calls in flight than
#     records held.
set -u
[ -n "${KAFKA_BROKERS:-}" ] || { echo "KAFKA_BROKERS unset"; exit 77; }
command -v kcat >/dev/null || { echo "kcat not installed"; exit 77; }
. "$ROOT/tests/integration/enrich/lib.sh"
kafka_flow_setup pause 8 120

# check MODE OUT ISOLATION ERRFILE: the run's output and summary
check() {
    keys "$2" "$3" >"$T/k"
    n=$(wc -l <"$T/k") have=$(sort -u "$T/k" | wc -l)
    echo "$1: $n records, $have distinct source offsets of $total; $(tail -n 1 "$4")"
    [ "$have" -eq "$total" ] || bad "$1 lost $((total - have)) records"
    [ "$n" -eq "$have" ] || bad "$1 enriched $((n - have)) records twice"
    pauses=$(tail -n 1 "$4" | tr ' ' '\n' | sed -n 's/^pauses=//p')
    [ "${pauses:-0}" -gt 0 ] || bad "$1: the input never paused"
    if grep -qi "poll interval\|MAX_POLL" "$4"; then
        bad "$1 left its group while full:"; grep -i "poll interval\|MAX_POLL" "$4" | head -3
    fi
}

run() { # OUT GROUP ERRFILE [options]
    out=$1 g=$2 errf=$3; shift 3
    "$E" --llm-url "$URL" --llm-model stub -b "$KAFKA_BROKERS" -t "$RAW" -T "$out" -G "$g" \
        --max-pending 4 --idle-exit 12000 -X session.timeout.ms=6000 -X max.poll.interval.ms=7000 \
        "$@" 2>"$errf" &
    pid=$!
    wait "$pid" || bad "$out: exit $?"
    pid=
}

run "pause-out-$id" "pause-g-$id" "$T/err1"
check at-least-once "pause-out-$id" read_uncommitted "$T/err1"
run "pause-txout-$id" "pause-txg-$id" "$T/err2" --transactional-id "pause-tx-$id"
check transactional "pause-txout-$id" read_committed "$T/err2"

inflight=$(curl -fsS "$URL/models" | sed -n 's/.*"max_inflight": *\([0-9]*\).*/\1/p')
echo "the stub saw at most ${inflight:-?} calls in flight"
[ -n "$inflight" ] && [ "$inflight" -le 4 ] || bad "more calls in flight (${inflight:-?}) than --max-pending 4"
[ $fail = 0 ] && echo "ok: a full flow paused its partitions, stayed in its group, lost and doubled nothing"
exit $fail
