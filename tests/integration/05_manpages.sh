#!/bin/sh
# 05_manpages.sh - each program's --help and its man page list the same
# options.  The option table in PROGRAM/cli.c drives --help; the man pages
# are written by hand in mdoc, so this is what keeps the two together.  The
# check also proves it can fail: a copy of each page with one option
# removed must be caught.  Exit 0 pass, 1 fail.
set -u
BIN=${BIN:-$ROOT/bin}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
rc=0

# "  -b, --brokers BROKERS   text" -> "-b" and "--brokers", one per line
help_opts() {
    "$BIN/$1" --help | awk '/^  -|^      --/ {
        left = substr($0, 3, 32)
        n = split(left, w, /[ ,]+/)
        for (i = 1; i <= n; i++) if (w[i] ~ /^-/) print w[i]
    }' | sort
}

# ".It Fl b , Fl \-brokers Ar brokers" -> "-b" and "--brokers"
man_opts() {
    sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$1" | grep '^\.It Fl' | sed 's/\\-/-/g' | awk '{
        for (i = 1; i < NF; i++) if ($i == "Fl") { o = $(i + 1); sub(/,$/, "", o); print "-" o }
    }' | sort
}

check() { # program
    man="$ROOT/man/$1.1"
    help_opts "$1" >"$T/help" || { echo "FAIL: $1 --help failed"; return 1; }
    man_opts "$man" >"$T/man"
    [ "$(wc -l <"$T/help")" -ge 10 ] || { echo "FAIL: too few options parsed from $1 --help"; return 1; }
    if ! diff -u "$T/help" "$T/man"; then
        echo "FAIL: $1 --help (-) and man/$1.1 (+) list different options"
        return 1
    fi
    # the comparison must notice one dropped option
    dropped=$(sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$man" | grep -m1 -n '^\.It Fl' | cut -d: -f2-)
    grep -vxF "$dropped" "$man" >"$T/drifted.1"
    man_opts "$T/drifted.1" >"$T/man2"
    if diff -q "$T/help" "$T/man2" >/dev/null; then
        echo "FAIL: the comparison did not notice '$dropped' missing from $1.1"
        return 1
    fi
    echo "ok: $1 --help and man page agree on $(wc -l <"$T/help") option names"
}

for p in tetra-capture tetra-enrich tetra-sink; do
    check "$p" || rc=1
done
exit $rc
