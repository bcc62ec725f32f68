#!/bin/sh
# sink.sh - tetra-sink's indexing rate against what the cluster can take.
#
# What it measures: documents per second that reach OpenSearch through
# tetra-sink (read stdin, decode, build the document, gzip, bulk-post,
# check every item), against a ceiling taken on the same cluster in the
# same run: the very documents tetra-sink builds (--emit-bulk), prebuilt as
# gzip -1 bulk bodies of the sink's request size (the sink also deflates
# at level 1), posted by curl with the same number of requests in flight.
# The ceiling is therefore OpenSearch's own indexing rate for this corpus
# plus curl; the ratio says how much of it the sink leaves on the table.
#
# Fairness: both sides index into fresh indices under identical templates,
# deleted again right after each run is counted (else the merges of the
# 100,000 documents one side just wrote slow down whichever runs next:
# the first runs had the side that went first a third faster), with a
# pause between runs; both are warmed up first with a slice of the corpus
# (the JVM's JIT and the first mapping updates otherwise fall on whoever
# goes first); there are ROUNDS rounds (default 5) alternating which side
# goes first.  The report gives every round; the headline is the median of
# the rounds' ratios, since the two sides of a round run back to back and
# share whatever else the machine is doing at the time.  Every run's
# document count is checked after a refresh, so a fast run that lost
# documents cannot look good; the corpus is then sent once more and must
# add nothing (the replay check).  Target: at least 0.9 of the ceiling.
# On a small machine the sink and OpenSearch share the cores, so the
# sink's CPU per document shows up directly in the ratio.
# Prints a Markdown section.
set -eu
: "${CORPUS:?run through bench/run.sh}" "${BIN:?}" "${BENCH_DIR:?}"
[ -z "${OPENSEARCH_URL:-}" ] && [ -f "$ROOT/build/services.env" ] && . "$ROOT/build/services.env"
if [ -z "${OPENSEARCH_URL:-}" ]; then
    printf '\n## tetra-sink: indexing rate\n\nskipped: OPENSEARCH_URL is not set (make services-up).\n\n'
    exit 0
fi
OS=$OPENSEARCH_URL
T="$BENCH_DIR/sink"
rm -rf "$T" && mkdir -p "$T/chunks" "$T/warm"
: >"$T/cpus"
DOCS=${SINK_BENCH_BATCH:-1000}
PAR=${SINK_BENCH_INFLIGHT:-4}
ROUNDS=${SINK_BENCH_ROUNDS:-5}
WARM=${SINK_BENCH_WARMUP:-20000}
GZIP=${SINK_BENCH_GZIP:-1} # 1: both sides compress (the sink's default), 0: neither does
events=$(wc -l <"$CORPUS")

drop() { curl -sS -X DELETE "$OS/bench-tsink-*" >/dev/null; for t in run ceil; do
    curl -sS -X DELETE "$OS/_index_template/bench-tsink-$t" >/dev/null; done; }
count() { curl -sS -X POST "$OS/$1/_refresh" >/dev/null; curl -sS "$OS/$1/_count" | jq -r .count; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
drop
trap drop EXIT

# the documents, as the sink builds them, cut into bodies of DOCS each
"$BIN/tetra-sink" -q --emit-bulk --index 'bench-tsink-ceil-%Y.%m.%d' <"$CORPUS" >"$T/bulk.ndjson"
docs=$(($(wc -l <"$T/bulk.ndjson") / 2))
split -l $((DOCS * 2)) -a 5 "$T/bulk.ndjson" "$T/chunks/b"
if [ "$GZIP" = 1 ]; then
    gzip -1 "$T"/chunks/b*
    ENC="Content-Encoding: gzip" NOGZIP=
else
    for f in "$T"/chunks/b*; do mv "$f" "$f.gz"; done # plain bodies, one name pattern
    ENC="X-Bench: plain" NOGZIP=--no-gzip
fi
head -n "$WARM" "$CORPUS" >"$T/warm.jsonl"
"$BIN/tetra-sink" --print-template --index 'bench-tsink-ceil-%Y.%m.%d' >"$T/tpl.json"
curl -sS -X PUT -H 'Content-Type: application/json' "$OS/_index_template/bench-tsink-ceil" \
    -d @"$T/tpl.json" >/dev/null

# post CHUNK-FILES...: the prebuilt bodies, PAR at a time
post() {
    printf '%s\n' "$@" | xargs -P "$PAR" -n 1 sh -c 'curl -sS -o /dev/null -X POST \
        -H "Content-Type: application/x-ndjson" -H "'"$ENC"'" \
        --data-binary @"$0" "'"$OS"'/_bulk?filter_path=errors,items.*.status,items.*.error"'
}

# sink INPUT [more options]: tetra-sink from stdin into the run indices;
# with CPU_OUT set, its user and system CPU seconds are written there
sink() {
    in=$1
    shift
    # shellcheck disable=SC2086 # NOGZIP is one option or none
    set -- "$BIN/tetra-sink" --opensearch "$OS" --index 'bench-tsink-run-%Y.%m.%d' \
        --template-name bench-tsink-run --batch-docs "$DOCS" --inflight "$PAR" $NOGZIP "$@"
    [ -z "${CPU_OUT:-}" ] || set -- /usr/bin/time -f '%U %S' -o "$CPU_OUT" "$@"
    "$@" <"$in"
}

# settle: let the cluster finish what the last run left (its indices are
# deleted, so no merges of them go on) before the next run is timed
settle() { sleep "${SINK_BENCH_SETTLE:-3}"; }

# ceiling: sets ceil_s and ceil_n; sink_round [keep]: sets sink_s and
# sink_n.  Each deletes its indices after counting unless asked to keep
# them: a side that ran first would otherwise leave merges running on
# 100,000 fresh documents, and the second side of a round would pay.
ceiling() {
    curl -sS -X DELETE "$OS/bench-tsink-ceil-*" >/dev/null
    settle
    t0=$(now)
    post "$T"/chunks/b*.gz
    t1=$(now)
    ceil_s=$(secs "$t0" "$t1")
    ceil_n=$(count 'bench-tsink-ceil-*')
    curl -sS -X DELETE "$OS/bench-tsink-ceil-*" >/dev/null
}
sink_round() {
    curl -sS -X DELETE "$OS/bench-tsink-run-*" >/dev/null
    rm -f "$T/dlq"
    settle
    t0=$(now)
    CPU_OUT="$T/cpu" sink "$CORPUS" --dlq "$T/dlq" 2>"$T/stderr"
    t1=$(now)
    tail -n 1 "$T/cpu" | awk '{ print $1 + $2 }' >>"$T/cpus"
    sink_s=$(secs "$t0" "$t1")
    sink_n=$(count 'bench-tsink-run-*')
    [ "${1:-}" = keep ] || curl -sS -X DELETE "$OS/bench-tsink-run-*" >/dev/null
}

# warm-up, not timed: a slice of the corpus through each side
nwarm=$((WARM / DOCS))
[ "$nwarm" -ge 1 ] || nwarm=1
post $(ls "$T"/chunks/b*.gz | head -n "$nwarm")
sink "$T/warm.jsonl" -q 2>/dev/null

: >"$T/rounds"
cp /proc/loadavg "$T/load0"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    if [ "$r" = "$ROUNDS" ]; then
        ceiling
        sink_round keep # for the replay below
    elif [ $((r % 2)) = 1 ]; then
        ceiling
        sink_round
    else
        sink_round
        ceiling
    fi
    echo "$r $ceil_s $ceil_n $sink_s $sink_n" >>"$T/rounds"
    r=$((r + 1))
done

# the replay half: the same corpus again must add nothing (all 409s)
t0=$(now)
sink "$CORPUS" 2>"$T/stderr2"
t1=$(now)
replay_s=$(secs "$t0" "$t1")
replay_n=$(count 'bench-tsink-run-*')
replay_dup=$(tail -n 1 "$T/stderr2" | tr ' ' '\n' | sed -n 's/^duplicates=//p')

ceil_r=$(awk '{ print ($2 > 0 ? $3 / $2 : 0) }' "$T/rounds" | median)
sink_r=$(awk '{ print ($4 > 0 ? $5 / $4 : 0) }' "$T/rounds" | median)
ratio_m=$(awk -v a="$sink_r" -v b="$ceil_r" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
ratio=$(awk '{ c = ($2 > 0 ? $3 / $2 : 0); print (c > 0 && $4 > 0 ? ($5 / $4) / c : 0) }' "$T/rounds" |
    median | awk '{ printf "%.2f", $1 }')
load0=$(cut -d' ' -f1-3 "$T/load0")
verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.9 ? "meets the 0.9 target" : "below the 0.9 target") }')
cat <<REPORT

## tetra-sink: indexing rate against the cluster's ceiling

$events events, $docs documents, requests of $DOCS documents, $PAR in flight, $([ "$GZIP" = 1 ] &&
    echo "gzip level 1 on both sides" || echo "no gzip on either side"), fresh indices for every run (deleted after it), warm-up of $WARM events on both
sides, $ROUNDS rounds alternating which side goes first.  Ceiling: the sink's own documents
(--emit-bulk) prebuilt as bulk bodies and posted by curl.  Load average at the start
$load0, at the end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes
single runs vary; the two sides of a round run back to back, so the headline is the median
of the rounds' ratios).

| round | ceiling s | ceiling docs | ceiling docs/s | sink s | sink docs | sink docs/s | ratio |
|---:|---:|---:|---:|---:|---:|---:|---:|
$(awk '{ c = ($2 > 0 ? $3 / $2 : 0); s = ($4 > 0 ? $5 / $4 : 0);
         printf "| %d | %s | %d | %.0f | %s | %d | %.0f | %.2f |\n", $1, $2, $3, c, $4, $5, s, (c > 0 ? s / c : 0) }' "$T/rounds")
| **median** | | | **$(printf '%.0f' "$ceil_r")** | | | **$(printf '%.0f' "$sink_r")** | **$ratio** |

Ratio of the median rates: $ratio_m.

Replay of the same corpus: $replay_s s, $replay_n documents afterwards (${replay_dup:-?} duplicates).

tetra-sink's own CPU (user + system) per document, median of the rounds: $(median <"$T/cpus" |
    awk -v n="$docs" '{ printf "%.1f", (n > 0 ? $1 * 1e6 / n : 0) }') us.  Where OpenSearch
needs all the cores, this is what the sink takes from it.

Median of the rounds' ratios $ratio: $verdict. Sink summary: \`$(tail -n 1 "$T/stderr")\`

REPORT
awk -v d="$docs" '$3 != d || $5 != d { printf "**round %d indexed %d (ceiling) and %d (sink) of %d documents.**\n", $1, $3, $5, d }' "$T/rounds"
[ "$replay_n" = "$docs" ] && [ "${replay_dup:-}" = "$docs" ] ||
    echo "**the replay left $replay_n documents with ${replay_dup:-?} duplicates; want $docs and $docs.**"
if [ -s "$T/dlq" ]; then
    echo "Dead-lettered by the sink, by reason:"
    echo
    jq -r '.error' "$T/dlq" | cut -c1-120 | sort | uniq -c | sort -rn | head -5 | sed 's/^/    /'
fi
