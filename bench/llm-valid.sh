#!/bin/sh
# llm-valid.sh - how many of the local small model's replies pass
# tetra-enrich's validation, on the demo's inputs, per --llm-mode.
#
# The inputs are what examples/demo.sh feeds: the shared Tetragon samples
# ($SAMPLES_DIR) and tests/fixtures/scenarios.  tetra-enrich runs on stdin
# with the demo's policy (LLM for medium and above), once per mode in
# LLM_VALID_MODES (default "grammar json_object"), each with a cold cache.
# valid% = llm_ok / (llm_ok + invalid_output): replies the validator took
# out of replies received; transport errors (llm_errors) are shown apart,
# since they say nothing about the model.  The validator is the same strict
# one as in production, so this number cannot be raised by accepting more.
# Target: >= 90% with the local SmolLM2-135M (docs/SERVICES.md).
# Needs LLM_URL and LLM_MODEL (build/services.env after
# `sh tests/services/services.sh up llm`); prints a Markdown section, and a
# skip note without them.  Usable alone: sh bench/llm-valid.sh.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${BIN:-$ROOT/bin}
ENRICH=${LLM_VALID_ENRICH:-$BIN/tetra-enrich}
SAMPLES=${SAMPLES_DIR:-$ROOT/../shared/samples/tetragon}
MODES=${LLM_VALID_MODES:-grammar json_object}
TITLE="tetra-enrich: valid replies from the local LLM"
[ -z "${LLM_URL:-}" ] && [ -f "$ROOT/build/services.env" ] && . "$ROOT/build/services.env"
if [ -z "${LLM_URL:-}" ] || [ -z "${LLM_MODEL:-}" ]; then
    printf '\n## %s\n\nskipped: LLM_URL/LLM_MODEL unset (sh tests/services/services.sh up llm).\n\n' "$TITLE"
    exit 0
fi
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

: >"$T/in"
for d in "$SAMPLES" "$ROOT/tests/fixtures/scenarios"; do
    [ -d "$d" ] && cat "$d"/*.json* >>"$T/in" 2>/dev/null
done
[ -s "$T/in" ] || { printf '\n## %s\n\nskipped: no inputs found.\n\n' "$TITLE"; exit 0; }

# The local server answers one request at a time: more in flight only
# queue there and run into the request timeout.
conc=
"$ENRICH" --help 2>&1 | grep -q -- --llm-concurrency && conc="--llm-concurrency ${LLM_VALID_CONCURRENCY:-2}"

# counter NAME FILE: the value of NAME= in the summary line
counter() { tail -n 1 "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

printf '\n## %s\n\n' "$TITLE"
printf '%s input lines (demo inputs), model %s at %s, enrich %s.\n\n' "$(wc -l <"$T/in")" \
    "$LLM_MODEL" "$LLM_URL" "$ENRICH"
echo "| --llm-mode | LLM calls | valid | invalid | transport errors | valid % | wall s |"
echo "|---|---|---|---|---|---|---|"
for mode in $MODES; do
    t0=$(date +%s)
    # shellcheck disable=SC2086
    "$ENRICH" --llm-url "$LLM_URL" --llm-model "$LLM_MODEL" --llm-mode "$mode" $conc \
        --llm-timeout 600000 --llm-retries 1 <"$T/in" >"$T/out.$mode" 2>"$T/err.$mode"
    rc=$?
    t1=$(date +%s)
    calls=$(counter llm_calls "$T/err.$mode") ok=$(counter llm_ok "$T/err.$mode")
    inv=$(counter invalid_output "$T/err.$mode") errs=$(counter llm_errors "$T/err.$mode")
    if [ $rc -ne 0 ] || [ -z "$ok" ]; then
        echo "| $mode | failed (exit $rc) | | | | | $((t1 - t0)) |"
        continue
    fi
    pct=$(awk -v ok="$ok" -v inv="$inv" 'BEGIN { n = ok + inv; printf "%.1f", n ? 100 * ok / n : 0 }')
    echo "| $mode | $calls | $ok | $inv | $errs | $pct | $((t1 - t0)) |"
done
echo
for mode in $MODES; do
    grep -q 'LLM reply rejected' "$T/err.$mode" 2>/dev/null || continue
    echo "Rejections with --llm-mode $mode (first ones):"
    echo
    grep 'LLM reply rejected' "$T/err.$mode" | head -n 5 | sed 's/^/    /'
    echo
done
