#!/bin/sh
# capture.sh - tetra-capture's codec throughput against jq on one corpus.
#
# The hot path of all three programs is protojson <-> protobuf; this puts a
# number on it: tetra-capture stdin -> stdout (JSON -> GetEventsResponse ->
# canonical JSON) and, for reference, stdin -> length-delimited protobuf,
# beside `jq -c .` on the same file in the same run.  Peak RSS is measured
# on a tenth of the corpus and on all of it to show it does not grow with
# the input.  Prints a Markdown section.
set -eu
: "${CORPUS:?run through bench/run.sh}" "${BIN:?}" "${BENCH_DIR:?}"
T="$BENCH_DIR/capture"
mkdir -p "$T"
bytes=$(wc -c <"$CORPUS")
events=$(wc -l <"$CORPUS")
head -n $((events / 10)) "$CORPUS" >"$T/tenth.jsonl"

# measure NAME CMD...: run CMD with stdin=$IN, stdout discarded; sets S,
# CPU (user + system seconds) and RSS, of the run with the least CPU time
# of BENCH_REPEAT runs (default 1; bench-check takes 3 to damp a busy
# machine's noise).
measure() {
    CPU=
    for _ in $(seq "${BENCH_REPEAT:-1}"); do
        /usr/bin/time -f "%e %M %U %S" -o "$T/time" "$@" <"$IN" >/dev/null 2>"$T/stderr" || {
            echo "bench: $* failed:" >&2; cat "$T/stderr" >&2; return 1; }
        c=$(awk '{ print $3 + $4 }' "$T/time")
        if [ -z "$CPU" ] || awk -v a="$c" -v b="$CPU" 'BEGIN { exit !(a < b) }'; then
            CPU=$c S=$(cut -d' ' -f1 "$T/time") RSS=$(cut -d' ' -f2 "$T/time")
        fi
    done
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
mbs() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? n / s / 1048576 : 0) }'; }

IN=$CORPUS
measure jq -c . ; jq_s=$S; jq_rss=$RSS jq_cpu=$CPU
measure "$BIN/tetra-capture" -q ; cap_s=$S; cap_rss=$RSS cap_cpu=$CPU
measure "$BIN/tetra-capture" -q -F proto ; pb_s=$S; pb_rss=$RSS pb_cpu=$CPU
IN="$T/tenth.jsonl"
measure "$BIN/tetra-capture" -q ; small_rss=$RSS

# figures.json: events per CPU second, jq's too (bench-check's yardstick)
{
    echo "jq.events_per_cpu_s $(rate "$events" "$jq_cpu")"
    echo "capture.json.events_per_cpu_s $(rate "$events" "$cap_cpu")"
    echo "capture.proto.events_per_cpu_s $(rate "$events" "$pb_cpu")"
    echo "capture.json.events_per_s $(rate "$events" "$cap_s")"
    echo "capture.peak_rss_kib $cap_rss"
} >>"${FIGURES:-/dev/null}"

speedup=$(awk -v a="$jq_s" -v b="$cap_s" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
cat <<REPORT
## tetra-capture: JSON in, JSON or protobuf out

| command | seconds | events/s | MB/s | peak RSS (KiB) |
|---|---:|---:|---:|---:|
| \`jq -c .\` | $jq_s | $(rate "$events" "$jq_s") | $(mbs "$bytes" "$jq_s") | $jq_rss |
| \`tetra-capture\` (JSON out) | $cap_s | $(rate "$events" "$cap_s") | $(mbs "$bytes" "$cap_s") | $cap_rss |
| \`tetra-capture -F proto\` | $pb_s | $(rate "$events" "$pb_s") | $(mbs "$bytes" "$pb_s") | $pb_rss |

- throughput: **${speedup}x jq** (target: at least 3x)
- peak RSS on $((events / 10)) events: $small_rss KiB; on $events events: $cap_rss KiB (target: flat)

REPORT
