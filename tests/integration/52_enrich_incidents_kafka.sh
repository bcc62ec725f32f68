#!/bin/sh
# 52_enrich_incidents_kafka.sh - tetra-enrich --incidents against the real
# broker: incident records go to --incident-topic as protobuf
# IncidentRecord keyed by incident id (decoded here with protoc), every
# attack of the stream lands in one incident at high or above, and a
# restart in the middle of the stream (SIGTERM) writes the incidents in
# flight as partial; the restarted consumer goes on from the committed
# offsets and writes records again under the same ids.
set -u
[ -n "${KAFKA_BROKERS:-}" ] || { echo "KAFKA_BROKERS unset"; exit 77; }
command -v kcat >/dev/null || { echo "kcat not installed"; exit 77; }
command -v protoc >/dev/null || { echo "protoc not installed"; exit 77; }
E="$BIN/tetra-enrich"
T=$(mktemp -d) || exit 1
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
id="$$-$(date +%s)"
RULES="$ROOT/bench/incidents.rules"

python3 "$ROOT/bench/gen-incidents.py" --pods 12 --minutes 6 --seed 9 --truth "$T/truth" >"$T/in" ||
    { echo "generator failed"; exit 1; }
events=$(wc -l <"$T/in")

# decode TOPIC: one JSON line per incident record, in topic order:
# {"key", "id", "status", "version", "pod", "severity", "techniques", "sequences"}
decode() {
    kcat -C -q -b "$KAFKA_BROKERS" -t "$1" -o beginning -e -f '%S %k\n%s' 2>/dev/null >"$T/raw"
    python3 - "$T/raw" "$ROOT/proto" <<'EOF'
import json, re, subprocess, sys
data, inc = open(sys.argv[1], "rb").read(), sys.argv[2]
i = 0
while i < len(data):
    nl = data.index(b"\n", i)
    size, key = data[i:nl].split(b" ", 1)
    body = data[nl + 1:nl + 1 + int(size)]
    i = nl + 1 + int(size)
    text = subprocess.run(["protoc", "-I", inc, "-I", "/usr/include",
                           "--decode=tetragonsidekick.IncidentRecord", "tetragonsidekick/incident.proto"],
                          input=body, capture_output=True, check=True).stdout.decode()
    one = lambda f: (re.search(r"^  %s: (.*)$" % f, text, re.M) or [None, ""])[1].strip('"')
    print(json.dumps({"key": key.decode(), "id": one("id"), "status": one("status"),
                      "version": int(one("version") or 0), "pod": one("pod"), "severity": one("severity"),
                      "techniques": re.findall(r'^    id: "(T[0-9.]+)"', text, re.M),
                      "sequences": re.findall(r'^  sequences: "(.*)"', text, re.M)}))
EOF
}

# --- one run over the whole stream -----------------------------------------------------
RAW="inc-raw-$id" OUT="inc-out-$id" INC="inc-inc-$id"
"$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$RAW" <"$T/in" || bad "capture exit $?"
"$E" -n -b "$KAFKA_BROKERS" -t "$RAW" -T "$OUT" --incident-topic "$INC" -G "g1-$id" --idle-exit 4000 \
    -r "$RULES" 2>"$T/err1" || bad "enrich exit $?"
tail -n 1 "$T/err1"
grep -q " read=$events written=$events " "$T/err1" || bad "want $events read and written"
decode "$INC" >"$T/inc1" || bad "decoding the incident topic failed"
[ -s "$T/inc1" ] || bad "no incident records on $INC"
jq -s -e 'all(.key == .id and (.id | test("^inc-")))' "$T/inc1" >/dev/null || bad "a record's key is not its incident id"
jq -s -e 'group_by(.id) | all(map(.version) == [range(1; length + 1)])' "$T/inc1" >/dev/null ||
    bad "versions per id are not 1, 2, ..."
jq -s -e 'group_by(.id) | all(last.status == "INCIDENT_STATUS_CLOSED" or last.status == "INCIDENT_STATUS_PARTIAL")' \
    "$T/inc1" >/dev/null || bad "an incident was left open at exit"
jq -s -e 'group_by(.id) | any(last.status == "INCIDENT_STATUS_PARTIAL")' "$T/inc1" >/dev/null ||
    bad "--idle-exit with incidents still open wrote none as partial"
jq -r 'select(.attack) | "\(.pod) \(.technique)"' "$T/truth" | while read -r pod tech; do
    n=$(jq -s --arg p "$pod" --arg t "$tech" 'group_by(.id) | map(last) | map(select(.pod == $p and
        (.severity == "SEVERITY_HIGH" or .severity == "SEVERITY_CRITICAL") and (.techniques | index($t)))) | length' "$T/inc1")
    [ "$n" = 1 ] || echo "attack in $pod: $n incidents at high+ with $tech"
done >"$T/wrong"
[ -s "$T/wrong" ] && { cat "$T/wrong"; bad "attacks landed wrong"; }

# --- a restart in the middle: partial, then the rest from the committed offsets -------
RAW2="inc-raw2-$id" OUT2="inc-out2-$id" INC2="inc-inc2-$id"
half=$((events / 2))
# cut inside an attack: just after the first step of the first dropper
cut=$(grep -n -m1 'curl -fsSL -o /tmp/.x' "$T/in" | cut -d: -f1)
[ -n "$cut" ] || cut=$half
head -n "$cut" "$T/in" | "$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$RAW2" || bad "capture exit $?"
"$E" -n -b "$KAFKA_BROKERS" -t "$RAW2" -T "$OUT2" --incident-topic "$INC2" -G "g2-$id" -r "$RULES" 2>"$T/err2" &
pid=$!
n=0
until [ "$(kcat -C -q -b "$KAFKA_BROKERS" -t "$OUT2" -o beginning -e -f 'x\n' 2>/dev/null | wc -l)" -ge "$cut" ] ||
    [ $n -ge 60 ]; do sleep 1; n=$((n + 1)); done
kill -TERM "$pid"
wait "$pid" || bad "SIGTERM: enrich exit $?"
pid=
tail -n 1 "$T/err2"
decode "$INC2" >"$T/inc2a"
jq -s -e 'map(select(.status == "INCIDENT_STATUS_PARTIAL")) | length > 0' "$T/inc2a" >/dev/null ||
    bad "SIGTERM: no partial incident on $INC2"
dropper=$(jq -s -r 'map(select(.status == "INCIDENT_STATUS_PARTIAL" and (.severity == "SEVERITY_HIGH" or
    .severity == "SEVERITY_CRITICAL"))) | .[0].id // ""' "$T/inc2a")
[ -n "$dropper" ] || bad "SIGTERM: the attack in flight was not written as a partial incident"
tail -n +"$((cut + 1))" "$T/in" | "$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$RAW2" || bad "capture exit $?"
"$E" -n -b "$KAFKA_BROKERS" -t "$RAW2" -T "$OUT2" --incident-topic "$INC2" -G "g2-$id" --idle-exit 4000 \
    -r "$RULES" 2>"$T/err3" || bad "restarted enrich exit $?"
tail -n 1 "$T/err3"
grep -q " read=$((events - cut)) " "$T/err3" || bad "the restart did not resume at the committed offsets"
decode "$INC2" >"$T/inc2"
after=$(jq -s --arg id "$dropper" 'map(select(.id == $id)) | length' "$T/inc2")
before=$(jq -s --arg id "$dropper" 'map(select(.id == $id)) | length' "$T/inc2a")
[ "$after" -gt "$before" ] || bad "the partial incident $dropper was not rebuilt under its id after the restart"

[ $fail = 0 ] && echo "ok: $events events, $(jq -s 'map(.id) | unique | length' "$T/inc1") incidents on $INC, partial $dropper rebuilt after a restart"
exit $fail
