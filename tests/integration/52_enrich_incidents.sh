#!/bin/sh
# 52_enrich_incidents.sh - tetra-enrich --incidents in stdin mode on a
# realistic stream (bench/gen-incidents.py: app pods, CI builds, backups,
# monitoring agents, interleaved multi-step attacks):
# - event lines and incident lines interleave on stdout, every event line
#   is still there, and each incident's records carry versions 1, 2, ...;
# - every attack lands in exactly one incident at high or above with its
#   key technique and its sequence; no benign pod gets medium or above;
# - at the end of input every incident is closed; a replay gives the same
#   incident records byte for byte (event time, not wall time);
# - SIGTERM while incidents are open writes them as partial;
# - a user's sequence line in a rules file fires; usage errors.
set -u
E="$BIN/tetra-enrich"
[ -x "$E" ] || { echo "no $E"; exit 1; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
RULES="$ROOT/bench/incidents.rules"

python3 "$ROOT/bench/gen-incidents.py" --pods 24 --minutes 8 --seed 5 --truth "$T/truth" >"$T/in" ||
    { echo "generator failed"; exit 1; }
events=$(wc -l <"$T/in")
"$E" -n --incidents -r "$RULES" <"$T/in" >"$T/out" 2>"$T/err" || bad "exit $?"
tail -n 1 "$T/err"
grep '^{"incident":' "$T/out" >"$T/inc"
grep -v '^{"incident":' "$T/out" >"$T/ev"
[ "$(wc -l <"$T/ev")" -eq "$events" ] || bad "$events events in, $(wc -l <"$T/ev") event records out"
[ -s "$T/inc" ] || bad "no incident records"
# interleaved: the first incident line comes before the last event line
first_inc=$(grep -n -m1 '^{"incident":' "$T/out" | cut -d: -f1)
[ "$first_inc" -lt "$(wc -l <"$T/out")" ] && tail -n 1 "$T/out" | grep -q '^{"incident"' &&
    [ "$first_inc" -lt $((events / 2)) ] || bad "incident records are not written as they happen (first at line $first_inc)"

# versions 1..n per id, the last one closed
jq -s -e 'map(.incident) | group_by(.id) | all(map(.version) == [range(1; length + 1)])' "$T/inc" >/dev/null ||
    bad "an incident's versions are not 1, 2, ... in order"
jq -s -e 'map(.incident) | group_by(.id) | all(last.status == "INCIDENT_STATUS_CLOSED")' "$T/inc" >/dev/null ||
    bad "an incident is not closed at the end of input"
jq -e -s 'all(.[]; .incident.id | test("^inc-[0-9a-f]{16}(-[0-9]+)?$"))' "$T/inc" >/dev/null || bad "malformed incident id"

# where attacks and benign pods land (the latest record of each id)
jq -c -n --slurpfile inc "$T/inc" --slurpfile truth "$T/truth" '
  def rank: {"SEVERITY_INFO":1,"SEVERITY_LOW":2,"SEVERITY_MEDIUM":3,"SEVERITY_HIGH":4,"SEVERITY_CRITICAL":5}[.] // 0;
  ($inc | map(.incident) | group_by(.id) | map(max_by(.version))) as $final
  | $truth[] | . as $t | ($final | map(select(.pod == $t.pod))) as $mine
  | if $t.attack then ($mine | map(select((.severity | rank) >= 4))) as $hi
      | select(($hi | length) != 1 or (($hi[0].techniques | map(.id) | index($t.technique)) == null)
               or ($t.attack != "reverse-shell" and ($hi[0].sequences | index($t.attack)) == null))
      | "attack \($t.attack) in \($t.pod): \($hi | length) incidents at high+, \($hi | map(.techniques | map(.id)))"
    else ($mine | map(select((.severity | rank) >= 3))) as $m | select(($m | length) > 0)
      | "benign pod \($t.pod): \($m | length) incidents at medium+ (\($m | map(.summary)))" end' >"$T/wrong"
[ -s "$T/wrong" ] && { cat "$T/wrong"; bad "attacks or benign pods landed wrong"; }
attacks=$(grep -c '"attack"' "$T/truth")
[ "$attacks" -ge 8 ] || bad "the stream has only $attacks attacks"

# the timeline: capped, redacted, with the steps of the dropper
jq -s -e 'map(.incident) | map(select(.sequences // [] | index("download-chmod-exec"))) | length > 0 and
  all(.[]; (.events | map(.binary) | index("/bin/chmod")) != null)' "$T/inc" >/dev/null ||
    bad "the dropper's incident lacks its chmod step"
if grep '^{"incident":' "$T/out" | grep -q 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ'; then bad "a bearer token reached an incident record"; fi
"$E" -n --incidents --incident-max-events 2 -r "$RULES" <"$T/in" 2>/dev/null | grep '^{"incident":' |
    jq -s -e 'map(.incident) | all((.events | length) <= 2) and any((.events_omitted // "0") != "0")' >/dev/null ||
    bad "--incident-max-events 2: events not capped or events_omitted missing"

# a replay gives the same incidents, byte for byte
"$E" -n --incidents -r "$RULES" <"$T/in" 2>/dev/null | grep '^{"incident":' >"$T/inc2"
cmp -s "$T/inc" "$T/inc2" || bad "a replay gave other incident records"

# SIGTERM with incidents open: they are written as partial, nothing after
: >"$T/term"
( cat "$T/in"; sleep 20 ) | "$E" -n --incidents -r "$RULES" >"$T/term" 2>"$T/term.err" &
pid=$!
n=0   # every event written (incident lines come on top): the input is all read
while [ "$(grep -vc '^{"incident"' "$T/term")" -lt "$events" ] && [ $n -lt 500 ]; do sleep 0.1; n=$((n + 1)); done
kill -TERM "$pid"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || bad "SIGTERM: exit $rc, want 0"
grep '^{"incident":' "$T/term" >"$T/term.inc"
partial=$(jq -s 'map(.incident) | group_by(.id) | map(last) | map(select(.status == "INCIDENT_STATUS_PARTIAL")) | length' "$T/term.inc")
[ "$partial" -ge 1 ] || bad "SIGTERM: no incident written as partial"
jq -s -e 'map(.incident) | group_by(.id) | all((map(.status) | index("INCIDENT_STATUS_PARTIAL")) as $i | $i == null or $i == length - 1)' \
    "$T/term.inc" >/dev/null || bad "SIGTERM: a record after a partial one"
grep -q 'incidents_partial=[1-9]' "$T/term.err" || bad "SIGTERM: incidents_partial not counted"

# a user's sequence in a rules file
cat >"$T/my.rules" <<'EOF'
sequence=recon-then-archive severity=critical technique=T1005 technique_name="Data from Local System" tactic=collection kind=process_exec binary~=/whoami$ then kind=process_exec binary~=/tar$
EOF
"$E" -n --incidents -r "$T/my.rules" <"$T/in" 2>/dev/null | grep '^{"incident":' |
    jq -s -e 'map(.incident) | any(.sequences // [] | index("recon-then-archive")) ' >/dev/null ||
    bad "a sequence from a rules file did not fire"
"$E" -n -r "$T/my.rules" <"$T/in" >/dev/null 2>&1 || bad "a rules file with a sequence line is refused without --incidents"

# usage errors
"$E" -n --incidents -F proto </dev/null >/dev/null 2>&1; [ $? -eq 2 ] || bad "--incidents -F proto: want exit 2"
"$E" -n --incident-topic x </dev/null >/dev/null 2>&1; [ $? -eq 2 ] || bad "--incident-topic without -t: want exit 2"
"$E" -n --incidents --incident-min-severity bogus </dev/null >/dev/null 2>&1; [ $? -eq 2 ] || bad "bad severity: want exit 2"
echo 'sequence=x severity=high kind=process_exec' >"$T/bad.rules"
"$E" -n --incidents -r "$T/bad.rules" </dev/null >/dev/null 2>"$T/bad.err"
rc=$?
[ $rc -eq 1 ] || [ $rc -eq 2 ] || bad "a one-step sequence: exit $rc"
grep -q "bad.rules:1" "$T/bad.err" || { cat "$T/bad.err"; bad "a bad sequence line is not named by file and line"; }

[ $fail = 0 ] && echo "ok: $events events, $(jq -s 'map(.incident.id) | unique | length' "$T/inc") incidents, $attacks attacks placed"
exit $fail
