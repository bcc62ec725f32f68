#!/bin/sh
# 50_enrich_redact.sh - a secret planted in an event's arguments never
# leaves tetra-enrich: not in --dry-run's printed LLM requests, not in the
# enriched record, not when the API key itself is set.  No server is needed:
# --dry-run sends nothing (the URL points at a closed port to prove it).
set -u
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
SECRET='Pl4nted-S3cret-Value'
KEY='sk-test-DoNotLeakThisKey0123456789'

# the planted-secret scenario carries --password=$SECRET; give it a rule so
# the policy sends it to the LLM, and add an event with a bearer token
printf '%s\n' 'name=db-client binary~=/mysql$ severity=high technique=T1078 technique_name="Valid Accounts" tactic=defense-evasion summary="db client ${args}"' >"$T/rules"
cat "$S/planted-secret.json" "$S/apiserver-curl.json" >"$T/in"
grep -q "$SECRET" "$T/in" || bad "fixture lost its secret"

OPENAI_API_KEY=$KEY "$E" --dry-run --llm-url http://127.0.0.1:9/v1 --llm-model m -r "$T/rules" \
    <"$T/in" >"$T/dry" 2>"$T/err" || bad "dry-run exit $?"
cat "$T/err"
[ "$(grep -c '"method":"POST"' "$T/dry")" -eq 2 ] || bad "dry-run: want 2 requests, got $(grep -c POST "$T/dry")"
grep -q '<redacted:' "$T/dry" || bad "dry-run: no placeholder"
grep -q 'Bearer <redacted>' "$T/dry" || bad "dry-run: API key header not masked"
for s in "$SECRET" "$KEY" 'c2lnbmF0dXJlLXBsYW50ZWQ'; do
    grep -q -- "$s" "$T/dry" "$T/err" && bad "dry-run leaked $s"
done
grep -q 'llm_calls=0' "$T/err" || bad "dry-run made LLM calls"

# the enriched record (stdout) is redacted too, summary included
"$E" -n -q -r "$T/rules" <"$T/in" >"$T/out" || bad "no-llm exit $?"
grep -q -- "$SECRET" "$T/out" && bad "enriched record leaked the password"
grep -q 'c2lnbmF0dXJlLXBsYW50ZWQ' "$T/out" && bad "enriched record leaked the JWT"
grep -q '"summary":"db client [^"]*<redacted' "$T/out" || bad "summary not redacted"
# and --no-redact-event keeps the raw event but still redacts the summary
"$E" -n -q --no-redact-event -r "$T/rules" <"$T/in" >"$T/raw"
grep -q -- "$SECRET" "$T/raw" || bad "--no-redact-event dropped the raw argument"
grep -o '"summary":"[^"]*"' "$T/raw" | grep -q -- "$SECRET" && bad "summary leaked with --no-redact-event"

[ $fail = 0 ] && echo "ok: no leak"
exit $fail
