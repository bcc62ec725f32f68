#!/bin/sh
# 50_enrich_llm.sh - tetra-enrich with the real local LLM (tests/services:
# llama-cpp-python serving a small instruct model; --llm-mode grammar, and
# json_object + schema for the batch).
# Every record comes out; the LLM is asked only for medium and above; each
# answer either passed schema validation (source llm, status ok) or was
# rejected with the rules standing (source rules, status invalid_output):
# small models write poor JSON and that is fine, a record that claims llm
# without validating is not.  The prompt-injection event keeps its critical
# rules severity whatever the model says, and a repeated behaviour is
# answered from the cache.
set -u
[ -n "${LLM_URL:-}" ] && [ -n "${LLM_MODEL:-}" ] || { echo "LLM_URL/LLM_MODEL unset"; exit 77; }
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
for n in prompt-injection shadow-read normal-start exec-probe-shell prompt-injection \
         shadow-read; do cat "$S/$n.json"; done >"$T/in"
"$E" --llm-url "$LLM_URL" --llm-model "$LLM_MODEL" --llm-mode grammar --llm-timeout 300000 \
    --llm-retries 1 <"$T/in" >"$T/out" 2>"$T/err" || bad "exit $?"
cat "$T/err"
[ "$(wc -l <"$T/out")" -eq 6 ] || bad "want 6 records, got $(wc -l <"$T/out")"
grep -q ' llm_calls=2 ' "$T/err" || bad "want 2 LLM calls (2 distinct behaviours of medium or above)"
grep -q ' cache_hits=2 ' "$T/err" || bad "repeated behaviours not answered from the cache"
grep -q ' llm_errors=0 ' "$T/err" || bad "LLM calls failed"
ok=$(grep -c '"source":"SOURCE_LLM".*"llm_status":"LLM_STATUS_OK"' "$T/out")
inv=$(grep -c '"source":"SOURCE_RULES".*"llm_status":"LLM_STATUS_INVALID_OUTPUT"' "$T/out")
cached=$(grep -c '"llm_status":"LLM_STATUS_CACHED"' "$T/out")
echo "validated: $ok, invalid with rules standing: $inv, cached: $cached"
[ $((ok + inv + cached)) -eq 4 ] || bad "4 records should have asked the LLM or its cache"
grep '"llm_status":"LLM_STATUS_OK"' "$T/out" | grep -v -q '"model":"' && bad "an llm record lacks its model"
grep '"llm_status":"LLM_STATUS_OK"' "$T/out" | grep -v -q '"prompt_version":"p2"' && bad "an llm record lacks its prompt version"
grep -c '"llm_status":"LLM_STATUS_SKIPPED_POLICY"' "$T/out" | grep -qx 2 || bad "info events were sent to the LLM"
# prompt injection: records 1 and 5 stay critical
for i in 1 5; do
    sed -n "${i}p" "$T/out" | grep -q '"severity":"SEVERITY_CRITICAL"' || bad "record $i lost its critical severity"
done
# a validated record's severity is never below the rules' severity
grep '"rules":\["shadow-read"\]' "$T/out" | grep -q -E '"severity":"SEVERITY_(INFO|LOW|MEDIUM)"' &&
    bad "the LLM lowered shadow-read below high"

# batching: 3 distinct uncached behaviours in one request, in both the
# modes llama-cpp-python honours (the grammar fixes the ids 0, 1, 2)
for n in reverse-shell-nc miner network-scanner normal-start; do cat "$S/$n.json"; done >"$T/in2"
for mode in grammar json_object; do
    "$E" --llm-url "$LLM_URL" --llm-model "$LLM_MODEL" --llm-mode $mode --llm-timeout 300000 \
        --llm-retries 1 --llm-batch 3 <"$T/in2" >"$T/out2" 2>"$T/err2" || bad "batch $mode: exit $?"
    cat "$T/err2"
    [ "$(wc -l <"$T/out2")" -eq 4 ] || bad "batch $mode: want 4 records"
    grep -q ' llm_calls=1 ' "$T/err2" || bad "batch $mode: 3 misses should share one request"
    grep -q ' llm_errors=0 ' "$T/err2" || bad "batch $mode: the server refused the request"
    [ "$(grep -c -E '"llm_status":"LLM_STATUS_(OK|INVALID_OUTPUT)"' "$T/out2")" -eq 3 ] ||
        bad "batch $mode: each of the 3 should be ok or invalid_output"
done
[ $fail = 0 ] && echo "ok: real LLM"
exit $fail
