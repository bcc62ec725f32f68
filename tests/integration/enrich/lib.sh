# lib.sh - what the 50_enrich_flow* tests share (sourced, not run): the
# slow stub LLM and the corpus with realistic repetition.

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
