#!/bin/sh
# latency.sh - how long a line takes from tetra-capture's stdin to a
# searchable document in OpenSearch, through real Kafka, at a steady rate.
#
# The whole rules-only pipeline runs as it would in a cluster: tetra-capture
# (stdin -> raw topic), tetra-enrich --no-llm (raw -> enriched topic),
# tetra-sink (enriched topic -> OpenSearch).  bench/latency-probe.py feeds
# capture BENCH_RATE lines a second (default 5,000) for BENCH_SECONDS
# (default 20), makes every 25th line a probe with a name of its own, and
# searches for the outstanding probes every 50 ms without forcing a
# refresh, so the figure is what a user's search sees: it includes the
# index's refresh_interval (5 s in tetra-sink's template), which is most
# of it.  Needs the services (make services-up: Kafka and OpenSearch);
# skipped without them.  A measurement, never a pass/fail.  Prints Markdown.
set -eu
: "${CORPUS:?run through bench/run.sh}" "${BIN:?}" "${BENCH_DIR:?}" "${ROOT:?}"
[ -z "${OPENSEARCH_URL:-}" ] && [ -f "$ROOT/build/services.env" ] && . "$ROOT/build/services.env"
if [ -z "${OPENSEARCH_URL:-}" ] || [ -z "${KAFKA_BROKERS:-}" ]; then
    printf '\n## pipeline latency\n\nskipped: KAFKA_BROKERS or OPENSEARCH_URL is not set (make services-up).\n\n'
    exit 0
fi
RATE=${BENCH_RATE:-5000} SECONDS_=${BENCH_SECONDS:-20}
T="$BENCH_DIR/latency"
mkdir -p "$T"
P="blat-$$"
RAW="$P-raw" ENR="$P-enriched"
pids=""
cleanup() {
    for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    curl -sS -X DELETE "$OPENSEARCH_URL/$P-*" >/dev/null 2>&1 || true
    curl -sS -X DELETE "$OPENSEARCH_URL/_index_template/$P" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$BIN/tetra-enrich" -q -n -b "$KAFKA_BROKERS" -t "$RAW" -G "$P-e" -T "$ENR" 2>"$T/enrich.err" &
pids="$pids $!"
"$BIN/tetra-sink" -q -b "$KAFKA_BROKERS" -t "$ENR" -G "$P-s" --opensearch "$OPENSEARCH_URL" \
    --index "$P-%Y.%m.%d" --template-name "$P" 2>"$T/sink.err" &
pids="$pids $!"
sleep 3   # both consumers join their groups before the first line
python3 "$ROOT/bench/latency-probe.py" "$CORPUS" "$OPENSEARCH_URL" "$P-*" "$RATE" "$SECONDS_" "$T/result.json" |
    "$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$RAW" 2>"$T/capture.err" || {
    echo "bench: the latency feed failed:" >&2; tail -5 "$T/capture.err" >&2; exit 1; }
r() { jq -r ".$1 // \"-\"" "$T/result.json"; }
{
    echo "latency.p50_ms $(r p50_ms)"
    echo "latency.p99_ms $(r p99_ms)"
} | grep -v ' -$' >>"${FIGURES:-/dev/null}" || true

cat <<REPORT
## pipeline latency: capture stdin -> Kafka -> enrich (rules only) -> Kafka -> sink -> searchable

| offered rate (lines/s) | achieved | events | probes found | p50 (ms) | p99 (ms) | max (ms) |
|---:|---:|---:|---:|---:|---:|---:|
| $RATE | $(r rate) | $(r events) | $(r found) of $(r probes) | $(r p50_ms) | $(r p99_ms) | $(r max_ms) |

- a probe is searchable once OpenSearch has refreshed the shard it went to: tetra-sink's index
  template sets refresh_interval 5s, which bounds the p50 from below at about half of that
- real Kafka (tests/services), one partition per topic as the test broker creates them;
  probes polled every 50 ms, so figures are good to about 50 ms; probes not found within
  90 s of the feed's end are left out of the percentiles (compare found with probes)
- the three programs, Kafka and OpenSearch share this machine's cores: an achieved rate
  below the offered one means the feed was held back by tetra-capture's input pipe
- load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)

REPORT
