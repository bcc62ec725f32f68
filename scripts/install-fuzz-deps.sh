#!/bin/sh
# install-fuzz-deps.sh - make sure clang and libFuzzer are present for
# make fuzz.
#
# Separate from install-deps.sh because only make fuzz needs them: the
# build and make test (which replays the fuzz inputs with the ordinary
# compiler) do not.  Debian ships libFuzzer in libclang-rt-N-dev, beside
# clang-N; llvm-N brings llvm-symbolizer for readable crash stacks.
# usage: install-fuzz-deps.sh [clang-N]   (default clang-19, bookworm's newest)
set -eu
CC=${1:-clang-19}
VER=${CC#clang-}
[ "$VER" = "$CC" ] && VER=""   # plain "clang": Debian's default version
SUFFIX=${VER:+-$VER}

have_fuzzer() {
    command -v "$CC" >/dev/null 2>&1 || return 1
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)'\
'{(void)d;(void)n;return 0;}\n' >"${TMPDIR:-/tmp}/fuzzprobe.$$.c"
    "$CC" -fsanitize=fuzzer,address,undefined -o "${TMPDIR:-/tmp}/fuzzprobe.$$" \
        "${TMPDIR:-/tmp}/fuzzprobe.$$.c" >/dev/null 2>&1
    rc=$?
    rm -f "${TMPDIR:-/tmp}/fuzzprobe.$$" "${TMPDIR:-/tmp}/fuzzprobe.$$.c"
    return $rc
}
have_fuzzer && command -v "llvm-symbolizer$SUFFIX" >/dev/null 2>&1 && exit 0

missing="clang$SUFFIX libclang-rt$SUFFIX-dev llvm$SUFFIX"
echo "install-fuzz-deps: installing $missing" >&2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-fuzz-deps: no apt-get here; install the equivalents of: $missing" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-fuzz-deps: not root and no sudo; run as root: apt-get install $missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || { echo "install-fuzz-deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
    { echo "install-fuzz-deps: apt-get install $missing failed" >&2; exit 1; }
have_fuzzer || { echo "install-fuzz-deps: $CC still cannot link -fsanitize=fuzzer" >&2; exit 1; }
