#!/bin/sh
# check-style.sh - refuse the C functions this project bans, and C files
# that clang-format would change.
#
# Banned functions: atoi/atol turn garbage into 0 without a word (use
# strtol/strtoull with an end-pointer and range check); sprintf, vsprintf,
# strcpy, strcat and gets write without a bound (use snprintf, memcpy with
# a known length); strtok keeps hidden state (use strtok_r or a hand scan).
# Grep-based on purpose: a hit names file:line.  Comments and strings are
# not parsed, so keep the banned names out of them; "snprintf" and
# "strtok_r" do not match because the name must stand alone before "(".
#
# Layout: clang-format --dry-run -Werror with the committed .clang-format,
# named explicitly so a file outside the tree (a test's planted file) is
# held to the same style.  --fix rewrites the files instead (make format):
# one file list for checking and fixing, so the two never disagree.  Only
# Debian's clang-format 14 is tested against the config; another version
# may place a few breaks differently, so a failure prints the version.
#
# usage: scripts/check-style.sh [--fix] [FILE...]  (default: every .c/.h
#        tracked or not yet committed, outside build/)
# exit: 0 clean, 1 a banned call or a mis-formatted file was found
#       (each printed as file:line: ...), 2 clang-format is missing
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
fix=0
if [ "${1:-}" = "--fix" ]; then fix=1; shift; fi

list_files() {
    if [ $# -gt 0 ]; then
        printf '%s\n' "$@"
        return
    fi
    # files not yet committed count too
    { git ls-files '*.c' '*.h' && git ls-files --others --exclude-standard '*.c' '*.h'; } \
        2>/dev/null || find . -name '*.c' -o -name '*.h'
}
files=$(list_files "$@" | while IFS= read -r f; do
    case $f in build/* | ./build/*) continue ;; esac
    [ -f "$f" ] && printf '%s\n' "$f"
done)

if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
    echo "check-style: $CLANG_FORMAT not found; run scripts/install-deps.sh" >&2
    exit 2
fi

if [ $fix -eq 1 ]; then
    # shellcheck disable=SC2086
    [ -z "$files" ] || "$CLANG_FORMAT" --style="file:$ROOT/.clang-format" -i $files || exit 1
    echo "format: applied .clang-format to $(printf '%s\n' "$files" | grep -c .) files"
    exit 0
fi

BANNED='atoi|atol|atoll|sprintf|vsprintf|strcpy|strcat|gets|strtok'
banned_calls() { # file: print its banned calls; status 0 when it has any
    hits=$(grep -nE "(^|[^A-Za-z0-9_])($BANNED)[[:space:]]*\(" "$1") || return 1
    echo "$hits" | while IFS= read -r h; do
        name=$(echo "$h" | grep -oE "(^|[^A-Za-z0-9_])($BANNED)[[:space:]]*\(" | head -n 1 |
               sed -E 's/^[^A-Za-z]*//; s/[[:space:](]*$//')
        echo "$1:${h%%:*}: banned function $name():${h#*:}"
    done
}

banned=0
for f in $files; do
    banned_calls "$f" && banned=1
done
# one clang-format for all files: it names file:line:col for each place it
# would change (at most 3 a file)
# shellcheck disable=SC2086
diags=$([ -z "$files" ] || "$CLANG_FORMAT" --style="file:$ROOT/.clang-format" --dry-run -Werror \
        --ferror-limit=3 $files 2>&1 | grep -E '^[^ ].*:[0-9]+:[0-9]+: (error|warning):')
[ -z "$diags" ] || printf '%s\n' "$diags"
unformatted=$(printf '%s\n' "$diags" | sed -nE 's/^(.*):[0-9]+:[0-9]+: .*/\1/p' | sort -u | grep -c .)
[ $banned -eq 0 ] && echo "check-style: no banned functions"
if [ $unformatted -gt 0 ]; then
    echo "check-style: $unformatted files differ from .clang-format" \
         "($("$CLANG_FORMAT" --version | sed 's/.*version //')); 'make format' fixes them"
else
    echo "check-style: every file matches .clang-format"
fi
[ $banned -eq 0 ] && [ $unformatted -eq 0 ]
