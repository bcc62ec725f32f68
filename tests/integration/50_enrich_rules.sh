#!/bin/sh
# 50_enrich_rules.sh - tetra-enrich --no-llm over the shared Tetragon samples
# and our scenario fixtures: every record comes out enriched, each scenario
# gets the severity, rule and ATT&CK technique tests/fixtures/scenarios/
# expect.tsv names, exec probes and ordinary starts stay info or low.
set -u
E="$BIN/tetra-enrich"
[ -x "$E" ] || { echo "no $E"; exit 1; }
[ -d "$SAMPLES_DIR" ] || { echo "SAMPLES_DIR unset or missing"; exit 77; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# severity of the first record of a file of enriched lines
sev() { grep -o '"severity":"SEVERITY_[A-Z]*"' "$1" | head -n 1 | sed 's/.*SEVERITY_//; s/"//' | tr 'A-Z' 'a-z'; }

# --- the shared samples ---------------------------------------------------------
for f in "$SAMPLES_DIR"/*.json "$SAMPLES_DIR"/*.jsonl; do cat "$f"; echo; done >"$T/samples.in"
"$E" --no-llm <"$T/samples.in" >"$T/samples.out" 2>"$T/samples.err" || bad "exit $? on samples"
cat "$T/samples.err"
grep -q ' rejected=0 ' "$T/samples.err" || bad "samples: records rejected"
read_n=$(sed -n 's/.* read=\([0-9]*\) .*/\1/p' "$T/samples.err")
[ "$(wc -l <"$T/samples.out")" -eq "$read_n" ] || bad "samples: $read_n read but $(wc -l <"$T/samples.out") written"
grep -c '"llm_status":"LLM_STATUS_DISABLED"' "$T/samples.out" | grep -qx "$read_n" || bad "samples: llm_status not disabled everywhere"

check_sample() { # file-pattern severity technique
    f=$(ls "$SAMPLES_DIR"/*"$1"* | head -n 1)
    "$E" -n -q <"$f" | head -n 1 >"$T/one"
    [ "$(sev "$T/one")" = "$2" ] || bad "sample $1: severity $(sev "$T/one"), want $2"
    [ "$3" = - ] || grep -q "\"id\":\"$3\"" "$T/one" || bad "sample $1: technique $3 missing"
}
check_sample privileged-pod-nsenter critical T1611
check_sample nc_process_exec high T1095
check_sample privileged-pod-bash high T1059.004
check_sample nginx-execution info -
check_sample linux-kernel-modules-02 high T1547.006
check_sample linux-kernel-modules-04 low -        # modprobe asked by the kernel
check_sample syscalls-monitoring-02 medium T1548.001
check_sample events.json info -                   # container entrypoints

# --- scenarios ------------------------------------------------------------------------
S="$ROOT/tests/fixtures/scenarios"
n=0
while IFS='	' read -r name want rule tech; do
    case $name in \#*|'') continue ;; esac
    n=$((n + 1))
    "$E" -n -q <"$S/$name.json" >"$T/out" || bad "$name: exit $?"
    got=$(sev "$T/out")
    [ "$got" = "$want" ] || bad "$name: severity $got, want $want"
    [ "$rule" = - ] || grep -q "\"rules\":\[[^]]*\"$rule\"" "$T/out" || bad "$name: rule $rule did not match"
    [ "$tech" = - ] || grep -q "\"id\":\"$tech\"" "$T/out" || bad "$name: technique $tech missing"
    grep -q '"summary":"[^"]' "$T/out" || bad "$name: no summary"
done <"$S/expect.tsv"
[ "$n" -ge 30 ] || bad "only $n scenarios"

# --- a user rules file runs first and can silence a built-in --------------------------
printf '%s\n' '# allow the ops shell of the web workload' \
    'name=allow-web-shell workload=web binary=/bin/bash severity=info final summary="Known ops shell"' >"$T/rules"
"$E" -n -q -r "$T/rules" <"$S/shell-in-container.json" >"$T/out" || bad "rules file: exit $?"
[ "$(sev "$T/out")" = info ] || bad "rules file: final rule did not win"
grep -q '"summary":"Known ops shell"' "$T/out" || bad "rules file: summary not used"
echo 'name=broken severity=loud binary=/x' >"$T/bad.rules"
"$E" -n -q -r "$T/bad.rules" </dev/null 2>"$T/err"
[ $? -ne 0 ] && grep -q 'bad.rules:1:' "$T/err" || bad "bad rules file: no path:line error"

# --- proto in and out round-trips the same enrichment -----------------------------------
"$E" -n -q -F proto <"$S/reverse-shell-nc.json" >"$T/pb" || bad "proto output: exit $?"
[ -s "$T/pb" ] || bad "proto output empty"

[ $fail = 0 ] && echo "ok: samples and $n scenarios"
exit $fail
