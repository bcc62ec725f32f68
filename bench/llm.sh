#!/bin/sh
# llm.sh - tetra-enrich with a slow LLM: does the LLM set the pace?
#
# The LLM is bench/fake-llm.py answering every request after 2 seconds,
# about a remote GPT-class model's latency, side by side.  The corpus is
# 2,000 events with realistic repetition (the scenarios of
# tests/fixtures/scenarios again and again with other pids and pods, as in
# tests/integration/50_enrich_llm_corpus.sh); the first 2,000 events of the
# shared, far more varied bench corpus are timed too.  Measured:
#   - wall time on stdin, and Kafka -> Kafka when build/services.env names
#     a broker (make services-up): targets 10 s and 15 s;
#   - the latency a record needing no call sees while calls are pending,
#     from its line entering stdin to its record leaving stdout, with the
#     input fed at 500 events/s: target p99 < 50 ms;
#   - peak RSS against --max-pending and the input size: bounded by the
#     former.
# Prints Markdown.
set -eu
: "${CORPUS:?run through bench/run.sh}" "${BIN:?}" "${BENCH_DIR:?}" "${ROOT:?}"
T="$BENCH_DIR/llm"
mkdir -p "$T"
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
[ -z "${KAFKA_BROKERS:-}" ] && [ -f "$ROOT/build/services.env" ] && . "$ROOT/build/services.env"

rm -f "$T/port"
python3 "$ROOT/bench/fake-llm.py" "$T/port" 2 & fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$T/port")/v1"
ms() { date +%s%3N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
field() { tail -n 1 "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

repeat() { # N -> N events of realistic repetition
    cat "$S"/*.json | awk -v n="$1" '{ line[k++] = $0 } END {
        for (i = 0; i < n; i++) {
            l = line[i % k]
            gsub(/"pid":4242/, "\"pid\":" (10000 + i), l)
            gsub(/x2x9q/, sprintf("p%04d", i % 977), l)
            print l
        } }'
}
repeat 2000 >"$T/2k.jsonl"
head -n 2000 "$CORPUS" >"$T/2k-varied.jsonl"

# stdin runs: FILE [options] -> sets WALL (s) and CALLS
stdin_run() {
    f=$1; shift
    t0=$(ms)
    "$E" --llm-url "$URL" --llm-model bench "$@" <"$f" >"$T/out" 2>"$T/err"
    WALL=$(secs "$t0" "$(ms)") CALLS=$(field "$T/err" llm_calls)
}
stdin_run "$T/2k.jsonl"; wall_rep=$WALL calls_rep=$CALLS
stdin_run "$T/2k.jsonl" --ordered; wall_ord=$WALL
stdin_run "$T/2k.jsonl" --llm-concurrency 1; wall_serial=$WALL
stdin_run "$T/2k-varied.jsonl"; wall_var=$WALL calls_var=$CALLS
stdin_run "$T/2k-varied.jsonl" --llm-concurrency 64; wall_var64=$WALL

# Kafka -> Kafka: the time until the last of the 2,000 enriched records is
# in the output topic, group join included
kafka_row="| Kafka -> Kafka, realistic repetition | skipped: no broker (make services-up) | | |"
if [ -n "${KAFKA_BROKERS:-}" ] && command -v kcat >/dev/null; then
    id="bench-$$-$(date +%s)"
    "$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$id-raw" <"$T/2k.jsonl"
    t0=$(ms)
    "$E" --llm-url "$URL" --llm-model bench -b "$KAFKA_BROKERS" -t "$id-raw" -T "$id-out" \
        -G "$id" --idle-exit 60000 2>"$T/kerr" & k=$!
    n=0
    while [ "$n" -lt 2000 ]; do
        sleep 0.2
        n=$(kcat -C -q -b "$KAFKA_BROKERS" -t "$id-out" -o beginning -e -f '\n' 2>/dev/null | wc -l)
        [ $(( $(ms) - t0 )) -gt 120000 ] && break
    done
    wall_k=$(secs "$t0" "$(ms)")
    kill "$k" 2>/dev/null; wait "$k" 2>/dev/null || true
    kafka_row="| Kafka -> Kafka, realistic repetition (group join included) | $wall_k | $calls_rep | ≤ 15 |"
fi

# Latency of records needing no call while calls are pending: a feeder
# writes 500 events/s and notes when each pid went in; a reader notes when
# each record came out.
cat >"$T/lat.py" <<'PY'
import json, re, subprocess, sys, threading, time
exe, url, path = sys.argv[1:4]
lines = open(path).read().splitlines()
p = subprocess.Popen([exe, "--llm-url", url, "--llm-model", "bench"] + sys.argv[4:], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
sent, lat = {}, []
pid = re.compile(rb'"pid":(\d+)')
waited = (b'"llm_status":"LLM_STATUS_OK"', b'"llm_status":"LLM_STATUS_ERROR"')
# the reader only looks for the first pid (the process's) and the status:
# parsing whole records would measure this script, not tetra-enrich
def read():
    for raw in p.stdout:
        t = time.monotonic()
        if not any(w in raw for w in waited):
            lat.append((t - sent[int(pid.search(raw).group(1))]) * 1000)
th = threading.Thread(target=read)
th.start()
pids = [int(pid.search(l.encode()).group(1)) for l in lines]
for i, l in enumerate(lines):
    sent[pids[i]] = time.monotonic()
    p.stdin.write((l + "\n").encode())
    p.stdin.flush()
    time.sleep(0.002)
p.stdin.close()
th.join()
p.wait()
lat.sort()
print("%d %.1f %.1f %.1f" % (len(lat), lat[len(lat) // 2], lat[int(len(lat) * 0.99)], lat[-1]))
PY
set -- $(python3 "$T/lat.py" "$E" "$URL" "$T/2k.jsonl")
lat_n=$1 lat_p50=$2 lat_p99=$3 lat_max=$4

# Peak memory: the first 2 s every repeat waits for its behaviour's request,
# so the flow fills to --max-pending whatever the input size.
repeat 20000 >"$T/20k.jsonl"
rss() { # FILE MAX-PENDING -> peak RSS in MiB
    /usr/bin/time -f "%M" -o "$T/rss" "$E" --llm-url "$URL" --llm-model bench --max-pending "$2" \
        <"$1" >/dev/null 2>"$T/rerr"
    awk '{ printf "%.0f", $1 / 1024 }' "$T/rss"
}
rss_100=$(rss "$T/20k.jsonl" 100)
rss_1k=$(rss "$T/20k.jsonl" 1000)
rss_10k=$(rss "$T/20k.jsonl" 10000)
rss_2k_1k=$(rss "$T/2k.jsonl" 1000)
kill $fake 2>/dev/null || true

cat <<REPORT
## tetra-enrich with a slow LLM (stub answering in 2 s)

| run | seconds | LLM calls | target (s) |
|---|---:|---:|---:|
| stdin, 2,000 events, realistic repetition | $wall_rep | $calls_rep | ≤ 10 |
| the same, \`--ordered\` | $wall_ord | $calls_rep | |
| the same, \`--llm-concurrency 1\` (one request at a time, single flight kept) | $wall_serial | $calls_rep | |
| stdin, first 2,000 events of the varied bench corpus | $wall_var | $calls_var | |
| the same, \`--llm-concurrency 64\` | $wall_var64 | $calls_var | |
$kafka_row

- before this change the stdin run took 90 s here: every call waited for the one before it
- records needing no call, fed at 500 events/s while calls are pending ($lat_n records,
  stdin to stdout): p50 $lat_p50 ms, **p99 $lat_p99 ms**, max $lat_max ms (target p99 < 50 ms)
- peak RSS: 20,000 events with \`--max-pending\` 100 / 1,000 / 10,000: $rss_100 / $rss_1k / $rss_10k MiB;
  2,000 events with \`--max-pending 1000\`: $rss_2k_1k MiB (memory follows \`--max-pending\`, not the input)

REPORT
