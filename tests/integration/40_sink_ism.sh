#!/bin/sh
# 40_sink_ism.sh - --retention-days with the ISM plugin present: the first
# start creates the policy <template>-retention (delete state after N days,
# an ism_template for the sink's index glob), the second start reads it and
# updates it with its if_seq_no and if_primary_term, and indexing goes on
# through both.
#
# The ISM API is EMULATED here.  The opensearch-index-management plugin is
# not on Maven Central and this machine reaches no other source of it, so
# the test cluster has no ISM.  sink/ismproxy.py stands in front of the
# real OpenSearch, answers the ISM endpoints the sink uses the way the
# plugin's REST actions do (404 index_not_found_exception from explain,
# _seq_no/_primary_term on GET, 409 version_conflict_engine_exception for a
# PUT over an existing policy without matching if_seq_no/if_primary_term,
# 400 for a policy body the plugin would refuse to parse) and forwards
# everything else, _bulk included, byte for byte to the real cluster.
# So this test proves the request shape and the create/update protocol,
# and that documents still reach the real cluster through the same URL.
# It does not prove that a real ISM accepts every detail of the policy, nor
# that it attaches the policy to new indices and deletes them after N days.
. "$ROOT/tests/integration/sink/lib.sh"
command -v python3 >/dev/null || fail "python3 is needed for the ISM emulator (sink/ismproxy.py)"
setup_names ism
N=20
DAYS=7
POLICY="$TEMPLATE-retention"
PROXY=
trap 'kill $PROXY 2>/dev/null; cleanup' EXIT
trap 'exit 143' INT TERM # through the EXIT trap, so the proxy does not outlive a timeout

start_py "ISM emulator" "$ROOT/tests/integration/sink/ismproxy.py" 0 "$OS" "$T/ism.log"
P="http://127.0.0.1:$PPORT"

# ism_log FROM JQ-FILTER: the emulator's log lines after line FROM, filtered
ism_log() { tail -n +"$(($1 + 1))" "$T/ism.log" | jq -c "$2"; }
puts='select(.method == "PUT" and .path == "/_plugins/_ism/policies/'"$POLICY"'")'

sh "$GEN" "$N" "$RUN" >"$T/events"

# 1. first start: the policy is created
"$SINK" --opensearch "$P" --index "$INDEX" --template-name "$TEMPLATE" --retention-days "$DAYS" \
    -v <"$T/events" 2>"$T/e1" || fail "first start: exit $?: $(cat "$T/e1")"
cat "$T/e1"
grep -q "ISM plugin is not installed" "$T/e1" && fail "the sink did not see the (emulated) ISM plugin"
grep -q "retention policy:" "$T/e1" && fail "first start: $(grep "retention policy:" "$T/e1")"
# (one probe per template: events and incidents)
[ "$(ism_log 0 'select(.path | startswith("/_plugins/_ism/explain/")) | .status' | sort -u)" = 404 ] ||
    fail "no ISM probe answered with 404: $(cat "$T/ism.log")"
put1=$(ism_log 0 "$puts")
[ "$(echo "$put1" | jq -s 'length')" = 1 ] || fail "first start: want one policy PUT, got: $put1"
[ "$(echo "$put1" | jq -r '.status')" = 201 ] || fail "first start: policy not created: $put1"
echo "$put1" | jq -e '.query == ""' >/dev/null ||
    fail "first start: a create must not carry if_seq_no: $put1"
ok "first start created the policy $POLICY"
# the incident indices get theirs, ranked above the events' like the templates
ip=$(ism_log 0 'select(.method == "PUT" and .path == "/_plugins/_ism/policies/tetragon-incidents-retention")
    | .request.policy.ism_template[0] | "\(.index_patterns[0]) \(.priority)"' | tail -n 1 | tr -d '"')
[ "$ip" = "tetragon-incidents-* 110" ] || fail "incident retention policy: '$ip'"
ok "the incident indices get a retention policy too, at priority 110"

# what was stored: hot -> delete at "7d", delete state deletes, ism_template on the glob
pol=$(curl -sS "$P/_plugins/_ism/policies/$POLICY")
echo "$pol" | jq -e --arg d "${DAYS}d" '.policy as $p | $p.states
    | map(select(.name == $p.default_state))[0].transitions
    | any(.state_name == "delete" and .conditions.min_index_age == $d)' >/dev/null ||
    fail "the default state does not go to \"delete\" at min_index_age ${DAYS}d: $pol"
echo "$pol" | jq -e '.policy.states | any(.name == "delete" and (.actions | any(has("delete"))))' \
    >/dev/null || fail "the state \"delete\" has no delete action: $pol"
pats=$(echo "$pol" | jq -r '.policy.ism_template[].index_patterns[]')
[ "$pats" = "$PREFIX-*" ] || fail "ism_template index_patterns [$pats], want [$PREFIX-*]"
indices=$(os GET "/_cat/indices/$PREFIX-*?h=index")
[ -n "$indices" ] || fail "the sink created no index under $PREFIX-*"
for idx in $indices; do
    # shellcheck disable=SC2254 # $pats is a glob on purpose
    case $idx in $pats) ;; *) fail "index $idx is outside the policy's pattern $pats" ;; esac
done
ok "policy: $DAYS days to the delete state; ism_template $pats covers $(echo "$indices" | wc -w) indices"

[ "$(count "$PREFIX-*")" = "$N" ] || fail "first start: $(count "$PREFIX-*") documents, want $N"
ism_log 0 'select(.path | endswith("/_bulk")) | select(.status == 200) | .content_encoding' |
    grep -q gzip || fail "no gzip _bulk went through the proxy: $(cat "$T/ism.log")"
ok "$N documents in the real cluster through the proxy (gzip _bulk)"

# 2. second start: the policy is read and updated with its sequence number
seq=$(echo "$pol" | jq -r ._seq_no)
term=$(echo "$pol" | jq -r ._primary_term)
from=$(wc -l <"$T/ism.log")
"$SINK" --opensearch "$P" --index "$INDEX" --template-name "$TEMPLATE" --retention-days "$DAYS" \
    -v <"$T/events" 2>"$T/e2" || fail "second start: exit $?: $(cat "$T/e2")"
cat "$T/e2"
grep -q "retention policy:" "$T/e2" && fail "second start: $(grep "retention policy:" "$T/e2")"
put2=$(ism_log "$from" "$puts")
[ "$(echo "$put2" | jq -s 'length')" = 1 ] || fail "second start: want one policy PUT, got: $put2"
[ "$(echo "$put2" | jq -r .query)" = "if_seq_no=$seq&if_primary_term=$term" ] ||
    fail "second start: update without the stored if_seq_no=$seq/if_primary_term=$term: $put2"
[ "$(echo "$put2" | jq -r .status)" = 200 ] || fail "second start: update refused: $put2"
[ "$(curl -sS "$P/_plugins/_ism/policies/$POLICY" | jq -r ._version)" = 2 ] ||
    fail "policy not at version 2 after the update"
[ "$(summary_value "$T/e2" duplicates)" = "$N" ] || fail "replay: $(tail -n 1 "$T/e2")"
[ "$(count "$PREFIX-*")" = "$N" ] || fail "after replay $(count "$PREFIX-*") documents, want $N"
ok "second start updated with if_seq_no=$seq&if_primary_term=$term; still $N documents"

# 3. the emulator holds the plugin's line, so passing above means something:
# a blind overwrite and a stale sequence number are both refused
st=$(curl -sS -o "$T/r1" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "$P/_plugins/_ism/policies/$POLICY" --data-binary "$(echo "$put2" | jq -c .request)")
[ "$st" = 409 ] || fail "emulator took a PUT without if_seq_no over an existing policy: $st"
jq -e '.error.type == "version_conflict_engine_exception"' "$T/r1" >/dev/null ||
    fail "emulator's 409 is not a version_conflict_engine_exception: $(cat "$T/r1")"
st=$(curl -sS -o "$T/r2" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    "$P/_plugins/_ism/policies/$POLICY?if_seq_no=$seq&if_primary_term=$term" \
    --data-binary "$(echo "$put2" | jq -c .request)")
[ "$st" = 409 ] || fail "emulator took a stale if_seq_no: $st $(cat "$T/r2")"
ok "emulator refuses a blind overwrite and a stale if_seq_no with 409"
exit 0
