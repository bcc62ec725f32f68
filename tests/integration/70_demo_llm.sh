#!/bin/sh
# 70_demo_llm.sh - `make demo` as the README gives it, with the LLM: the
# same pipeline as 60_demo.sh, and tetra-enrich asks the real local model
# (tests/services' llama.cpp server) about what the rules found.  It must
# exit 0, index one document per distinct event, get answers from the model
# that pass validation, and say in its report how many calls were made,
# answered and saved.  The valid-reply rate is printed, not asserted: it is
# a property of the model (bench/llm-valid.sh reports it).
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export BIN=${BIN:-$ROOT/bin}
[ -n "${LLM_URL:-}" ] || { echo "LLM_URL is not set (start the services)"; exit 77; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
SAMPLES=${SAMPLES_DIR:-$ROOT/../shared/samples/tetragon}

DEMO_LLM=1 sh "$ROOT/examples/demo.sh" >"$T/out" 2>"$T/err"
rc=$?
cat "$T/err" "$T/out"
[ "$rc" = 0 ] || bad "demo exit $rc"
# shellcheck disable=SC1091
. "$ROOT/build/services.env"

want=$(cat "$SAMPLES"/*.json* "$ROOT"/tests/fixtures/scenarios/*.json 2>/dev/null | jq -cS . | sort -u | wc -l)
curl -s -XPOST "$OPENSEARCH_URL/tetragon-demo-*/_refresh" >/dev/null
got=$(curl -s "$OPENSEARCH_URL/tetragon-demo-*/_count" | jq -r .count)
[ "$got" = "$want" ] || bad "$got documents in OpenSearch for $want distinct events"

enrich=$(tail -n 1 "$ROOT/build/demo/enrich.log")
num() { echo "$enrich" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
calls=$(num llm_calls) okn=$(num llm_ok) invalid=$(num invalid_output)
echo "LLM: $calls calls, $okn valid answers, $invalid invalid"
[ "${calls:-0}" -gt 0 ] || bad "the demo made no LLM call: $enrich"
[ "${okn:-0}" -gt 0 ] || bad "no LLM answer passed validation: $enrich"
grep -q "^  $calls calls made ($okn answered" "$T/out" || bad "the report does not give the calls made and answered"
grep -q '^  saved: ' "$T/out" || bad "the report does not say what the cache and policy saved"
[ $fail = 0 ] && echo "ok: demo with the LLM exit 0, $got documents, $okn of $calls calls answered validly"
exit $fail
