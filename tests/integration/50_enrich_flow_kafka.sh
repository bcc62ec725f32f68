#!/bin/sh
# 50_enrich_flow_kafka.sh - requests side by side through the real broker,
# and the commit floor across a SIGKILL.
#
# The LLM is bench/fake-llm.py answering after 2 seconds, so records that
# need no call are produced while calls are pending.  Each mode is killed
# with SIGKILL while calls are in flight and restarted in the same group:
#   at-least-once: every source offset has its enriched record (nothing
#     lost: the commit never passed a record still waiting); duplicates are
#     allowed and counted;
#   transactional: a read_committed reader sees every source offset exactly
#     once.
# Then --dry-run in Kafka mode produces nothing, commits nothing (the same
# group reads everything afterwards) and says on stderr what it would have
# sent, never claiming an LLM or cached answer.
set -u
[ -n "${KAFKA_BROKERS:-}" ] || { echo "KAFKA_BROKERS unset"; exit 77; }
command -v kcat >/dev/null || { echo "kcat not installed"; exit 77; }
. "$ROOT/tests/integration/enrich/lib.sh"
kafka_flow_setup flow 2 600

# enrich OUT GROUP ERRFILE [options]: in the background, pid= tetra-enrich
enrich_bg() {
    out=$1 g=$2 errf=$3; shift 3
    "$E" --llm-url "$URL" --llm-model stub -b "$KAFKA_BROKERS" -t "$RAW" -T "$out" -G "$g" \
        -X session.timeout.ms=6000 "$@" 2>"$errf" &
    pid=$!
}
# kill_mid OUT: SIGKILL once some records are out while calls are pending
kill_mid() {
    for _ in $(seq 200); do
        [ "$(keys "$1" read_uncommitted | wc -l)" -gt 0 ] && break
        sleep 0.1
    done
    sleep 0.5
    if kill -9 "$pid" 2>/dev/null; then killed=1; else killed=0; fi
    wait "$pid" 2>/dev/null; pid=
}

# 1: at-least-once
OUT="flow-out-$id" G="flow-g-$id"
enrich_bg "$OUT" "$G" "$T/err1"
kill_mid "$OUT"
cut=$(keys "$OUT" read_uncommitted | wc -l)
echo "at-least-once: killed=$killed with $cut of $total records out"
[ "$killed" = 1 ] || { bad "run 1 ended before the kill"; cat "$T/err1"; }
[ "$cut" -lt "$total" ] || bad "run 1 finished everything before the kill: no call was pending"
enrich_bg "$OUT" "$G" "$T/err2" --idle-exit 6000
wait "$pid" || bad "run 2 exit $?"; pid=
tail -n 1 "$T/err2"
keys "$OUT" read_uncommitted >"$T/k1"
have=$(sort -u "$T/k1" | wc -l) dups=$(( $(wc -l <"$T/k1") - have ))
echo "at-least-once: $have distinct source offsets of $total, $dups duplicates"
[ "$have" -eq "$total" ] || bad "at-least-once lost $((total - have)) records across the SIGKILL"
enrich_bg "$OUT" "$G" "$T/err3" --idle-exit 3000
wait "$pid" || bad "run 3 exit $?"; pid=
grep -q ' read=0 written=0 ' "$T/err3" || bad "run 3 re-read committed input: $(tail -n 1 "$T/err3")"

# 2: transactional
OUT="flow-txout-$id" G="flow-txg-$id" TID="flow-tx-$id"
enrich_bg "$OUT" "$G" "$T/err4" --transactional-id "$TID"
kill_mid "$OUT"
echo "transactional: killed=$killed with $(keys "$OUT" read_committed | wc -l) records committed"
[ "$killed" = 1 ] || { bad "txn run 1 ended before the kill"; cat "$T/err4"; }
enrich_bg "$OUT" "$G" "$T/err5" --transactional-id "$TID" --idle-exit 6000
wait "$pid" || bad "txn run 2 exit $?"; pid=
tail -n 1 "$T/err5"
keys "$OUT" read_committed >"$T/k2"
n=$(wc -l <"$T/k2") have=$(sort -u "$T/k2" | wc -l)
echo "transactional: $n records, $have distinct source offsets of $total"
[ "$have" -eq "$total" ] || bad "transactional lost $((total - have)) records"
[ "$n" -eq "$have" ] || bad "transactional: $((n - have)) source offsets enriched twice"

# 3: a dry run produces and commits nothing and says what it would send
OUT="flow-dry-$id" G="flow-dryg-$id"
enrich_bg "$OUT" "$G" "$T/err6" --dry-run --idle-exit 4000
wait "$pid" || bad "dry run exit $?"; pid=
would=$(grep -c 'dry run: would produce to' "$T/err6")
echo "dry run: $would records described, $(grep -c '"method":"POST"' "$T/err6") requests printed"
[ "$would" -eq "$total" ] || bad "dry run described $would records, want $total"
grep -q '"method":"POST"' "$T/err6" || bad "dry run printed no request"
grep -q 'LLM_STATUS_CACHED\|LLM_STATUS_OK' "$T/err6" && bad "dry run claims an LLM or cached answer"
[ "$(keys "$OUT" read_uncommitted | wc -l)" -eq 0 ] || bad "dry run produced records"
enrich_bg "$OUT" "$G" "$T/err7" --idle-exit 4000
wait "$pid" || bad "run after the dry run exit $?"; pid=
grep -q " read=$total written=$total " "$T/err7" || bad "the dry run committed offsets: $(tail -n 1 "$T/err7")"
[ $fail = 0 ] && echo "ok: nothing lost across SIGKILL, nothing doubled in transactions, dry run silent"
exit $fail
