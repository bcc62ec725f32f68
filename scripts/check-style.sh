#!/bin/sh
# check-style.sh - refuse the C functions this project bans.
#
# atoi/atol turn garbage into 0 without a word (use strtol/strtoull with an
# end-pointer and range check); sprintf, vsprintf, strcpy, strcat and gets
# write without a bound (use snprintf, memcpy with a known length); strtok
# keeps hidden state (use strtok_r or a hand scan).  Grep-based on purpose:
# no tool to install, and a hit names file:line.  Comments and strings are
# not parsed, so keep the banned names out of them; "snprintf" and
# "strtok_r" do not match because the name must stand alone before "(".
#
# usage: scripts/check-style.sh [FILE...]   (default: every tracked .c/.h)
# exit: 0 clean, 1 a banned call was found (each printed as file:line: ...)
set -u
cd "$(dirname "$0")/.." || exit 2
BANNED='atoi|atol|atoll|sprintf|vsprintf|strcpy|strcat|gets|strtok'
if [ $# -gt 0 ]; then
    files="$*"
else
    files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.c' -o -name '*.h')
    # files not yet committed count too
    files="$files $(git ls-files --others --exclude-standard '*.c' '*.h' 2>/dev/null)"
fi
status=0
for f in $files; do
    [ -f "$f" ] || continue
    case $f in build/* | ./build/*) continue ;; esac
    hits=$(grep -nE "(^|[^A-Za-z0-9_])($BANNED)[[:space:]]*\(" "$f") || continue
    echo "$hits" | while IFS= read -r h; do
        name=$(echo "$h" | grep -oE "(^|[^A-Za-z0-9_])($BANNED)[[:space:]]*\(" | head -n 1 |
               sed -E 's/^[^A-Za-z]*//; s/[[:space:](]*$//')
        echo "$f:${h%%:*}: banned function $name():${h#*:}"
    done
    status=1
done
[ $status -eq 0 ] && echo "check-style: no banned functions"
exit $status
