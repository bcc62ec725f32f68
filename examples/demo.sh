#!/bin/sh
# demo.sh - make demo: the whole pipeline on this machine, then what it found.
#
# capture -> Kafka -> enrich -> Kafka -> sink -> OpenSearch, on the real
# Tetragon samples shipped beside the checkout and on our own attack
# scenarios (tests/fixtures/scenarios: one intrusion into a web pod, each
# step its own process).  The broker is the real Kafka when the test
# services already run it, else librdkafka's mock cluster (nothing to
# download); OpenSearch and the LLM are the real local services of
# tests/services.  DEMO_LLM=0 skips the LLM (rules only, much faster on a
# fresh machine; make test runs it so, tests/integration/60_demo.sh).
#
# It checks itself: every distinct input event must become one document,
# and nothing may be dropped or rejected on the way; otherwise it exits 1.
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
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
# field NAME FILE: NAME=value from the last line of FILE (a summary line)
field() { tail -n 1 "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
num() { v=$(field "$1" "$2"); echo "${v:-0}"; }

start_services() {
    # A broker: the real Kafka when `make services-up` already started it,
    # else the zero-setup mock cluster.
    broker=mock
    sh tests/services/services.sh status 2>/dev/null | grep -q '^kafka: running' && broker=kafka
    services="$broker opensearch"
    [ "$DEMO_LLM" = 1 ] && services="$services llm"
    step "starting services: $services (first start downloads and builds; see docs/SERVICES.md)"
    # shellcheck disable=SC2086
    sh tests/services/services.sh up $services
    # shellcheck disable=SC1091
    . "$ROOT/build/services.env"
}

gather_inputs() {
    step "inputs: Tetragon samples and attack scenarios"
    : >"$WORK/input.jsonl"
    for d in "$SAMPLES" tests/fixtures/scenarios; do
        [ -d "$d" ] || { echo "   ($d is absent, skipped)" >&2; continue; }
        cat "$d"/*.json* >>"$WORK/input.jsonl" 2>/dev/null || true
    done
    # what OpenSearch must hold at the end: one document per distinct event
    distinct=$(jq -cS . "$WORK/input.jsonl" | sort -u | wc -l | tr -d ' ')
    echo "   $distinct distinct events" >&2
}

run_pipeline() {
    step "tetra-capture -> Kafka topic $RAW"
    "$BIN/tetra-capture" -b "$KAFKA_BROKERS" -t "$RAW" "$WORK/input.jsonl"

    llm_opts="--no-llm"
    [ "$DEMO_LLM" = 1 ] && llm_opts="--llm-url $LLM_URL --llm-model $LLM_MODEL --llm-mode grammar"
    step "tetra-enrich $RAW -> $ENRICHED ($llm_opts)"
    # shellcheck disable=SC2086
    "$BIN/tetra-enrich" -b "$KAFKA_BROKERS" -t "$RAW" -G "demo-enrich-$RUN" -T "$ENRICHED" \
        --idle-exit 5000 $llm_opts 2>"$WORK/enrich.log" || { cat "$WORK/enrich.log" >&2; exit 1; }
    tail -n 1 "$WORK/enrich.log" >&2

    step "tetra-sink $ENRICHED -> OpenSearch $OPENSEARCH_URL"
    curl -s -XDELETE "$OPENSEARCH_URL/$pattern" >/dev/null
    "$BIN/tetra-sink" -b "$KAFKA_BROKERS" -t "$ENRICHED" -G "demo-sink-$RUN" \
        --opensearch "$OPENSEARCH_URL" --index "$INDEX" --template-name "$TEMPLATE" 2>"$WORK/sink.log" &
    sink=$!
    wait_for_documents
    kill -TERM "$sink" 2>/dev/null || true
    wait "$sink" || { cat "$WORK/sink.log" >&2; die "tetra-sink failed"; }
    tail -n 1 "$WORK/sink.log" >&2
    curl -s -XPOST "$OPENSEARCH_URL/$pattern/_refresh" >/dev/null
    count=$(doc_count)
}

doc_count() {
    curl -s "$OPENSEARCH_URL/$pattern/_count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'
}

# Until every distinct event is a document, the sink has stopped, or three
# minutes have passed.
wait_for_documents() {
    for _ in $(seq 1 90); do
        kill -0 "$sink" 2>/dev/null || return 0
        curl -s -XPOST "$OPENSEARCH_URL/$pattern/_refresh" >/dev/null
        [ "$(doc_count)" = "$distinct" ] && return 0
        sleep 2
    done
}

# Nothing lost: every distinct event indexed, nothing dropped or rejected.
check_delivery() {
    lost=$(($(num rejected "$WORK/enrich.log") + $(num rejected "$WORK/sink.log") +
        $(num dropped "$WORK/sink.log") + $(num dead_lettered "$WORK/sink.log")))
    [ "$lost" = 0 ] || die "$lost records were rejected, dead-lettered or dropped; see $WORK/*.log"
    [ "${count:-0}" = "$distinct" ] ||
        die "${count:-0} documents in $pattern for $distinct distinct events; see $WORK/sink.log"
}

q() { curl -s -H 'Content-Type: application/json' "$OPENSEARCH_URL/$pattern/_search" -d "$1"; }

report_findings() {
    printf '\nFindings by severity (%s events, %s documents in %s)\n' "$distinct" "$count" "$pattern"
    q '{"size":0,"aggs":{"s":{"terms":{"field":"event.severity","size":10,"order":{"_key":"desc"}},"aggs":{"l":{"terms":{"field":"event.severity_label","size":1}}}}}}' |
        jq -r '.aggregations.s.buckets[] | "  \(.l.buckets[0].key): \(.doc_count)"'
    # medium and above, worst first: what happened, where, and how ATT&CK names it
    q '{"size":200,"sort":[{"event.severity":"desc"},{"@timestamp":"asc"}],"query":{"range":{"event.severity":{"gte":3}}},"_source":["event.severity_label","orchestrator.namespace","orchestrator.resource.name","host.name","process.command_line","message","threat.technique","rule.name"]}' |
        jq -r '.hits.hits | group_by(._source.event.severity_label) | sort_by(-(.[0].sort[0])) | .[] |
            "\n\(.[0]._source.event.severity_label | ascii_upcase) (\(length))",
            (.[] | ._source |
                "  - \(.message // "(no summary)")",
                "      where: \(if .orchestrator.namespace then "pod \(.orchestrator.namespace)/\(.orchestrator.resource.name)" else "node \(.host.name // "-")" end): \((.process.command_line // "-") | .[0:100])",
                "      ATT&CK: \([.threat.technique.id // [] , .threat.technique.name // []] | transpose | map("\(.[0]) \(.[1])") | join(", ") | if . == "" then "-" else . end)\(if .rule.name then "  (rule \(.rule.name | if type == "array" then join(",") else . end))" else "" end)")'
}

report_llm() {
    e=$WORK/enrich.log
    printf '\nLLM\n'
    if [ "$DEMO_LLM" != 1 ]; then
        echo "  off (DEMO_LLM=0): every finding above comes from the built-in rules; make demo asks the LLM too"
        return
    fi
    calls=$(num llm_calls "$e") ok=$(num llm_ok "$e") hits=$(num cache_hits "$e")
    policy=$(num skipped_policy "$e") breaker=$(num circuit_open "$e")
    read_n=$(num read "$e")
    echo "  $calls calls made ($ok answered, $(num llm_errors "$e") failed), $(num tokens_in "$e") tokens in, $(num tokens_out "$e") out"
    echo "  saved: $hits answered from the cache, $policy left to the rules by policy, $breaker while the breaker was open"
    echo "  ($read_n events in all; $(($read_n - $calls)) needed no call)"
}

report_where() {
    u=$OPENSEARCH_URL
    cat <<EOF

Where to look
  OpenSearch    $u  (index pattern $pattern)
  critical      curl -s "$u/$pattern/_search?q=event.severity_label:critical&pretty"
  a technique   curl -s "$u/$pattern/_search?q=threat.technique.id:T1059*&pretty"
  one pod       curl -s "$u/$pattern/_search?q=orchestrator.resource.name:web-7d4b9c8f6d-x2x9q&sort=@timestamp&pretty"
  no own time   curl -s "$u/$pattern/_search?q=tags:time_missing&pretty"   (indexed at ingest time)
  Kafka topics  $RAW (raw protobuf), $ENRICHED (enriched) on $KAFKA_BROKERS
  logs          $WORK/enrich.log, $WORK/sink.log
  stop          make services-down
EOF
}

start_services
gather_inputs
run_pipeline
check_delivery
step "what it found"
report_findings
report_llm
report_where
