#!/bin/sh
# 56_secrets_planted.sh - the credentials the three programs hold never show:
# an LLM API key, an OpenSearch password and a Kafka SASL password are
# planted (from files and environment variables, as the programs want them)
# and searched for in every log line (-v), tetra-enrich --dry-run's output,
# the sink's dead-letter file, /proc/PID/cmdline and the /metrics, /healthz
# and /readyz pages of all three, while capture -> Kafka -> enrich (LLM) ->
# Kafka -> sink -> OpenSearch runs on the real services.
#
# The LLM is bench/fake-llm.py told the key (FAKE_LLM_KEY): it refuses a
# request without "Authorization: Bearer <key>", so the test also proves the
# key was really sent where it belongs.  The Kafka test broker has no SASL
# listener; the SASL password still travels through each program's
# configuration (TETRA_KAFKA_SASL_PASSWORD), which is what could leak.
# The OpenSearch test cluster has no security plugin and ignores basic
# auth, but the sink still builds and sends the header.
set -u
[ -n "${KAFKA_BROKERS:-}" ] && [ -n "${OPENSEARCH_URL:-}" ] || { echo "FAIL: needs Kafka and OpenSearch (services.sh up kafka opensearch)"; exit 1; }
RUN="secrets-$$-$(date +%s)"
. "$ROOT/tests/integration/lib-filters.sh"

LLM_KEY='sk-planted-LLMkey-7f3c9a1e5b2d8046'
OS_PW='Planted-OpenSearch-Pw-4e1b9c'
KAFKA_PW='Planted-Kafka-SASL-Pw-9d2a6f'
printf '%s\n' "$LLM_KEY" >"$T/llm.key"
printf '%s\n' "$OS_PW" >"$T/os.pw"
chmod 600 "$T/llm.key" "$T/os.pw"
export TETRA_KAFKA_SASL_PASSWORD="$KAFKA_PW" TETRA_KAFKA_SASL_USERNAME=tetra

# counter PORT NAME: an unlabelled counter's value on the page, as an integer
counter() { curl -s "http://127.0.0.1:$1/metrics" | sed -n "s/^$2 \([0-9.]*\)$/\1/p" | head -n 1 | cut -d. -f1; }
reaches() { [ "$(counter "$1" "$2")" = "$3" ]; }
# save_pages PORT NAME: every page the metrics server has, into $T/pages.NAME
save_pages() {
    for path in /metrics /healthz /readyz; do curl -s "http://127.0.0.1:$1$path"; done >>"$T/pages.$2"
}
# save_cmdline PID NAME: the argv the kernel shows for PID
save_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" >"$T/cmdline.$2" || bad "no /proc/$1/cmdline for $2"; }

# --- the LLM that wants the key ---------------------------------------------------------
FAKE_LLM_KEY=$LLM_KEY python3 "$ROOT/bench/fake-llm.py" "$T/llm.port" & lpid=$! pids=$!
until_ok 20 test -s "$T/llm.port" || { echo "FAIL: fake-llm.py did not start"; exit 1; }
LLM="http://127.0.0.1:$(cat "$T/llm.port")/v1"

# --- 1. the pipeline ---------------------------------------------------------------------
cat "$S"/*.json >"$T/in"
N=$(wc -l <"$T/in")
PC=$(free_port) PE=$(free_port) PS=$(free_port)
"$BIN/tetra-capture" -v -b "$KAFKA_BROKERS" -t "$RUN-raw" --follow "$T/in" --metrics-addr "127.0.0.1:$PC" \
    2>"$T/log.capture" & pids="$pids $!" cpid=$!
"$BIN/tetra-enrich" -v -b "$KAFKA_BROKERS" -t "$RUN-raw" -T "$RUN-enriched" -G "$RUN-e" \
    --llm-url "$LLM" --llm-model m --llm-key-file "$T/llm.key" --metrics-addr "127.0.0.1:$PE" \
    2>"$T/log.enrich" & pids="$pids $!" epid=$!
OPENSEARCH_USER=tetra "$BIN/tetra-sink" -v -b "$KAFKA_BROKERS" -t "$RUN-enriched" -G "$RUN-s" \
    --opensearch "$OPENSEARCH_URL" --password-file "$T/os.pw" --index "$RUN-%Y.%m.%d" \
    --template-name "$RUN" --linger-ms 50 --dlq "$T/dlq.pipeline" --metrics-addr "127.0.0.1:$PS" \
    2>"$T/log.sink" & pids="$pids $!" spid=$!

until_ok 120 reaches "$PS" tetra_sink_indexed_total "$N" || bad "sink: indexed never reached $N"
for p in "$PC:capture:$cpid" "$PE:enrich:$epid" "$PS:sink:$spid"; do
    port=${p%%:*} rest=${p#*:}
    save_pages "$port" "${rest%%:*}"
    save_cmdline "${rest#*:}" "${rest%%:*}"
done
kill -TERM "$cpid" "$epid" "$spid"
wait "$cpid" || bad "capture exit $?"
wait "$epid" || bad "enrich exit $?"
wait "$spid" || bad "sink exit $?"
pids=$lpid
grep -q 'llm_ok=[1-9]' "$T/log.enrich" || bad "enrich: no LLM answer: $(tail -n 1 "$T/log.enrich")"
curl -s "$LLM/models" >"$T/llm.stats"
jq -e '.served > 0 and .unauthorized == 0' "$T/llm.stats" >/dev/null ||
    bad "the LLM did not get the key on every request: $(cat "$T/llm.stats")"

# --- 2. dead letters and a dry run ------------------------------------------------------
# a record OpenSearch cannot take and one that is not JSON: both dead letters
{ head -n 1 "$T/in"; echo 'not json'; } |
    OPENSEARCH_USER=tetra "$BIN/tetra-sink" -v --opensearch "$OPENSEARCH_URL" --password-file "$T/os.pw" \
        --index "$RUN-%Y.%m.%d" --template-name "$RUN" --dlq "$T/dlq.stdin" 2>"$T/log.sink-stdin"
[ -s "$T/dlq.stdin" ] || bad "the sink wrote no dead letter for a record that is not JSON"
OPENAI_API_KEY=$LLM_KEY "$BIN/tetra-enrich" -v --dry-run --llm-url "$LLM" --llm-model m <"$T/in" \
    >"$T/dryrun.env" 2>"$T/log.dryrun-env" || bad "dry-run (key from the environment): exit $?"
"$BIN/tetra-enrich" -v --dry-run --llm-url "$LLM" --llm-model m --llm-key-file "$T/llm.key" <"$T/in" \
    >"$T/dryrun.file" 2>"$T/log.dryrun-file" || bad "dry-run (key file): exit $?"
grep -q 'Bearer <redacted>' "$T/dryrun.file" || bad "dry-run printed no masked Authorization header"

# --- 3. nowhere -------------------------------------------------------------------------
for f in log.capture log.enrich log.sink log.sink-stdin log.dryrun-env log.dryrun-file dryrun.env dryrun.file \
    dlq.stdin pages.capture pages.enrich pages.sink cmdline.capture cmdline.enrich cmdline.sink; do
    [ -e "$T/$f" ] || { bad "$f was not written"; continue; }
    for s in "$LLM_KEY" "$OS_PW" "$KAFKA_PW"; do
        grep -q -F -- "$s" "$T/$f" && bad "$f holds a planted secret (${s%%-*}...)"
    done
done
[ -e "$T/dlq.pipeline" ] && grep -q -F -e "$LLM_KEY" -e "$OS_PW" -e "$KAFKA_PW" "$T/dlq.pipeline" &&
    bad "the pipeline's dead letters hold a planted secret"
# the pages and logs were really looked at
grep -q '^tetra_enrich_llm_ok_total [1-9]' "$T/pages.enrich" || bad "enrich's page was not read"
[ "$(wc -l <"$T/log.enrich")" -ge 2 ] || bad "enrich logged almost nothing with -v"
[ $fail = 0 ] && echo "ok: $N events through the pipeline with the LLM; no planted secret in logs, dry runs, dead letters, cmdlines or pages"
exit $fail
