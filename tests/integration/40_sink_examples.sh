#!/bin/sh
# 40_sink_examples.sh - examples/opensearch stays true: index-template.json
# is what tetra-sink installs (--print-template), and every field the
# Dashboards saved objects chart by is a mapped aggregatable field of that
# template, so the dashboard cannot silently chart nothing.
set -u
BIN=${BIN:-$ROOT/bin}
EX="$ROOT/examples/opensearch"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BIN/tetra-sink" --print-template | jq -S . >"$T/printed" || fail "--print-template"
jq -S . "$EX/index-template.json" >"$T/example" || fail "example is not JSON"
cmp -s "$T/printed" "$T/example" || { diff "$T/printed" "$T/example" | head; fail "template drifted"; }
echo "ok: index-template.json equals --print-template"

# mapped leaf fields with their types: "process.executable keyword"
jq -r '.template.mappings.properties | paths(type == "object" and has("type") and (.type | type == "string")) as $p
       | [($p | map(select(. != "properties")) | join(".")), (getpath($p).type)] | @tsv' \
    "$T/printed" >"$T/fields"
grep -q '^process.executable	keyword$' "$T/fields" || fail "mapping walk broken: $(head -3 "$T/fields")"

n=0
while IFS= read -r line; do
    printf '%s\n' "$line" | jq -e . >/dev/null || fail "a saved object is not JSON"
    printf '%s\n' "$line" | jq -r 'select(.type == "visualization") | .attributes.visState
        | fromjson | .aggs[].params.field // empty' >>"$T/used"
    n=$((n + 1))
done <"$EX/dashboards.ndjson"
for f in $(sort -u "$T/used"); do
    t=$(awk -F'\t' -v f="$f" '$1 == f { print $2 }' "$T/fields")
    case $t in keyword | long | date | date_nanos | ip) ;; *) fail "dashboard field $f is '$t' in the template" ;; esac
done
jq -e -s 'map(select(.type == "dashboard")) | length == 1' "$EX/dashboards.ndjson" >/dev/null ||
    fail "no dashboard"
echo "ok: $n saved objects; fields charted: $(sort -u "$T/used" | tr '\n' ' ')"
