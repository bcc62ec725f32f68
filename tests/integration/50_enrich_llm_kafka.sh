#!/bin/sh
# 50_enrich_llm_kafka.sh - tetra-enrich with the real local LLM between two
# real Kafka topics (at-least-once, the default), killed with SIGKILL while
# an LLM call is in flight, then restarted in the same group.
#
# What must hold (tests/integration/llm/lib.sh builds the topic and watches
# the LLM calls):
#   - nothing lost: every raw offset has an enriched record;
#   - duplicates only after the last commit: the restart reads from the
#     group's committed offset C (its read= count is total - C) and writes
#     exactly the offsets C..total-1; everything below C was written once,
#     by the killed run, and only offsets >= C may appear twice;
#   - the LLM really answered: the critical events carry an answer that
#     was validated or rejected by the validator, never an error, at least
#     one of them validated, and the info events skipped the LLM by policy.
NAME=llmk
. "$ROOT/tests/integration/llm/lib.sh"

enrich() {
    # shellcheck disable=SC2086
    ${LLMK_EXEC:+exec} "$E" -b "$KAFKA_BROKERS" -t "$RAW" -T "$OUT" -G "$G" -X session.timeout.ms=6000 $LLM_OPTS "$@"
}

# 1: killed while a call is in flight, after two answers came back
kill_run1
keys read_uncommitted | offsets >"$T/run1"
echo "run 1 wrote $(wc -l <"$T/run1") of $total records before the kill"
[ -s "$T/run1" ] || bad "run 1 wrote nothing before the kill"

# 2: the restart finishes the topic
enrich --idle-exit 15000 2>"$T/err2" || bad "run 2 exit $?"
tail -n 1 "$T/err2"
read2=$(tail -n 1 "$T/err2" | tr ' ' '\n' | sed -n 's/^read=//p')
committed=$((total - ${read2:-0}))
docs read_uncommitted >"$T/docs"
cut -d' ' -f1 "$T/docs" >"$T/all"
tail -n +"$(($(wc -l <"$T/run1") + 1))" "$T/all" >"$T/run2"
echo "committed before the kill: $committed; run 2 wrote $(wc -l <"$T/run2")"
check_all_present "$T/all"
seq "$committed" $((total - 1)) >"$T/want2"
# (sorted: output order may differ from input order)
sort -n "$T/run2" | cmp -s - "$T/want2" || bad "run 2 did not write exactly the offsets $committed..$((total - 1))"
sort "$T/all" | uniq -d >"$T/dups"
awk -v c="$committed" '$1 < c' "$T/dups" | grep -q . && bad "committed records written twice: $(tr '\n' ' ' <"$T/dups")"
sort "$T/all" | uniq -c | awk '$1 > 2' | grep -q . && bad "a record written more than twice"
echo "duplicates (all at or after offset $committed): $(wc -l <"$T/dups")"
finish "$T/docs"    # and 3: nothing left for the group
[ $fail = 0 ] && echo "ok: $total events with the real LLM through Kafka, none lost across a SIGKILL mid-call"
exit $fail
