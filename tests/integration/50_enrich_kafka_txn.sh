#!/bin/sh
# 50_enrich_kafka_txn.sh - exactly-once with --transactional-id against the
# real broker: tetra-enrich is killed with SIGKILL in the middle of the
# stream (a transaction open, records of it already written to the log),
# then restarted with the same transactional id and group.  A read_committed
# reader of the enriched topic then sees every event exactly once (one
# record per source offset), while a read_uncommitted reader may also see
# the aborted records of the killed run, which shows the kill really cut a
# transaction.  A third run of the group reads nothing, and a second
# instance with the same id fences the first.
set -u
[ -n "${KAFKA_BROKERS:-}" ] || { echo "KAFKA_BROKERS unset"; exit 77; }
[ -x "$BIN/tetra-capture" ] || { echo "no $BIN/tetra-capture"; exit 77; }
command -v kcat >/dev/null || { echo "kcat not installed"; exit 77; }
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
T=$(mktemp -d) || exit 1
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
id="$$-$(date +%s)"
RAW="enrich-txraw-$id" OUT="enrich-txout-$id" G="txg-$id" TID="txid-$id"

for _ in $(seq 30); do cat "$S"/*.json; done >"$T/in"
split -l 39 "$T/in" "$T/chunk."
total=$(wc -l <"$T/in")
feed() { "$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$RAW" <"$1" || bad "capture exit $?"; }

keys() { # isolation level -> keys of the enriched topic, one a line
    kcat -C -q -b "$KAFKA_BROKERS" -t "$OUT" -o beginning -e -X "isolation.level=$1" -f '%k\n' 2>/dev/null
}
enrich() {
    "$E" -n -b "$KAFKA_BROKERS" -t "$RAW" -T "$OUT" -G "$G" --transactional-id "$TID" -X session.timeout.ms=6000 "$@"
}
# enrich_bg ERRFILE: in the background, pid= tetra-enrich itself (not a subshell)
enrich_bg() {
    "$E" -n -b "$KAFKA_BROKERS" -t "$RAW" -T "$OUT" -G "$G" --transactional-id "$TID" -X session.timeout.ms=6000 2>"$1" &
    pid=$!
}

# 1: the raw topic is fed in chunks while tetra-enrich runs; it is killed
# with SIGKILL just after a chunk arrived, inside a transaction (batches
# commit every 500 ms), and the rest is fed while it is down.
set -- "$T"/chunk.*
feed "$1"; shift
enrich_bg "$T/err1"
sleep 5    # group join
for _ in 1 2 3 4; do feed "$1"; shift; sleep 1; done
feed "$1"; shift
sleep 0.2
if kill -9 "$pid" 2>/dev/null; then killed=1; else killed=0; fi
wait "$pid" 2>/dev/null; pid=
cut1=$(keys read_committed | wc -l)
echo "run 1 killed=$killed after 6 of 30 chunks with $cut1 records committed"
[ "$killed" = 1 ] || { bad "run 1 died before the kill"; cat "$T/err1"; }
[ "$cut1" -gt 0 ] || bad "run 1 committed nothing before the kill"
for c in "$@"; do feed "$c"; done

# 2: restart with the same id and group
enrich --idle-exit 15000 2>"$T/err2" || bad "run 2 exit $?"
tail -n 1 "$T/err2"
keys read_committed >"$T/committed"
keys read_uncommitted >"$T/all"
aborted=$(( $(wc -l <"$T/all") - $(wc -l <"$T/committed") ))
n=$(wc -l <"$T/committed") dups=$(sort "$T/committed" | uniq -d | wc -l)
echo "read_committed: $n records, $dups duplicate keys; read_uncommitted: $(wc -l <"$T/all")"
[ "$n" -eq "$total" ] || bad "read_committed sees $n records, want $total"
[ "$dups" -eq 0 ] || bad "$dups source offsets enriched twice"
sort -u "$T/committed" | wc -l | grep -qx "$total" || bad "not every source offset is present"
grep -q 'txn_commits=' "$T/err2" || bad "no txn_commits counted"
[ "$aborted" -gt 0 ] || bad "no aborted records in the log: the kill did not cut a transaction"

# 3: nothing left for the group
enrich --idle-exit 3000 2>"$T/err3" || bad "run 3 exit $?"
grep -q ' read=0 written=0 ' "$T/err3" || bad "run 3 re-read committed input: $(tail -n 1 "$T/err3")"

# 4: two instances with one id: the newer one fences the older (exit 1)
enrich_bg "$T/err4"
sleep 3
enrich --idle-exit 3000 2>"$T/err5" || bad "the newer instance failed: $(tail -n 2 "$T/err5")"
"$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$RAW" <"$S/miner.json" || bad "capture exit $?"
i=0
while kill -0 "$pid" 2>/dev/null; do i=$((i + 1)); [ $i -gt 300 ] && break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
    bad "the fenced instance kept running"
    kill "$pid"
fi
wait "$pid"; rc=$?; pid=
echo "fenced instance: exit $rc: $(grep -m1 -i 'fenc' "$T/err4")"
[ "$rc" -eq 1 ] || bad "fenced instance exit $rc, want 1"
[ $fail = 0 ] && echo "ok: $total events exactly once across a SIGKILL"
exit $fail
