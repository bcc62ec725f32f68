#!/bin/sh
# 50_enrich_redact.sh - a secret planted in an event's arguments never
# leaves tetra-enrich: not in --dry-run's printed LLM requests, not in the
# enriched record, not when the API key itself is set; nor one planted in
# the environment variables or the traced-call arguments (kprobe,
# tracepoint, uprobe, lsm, usdt) of a record.  No server is needed:
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

# the rest of the record: environment variables of the process and parent,
# and traced-call arguments of each kind (a string, text bytes, a file path)
K="$ROOT/tests/fixtures/kinds"
ENVSECRET='Env-S3cret-Planted9' ARGSECRET='ArgS3cretPlanted77' BYTESECRET='Byt3sSecretPlanted5'
b64=$(printf 'mysql --password=%s' "$BYTESECRET" | base64 -w0)
envs='[{"Key":"DB_PASSWORD","Value":"'"$ENVSECRET"'"},{"Key":"PATH","Value":"/usr/bin"}]'
margs='[{"string_arg":"curl --token '"$ARGSECRET"' https://x"},{"bytes_arg":"'"$b64"'"},{"file_arg":{"path":"/tmp/https://u:'"$ARGSECRET"'@h/x"}}]'
for kind in process_kprobe process_tracepoint process_uprobe process_lsm process_usdt; do
    head -n 1 "$K/$kind.json" | jq -c --argjson e "$envs" --argjson a "$margs" --arg k "$kind" \
        '.[$k].process.environment_variables = $e | .[$k].parent.environment_variables = $e | .[$k].args = $a'
done >"$T/kinds"
[ "$(wc -l <"$T/kinds")" = 5 ] || bad "could not plant secrets in the five kinds"
for s in "$ENVSECRET" "$ARGSECRET" "$b64"; do grep -q -- "$s" "$T/kinds" || bad "plant lost $s"; done
"$E" -n -q <"$T/kinds" >"$T/kout" || bad "kinds: exit $?"
[ "$(wc -l <"$T/kout")" = 5 ] || bad "kinds: $(wc -l <"$T/kout") records, want 5"
for s in "$ENVSECRET" "$ARGSECRET" "$BYTESECRET" "$b64"; do
    grep -q -- "$s" "$T/kout" && bad "enriched record of a traced call leaked $s"
done
n=$(jq -r '.event | to_entries[] | select(.value | type == "object") | .value.process.environment_variables[]?
        | select(.Key == "DB_PASSWORD") | .Value' "$T/kout" | grep -c '<redacted:')
[ "$n" = 5 ] || bad "environment: $n of 5 DB_PASSWORD values redacted"
jq -r '.event | to_entries[] | select(.value | type == "object") | .value.process.environment_variables[]?
        | select(.Key == "PATH") | .Value' "$T/kout" | grep -qx /usr/bin || bad "PATH was changed"
n=$(jq -r '.event | to_entries[] | select(.value | type == "object") | .value.args[0].string_arg // empty' "$T/kout" |
    grep -c '^curl --token <redacted')
[ "$n" = 5 ] || bad "string_arg: $n of 5 redacted with their context"
# --no-redact-event keeps all of it
"$E" -n -q --no-redact-event <"$T/kinds" >"$T/kraw"
for s in "$ENVSECRET" "$ARGSECRET" "$b64"; do
    [ "$(grep -c -- "$s" "$T/kraw")" = 5 ] || bad "--no-redact-event changed $s"
done

[ $fail = 0 ] && echo "ok: no leak"
exit $fail
