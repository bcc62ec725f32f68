#!/bin/sh
# enrich.sh - tetra-enrich: events/s on the rules-only and cache-hit paths,
# LLM calls per 10,000 events, and the latency enrichment adds.
#
# Input is the shared corpus as length-delimited protobuf (made once by
# tetra-capture), so the numbers are tetra-enrich's alone.  The LLM here is
# bench/fake-llm.py, which answers at once: the point is our cost per event
# and the number of calls the policy, fingerprint and cache let through;
# what a real model adds per call is in docs/SERVICES.md.  Prints Markdown.
set -eu
: "${CORPUS:?run through bench/run.sh}" "${BIN:?}" "${BENCH_DIR:?}" "${ROOT:?}"
T="$BENCH_DIR/enrich"
mkdir -p "$T"
# named after the corpus: bench-check's 20k corpus must not reuse make
# bench's 100k protobuf file (it did, and measured five times the events)
NAME=$(basename "$CORPUS" .jsonl)
PB="$T/$NAME.pb" REPEAT="$T/$NAME-repeat.pb"
[ -s "$PB" ] && [ "$PB" -nt "$CORPUS" ] || "$BIN/tetra-capture" -q -F proto "$CORPUS" >"$PB"
events=$(wc -l <"$CORPUS")

# timed OUT ARGS...: run tetra-enrich on $PB (protobuf; on $CORPUS as JSON
# when IN_JSON=1); sets S, CPU (user + system seconds), RSS and SUMMARY of
# the run with the least CPU time of BENCH_REPEAT runs (default 3: on a
# shared two-core VM the same binary's CPU time moves by 15-20% from one run
# to the next -- 1.44 and 1.70 CPU s for the JSON path in two runs minutes
# apart -- and the least of three is the figure that belongs to the code).
timed() {
    out=$1; shift
    if [ "${IN_JSON:-0}" = 1 ]; then set -- -I json "$@"; in=$CORPUS; else set -- -I proto "$@"; in=$PB; fi
    CPU=
    for _ in $(seq "${BENCH_REPEAT:-3}"); do
        /usr/bin/time -f "%e %U %S %M" -o "$T/time" "$BIN/tetra-enrich" "$@" <"$in" >"$out" 2>"$T/stderr" || {
            echo "bench: tetra-enrich $* failed:" >&2; tail -5 "$T/stderr" >&2; return 1; }
        c=$(awk '{ print $2 + $3 }' "$T/time")
        if [ -z "$CPU" ] || awk -v a="$c" -v b="$CPU" 'BEGIN { exit !(a < b) }'; then
            CPU=$c S=$(cut -d' ' -f1 "$T/time") RSS=$(cut -d' ' -f4 "$T/time")
            SUMMARY=$(tail -n 1 "$T/stderr")
        fi
    done
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
field() { echo "$SUMMARY" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

timed /dev/null -F proto --no-llm
rules_s=$S rules_cpu=$CPU rules_rss=$RSS
IN_JSON=1 timed /dev/null --no-llm
json_s=$S json_cpu=$CPU json_rss=$RSS

rm -f "$T/port"
python3 "$ROOT/bench/fake-llm.py" "$T/port" & fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$T/port")/v1"

# The cache path: 1,000 distinct events seen again and again, every one
# asking for an explanation (--min-severity info), so after the first
# round every lookup is a hit.
head -n 1000 "$CORPUS" >"$T/1k.jsonl"
if [ ! -s "$REPEAT" ] || [ "$PB" -nt "$REPEAT" ]; then
    for _ in $(seq $((events / 1000))); do cat "$T/1k.jsonl"; done |
        "$BIN/tetra-capture" -q -F proto >"$REPEAT"
fi
PB_ALL=$PB PB=$REPEAT
timed /dev/null -F proto --llm-url "$url" --llm-model bench --min-severity info
hit_s=$S hit_cpu=$CPU hit_rss=$RSS hit_calls=$(field llm_calls) hit_hits=$(field cache_hits)
# The first round alone (1,000 misses, each an LLM call): its CPU time
# taken from the whole run leaves what the hits cost.
"$BIN/tetra-capture" -q -F proto "$T/1k.jsonl" >"$T/1k.pb"
PB="$T/1k.pb"
timed /dev/null -F proto --llm-url "$url" --llm-model bench --min-severity info
miss_cpu=$CPU
hits_only=$(awk -v n="$events" -v a="$hit_cpu" -v b="$miss_cpu" 'BEGIN { printf "%.0f", (a > b ? (n - 1000) / (a - b) : 0) }')
PB=$REPEAT
# the latency each record carries, read from a JSON run of the same input
timed "$T/all.jsonl" --llm-url "$url" --llm-model bench --min-severity info
PB=$PB_ALL
lat=$(jq -r '.enrichment.latency_ms // 0' "$T/all.jsonl" | sort -n |
    awk '{ v[NR] = $1 } END { printf "%s %s", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1] }')

# The default policy on the first 10,000 events.
head -n 10000 "$CORPUS" | "$BIN/tetra-capture" -q -F proto >"$T/10k.pb"
"$BIN/tetra-enrich" -I proto -F proto --llm-url "$url" --llm-model bench <"$T/10k.pb" >/dev/null 2>"$T/stderr10k"
calls10k=$(tail -n 1 "$T/stderr10k" | tr ' ' '\n' | sed -n 's/^llm_calls=//p')
kill $fake 2>/dev/null || true

{
    echo "enrich.rules_proto.events_per_cpu_s $(rate "$events" "$rules_cpu")"
    echo "enrich.rules_json.events_per_cpu_s $(rate "$events" "$json_cpu")"
    echo "enrich.cache_hits.events_per_cpu_s $(rate "$events" "$hit_cpu")"
    echo "enrich.cache_hits_only.events_per_cpu_s $hits_only"
    echo "enrich.llm_calls_per_10k ${calls10k:-0}"
    echo "enrich.rules_proto.peak_rss_kib $rules_rss"
} >>"${FIGURES:-/dev/null}"

cat <<REPORT
## tetra-enrich

| path | seconds | CPU s | events/s (wall) | events/s per CPU second | peak RSS (KiB) |
|---|---:|---:|---:|---:|---:|
| rules only (\`--no-llm\`, proto in and out) | $rules_s | $rules_cpu | $(rate "$events" "$rules_s") | $(rate "$events" "$rules_cpu") | $rules_rss |
| rules only (\`--no-llm\`, JSON in and out) | $json_s | $json_cpu | $(rate "$events" "$json_s") | $(rate "$events" "$json_cpu") | $json_rss |
| cache hits (1,000 events repeated, \`--min-severity info\`, proto in and out) | $hit_s | $hit_cpu | $(rate "$events" "$hit_s") | $(rate "$events" "$hit_cpu") | $hit_rss |

- each row: the run with the least CPU time of ${BENCH_REPEAT:-3}
- targets (issue 15), events per CPU second (user + system): rules only at least 100,000 with
  protobuf in and out and 60,000 with JSON in and out; cache hits at least 80,000
- cache hits alone: **$hits_only** events per CPU second (the run above less a run of its first
  1,000 events, the misses, $miss_cpu CPU s: each miss is an LLM call over HTTP)
- cache path: ${hit_calls:-0} LLM calls and ${hit_hits:-0} cache hits for $events events
  (the calls are the first round's distinct behaviours)
- LLM calls per 10,000 events with the default policy (rules severity medium or above):
  **${calls10k:-0}** on this corpus, where about a third of the events are attack samples
  placed in random namespaces and workloads (far more varied than a real cluster's;
  tests/integration/50_enrich_llm_corpus.sh checks the 2% target on realistic repetition)
- latency enrichment adds per event (latency_ms, cache path): p50 ${lat% *} ms, p99 ${lat#* } ms

REPORT
