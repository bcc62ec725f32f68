#!/bin/sh
# 40_sink_pipeline.sh - tetra-sink behind the other two filters.
# 1. stdin: plain events piped through tetra-enrich -n -F proto reach the
#    sink as binary EnrichedEvents and get exactly the _ids the same plain
#    events get when sent directly (the enrichment is not part of identity),
#    each document carrying its enrichment.
# 2. Kafka (when services run): capture -> raw topic -> enrich -> enriched
#    topic (message-type header) -> sink: N events -> N enriched documents.
set -u
BIN=${BIN:-$ROOT/bin}
for p in tetra-capture tetra-enrich tetra-sink; do
    [ -x "$BIN/$p" ] || { echo "$p is not built"; exit 77; }
done
GEN="$ROOT/tests/integration/sink/gen-events.sh"
T=$(mktemp -d) || exit 1
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
N=1000
RUN=$(($$ % 100000))
trap 'rm -rf "$T"' EXIT

sh "$GEN" "$N" "$RUN" plain >"$T/plain"
"$BIN/tetra-sink" --emit-bulk <"$T/plain" 2>/dev/null | sed -n '1~2p' | jq -r .create._id | sort >"$T/ids-direct"
"$BIN/tetra-enrich" -q -n -F proto <"$T/plain" | "$BIN/tetra-sink" -I proto --emit-bulk 2>"$T/err" >"$T/bulk" ||
    fail "enrich | sink: $(cat "$T/err")"
sed -n '1~2p' "$T/bulk" | jq -r .create._id | sort >"$T/ids-enriched"
[ "$(wc -l <"$T/ids-direct")" = "$N" ] || fail "direct: $(wc -l <"$T/ids-direct") ids"
cmp -s "$T/ids-direct" "$T/ids-enriched" || fail "enriched records got other _ids"
n=$(sed -n '2~2p' "$T/bulk" | jq -e 'select(.enrichment != null and .event.kind == "alert")' | grep -c '^{')
[ "$n" = "$N" ] || fail "$n of $N documents carry an enrichment"
ok "$N events through tetra-enrich -F proto: same _ids as sent directly, all enriched"

[ -n "${OPENSEARCH_URL:-}" ] && [ -n "${KAFKA_BROKERS:-}" ] || { echo "no services: Kafka part not run"; exit 77; }
P=$T # lib.sh makes a T of its own
. "$ROOT/tests/integration/sink/lib.sh"
setup_names pipe
trap 'rm -rf "$P"; cleanup' EXIT
RAW="$PREFIX-raw"
ENR="$PREFIX-enriched"
"$BIN/tetra-capture" -q -b "$KAFKA_BROKERS" -t "$RAW" <"$P/plain" || fail "capture"
"$BIN/tetra-enrich" -q -n -b "$KAFKA_BROKERS" -t "$RAW" -G "$PREFIX-e" -T "$ENR" --idle-exit 5000 ||
    fail "enrich from Kafka"
"$BIN/tetra-sink" -b "$KAFKA_BROKERS" -t "$ENR" -G "$PREFIX-s" --opensearch "$OS" --index "$INDEX" \
    --template-name "$TEMPLATE" 2>"$T/serr" &
SP=$!
i=0
while [ "$(count "$PREFIX-*")" != "$N" ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
kill -TERM $SP
wait $SP || fail "sink exit $?: $(cat "$T/serr")"
cat "$T/serr"
got=$(count "$PREFIX-*")
[ "$got" = "$N" ] || fail "$got documents, want $N"
alerts=$(count "$PREFIX-*" '{"term":{"event.kind":"alert"}}')
[ "$alerts" = "$N" ] || fail "$alerts enriched documents, want $N"
ok "capture -> Kafka -> enrich -> Kafka -> sink: $got documents, all enriched"
exit 0
