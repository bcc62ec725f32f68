# lib.sh - shared by the tests that run tetra-enrich with the real local LLM
# through Kafka and kill it mid-call (sourced, not run).
#
# The raw topic holds LLMK_ASK distinct critical behaviours, each followed
# by LLMK_FILL info events the rules explain alone, so records that wait
# for the LLM and records that do not are interleaved.  The LLM is reached
# through llmwatch.py, which counts requests received and answered, so the
# SIGKILL lands while a call is in flight, not at a guessed moment.  Every
# enriched record's key is its source "topic/partition/offset"; the raw
# topic has one partition, so an offset names a record.
#
# Set before sourcing: NAME (topic prefix).  Provides T (scratch folder),
# RAW, OUT, G, total, WURL (the LLM URL through the watcher), and the
# functions below.

set -u
[ -n "${KAFKA_BROKERS:-}" ] || { echo "KAFKA_BROKERS unset"; exit 77; }
[ -n "${LLM_URL:-}" ] && [ -n "${LLM_MODEL:-}" ] || { echo "LLM_URL/LLM_MODEL unset"; exit 77; }
command -v kcat >/dev/null || { echo "kcat not installed"; exit 77; }
command -v jq >/dev/null || { echo "jq not installed"; exit 77; }
E="$BIN/tetra-enrich"
S="$ROOT/tests/fixtures/scenarios"
T=$(mktemp -d) || exit 1
pid= wpid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "$wpid" ] && kill "$wpid" 2>/dev/null; rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
id="$$-$(date +%s)"
RAW="$NAME-raw-$id" OUT="$NAME-out-$id" G="$NAME-g-$id"

LLMK_ASK=${LLMK_ASK:-"reverse-shell-bash miner nsenter-host ld-preload"}
LLMK_FILL=${LLMK_FILL:-5}
: >"$T/in"
for n in $LLMK_ASK; do
    cat "$S/$n.json" >>"$T/in"
    for _ in $(seq "$LLMK_FILL"); do cat "$S/normal-start.json" >>"$T/in"; done
done
total=$(wc -l <"$T/in")
nask=$(echo $LLMK_ASK | wc -w)
"$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$RAW" <"$T/in" || { echo "capture failed"; exit 1; }

# The watcher in front of the LLM: same path, its own port.
hostport=${LLM_URL#*://}
case $hostport in */*) lpath=/${hostport#*/} ;; *) lpath= ;; esac
python3 "$ROOT/tests/integration/llm/llmwatch.py" "$T/watch" "$LLM_URL" >"$T/wport" 2>"$T/watch.err" &
wpid=$!
for _ in $(seq 100); do [ -s "$T/wport" ] && break; sleep 0.1; done
[ -s "$T/wport" ] || { echo "llmwatch did not start"; cat "$T/watch.err"; exit 1; }
WURL="http://127.0.0.1:$(head -n 1 "$T/wport")$lpath"

# LLM options of every run: the grammar the local llama.cpp server honours,
# and no time limit a slow shared machine could hit.
LLM_OPTS="--llm-url $WURL --llm-model $LLM_MODEL --llm-mode grammar --llm-timeout 600000 --llm-retries 1"

calls() { cut -d' ' -f"$1" "$T/watch"; }   # 1: requests received, 2: answered

# kill_in_flight ANSWERED SECONDS: SIGKILL $pid once at least ANSWERED
# calls were answered and another one is in flight, and that still holds a
# second later (so the answered records had time to be delivered or
# committed).  Sets killed_in_flight=1 when it did.
kill_in_flight() {
    killed_in_flight=0 ki=0
    while kill -0 "$pid" 2>/dev/null && [ $ki -lt $(($2 * 10)) ]; do
        ki=$((ki + 1))
        if [ "$(calls 2)" -ge "$1" ] && [ "$(calls 1)" -gt "$(calls 2)" ]; then
            sleep 1
            [ "$(ps -o comm= -p "$pid")" = tetra-enrich ] || bad "pid $pid is not tetra-enrich"
            if [ "$(calls 1)" -gt "$(calls 2)" ] && kill -9 "$pid" 2>/dev/null; then
                killed_in_flight=1
                break
            fi
        fi
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
    echo "killed with $(calls 1) calls made, $(calls 2) answered (in flight: $killed_in_flight)"
}

# offset of a key "topic/partition/offset"
offsets() { sed 's|.*/||'; }

# keys ISOLATION: the enriched topic's keys in log order, one a line.
keys() {
    kcat -C -q -b "$KAFKA_BROKERS" -t "$OUT" -o beginning -e -X "isolation.level=$1" -f '%k\n' 2>/dev/null
}

# docs ISOLATION: "OFFSET LLM_STATUS SOURCE" per enriched record, in log
# order: values decoded by tetra-sink --emit-bulk, zipped with the keys.
docs() {
    keys "$1" | offsets >"$T/doc-offsets"
    kcat -C -q -b "$KAFKA_BROKERS" -t "$OUT" -o beginning -e -X "isolation.level=$1" -f '%R%s' 2>/dev/null |
        python3 "$ROOT/tests/kcat-reframe.py" |
        "$BIN/tetra-sink" -I proto --emit-bulk --no-template 2>/dev/null | sed -n '2~2p' |
        jq -r '"\(.enrichment.llm_status) \(.enrichment.source)"' >"$T/doc-status"
    [ "$(wc -l <"$T/doc-offsets")" -eq "$(wc -l <"$T/doc-status")" ] ||
        bad "decoded $(wc -l <"$T/doc-status") of $(wc -l <"$T/doc-offsets") enriched records"
    paste -d' ' "$T/doc-offsets" "$T/doc-status"
}

# check_llm_used DOCS: the asking records were answered by the LLM (or its
# cache), never failed; at least one answer validated.
check_llm_used() {
    ask_offsets=$(awk -v f="$LLMK_FILL" 'BEGIN { for (i = 0; i < 10000; i += f + 1) print i }' | head -n "$nask")
    for o in $ask_offsets; do
        st=$(awk -v o="$o" '$1 == o { print $2 }' "$1" | sort -u | tr '\n' ' ')
        case $st in
        *LLM_STATUS_ERROR* | *LLM_STATUS_DISABLED* | *LLM_STATUS_CIRCUIT_OPEN* | "") bad "record $o: LLM status '$st'" ;;
        esac
    done
    grep -q ' LLM_STATUS_OK SOURCE_LLM$' "$1" || bad "no record carries a validated LLM answer"
    skipped=$(awk '$2 == "LLM_STATUS_SKIPPED_POLICY" && $3 == "SOURCE_RULES" { print $1 }' "$1" | sort -u | wc -l)
    [ "$skipped" -eq $((total - nask)) ] || bad "the info events should skip the LLM: $skipped of $((total - nask))"
}

# kill_run1: run 1 in the background ($T/err1), killed with SIGKILL once
# two answers came back and another call is in flight.  The test defines
# enrich() (tetra-enrich with its mode's options) starting with
# ${LLMK_EXEC:+exec}, so that here the background subshell becomes
# tetra-enrich and $! is the process the SIGKILL must hit.
kill_run1() {
    (LLMK_EXEC=1; enrich) 2>"$T/err1" &
    pid=$!
    kill_in_flight 2 900
    [ "$killed_in_flight" = 1 ] || { bad "run 1 was not killed with a call in flight"; cat "$T/err1"; }
}

# finish DOCS: run 2 ($T/err2) used the LLM without failures, the records
# in DOCS carry its answers, and a third run of the group reads nothing.
finish() {
    check_llm_used "$1"
    grep -q ' llm_calls=[1-9]' "$T/err2" || bad "run 2 made no LLM call"
    grep -q ' llm_errors=0 ' "$T/err2" || bad "run 2: LLM calls failed"
    enrich --idle-exit 3000 2>"$T/err3" || bad "run 3 exit $?"
    grep -q ' read=0 written=0 ' "$T/err3" || bad "run 3 re-read committed input: $(tail -n 1 "$T/err3")"
}

# check_all_present OFFSETS_FILE: every raw offset 0..total-1 is there.
check_all_present() {
    seq 0 $((total - 1)) | sort >"$T/want"
    sort -u "$1" >"$T/have"
    cmp -s "$T/have" "$T/want" ||
        bad "records lost: $(comm -13 "$T/have" "$T/want" | tr '\n' ' ')extra: $(comm -23 "$T/have" "$T/want" | tr '\n' ' ')"
}
