#!/bin/sh
# 50_enrich_kafka.sh - tetra-enrich in Kafka mode against the real broker:
# tetra-capture fills a raw topic, tetra-enrich consumes it in a group and
# produces one enriched record per event, commits only what was delivered
# (a second run of the same group reads nothing), and a new group reads
# everything again.  The user's Kafka settings win over tetra-enrich's
# defaults: -X auto.offset.reset=latest and TETRA_KAFKA_AUTO_OFFSET_RESET
# make a new group skip the records already there, a bad TETRA_KAFKA_*
# value is refused (so the variables are read), and automatic commits,
# which would pass unfinished records, are a usage error.
set -u
[ -n "${KAFKA_BROKERS:-}" ] || { echo "KAFKA_BROKERS unset"; exit 77; }
[ -x "$BIN/tetra-capture" ] || { echo "no $BIN/tetra-capture"; exit 77; }
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
id="$$-$(date +%s)"
RAW="enrich-raw-$id" OUT="enrich-out-$id"
cat "$S"/*.json >"$T/in"
total=$(wc -l <"$T/in")
"$BIN/tetra-capture" -b "$KAFKA_BROKERS" -t "$RAW" <"$T/in" || bad "capture exit $?"

run() { # group [option...] -> summary line in $T/err
    g=$1
    shift
    "$E" -n -b "$KAFKA_BROKERS" -t "$RAW" -T "$OUT" -G "$g" --idle-exit 4000 "$@" 2>"$T/err"
}
run "g1-$id" || bad "enrich exit $?"
cat "$T/err"
grep -q " read=$total written=$total rejected=0 " "$T/err" || bad "first run: want $total read and written"
run "g1-$id" || bad "second run exit $?"
grep -q " read=0 written=0 " "$T/err" || bad "second run of the group re-read committed records"
run "g2-$id" || bad "third run exit $?"
grep -q " read=$total written=$total " "$T/err" || bad "a new group did not read everything"
# the output topic holds enriched records: consuming it as raw events must
# not pass for Tetragon events (it is another message type)
"$E" -n -b "$KAFKA_BROKERS" -t "$OUT" -T "$OUT-x" -G "g3-$id" --idle-exit 4000 2>"$T/err2"
n=$(sed -n 's/.* read=\([0-9]*\) .*/\1/p' "$T/err2")
[ "$n" -eq $((total * 2)) ] || bad "output topic holds $n records, want $((total * 2))"

# the user's settings over the defaults (earliest for a new group)
run "g4-$id" -X auto.offset.reset=latest || bad "latest run exit $?"
grep -q " read=0 written=0 " "$T/err" || { cat "$T/err"; bad "-X auto.offset.reset=latest: a new group read old records"; }
TETRA_KAFKA_AUTO_OFFSET_RESET=latest run "g5-$id" || bad "env latest run exit $?"
grep -q " read=0 written=0 " "$T/err" || { cat "$T/err"; bad "TETRA_KAFKA_AUTO_OFFSET_RESET=latest: a new group read old records"; }
TETRA_KAFKA_AUTO_OFFSET_RESET=bogus run "g6-$id"
rc=$?
[ $rc -eq 2 ] && grep -q "TETRA_KAFKA_AUTO_OFFSET_RESET" "$T/err" ||
    { cat "$T/err"; bad "a bad TETRA_KAFKA_* value: exit $rc, want 2 naming the variable"; }
run "g7-$id" -X enable.auto.commit=true
rc=$?
[ $rc -eq 2 ] && grep -q "enable.auto.commit" "$T/err" ||
    { cat "$T/err"; bad "-X enable.auto.commit=true: exit $rc, want 2"; }
[ $fail = 0 ] && echo "ok: $total events through Kafka"
exit $fail
