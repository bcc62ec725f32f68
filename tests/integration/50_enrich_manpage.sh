#!/bin/sh
# 50_enrich_manpage.sh - tetra-enrich --help and man/tetra-enrich.1 name the
# same options (the option table in enrich/cli.c makes --help; the man page
# is hand-written), and the check catches an option dropped from the page.
set -u
MAN="$ROOT/man/tetra-enrich.1"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

from_help() {
    "$BIN/tetra-enrich" --help | grep -E '^ +-' | cut -c1-36 | tr ', ' '\n\n' | grep '^-' | sort
}
from_man() { # .It Fl b , Fl \-brokers Ar brokers
    sed -n '/^\.Sh OPTIONS/,/^\.Sh ENVIRONMENT/p' "$1" | grep '^\.It Fl' | sed 's/\\-/-/g' |
        tr ' ' '\n' | awk 'prev == "Fl" { sub(/,$/, ""); print "-" $0 } { prev = $0 }' | sort
}
from_help >"$T/help" || { echo "--help failed"; exit 1; }
from_man "$MAN" >"$T/man"
[ "$(wc -l <"$T/help")" -ge 30 ] || { echo "too few options in --help"; cat "$T/help"; exit 1; }
diff -u "$T/help" "$T/man" || { echo "--help (-) and the man page (+) differ"; exit 1; }
grep -v '^\.It Fl \\-dry\\-run' "$MAN" >"$T/drift.1"
from_man "$T/drift.1" >"$T/man2"
if diff -q "$T/help" "$T/man2" >/dev/null; then echo "the check missed a dropped option"; exit 1; fi
echo "ok: $(wc -l <"$T/help") option names agree"
