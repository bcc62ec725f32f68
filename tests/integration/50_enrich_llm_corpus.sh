#!/bin/sh
# 50_enrich_llm_corpus.sh - cost with the real local LLM: a 10,000-event
# corpus with realistic repetition (the scenarios again and again with other
# PIDs, pods and times) makes at most 2% as many LLM calls as events, and,
# with Kafka, a restart reuses the cache through the compacted cache topic
# and makes no call at all.  Only critical events go to the LLM here: the
# local CPU model needs minutes per request on a busy 2-core machine, and
# the point is the ratio of calls to events, not the model's prose.
set -u
[ -n "${LLM_URL:-}" ] && [ -n "${LLM_MODEL:-}" ] || { echo "LLM_URL/LLM_MODEL unset"; exit 77; }
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
cat "$S"/*.json | awk '{ line[n++] = $0 } END {
    for (i = 0; i < 10000; i++) {
        l = line[i % n]
        sub(/"pid":[0-9]+,/, "\"pid\":" (100000 + i) ",", l)
        gsub(/x2x9q/, sprintf("p%04d", i % 977), l)
        print l
    } }' >"$T/in"
[ "$(wc -l <"$T/in")" -eq 10000 ] || { echo "corpus not built"; exit 1; }
cache=""
if [ -n "${KAFKA_BROKERS:-}" ]; then cache="-b $KAFKA_BROKERS --cache-topic enrich-cache-$$-$(date +%s)"; fi
run() {
    # shellcheck disable=SC2086
    "$E" --llm-url "$LLM_URL" --llm-model "$LLM_MODEL" --llm-mode grammar \
        --llm-timeout 300000 --llm-retries 1 --min-severity critical $cache <"$T/in" >"$T/out" 2>"$T/err"
}
run || bad "exit $?"
cat "$T/err"
[ "$(wc -l <"$T/out")" -eq 10000 ] || bad "wrote $(wc -l <"$T/out") of 10000"
calls=$(sed -n 's/.* llm_calls=\([0-9]*\) .*/\1/p' "$T/err")
[ "$calls" -ge 1 ] && [ "$calls" -le 200 ] || bad "$calls LLM calls for 10000 events (limit 200)"
if [ -n "$cache" ]; then
    run || bad "restart exit $?"
    cat "$T/err"
    grep -q ' llm_calls=0 ' "$T/err" || bad "the restart asked the LLM again instead of using the cache topic"
fi
[ $fail = 0 ] && echo "ok: $calls LLM calls for 10000 events"
exit $fail
