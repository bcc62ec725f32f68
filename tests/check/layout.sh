#!/bin/sh
# layout.sh - the arrows of docs/ARCHITECTURE.md hold: a file of one
# program (capture/, enrich/, sink/) includes no header of another
# program, and common/ includes no program's header at all.
#
# Each #include "..." is resolved as the compiler does for quotes: the
# including file's folder first, then the Makefile's -I folders (read from
# it, so a new -I needs no edit here).  The folder the header lives in
# decides; a header found nowhere (generated, system) is not ours.  The
# check also proves it can fail: a planted tree with one wrong arrow of
# each kind must be caught.
#
# usage: tests/check/layout.sh [ROOT]   exit: 0 pass, 1 a wrong arrow
set -u
PROGRAMS="capture enrich sink"

# the top folder of path (relative to the tree) of the header inc included
# from file, or nothing when it is not in the tree
owner_of() { # root file inc incdirs
    for d in "$(dirname "$2")" $4; do
        [ -f "$1/$d/$3" ] || continue
        p=$(cd "$1/$(dirname "$d/$3")" && pwd -P)
        r=$(cd "$1" && pwd -P)
        case $p in "$r"/*) p=${p#"$r"/} ;; "$r") p=. ;; *) return ;; esac
        echo "${p%%/*}"
        return
    done
}

check_tree() { # root: print each wrong arrow; status 1 when any
    root=$1
    incdirs=$(sed -n 's/^ALL_CFLAGS *=//p' "$root/Makefile" 2>/dev/null | grep -o -- '-I[^ $]*' |
              sed 's/^-I//')
    [ -n "$incdirs" ] || incdirs=common
    bad=0
    for top in common $PROGRAMS; do
        [ -d "$root/$top" ] || continue
        for f in $(cd "$root" && find "$top" -name '*.[ch]' | sort); do
            for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' \
                         "$root/$f"); do
                o=$(owner_of "$root" "$f" "$inc" "$incdirs")
                [ -n "$o" ] && [ "$o" != "$top" ] || continue
                case " $PROGRAMS " in *" $o "*) ;; *) continue ;; esac
                echo "$f: includes \"$inc\" of $o/: $top/ may not depend on $o/"
                bad=1
            done
        done
    done
    return $bad
}

ROOT=${1:-${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}}
rc=0
check_tree "$ROOT" || rc=1

# the check must catch a planted wrong arrow of each kind
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/common/util" "$T/capture/follow" "$T/sink" "$T/enrich"
printf 'ALL_CFLAGS = -Icommon -I$(GEN)\n' >"$T/Makefile"
: >"$T/common/util/buf.h"; : >"$T/sink/bulk.h"; : >"$T/enrich/engine.h"
: >"$T/capture/follow/follow.h"
printf '#include "util/buf.h"\n#include "follow.h"\n' >"$T/capture/follow/follow.c"
printf '#include "../../sink/bulk.h"\n' >"$T/capture/follow/wrong.c"
printf '#include "../enrich/engine.h"\n#include "util/buf.h"\n' >"$T/common/util/wrong.c"
out=$(check_tree "$T")
for want in "capture/follow/wrong.c: includes \"../../sink/bulk.h\" of sink/" \
            "common/util/wrong.c: includes \"../enrich/engine.h\" of enrich/"; do
    echo "$out" | grep -qF "$want" || { echo "FAIL: planted arrow not caught: $want"; rc=1; }
done
[ "$(echo "$out" | grep -c .)" -eq 2 ] || { echo "FAIL: planted tree: $out"; rc=1; }
[ $rc -eq 0 ] && echo "ok: no program includes another's header, common/ includes none"
exit $rc
