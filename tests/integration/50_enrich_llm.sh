#!/bin/sh
# 50_enrich_llm.sh - tetra-enrich with the real local LLM (tests/services:
# llama-cpp-python serving a small instruct model; --llm-mode grammar, and
# json_object + schema for the requests side by side).
# Every record comes out; the LLM is asked only for medium and above; each
# answer either passed schema validation (source llm, status ok) or was
# rejected with the rules standing (source rules, status invalid_output):
# small models write poor JSON and that is fine, a record that claims llm
# without validating is not.  The prompt-injection event keeps its critical
# rules severity whatever the model says, and a repeated behaviour is
# answered from the cache (or waits for the request in flight).  --ordered
# keeps input order, which the checks by line number rely on.
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
    --llm-retries 1 --ordered <"$T/in" >"$T/out" 2>"$T/err" || bad "exit $?"
cat "$T/err"
[ "$(wc -l <"$T/out")" -eq 6 ] || bad "want 6 records, got $(wc -l <"$T/out")"
grep -q ' llm_calls=2 ' "$T/err" || bad "want 2 LLM calls (2 distinct behaviours of medium or above)"
hits=$(sed -n 's/.* cache_hits=\([0-9]*\) .*/\1/p' "$T/err")
shared=$(sed -n 's/.* llm_shared=\([0-9]*\) .*/\1/p' "$T/err")
[ $((hits + shared)) -eq 2 ] || bad "repeated behaviours asked again: want them from the cache or the request in flight"
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

# requests side by side: 3 distinct uncached behaviours, each asked once,
# all 3 in flight together, every record out
for n in reverse-shell-nc miner network-scanner normal-start reverse-shell-nc; do cat "$S/$n.json"; done >"$T/in2"
"$E" --llm-url "$LLM_URL" --llm-model "$LLM_MODEL" --llm-mode grammar --llm-timeout 300000 \
    --llm-retries 1 --llm-concurrency 3 <"$T/in2" >"$T/out2" 2>"$T/err2" || bad "concurrent: exit $?"
cat "$T/err2"
[ "$(wc -l <"$T/out2")" -eq 5 ] || bad "concurrent: want 5 records"
grep -q ' llm_calls=3 ' "$T/err2" || bad "concurrent: want 3 calls, one per behaviour"
grep -q ' llm_shared=1 ' "$T/err2" || bad "concurrent: the repeated behaviour should wait for the request in flight"
[ "$(grep -c -E '"llm_status":"LLM_STATUS_(OK|INVALID_OUTPUT|ERROR)"' "$T/out2")" -eq 4 ] ||
    bad "concurrent: each of the 4 should carry its request's outcome"
[ $fail = 0 ] && echo "ok: real LLM"
exit $fail
