#!/bin/sh
# 65_metrics.sh - --metrics-addr on the three running filters, read the way
# Prometheus reads it: each page is parsed by prometheus_client's own text
# parser (PyPI, in a virtualenv cached under ~/.cache/tetragonsidekick).
#
# 1. capture -> Kafka -> enrich -> Kafka -> sink -> OpenSearch with the
#    scenarios, each filter serving metrics: once the events are through,
#    /healthz is 200, /readyz is 200, the page parses, every summary
#    counter is there, and after SIGTERM the exit summary line has the
#    same numbers as the last scrape.  The sink's page has a bulk latency
#    histogram, enrich's the consumer lag of its partition.
# 2. /readyz follows a dependency that is not there: a sink whose
#    OpenSearch is down and a capture whose broker is down answer 503 and
#    say why, while /healthz stays 200; an enrich whose LLM is down stays
#    ready but says "degraded" once its breaker opens.
# 3. --log-format json: every stderr line of a run is one JSON object.
set -u
[ -n "${KAFKA_BROKERS:-}" ] && [ -n "${OPENSEARCH_URL:-}" ] || { echo "needs Kafka and OpenSearch"; exit 77; }
RUN="metrics-$$-$(date +%s)"
. "$ROOT/tests/integration/lib-filters.sh"

# --- the parser -----------------------------------------------------------------------
CACHE=${TETRA_CACHE:-$HOME/.cache/tetragonsidekick}
VENV=$CACHE/venv-prometheus-client-0.26.0
if ! "$VENV/bin/python" -c 'import prometheus_client' 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV" && PIP_CACHE_DIR="$CACHE/pip" PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "$VENV/bin/pip" install -q prometheus_client==0.26.0 || { echo "cannot install prometheus_client"; exit 1; }
fi
# scrape PORT: the samples of the page as "name{labels} value" lines, or
# exit 1 when prometheus_client refuses the page or a histogram is wrong.
cat >"$T/parse.py" <<'EOF'
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
page = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode()
for fam in text_string_to_metric_families(page):
    if fam.type == "histogram":
        b = [s for s in fam.samples if s.name.endswith("_bucket")]
        c = [s for s in fam.samples if s.name.endswith("_count")][0].value
        assert b[-1].labels["le"] == "+Inf" and b[-1].value == c, fam.name
        assert all(x.value <= y.value for x, y in zip(b, b[1:])), fam.name
    for s in fam.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %s" % (s.name, labels, repr(s.value)))
EOF
scrape() { "$VENV/bin/python" "$T/parse.py" "$1"; }
# value PAGE NAME: the value of an unlabelled sample, as an integer
value() { sed -n "s/^$2{} \([0-9.]*\)$/\1/p" "$1" | head -n 1 | cut -d. -f1; }
code() { curl -s -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$1$2"; }
reaches() { scrape "$1" >"$T/page.$1" 2>/dev/null && [ "$(value "$T/page.$1" "$2")" = "$3" ]; }

# same PAGE STDERR PREFIX [SKIP...]: each key=value of the exit summary is
# the page's PREFIX_key_total (keys the page also has)
same() {
    page=$1 err=$2 pre=$3; shift 3
    line=$(grep '^tetra-' "$err" | tail -n 1 | sed 's/^[a-z-]*: //')
    [ -n "$line" ] || { bad "$pre: no summary line"; return; }
    checked=0
    for kv in $line; do
        k=${kv%%=*} v=${kv#*=}
        case " $* " in *" $k "*) continue ;; esac
        case $k in est_cost) continue ;; esac
        got=$(value "$page" "${pre}_${k}_total")
        [ -n "$got" ] || { bad "$pre: summary has $k, /metrics has no ${pre}_${k}_total"; continue; }
        [ "$got" = "$v" ] || bad "$pre: $k=$v in the summary, $got on /metrics"
        checked=$((checked + 1))
    done
    echo "ok: $pre: $checked summary counters equal on /metrics"
}

# --- 1. the pipeline ---------------------------------------------------------------------
N=$(cat "$S"/*.json | wc -l)
cat "$S"/*.json >"$T/in"
PC=$(free_port) PE=$(free_port) PS=$(free_port)
"$BIN/tetra-capture" -b "$KAFKA_BROKERS" -t "$RUN-raw" --follow "$T/in" --metrics-addr "127.0.0.1:$PC" \
    2>"$T/capture.err" & pids="$pids $!" cpid=$!
"$BIN/tetra-enrich" -n -b "$KAFKA_BROKERS" -t "$RUN-raw" -T "$RUN-enriched" -G "$RUN-e" \
    --metrics-addr ":$PE" 2>"$T/enrich.err" & pids="$pids $!" epid=$!
"$BIN/tetra-sink" -b "$KAFKA_BROKERS" -t "$RUN-enriched" -G "$RUN-s" --opensearch "$OPENSEARCH_URL" \
    --index "$RUN-%Y.%m.%d" --template-name "$RUN" --linger-ms 50 --metrics-addr "127.0.0.1:$PS" \
    --log-format json 2>"$T/sink.err" & pids="$pids $!" spid=$!

until_ok 120 reaches "$PC" tetra_capture_read_total "$N" || bad "capture: read never reached $N"
until_ok 120 reaches "$PE" tetra_enrich_written_total "$N" || bad "enrich: written never reached $N"
until_ok 120 reaches "$PS" tetra_sink_indexed_total "$N" || bad "sink: indexed never reached $N"
for p in "$PC" "$PE" "$PS"; do
    [ "$(code "$p" /healthz)" = 200 ] || bad "port $p: /healthz $(cat "$T/body")"
    until_ok 20 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$p/readyz)\" = 200 ]" ||
        bad "port $p: /readyz not 200: $(curl -s "http://127.0.0.1:$p/readyz")"
    [ "$(code "$p" /nope)" = 404 ] || bad "port $p: /nope is not 404"
done
grep -q "^tetra_sink_bulk_request_seconds_count{} [1-9]" "$T/page.$PS" || bad "sink: no bulk latency observed: $(grep bulk "$T/page.$PS")"
until_ok 15 sh -c "'$VENV/bin/python' '$T/parse.py' $PE | grep -q '^tetra_enrich_kafka_consumer_lag{partition=0,topic=$RUN-raw} 0'" ||
    bad "enrich: no consumer lag 0 for $RUN-raw/0: $(grep lag "$T/page.$PE")"
grep -q '^tetra_enrich_kafka_brokers_up{client=' "$T/page.$PE" || bad "enrich: no brokers_up"
# final scrapes, then the exit summaries
for p in "$PC" "$PE" "$PS"; do scrape "$p" >"$T/last.$p" || bad "port $p: the page does not parse"; done
kill -TERM "$cpid" "$epid" "$spid"
wait "$cpid" || bad "capture exit $?"
wait "$epid" || bad "enrich exit $?"
wait "$spid" || bad "sink exit $?"
pids=""
same "$T/last.$PC" "$T/capture.err" tetra_capture
same "$T/last.$PE" "$T/enrich.err" tetra_enrich
# the sink's summary comes as JSON here (3.); a final commit adds to commits
jq -r 'select(.level == "info") | "tetra-sink: " + .message' "$T/sink.err" >"$T/sink.summary"
same "$T/last.$PS" "$T/sink.summary" tetra_sink commits

# --- 3. JSON log lines ---------------------------------------------------------------------
lines=$(wc -l <"$T/sink.err")
objs=$(jq -c 'select(.time and .level and .program == "tetra-sink" and .message)' "$T/sink.err" | wc -l)
[ "$lines" -ge 1 ] && [ "$objs" = "$lines" ] || bad "--log-format json: $objs objects in $lines lines: $(head -n 3 "$T/sink.err")"

# --- 2. a dependency that is not there -----------------------------------------------------
DEAD=127.0.0.1:$(free_port)
mkfifo "$T/fifo"
sleep 30 >"$T/fifo" & pids="$pids $!" # keeps the fifos' writers open
P1=$(free_port) P2=$(free_port) P3=$(free_port)
"$BIN/tetra-sink" --opensearch "http://$DEAD" --no-template --metrics-addr "127.0.0.1:$P1" \
    <"$T/fifo" 2>"$T/dead-sink.err" & pids="$pids $!"
"$BIN/tetra-capture" -b "$DEAD" -t "$RUN-dead" --follow "$T/in" --metrics-addr "127.0.0.1:$P2" \
    2>"$T/dead-capture.err" & pids="$pids $!"
{ cat "$T/in"; sleep 30; } | "$BIN/tetra-enrich" --llm-url "http://$DEAD/v1" --llm-model m \
    --llm-retries 0 --llm-timeout 1000 --llm-breaker 1 --llm-cooldown 600000 --min-severity critical \
    --metrics-addr "127.0.0.1:$P3" >/dev/null 2>"$T/dead-enrich.err" & pids="$pids $!"
until_ok 20 sh -c "curl -s -o /dev/null http://127.0.0.1:$P1/healthz" || bad "dead sink: no server"
[ "$(code "$P1" /readyz)" = 503 ] && grep -q OpenSearch "$T/body" || bad "sink without OpenSearch: /readyz $(cat "$T/body")"
[ "$(code "$P1" /healthz)" = 200 ] || bad "sink without OpenSearch: /healthz not 200"
until_ok 20 sh -c "curl -s -o /dev/null http://127.0.0.1:$P2/healthz" || bad "dead capture: no server"
sleep 3 # a statistics interval or two
[ "$(code "$P2" /readyz)" = 503 ] && grep -q Kafka "$T/body" || bad "capture without a broker: /readyz $(cat "$T/body")"
if until_ok 20 sh -c "curl -s http://127.0.0.1:$P3/readyz | grep -q degraded"; then
    [ "$(code "$P3" /readyz)" = 200 ] || bad "enrich with its breaker open is not ready"
else
    bad "enrich with a dead LLM never said degraded: $(curl -s "http://127.0.0.1:$P3/readyz")"
fi
[ $fail = 0 ] && echo "ok: metrics, health, readiness and JSON logs of all three filters"
exit $fail
