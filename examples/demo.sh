#!/bin/sh
# demo.sh - make demo: the whole pipeline on this machine, then what it found.
#
# capture -> Kafka -> enrich -> Kafka -> sink -> OpenSearch, on the real
# Tetragon samples shipped beside the checkout and on our own attack
# scenarios.  The broker is librdkafka's mock cluster (nothing to download);
# OpenSearch and the LLM are the real local services of tests/services.
# DEMO_LLM=0 skips the LLM (rules only, much faster on a fresh machine).
# The services stay up afterwards so OpenSearch can be explored; stop them
# with `make services-down`.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=${BIN:-$ROOT/bin}
DEMO_LLM=${DEMO_LLM:-1}
SAMPLES=${SAMPLES_DIR:-$ROOT/../shared/samples/tetragon}
WORK=$ROOT/build/demo
RUN=$(date +%s)
RAW=demo.raw.$RUN ENRICHED=demo.enriched.$RUN
# One stable index family and template for the demo; each run starts it
# afresh so what it shows is this run's.
INDEX="tetragon-demo-%Y.%m.%d" TEMPLATE=tetragon-demo pattern="tetragon-demo-*"
mkdir -p "$WORK"

step() { printf '\n==> %s\n' "$*" >&2; }

# A broker: the real Kafka when `make services-up` already started it, else
# the zero-setup mock cluster.
broker=mock
sh tests/services/services.sh status 2>/dev/null | grep -q '^kafka: running' && broker=kafka
services="$broker opensearch"
[ "$DEMO_LLM" = 1 ] && services="$services llm"
step "starting services: $services (first start downloads and builds; see docs/SERVICES.md)"
# shellcheck disable=SC2086
sh tests/services/services.sh up $services
# shellcheck disable=SC1091
. "$ROOT/build/services.env"

step "inputs: Tetragon samples and attack scenarios"
: >"$WORK/input.jsonl"
for d in "$SAMPLES" tests/fixtures/scenarios; do
    [ -d "$d" ] || { echo "   ($d is absent, skipped)" >&2; continue; }
    cat "$d"/*.json* >>"$WORK/input.jsonl" 2>/dev/null || true
done

step "tetra-capture -> Kafka topic $RAW"
"$BIN/tetra-capture" -b "$KAFKA_BROKERS" -t "$RAW" "$WORK/input.jsonl"

llm_opts="--no-llm"
[ "$DEMO_LLM" = 1 ] && llm_opts="--llm-url $LLM_URL --llm-model $LLM_MODEL --llm-mode grammar"
step "tetra-enrich $RAW -> $ENRICHED ($llm_opts)"
# shellcheck disable=SC2086
"$BIN/tetra-enrich" -b "$KAFKA_BROKERS" -t "$RAW" -G "demo-enrich-$RUN" -T "$ENRICHED" \
    --idle-exit 5000 $llm_opts 2>"$WORK/enrich.log" || { cat "$WORK/enrich.log" >&2; exit 1; }
tail -n 1 "$WORK/enrich.log" >&2
written=$(tail -n 1 "$WORK/enrich.log" | tr ' ' '\n' | sed -n 's/^written=//p')

step "tetra-sink $ENRICHED -> OpenSearch $OPENSEARCH_URL"
curl -s -XDELETE "$OPENSEARCH_URL/$pattern" >/dev/null
"$BIN/tetra-sink" -b "$KAFKA_BROKERS" -t "$ENRICHED" -G "demo-sink-$RUN" \
    --opensearch "$OPENSEARCH_URL" --index "$INDEX" --template-name "$TEMPLATE" 2>"$WORK/sink.log" &
sink=$!
# Done when the sink has read every enriched record (identical sample
# events share one document id, so the document count can be lower).
for _ in $(seq 1 120); do
    kill -0 "$sink" 2>/dev/null || break
    curl -s -XPOST "$OPENSEARCH_URL/$pattern/_refresh" >/dev/null
    count=$(curl -s "$OPENSEARCH_URL/$pattern/_count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
    [ "${count:-0}" -gt 0 ] && [ "${count:-0}" = "${last:-}" ] && break
    last=$count
    sleep 3
done
kill -TERM "$sink" 2>/dev/null || true
wait "$sink" || { cat "$WORK/sink.log" >&2; exit 1; }
tail -n 1 "$WORK/sink.log" >&2
curl -s -XPOST "$OPENSEARCH_URL/$pattern/_refresh" >/dev/null

step "what it found (${count:-0} documents in $pattern)"
q() { curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$pattern/_search" -d "$1"; }
echo "events by severity:"
q '{"size":0,"aggs":{"s":{"terms":{"field":"event.severity_label","size":10}}}}' |
    jq -r '.aggregations.s.buckets[] | "  \(.key): \(.doc_count)"'
echo "ATT&CK techniques:"
q '{"size":0,"aggs":{"t":{"terms":{"field":"threat.technique.id","size":15},"aggs":{"n":{"terms":{"field":"threat.technique.name","size":1}}}}}}' |
    jq -r '.aggregations.t.buckets[] | "  \(.key) \(.n.buckets[0].key // ""): \(.doc_count)"'
echo "high and critical events:"
q '{"size":15,"sort":[{"event.severity":"desc"},{"@timestamp":"asc"}],"query":{"range":{"event.severity":{"gte":4}}},"_source":["@timestamp","event.severity_label","orchestrator.namespace","orchestrator.resource.name","process.executable","message","event.provider"]}' |
    jq -r '.hits.hits[]._source | "  [\(.event.severity_label)] \(.orchestrator.namespace // "-")/\(.orchestrator.resource.name // "-") \(.process.executable // "-"): \(.message // "") (\(.event.provider // ""))"'

printf '\nExplore: curl "%s/%s/_search?q=threat.technique.id:T1059*&pretty"\n' "$OPENSEARCH_URL" "$pattern"
echo "Stop the services with: make services-down"
