#!/bin/sh
# check.sh - make bench-check: the quick benchmarks against bench/baseline.json.
#
# Runs the capture and enrich benchmarks on a corpus of BENCH_EVENTS
# (default 20,000) events and compares every figure the baseline names,
# as a ratio to `jq -c .` measured in the same run (events per CPU second
# both), so a slower or busier machine moves both sides and cancels out;
# each figure is the best of BENCH_REPEAT (default 3) runs.
# Fails (exit 1) when a ratio is more than BENCH_TOLERANCE (default 25)
# percent below the baseline's; a faster run never fails.  After an
# intended speed-up, refresh the baseline with BENCH_UPDATE=1: it then
# writes bench/baseline.json from this run instead of comparing.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export BENCH_EVENTS="${BENCH_EVENTS:-20000}" BENCH_ONLY="capture enrich" BENCH_REPEAT="${BENCH_REPEAT:-3}"
TOL="${BENCH_TOLERANCE:-25}"
BASE=bench/baseline.json
FIG=build/bench/figures.json
sh bench/run.sh >/dev/null
# ratios FIGURES-FILE: {name: figure / jq's figure} for the rates, rounded
ratios() {
    jq -c '.figures as $f | $f["jq.events_per_cpu_s"] as $jq
        | if ($jq // 0) <= 0 then error("no jq figure in \(input_filename)") else . end
        | [$f | to_entries[] | select(.key | endswith("events_per_cpu_s")) | select(.key != "jq.events_per_cpu_s")
           | {(.key): ((.value / $jq * 1000 | round) / 1000)}] | add' "$1"
}
if [ "${BENCH_UPDATE:-0}" = 1 ]; then
    jq --argjson r "$(ratios "$FIG")" '{commit, events, ratios_to_jq: $r, figures}' "$FIG" >"$BASE"
    echo "bench-check: wrote $BASE from this run:"; cat "$BASE"
    exit 0
fi
[ -s "$BASE" ] || { echo "bench-check: no $BASE; make one with BENCH_UPDATE=1" >&2; exit 1; }
now=$(ratios "$FIG")
printf '%-42s %10s %10s %8s\n' "figure (ratio to jq -c .)" baseline now change
jq -r --argjson now "$now" --argjson tol "$TOL" '
    .ratios_to_jq | to_entries[] | .key as $k | .value as $b | ($now[$k] // 0) as $n
    | [$k, $b, $n, (($n / $b - 1) * 100 | round), (if $n < $b * (1 - $tol / 100) then "SLOWER" else "" end)]
    | @tsv' "$BASE" | awk -F'\t' '{ printf "%-42s %10s %10s %7s%% %s\n", $1, $2, $3, $4, $5; if ($5 != "") bad = 1 }
        END { exit bad }' || {
    echo "bench-check: a figure dropped more than $TOL% against $BASE" >&2; exit 1; }
echo "bench-check: no figure dropped more than $TOL% against $BASE"
