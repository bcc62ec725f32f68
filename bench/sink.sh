#!/bin/sh
# sink.sh - tetra-sink's indexing rate against what the cluster can take.
#
# The ceiling is measured in the same run on the same OpenSearch: the very
# documents tetra-sink builds (--emit-bulk), prebuilt as gzip bulk bodies of
# the sink's request size, posted by curl with the same parallelism.  Then
# tetra-sink indexes the corpus from stdin.  Both go to fresh indices under
# the same template, and both counts are checked after a refresh, so a fast
# run that lost documents cannot look good; the corpus is then sent again
# and must add nothing (the 100,000-event replay check).  Target: at least 0.9 of the
# ceiling.  Prints a Markdown section.
set -eu
: "${CORPUS:?run through bench/run.sh}" "${BIN:?}" "${BENCH_DIR:?}"
[ -z "${OPENSEARCH_URL:-}" ] && [ -f "$ROOT/build/services.env" ] && . "$ROOT/build/services.env"
if [ -z "${OPENSEARCH_URL:-}" ]; then
    printf '\n## tetra-sink: indexing rate\n\nskipped: OPENSEARCH_URL is not set (make services-up).\n\n'
    exit 0
fi
OS=$OPENSEARCH_URL
T="$BENCH_DIR/sink"
rm -rf "$T" && mkdir -p "$T/chunks"
DOCS=${SINK_BENCH_BATCH:-1000}
PAR=${SINK_BENCH_INFLIGHT:-4}
events=$(wc -l <"$CORPUS")

drop() { curl -sS -X DELETE "$OS/bench-tsink-*" >/dev/null; for t in run ceil; do
    curl -sS -X DELETE "$OS/_index_template/bench-tsink-$t" >/dev/null; done; }
count() { curl -sS -X POST "$OS/$1/_refresh" >/dev/null; curl -sS "$OS/$1/_count" | jq -r .count; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
drop
trap drop EXIT

# the documents, as the sink builds them, cut into gzip bodies of DOCS each
"$BIN/tetra-sink" -q --emit-bulk --index 'bench-tsink-ceil-%Y.%m.%d' <"$CORPUS" >"$T/bulk.ndjson"
docs=$(($(wc -l <"$T/bulk.ndjson") / 2))
split -l $((DOCS * 2)) -a 5 "$T/bulk.ndjson" "$T/chunks/b"
gzip -1 "$T"/chunks/b*
"$BIN/tetra-sink" --print-template --index 'bench-tsink-ceil-%Y.%m.%d' >"$T/tpl.json"
curl -sS -X PUT -H 'Content-Type: application/json' "$OS/_index_template/bench-tsink-ceil" \
    -d @"$T/tpl.json" >/dev/null

# ceiling(): post the prebuilt bodies; sets ceil_s and ceil_n.  It runs
# before and after the sink, into fresh indices, and the two are averaged,
# so neither side pays alone for the merges the other left behind.
ceiling() {
    curl -sS -X DELETE "$OS/bench-tsink-ceil-*" >/dev/null
    t0=$(now)
    ls "$T"/chunks/b*.gz | xargs -P "$PAR" -n 1 sh -c 'curl -sS -o /dev/null -X POST \
        -H "Content-Type: application/x-ndjson" -H "Content-Encoding: gzip" \
        --data-binary @"$0" "'"$OS"'/_bulk?filter_path=errors,items.*.status,items.*.error"'
    t1=$(now)
    ceil_s=$(secs "$t0" "$t1")
    ceil_n=$(count 'bench-tsink-ceil-*')
}
ceiling
ceil1_s=$ceil_s ceil1_n=$ceil_n

t0=$(now)
"$BIN/tetra-sink" --opensearch "$OS" --index 'bench-tsink-run-%Y.%m.%d' --template-name bench-tsink-run \
    --batch-docs "$DOCS" --inflight "$PAR" --dlq "$T/dlq" <"$CORPUS" 2>"$T/stderr"
t1=$(now)
sink_s=$(secs "$t0" "$t1")
sink_n=$(count 'bench-tsink-run-*')
ceiling
ceil2_s=$ceil_s ceil2_n=$ceil_n

# the soak half: the same corpus again must add nothing (all 409s)
t0=$(now)
"$BIN/tetra-sink" --opensearch "$OS" --index 'bench-tsink-run-%Y.%m.%d' --template-name bench-tsink-run \
    --batch-docs "$DOCS" --inflight "$PAR" <"$CORPUS" 2>"$T/stderr2"
t1=$(now)
replay_s=$(secs "$t0" "$t1")
replay_n=$(count 'bench-tsink-run-*')
replay_dup=$(tail -n 1 "$T/stderr2" | tr ' ' '\n' | sed -n 's/^duplicates=//p')
ceil_s=$(awk -v a="$ceil1_s" -v b="$ceil2_s" 'BEGIN { printf "%.2f", (a + b) / 2 }')
ceil_n=$(((ceil1_n + ceil2_n) / 2))

ceil_r=$(rate "$ceil_n" "$ceil_s")
sink_r=$(rate "$sink_n" "$sink_s")
ratio=$(awk -v a="$sink_r" -v b="$ceil_r" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.9 ? "meets the 0.9 target" : "below the 0.9 target") }')
cat <<REPORT

## tetra-sink: indexing rate against the cluster's ceiling

$events events, $docs documents, requests of $DOCS documents, $PAR in flight, gzip.

| path | seconds | documents indexed | documents/s |
|---|---:|---:|---:|
| ceiling: prebuilt gzip bulk bodies, curl x$PAR, before the sink | $ceil1_s | $ceil1_n | $(rate "$ceil1_n" "$ceil1_s") |
| ceiling, after the sink | $ceil2_s | $ceil2_n | $(rate "$ceil2_n" "$ceil2_s") |
| ceiling: mean | $ceil_s | $ceil_n | $ceil_r |
| tetra-sink from stdin (decode, build, send) | $sink_s | $sink_n | $sink_r |
| tetra-sink, same corpus again (replay) | $replay_s | $replay_n (${replay_dup:-?} duplicates) | $(rate "$docs" "$replay_s") |

Ratio $ratio: $verdict. Sink summary: \`$(tail -n 1 "$T/stderr")\`

REPORT
[ "$sink_n" = "$docs" ] || echo "**tetra-sink indexed $sink_n of $docs documents.**"
[ "$replay_n" = "$docs" ] && [ "${replay_dup:-}" = "$docs" ] ||
    echo "**the replay left $replay_n documents with ${replay_dup:-?} duplicates; want $docs and $docs.**"
[ "$ceil1_n" = "$docs" ] && [ "$ceil2_n" = "$docs" ] || echo "**a ceiling run indexed fewer than $docs documents.**"
if [ -s "$T/dlq" ]; then
    echo "Dead-lettered by the sink, by reason:"
    echo
    jq -r '.error' "$T/dlq" | cut -c1-120 | sort | uniq -c | sort -rn | head -5 | sed 's/^/    /'
fi
