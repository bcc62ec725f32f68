# lib.sh - what the 50_enrich_flow* and 50_enrich_kafka_pause tests share
# (sourced, not run): the slow stub LLM, the corpus with realistic
# repetition, and the Kafka tests' setup.

# fake_llm DIR DELAY: start bench/fake-llm.py answering after DELAY
# seconds; sets srv (its pid, for the caller's trap) and URL.
fake_llm() {
    python3 "$ROOT/bench/fake-llm.py" "$1/port" "$2" & srv=$!
    for _ in $(seq 100); do [ -s "$1/port" ] && break; sleep 0.1; done
    [ -s "$1/port" ] || { echo "stub did not start"; exit 1; }
    URL="http://127.0.0.1:$(cat "$1/port")/v1"
}

# repeat_scenarios N: N events, the scenarios again and again with other
# pids and pods (as tests/integration/50_enrich_llm_corpus.sh builds them).
repeat_scenarios() {
    cat "$ROOT"/tests/fixtures/scenarios/*.json | awk -v n="$1" '{ line[k++] = $0 } END {
        for (i = 0; i < n; i++) {
            l = line[i % k]
            gsub(/"pid":4242/, "\"pid\":" (10000 + i), l)
            gsub(/x2x9q/, sprintf("p%04d", i % 97), l)
            print l
        } }'
}

bad() { echo "FAIL: $*"; fail=1; }

# kafka_flow_setup NAME DELAY N: what the Kafka flow tests start with: E,
# T (a temporary directory, removed at exit with the stub and any
# tetra-enrich left in $pid), fail and bad(), the stub LLM answering after
# DELAY seconds, id, and N repeated scenarios captured into the raw topic
# RAW (NAME-raw-id; total= their count).
kafka_flow_setup() {
    E="$BIN/tetra-enrich"
    T=$(mktemp -d) || exit 1
    srv= pid= fail=0
    trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$T"' EXIT
    fake_llm "$T" "$2"
    id="$$-$(date +%s)"
    RAW="$1-raw-$id"
    repeat_scenarios "$3" >"$T/in"
    total=$(wc -l <"$T/in")
    "$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$RAW" <"$T/in" || bad "capture exit $?"
}

# keys TOPIC ISOLATION-LEVEL: the topic's record keys, one a line
keys() {
    kcat -C -q -b "$KAFKA_BROKERS" -t "$1" -o beginning -e -X "isolation.level=$2" -f '%k\n' 2>/dev/null
}
