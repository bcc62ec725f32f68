#!/bin/sh
# install-fuzz-deps.sh - make sure clang and libFuzzer are present for
# make fuzz.
#
# Only make fuzz needs them: the build and make test (which replays the
# fuzz inputs with the ordinary compiler) do not, so install-deps.sh does
# not ask for them by itself; this script checks that CC can link a
# -fsanitize=fuzzer program and has install-deps.sh install what is
# missing.  Debian ships libFuzzer in libclang-rt-N-dev, beside clang-N;
# llvm-N brings llvm-symbolizer for readable crash stacks.
# usage: install-fuzz-deps.sh [clang-N]   (default clang-19, bookworm's newest)
set -eu
CC=${1:-clang-19}
VER=${CC#clang-}
[ "$VER" = "$CC" ] && VER=""   # plain "clang": Debian's default version
SUFFIX=${VER:+-$VER}

have_fuzzer() {
    command -v "$CC" >/dev/null 2>&1 || return 1
    probe="${TMPDIR:-/tmp}/fuzzprobe.$$"
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)'\
'{(void)d;(void)n;return 0;}\n' >"$probe.c"
    rc=0
    "$CC" -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" >/dev/null 2>&1 || rc=1
    rm -f "$probe" "$probe.c"
    return $rc
}
have_fuzzer && command -v "llvm-symbolizer$SUFFIX" >/dev/null 2>&1 && exit 0

sh "$(dirname "$0")/install-deps.sh" --also "clang$SUFFIX" "libclang-rt$SUFFIX-dev" "llvm$SUFFIX"
have_fuzzer || { echo "install-fuzz-deps: $CC still cannot link -fsanitize=fuzzer" >&2; exit 1; }
