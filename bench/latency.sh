#!/bin/sh
# latency.sh - how long a line takes from tetra-capture's stdin to a
# searchable document in OpenSearch, through real Kafka, at steady rates,
# stage by stage, and what each stage costs in CPU.
#
# The whole rules-only pipeline runs as it would in a cluster: tetra-capture
# (stdin -> raw topic), tetra-enrich --no-llm (raw -> enriched topic),
# tetra-sink (enriched topic -> OpenSearch), with each program's defaults.
# bench/latency-probe.py first feeds BENCH_WARMUP lines (default 2000) and
# waits until they are searchable (a new index maps its fields then, which
# stalls _bulk requests for a while), then feeds capture RATE lines a
# second for BENCH_SECONDS (default 20), makes every 25th line a probe with
# a name of its own, searches for the outstanding probes every 50 ms
# without forcing a refresh, so the end-to-end figure is what a user's
# search sees, and once they are found stamps each at every stage boundary
# from the two topics' record timestamps (read after the run: live readers
# would load the broker the pipeline shares).  Each
# rate of BENCH_RATES (default "1000 2500 5000") is a fresh pipeline on
# fresh topics and a fresh index.  CPU per process (user+system from /proc)
# divided by the events fed says what each stage costs and how many cores
# a rate needs.  BENCH_CAPTURE_ARGS, BENCH_ENRICH_ARGS and BENCH_SINK_ARGS
# add options to one program (e.g. BENCH_SINK_ARGS="--batch-docs 500"),
# to weigh a setting against the defaults.  BENCH_JVM_WARMUP (default 60
# seconds, 0: none) at BENCH_JVM_WARMUP_RATE (default 2500 lines/s) is an
# unreported first run that warms the services.
# Needs the services (make services-up: Kafka and OpenSearch); skipped
# without them.  A measurement, never a pass/fail.  Prints Markdown.
set -eu
: "${CORPUS:?run through bench/run.sh}" "${BIN:?}" "${BENCH_DIR:?}" "${ROOT:?}"
[ -z "${OPENSEARCH_URL:-}" ] && [ -f "$ROOT/build/services.env" ] && . "$ROOT/build/services.env"
if [ -z "${OPENSEARCH_URL:-}" ] || [ -z "${KAFKA_BROKERS:-}" ]; then
    printf '\n## pipeline latency\n\nskipped: KAFKA_BROKERS or OPENSEARCH_URL is not set (make services-up).\n\n'
    exit 0
fi
command -v kcat >/dev/null || { echo "bench: latency needs kcat (apt-get install kcat)" >&2; exit 1; }
RATES=${BENCH_RATES:-${BENCH_RATE:-1000 2500 5000}} SECONDS_=${BENCH_SECONDS:-20}
JVM_WARMUP=${BENCH_JVM_WARMUP:-60} JVM_WARMUP_RATE=${BENCH_JVM_WARMUP_RATE:-2500}
WARMUP=${BENCH_WARMUP:-2000}
T="$BENCH_DIR/latency"
mkdir -p "$T"
HZ=$(getconf CLK_TCK)
pids="" P=""
stop_all() {
    for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    pids=""
    [ -z "$P" ] && return 0
    curl -sS -X DELETE "$OPENSEARCH_URL/$P-*" >/dev/null 2>&1 || true
    curl -sS -X DELETE "$OPENSEARCH_URL/_index_template/$P" >/dev/null 2>&1 || true
}
trap stop_all EXIT

# cpu PID...: user+system clock ticks of those processes and their
# reaped children, summed.
cpu() {
    t=0
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        v=$(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13 + $14 + $15}')
        t=$((t + v))
    done
    echo "$t"
}
# ticks FILE: GNU time's "user system" seconds as clock ticks.
ticks() { awk -v hz="$HZ" 'END { printf "%d", ($1 + $2) * hz }' "$1" 2>/dev/null || echo 0; }
# group_pids PGID: every process of a process group (the services).
group_pids() { [ -n "$1" ] && ps -e -o pid=,pgid= | awk -v g="$1" '$2 == g {print $1}'; }

# index_stats: "documents indexed, their indexing ms, documents refused,
# refreshes, their ms" of the run's indices.
index_stats() {
    curl -fsS "$OPENSEARCH_URL/$P-*/_stats/indexing,refresh" 2>/dev/null |
        jq -r '._all.primaries | "\(.indexing.index_total // 0) \(.indexing.index_time_in_millis // 0) \(.indexing.index_failed // 0) \(.refresh.total // 0) \(.refresh.total_time_in_millis // 0)"' ||
        echo "0 0 0 0 0"
}

# floor: OpenSearch's own answer time right now, the least any pipeline
# could do: 10 one-document _bulk requests with refresh=wait_for (back when
# the document is searchable) to a scratch index with the template's 1 s
# refresh; prints "p50_ms max_ms".
floor() {
    f="$OPENSEARCH_URL/blat-floor-$$"
    curl -fsS -X PUT "$f" -H 'Content-Type: application/json' \
        -d '{"settings":{"refresh_interval":"1s","number_of_replicas":0}}' >/dev/null 2>&1 || true
    for i in 1 2 3 4 5 6 7 8 9 10; do
        printf '{"index":{}}\n{"n":%d}\n' "$i" |
            curl -sS -o /dev/null -w '%{time_total}\n' -X POST "$f/_bulk?refresh=wait_for" \
                -H 'Content-Type: application/x-ndjson' --data-binary @- 2>/dev/null || echo 0
    done | sort -n | awk '{ t[NR] = $1 * 1000 } END { printf "%.0f %.0f\n", t[int(NR / 2) + 1], t[NR] }'
    curl -sS -X DELETE "$f" >/dev/null 2>&1 || true
}

KAFKA_PIDS=$(group_pids "$(cat "$ROOT/build/services/kafka/pgid" 2>/dev/null)")
OS_PIDS=$(group_pids "$(cat "$ROOT/build/services/opensearch/pgid" 2>/dev/null)")

# run_rate RATE [SECONDS]: one pipeline at RATE lines/s; result in $T/RATE.json,
# CPU seconds in $T/RATE.cpu.
run_rate() {
    rate=$1 secs=${2:-$SECONDS_} P="blat-$$-$1${2:+-warm}"
    raw="$P-raw" enr="$P-enriched" fifo="$T/feed.$rate"
    rm -f "$fifo" && mkfifo "$fifo"
    "$BIN/tetra-enrich" -q -n -b "$KAFKA_BROKERS" -t "$raw" -G "$P-e" -T "$enr" ${BENCH_ENRICH_ARGS:-} 2>"$T/enrich.$rate.err" &
    enrich=$! pids="$pids $!"
    "$BIN/tetra-sink" -q -b "$KAFKA_BROKERS" -t "$enr" -G "$P-s" --opensearch "$OPENSEARCH_URL" \
        --index "$P-%Y.%m.%d" --template-name "$P" ${BENCH_SINK_ARGS:-} 2>"$T/sink.$rate.err" &
    sink=$! pids="$pids $!"
    /usr/bin/time -o "$T/capture.$rate.time" -f '%U %S' \
        "$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$raw" ${BENCH_CAPTURE_ARGS:-} <"$fifo" 2>"$T/capture.$rate.err" &
    capture=$! pids="$pids $!"
    sleep 3   # both consumers join their groups, the sink installs its template
    set -- "$(cpu $enrich)" "$(cpu $sink)" "$(cpu $KAFKA_PIDS)" "$(cpu $OS_PIDS)"
    t0=$(date +%s%N)
    /usr/bin/time -o "$T/bench.$rate.time" -f '%U %S' python3 "$ROOT/bench/latency-probe.py" "$CORPUS" "$OPENSEARCH_URL" "$P-*" "$rate" "$secs" \
        "$T/$rate.json" "$WARMUP" >"$fifo" || echo "bench: latency: the feed failed" >&2
    wall=$((($(date +%s%N) - t0) / 1000000))
    # capture ended with its input; its CPU is what it used until then
    wait "$capture" 2>/dev/null || { echo "bench: tetra-capture failed:" >&2; tail -3 "$T/capture.$rate.err" >&2; }
    printf '%s %s %s %s %s %s %s\n' "$wall" "$(ticks "$T/capture.$rate.time")" \
        "$(( $(cpu $enrich) - $1 ))" "$(( $(cpu $sink) - $2 ))" \
        "$(( $(cpu $KAFKA_PIDS) - $3 ))" "$(( $(cpu $OS_PIDS) - $4 ))" \
        "$(ticks "$T/bench.$rate.time")" >"$T/$rate.cpu"
    index_stats >"$T/$rate.index"
    python3 "$ROOT/bench/latency-probe.py" --stages "$T/$rate.json" "$KAFKA_BROKERS" "$raw" "$enr" ||
        echo "bench: latency: reading the topics failed" >&2
    stop_all
    rm -f "$fifo"
}

# A Kafka or OpenSearch just started spends its first minutes compiling
# (the JIT): a first run at 1,000 lines/s measured OpenSearch at 1.5 ms of
# CPU per event, five times its steady cost, and 5,000 lines/s after 30 s
# of warming at 7,500 (more than this machine sustains) still gave p99
# 2.6 s where later runs gave 1.2 to 1.5 s.  Production services run for
# weeks, so one unreported run at a rate the machine keeps up with warms
# both first.
if [ "$JVM_WARMUP" -gt 0 ]; then
    echo "bench: latency: warming Kafka and OpenSearch for $JVM_WARMUP s at $JVM_WARMUP_RATE lines/s" >&2
    run_rate "$JVM_WARMUP_RATE" "$JVM_WARMUP"
    rm -f "$T/$JVM_WARMUP_RATE".*
fi
for rate in $RATES; do
    echo "bench: latency at $rate lines/s" >&2
    floor >"$T/$rate.floor"
    run_rate "$rate"
done

r() { jq -r "$2 // \"-\"" "$T/$1.json" 2>/dev/null || echo -; }
# per TICKS EVENTS: CPU microseconds per event
per() { awk -v t="$1" -v hz="$HZ" -v e="$2" 'BEGIN { printf "%.0f µs", (e > 0 ? t / hz / e * 1e6 : 0) }'; }
for rate in $RATES; do
    echo "latency.at_$rate.p50_ms $(r "$rate" .p50_ms)"
    echo "latency.at_$rate.p99_ms $(r "$rate" .p99_ms)"
done | grep -E ' [0-9]+$' >>"${FIGURES:-/dev/null}" || true

cat <<REPORT
## pipeline latency: capture stdin -> Kafka -> enrich (rules only) -> Kafka -> sink -> searchable

End to end (a probe's line written to tetra-capture's stdin until a search finds it), one run per rate,
each $SECONDS_ s of feed, after an unreported $JVM_WARMUP s run at $JVM_WARMUP_RATE lines/s that warmed Kafka's and OpenSearch's JIT.  "OpenSearch floor" is OpenSearch's own time, just before that run, to
make a one-document _bulk searchable (refresh=wait_for; p50 / max of 10): no pipeline can do better
than the machine lets OpenSearch do.

| offered (lines/s) | achieved | events | probes found | p50 (ms) | p99 (ms) | max (ms) | OpenSearch floor (ms) | warm-up (s) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
REPORT
for rate in $RATES; do
    read -r fl50 flmax <"$T/$rate.floor" 2>/dev/null || { fl50=- flmax=-; }
    echo "| $rate | $(r "$rate" .rate) | $(r "$rate" .events) | $(r "$rate" .found) of $(r "$rate" .probes) | $(r "$rate" .p50_ms) | $(r "$rate" .p99_ms) | $(r "$rate" .max_ms) | $fl50 / $flmax | $(r "$rate" .warmup_s) |"
done
cat <<REPORT

Per stage, p50 / p99 in ms, between these stamps: fed; raw = capture's produce call (the raw record's
CreateTime); enriched = enrich's produce call (the enriched record's), so "enrich" holds capture's
producer linger, the broker and enrich's fetch and work; found = a search returned it, so "sink + index"
holds enrich's linger, the broker, tetra-sink's fetch, its bulk linger, the _bulk request and the
refresh.  Then the index's own statistics over the run: documents indexed and OpenSearch's mean
indexing time per document, documents refused (an _id already indexed: a _bulk re-sent after a
timeout), refreshes and their mean time.  (Producer and consumer clocks are the
same machine's; a stage can read -1 ms.)

| rate | capture | raw topic + enrich | enriched topic + sink + index | indexed, mean | refused | refreshes, mean |
|---:|---:|---:|---:|---:|---:|---:|
REPORT
for rate in $RATES; do
    row="| $rate |"
    for s in capture enrich sink; do
        row="$row $(r "$rate" ".stages.$s.p50_ms") / $(r "$rate" ".stages.$s.p99_ms") |"
    done
    read -r ni ti nf nr tr <"$T/$rate.index" 2>/dev/null || { ni=0 ti=0 nf=0 nr=0 tr=0; }
    echo "$row $ni, $(awk -v t="$ti" -v n="$ni" 'BEGIN { printf "%.1f", n ? t / n : 0 }') ms | $nf | $nr, $((tr / (nr > 0 ? nr : 1))) ms |"
done
cat <<REPORT

CPU per event (user+system from /proc over the warm-up, the feed and its drain, divided by the events
fed, $WARMUP warm-up lines included), and how many cores that cost is at the offered rate; the
machine has $(nproc) cores, shared with other work; the bench's own feed and searches count as
"bench":

| rate | events | tetra-capture | tetra-enrich | tetra-sink | Kafka | OpenSearch | bench | cores needed at this rate |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
REPORT
for rate in $RATES; do
    [ -f "$T/$rate.cpu" ] || continue
    read -r _wall cap enr snk kaf os self <"$T/$rate.cpu"
    ev=$(( $(r "$rate" .events | tr -d -c 0-9) + WARMUP ))
    echo "| $rate | $ev | $(per "$cap" "$ev") | $(per "$enr" "$ev") | $(per "$snk" "$ev") | $(per "$kaf" "$ev") | $(per "$os" "$ev") | $(per "$self" "$ev") | $(awk -v t="$((cap + enr + snk + kaf + os))" -v hz="$HZ" -v e="$ev" -v r="$rate" 'BEGIN { printf "%.1f", t / hz / e * r }') |"
done
cat <<REPORT

- real Kafka (tests/services), one partition per topic as the test broker creates them; probes
  searched every 50 ms, so figures are good to about 50 ms; a probe not found within 90 s of the
  feed's end counts as slower than any found (">90s" when it reaches a percentile)
- the three programs, Kafka, OpenSearch and the bench share this machine's cores with whatever
  else runs on it: an achieved rate below the offered one means the feed was held back by
  tetra-capture's input pipe
- load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)

REPORT
