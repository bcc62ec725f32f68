#!/bin/sh
# 05_manpages.sh - each program's --help and its man page describe the
# same options: the same names, the same argument names and the same
# defaults, and the same old spellings.  The option table in
# PROGRAM/cli.c drives --help (defaults included: "(default X)" is printed
# from the table, so no other help text may say "default"); the man pages
# are written by hand in mdoc, with each default on a line of its own,
#   .No Default: Li VALUE .
# so this is what keeps the two together.  The check also proves it can
# fail: a copy of each page with one option removed, and one with a default
# changed, must be caught.  Exit 0 pass, 1 fail.
set -u
BIN=${BIN:-$ROOT/bin}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
rc=0

# "  -b, --brokers BROKERS   text (default x)" -> "-b --brokers arg=brokers default=x"
help_opts() {
    awk '/^  -|^      --/ {
        left = substr($0, 3, 36); text = substr($0, 40)
        n = split(left, w, /[ ,]+/); names = ""; arg = "-"
        for (i = 1; i <= n; i++)
            if (w[i] ~ /^-/) names = names w[i] " "
            else if (w[i] != "") arg = tolower(w[i])
        def = "-"
        if (match(text, /\(default [^)]*\)$/)) def = substr(text, RSTART + 9, RLENGTH - 10)
        print names "arg=" arg " default=" def
    }' "$1" | sort
}

# Help text that names a default not from the table.
help_stray_defaults() {
    awk '/^  -|^      --/ { t = substr($0, 40); sub(/ \(default [^)]*\)$/, "", t)
        if (tolower(t) ~ /default/) print }' "$1"
}

# ".It Fl b , Fl \-brokers Ar brokers" and its ".No Default: Li x ." line
# -> "-b --brokers arg=brokers default=x"; $2 is the section to read
man_opts() {
    sed -n "/^\.Sh $2\$/,/^\.Sh /p" "$1" | sed 's/\\-/-/g; s/\\e/\\/g' | awk '
    function flush() { if (names != "") print names "arg=" arg " default=" def; names = "" }
    /^\.It Fl/ {
        flush(); arg = ""; def = "-"
        for (i = 2; i <= NF; i++) {
            if ($i == "Fl") { o = $(i + 1); sub(/,$/, "", o); names = names "-" o " "; i++ }
            else if ($i == "Ar") { arg = arg $(i + 1); i++ }
            else if ($i != "Ns" && $i != ",") arg = arg $i
        }
        if (arg == "") arg = "-"
        arg = tolower(arg)
        next
    }
    /^\.It|^\.El/ { flush() }
    /^\.No Default: Li .* \.$/ && names != "" {
        def = $0; sub(/^\.No Default: Li /, "", def); sub(/ \.$/, "", def)
    }
    END { flush() }' | sort
}

# "old spellings, accepted for this release: -F, --format (now -I); ..."
# -> one name per line
help_aliases() {
    sed -n 's/^old spellings, accepted for this release: //p' "$1" | tr ';' '\n' |
        sed 's/ (now [^)]*)//' | tr ',' '\n' | tr -d ' ' | grep . | sort
}

man_aliases() {
    man_opts "$1" "DEPRECATED OPTIONS" | tr ' ' '\n' | grep '^-' | sort
}

# compare NAME WHAT: the two files, with a message naming what differs
differ() {
    if ! diff -u "$T/help.$1" "$T/man.$1"; then
        echo "FAIL: $2 --help (-) and man/$2.1 (+) differ in $1"
        return 1
    fi
}

check() { # program
    man="$ROOT/man/$1.1"
    "$BIN/$1" --help >"$T/help" || { echo "FAIL: $1 --help failed"; return 1; }
    help_opts "$T/help" >"$T/help.options"
    man_opts "$man" OPTIONS >"$T/man.options"
    [ "$(wc -l <"$T/help.options")" -ge 10 ] ||
        { echo "FAIL: too few options parsed from $1 --help"; return 1; }
    grep -q 'default=[^-]' "$T/help.options" ||
        { echo "FAIL: no default parsed from $1 --help"; return 1; }
    stray=$(help_stray_defaults "$T/help")
    [ -z "$stray" ] || { echo "FAIL: $1 --help names a default outside the table: $stray"; return 1; }
    differ options "$1" || return 1
    help_aliases "$T/help" >"$T/help.aliases"
    man_aliases "$man" >"$T/man.aliases"
    differ aliases "$1" || return 1
    # the comparison must notice one dropped option and one changed default
    dropped=$(sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$man" | grep -m1 -n '^\.It Fl' | cut -d: -f2-)
    grep -vxF "$dropped" "$man" >"$T/drifted.1"
    man_opts "$T/drifted.1" OPTIONS >"$T/man2"
    if diff -q "$T/help.options" "$T/man2" >/dev/null; then
        echo "FAIL: the comparison did not notice '$dropped' missing from $1.1"
        return 1
    fi
    sed '0,/^\.No Default: Li /s/^\.No Default: Li \(.*\) \.$/.No Default: Li \1x ./' "$man" \
        >"$T/drifted.1"
    man_opts "$T/drifted.1" OPTIONS >"$T/man2"
    if diff -q "$T/help.options" "$T/man2" >/dev/null; then
        echo "FAIL: the comparison did not notice a changed default in $1.1"
        return 1
    fi
    echo "ok: $1 --help and man page agree on $(wc -l <"$T/help.options") options" \
        "(names, arguments, defaults) and $(wc -l <"$T/help.aliases") old spellings"
}

for p in tetra-capture tetra-enrich tetra-sink; do
    check "$p" || rc=1
done
exit $rc
