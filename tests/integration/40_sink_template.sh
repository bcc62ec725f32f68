#!/bin/sh
# 40_sink_template.sh - the template's life cycle and the data stream mode:
# an older template version is replaced at start, a newer one is left
# alone; --data-stream indexes into a data stream (create only) with the
# same exact-count and replay guarantees; --retention-days without the ISM
# plugin says so and indexing goes on (with the plugin, the policy exists).
. "$ROOT/tests/integration/sink/lib.sh"
setup_names tpl
N=500
DS="tsds-$RUN" # outside $PREFIX-*: overlapping templates of one priority are refused
sh "$GEN" "$N" "$RUN" >"$T/events"
trap 'os DELETE "/_data_stream/$DS" >/dev/null 2>&1; os DELETE "/_index_template/$DS" >/dev/null 2>&1;
      os DELETE "/_plugins/_ism/policies/$DS-retention" >/dev/null 2>&1; cleanup' EXIT

version() { os GET "/_index_template/$1" | jq -r '.index_templates[0].index_template.version'; }

# names OpenSearch would refuse (or that would need escaping in an action
# line) are usage errors at start, not a rejection of every document
for bad in "--index Tetragon-%Y.%m.%d" "--index tetragon\"x-%Y" "--data-stream a,b" \
    "--template-name Tpl"; do
    # shellcheck disable=SC2086 # the option and its value, split on purpose
    "$SINK" --opensearch "$OS" $bad </dev/null 2>"$T/e0"
    rc=$?
    [ "$rc" = 2 ] && grep -q "not a usable index name" "$T/e0" ||
        fail "$bad: exit $rc, want 2 with a reason: $(cat "$T/e0")"
done
ok "index, data stream and template names OpenSearch refuses: exit 2 at start"

# an older version is replaced
want=$("$SINK" --print-template | jq -r .version)
os PUT "/_index_template/$TEMPLATE" '{"index_patterns":["'"$PREFIX"'-*"],"version":0,"priority":200}' >/dev/null
"$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" -v </dev/null 2>"$T/e1" ||
    fail "exit $?: $(cat "$T/e1")"
[ "$(version "$TEMPLATE")" = "$want" ] || fail "old template not replaced: $(cat "$T/e1")"
grep -q "updated" "$T/e1" || fail "no note about the update: $(cat "$T/e1")"
ok "template version 0 replaced by $want"

# the same version made for another --index pattern is updated too
os PUT "/_index_template/$TEMPLATE" '{"index_patterns":["'"$PREFIX"'-old-*"],"version":'"$want"',"priority":200}' >/dev/null
"$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" -v </dev/null 2>"$T/e1b" ||
    fail "exit $?: $(cat "$T/e1b")"
pat=$(os GET "/_index_template/$TEMPLATE" | jq -r '.index_templates[0].index_template.index_patterns[0]')
[ "$pat" = "$PREFIX-*" ] || fail "template for another pattern not updated: $pat"
ok "template of the same version for another index pattern updated"

# a newer version is kept
os PUT "/_index_template/$TEMPLATE" '{"index_patterns":["'"$PREFIX"'-*"],"version":99,"priority":200}' >/dev/null
"$SINK" --opensearch "$OS" --index "$INDEX" --template-name "$TEMPLATE" -v </dev/null 2>"$T/e2" ||
    fail "exit $?"
[ "$(version "$TEMPLATE")" = 99 ] || fail "newer template overwritten"
ok "template version 99 left alone"

# data stream, with retention asked for
"$SINK" --opensearch "$OS" --data-stream "$DS" --template-name "$DS" --retention-days 7 \
    <"$T/events" 2>"$T/e3" || fail "data stream: exit $?: $(cat "$T/e3")"
cat "$T/e3"
[ "$(count "$DS")" = "$N" ] || fail "data stream has $(count "$DS") documents, want $N"
os GET "/_data_stream/$DS" | jq -e '.data_streams[0].name' >/dev/null || fail "no data stream $DS"
if os GET "/_cat/plugins" | grep -q index-management; then
    os GET "/_plugins/_ism/policies/$DS-retention" | jq -e '.policy' >/dev/null || fail "no ISM policy"
    ok "ISM policy $DS-retention installed"
else
    grep -q "ISM plugin is not installed" "$T/e3" || fail "no notice about the missing ISM plugin"
    ok "no ISM plugin: notice given, indexing went on"
fi
"$SINK" --opensearch "$OS" --data-stream "$DS" --template-name "$DS" <"$T/events" 2>"$T/e4" ||
    fail "replay: exit $?"
[ "$(summary_value "$T/e4" duplicates)" = "$N" ] || fail "replay: $(cat "$T/e4")"
[ "$(count "$DS")" = "$N" ] || fail "after replay $(count "$DS") documents"
ok "data stream: $N events -> $N documents, replay -> still $N"
exit 0
