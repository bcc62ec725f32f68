#!/bin/sh
# 10_capture_kafka.sh - tetra-capture -b -t against the real broker
# ($KAFKA_BROKERS; skipped when unset): every event arrives once as a binary
# tetragon.GetEventsResponse that decodes back to the same JSON value, keyed
# by node_name, with the kind and type headers; bad records stay out of the
# topic; compression codecs work; SIGTERM flushes and exits 0; --follow with
# --state over Kafka sends nothing twice across a restart.  Read back with
# kcat into a fresh topic per run.
set -u
if [ -z "${KAFKA_BROKERS:-}" ]; then
    echo "KAFKA_BROKERS is not set (no broker from tests/services)"
    exit 77
fi
BIN=${BIN:-$ROOT/bin}
CAP="$BIN/tetra-capture"
S=${SAMPLES_DIR:-}
T=$(mktemp -d) || exit 1
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; for f in "$T"/err*; do [ -f "$f" ] && cat "$f"; done; exit 1; }
RUN="tc-$$-$(date +%s)"
if [ -z "$S" ] || ! ls "$S"/*.json >/dev/null 2>&1; then S="$ROOT/tests/fixtures"; fi

# consume TOPIC: all messages as "key<TAB>headers" lines into $T/meta, and
# the values re-framed with varint lengths into $T/values.bin
consume() {
    kcat -C -b "$KAFKA_BROKERS" -t "$1" -e -o beginning -q -f '%k\t%h\n' >"$T/meta" ||
        fail "kcat -C $1"
    kcat -C -b "$KAFKA_BROKERS" -t "$1" -e -o beginning -q -f '%R%s' |
        python3 "$ROOT/tests/kcat-reframe.py" >"$T/values.bin" || fail "kcat value dump"
}

# wait until TOPIC holds N messages (at most 30 s)
wait_count() {
    i=0
    while [ "$(kcat -C -b "$KAFKA_BROKERS" -t "$1" -e -o beginning -q -f 'x\n' 2>/dev/null |
               wc -l)" -lt "$2" ]; do
        i=$((i + 1))
        [ $i -gt 60 ] && fail "topic $1 never reached $2 messages"
        sleep 0.5
    done
}

# --- 1. samples plus bad records ------------------------------------------------
jq -c . "$S"/*.json >"$T/in"
n=$(wc -l <"$T/in")
{ echo 'not json'; cat "$T/in"; echo '{"process_nope":{}}'; } >"$T/in2"
"$CAP" -b "$KAFKA_BROKERS" -t "$RUN-a" "$T/in2" >"$T/out" 2>"$T/err" || fail "exit $?"
[ ! -s "$T/out" ] || fail "wrote to stdout while producing"
tail -n 1 "$T/err" | grep -q "read=$((n + 2)) written=$n rejected=2 " || fail "summary"
consume "$RUN-a"
[ "$(wc -l <"$T/meta")" -eq "$n" ] || fail "topic has $(wc -l <"$T/meta") messages, want $n"
# key = node_name, header kind = the event's kind, header type = the message type
jq -r '[(.node_name // ""), ("tetragon-event-kind=" + (keys - ["node_name","time",
    "aggregation_info","cluster_name","node_labels"] | .[0]) +
    ",message-type=tetragon.GetEventsResponse")] | join("\t")' "$T/in" >"$T/want_meta"
# (the topic may have several partitions: compare as sets here)
sort "$T/want_meta" >"$T/want_meta.s"
sort "$T/meta" >"$T/meta.s"
diff "$T/want_meta.s" "$T/meta.s" >"$T/d" || { head "$T/d"; fail "keys/headers differ"; }
# values decode back to the same events, and the events of one node keep
# their order (group_by is stable: same groups in the same inner order);
# events without node_name have no key and so no order to keep
"$CAP" -I proto "$T/values.bin" 2>"$T/err_dec" | jq -S -c . >"$T/got" || fail "decode values"
jq -S -c . "$T/in" >"$T/want"
by_node() {
    jq -S -c -s '[(map(select(.node_name)) | group_by(.node_name)),
                  (map(select(.node_name | not)) | sort)]' "$1"
}
[ "$(by_node "$T/want")" = "$(by_node "$T/got")" ] ||
    fail "values do not decode to the input events in per-node order"
echo "ok: $n events delivered once with node_name keys, kind/type headers, binary values"

# --- 2. every compression codec ---------------------------------------------------
for z in none gzip snappy lz4 zstd; do
    "$CAP" -b "$KAFKA_BROKERS" -t "$RUN-z$z" -z "$z" "$T/in" 2>"$T/err" || fail "-z $z exit $?"
    consume "$RUN-z$z"
    "$CAP" -I proto "$T/values.bin" 2>/dev/null | jq -S -c . >"$T/got"
    [ "$(by_node "$T/want")" = "$(by_node "$T/got")" ] || fail "-z $z: values differ"
done
echo "ok: compression none, gzip, snappy, lz4, zstd"

# --- 3. SIGTERM while reading: flush what was read, exit 0 ---------------------------
mkfifo "$T/fifo"
"$CAP" -b "$KAFKA_BROKERS" -t "$RUN-sig" <"$T/fifo" 2>"$T/err_sig" &
pid=$!
exec 3>"$T/fifo" # held open: the reader never sees end of input
cat "$T/in" >&3
wait_count "$RUN-sig" "$n"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
exec 3>&-
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc"
tail -n 1 "$T/err_sig" | grep -q "read=$n written=$n rejected=0" || fail "SIGTERM summary"
consume "$RUN-sig"
[ "$(wc -l <"$T/meta")" -eq "$n" ] || fail "after SIGTERM the topic has $(wc -l <"$T/meta")"
echo "ok: SIGTERM flushes and exits 0"

# --- 4. --follow --state over Kafka: nothing twice across restarts --------------------
mkdir "$T/logs"
LOG="$T/logs/tetragon.log"
ev() { for p in "$@"; do
    printf '{"process_exec":{"process":{"pid":%d}},"node_name":"node-%d"}\n' "$p" $((p % 3))
done; }
follow_run() { # total-expected-after pids-to-append...
    total=$1
    shift
    "$CAP" -f --state "$T/state" -b "$KAFKA_BROKERS" -t "$RUN-f" "$LOG" 2>>"$T/err_f" &
    pid=$!
    sleep 1
    ev "$@" >>"$LOG"
    wait_count "$RUN-f" "$total"
    sleep 1.2 # let a periodic state save happen while running, too
    kill -TERM "$pid"
    wait "$pid" || fail "follow run exit $?"
    pid=""
}
ev 1 2 3 >"$LOG"
follow_run 5 4 5
ev 6 7 >>"$LOG"
follow_run 8 8
consume "$RUN-f"
"$CAP" -I proto "$T/values.bin" 2>/dev/null | jq -r .process_exec.process.pid | sort -n |
    tr '\n' ' ' >"$T/got"
[ "$(cat "$T/got")" = "1 2 3 4 5 6 7 8 " ] || fail "follow over Kafka: $(cat "$T/got")"
echo "ok: --follow --state over Kafka, restarted, every event exactly once"
