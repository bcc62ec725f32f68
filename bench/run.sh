#!/bin/sh
# run.sh - make bench: every benchmark of the project, one report.
#
# Benchmarks are measurements, not tests: they never fail a build for
# being slow.  Each bench/NAME.sh prints a Markdown section on stdout; this
# script prepares the shared corpus, runs them in turn and writes
# build/bench/REPORT.md with the machine it ran on.  BENCH_EVENTS sets the
# corpus size (default 100000); BENCH_ONLY="NAME..." runs only those.
#
# Beside the report, build/bench/figures.json holds the same figures for
# programs: each benchmark appends "name value" lines to $FIGURES, and
# this script turns them into {"commit":..,"events":..,"figures":{..}}.
# bench/check.sh (make bench-check) compares it with bench/baseline.json.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export ROOT BIN="${BIN:-$ROOT/bin}"
export BENCH_DIR="$ROOT/build/bench"
export BENCH_EVENTS="${BENCH_EVENTS:-100000}"
mkdir -p "$BENCH_DIR"
command -v /usr/bin/time >/dev/null 2>&1 || sh scripts/install-deps.sh
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null || {
    echo "bench: GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 1; }; }

# The corpus: generated once per size and generator version.
export CORPUS="$BENCH_DIR/corpus-$BENCH_EVENTS.jsonl"
if [ ! -s "$CORPUS" ] || [ bench/gen-events.py -nt "$CORPUS" ]; then
    echo "bench: generating $BENCH_EVENTS events into $CORPUS" >&2
    python3 bench/gen-events.py "$BENCH_EVENTS" >"$CORPUS.tmp" && mv "$CORPUS.tmp" "$CORPUS"
fi

REPORT="$BENCH_DIR/REPORT.md"
export FIGURES="$BENCH_DIR/figures.txt"
: >"$FIGURES"
{
    echo "# tetragonsidekick benchmark report"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews wall-clock figures)"
    echo "- corpus: $BENCH_EVENTS events, $(($(wc -c <"$CORPUS") / 1048576)) MiB ($CORPUS)"
    echo
} >"$REPORT"

for b in bench/*.sh; do
    name=$(basename "$b" .sh)
    case $name in run | check) continue ;; esac
    case " ${BENCH_ONLY:-$name} " in *" $name "*) ;; *) continue ;; esac
    echo "bench: running $name" >&2
    if ! sh "$b" >>"$REPORT"; then
        printf '\n## %s\n\nfailed to run; see the messages above.\n\n' "$name" >>"$REPORT"
    fi
done
jq -n -R --arg commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --argjson events "$BENCH_EVENTS" \
    '{commit: $commit, events: $events, figures: ([inputs | select(length > 0) | split(" ")
      | {(.[0]): (.[1] | tonumber)}] | add // {})}' <"$FIGURES" >"$BENCH_DIR/figures.json"
cat "$REPORT"
echo "bench: report written to $REPORT, figures to $BENCH_DIR/figures.json" >&2
