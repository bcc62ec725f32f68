#!/bin/sh
# 10_capture_style.sh - scripts/check-style.sh passes on the tree and
# catches a banned call when there is one (a planted file proves it can
# fail, and that it names file:line).
set -u
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
sh "$ROOT/scripts/check-style.sh" || { echo "FAIL: banned functions in the tree"; exit 1; }
cat >"$T/planted.c" <<'C'
#include <stdio.h>
int f(char *d, const char *s)
{
    snprintf(d, 4, "%s", s); /* fine */
    strcpy(d, s);
    return atoi(s);
}
C
out=$(sh "$ROOT/scripts/check-style.sh" "$T/planted.c")
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL: planted strcpy/atoi not caught (exit $rc)"; exit 1; }
echo "$out" | grep -q "planted.c:5: banned function strcpy()" || { echo "FAIL: $out"; exit 1; }
echo "$out" | grep -q "planted.c:6: banned function atoi()" || { echo "FAIL: $out"; exit 1; }
if echo "$out" | grep -q "planted.c:4:"; then echo "FAIL: snprintf flagged"; exit 1; fi
echo "ok: check-style passes on the tree and catches planted calls"
