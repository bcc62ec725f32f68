#!/bin/sh
# install-deps.sh - make sure the Debian packages the build needs are present.
#
# Called by make before the first compile.  It checks with pkg-config and
# command -v, installs only what is missing, and says exactly what to do when
# it cannot (not root, no apt-get) instead of letting the compiler fail later
# with a missing header.
set -eu

PKGS="librdkafka-dev libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev libjansson-dev
libcurl4-openssl-dev check pkg-config zlib1g-dev libyaml-dev libdeflate-dev libmicrohttpd-dev
libssl-dev"

missing=""
# --also PKG...: install these too (install-fuzz-deps.sh: clang and libFuzzer)
if [ "${1:-}" = "--also" ]; then shift; missing=" $*"; fi
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
have_pc rdkafka || missing="$missing librdkafka-dev"
have_pc libprotobuf-c || missing="$missing libprotobuf-c-dev"
command -v protoc-c >/dev/null 2>&1 || missing="$missing protobuf-c-compiler"
[ -f /usr/include/google/protobuf/timestamp.proto ] || missing="$missing libprotobuf-dev"
have_pc jansson || missing="$missing libjansson-dev"
have_pc libcurl || missing="$missing libcurl4-openssl-dev"
have_pc yaml-0.1 || missing="$missing libyaml-dev"
have_pc check || missing="$missing check"
have_pc zlib || missing="$missing zlib1g-dev"
have_pc libdeflate || missing="$missing libdeflate-dev"
have_pc libmicrohttpd || missing="$missing libmicrohttpd-dev"
# tetra-sink signs webhook bodies with OpenSSL's HMAC-SHA256
have_pc libcrypto || missing="$missing libssl-dev"
# the tests and the demo drive the programs with these, and make check and
# make format run clang-format; protoc encodes the binary incident records of
# 40_sink_incidents (not with TETRA_DEPS=build: the image's build stage needs
# only what compiles)
[ "${TETRA_DEPS:-all}" = build ] ||
for tool in jq:jq openssl:openssl curl:curl python3:python3 /usr/bin/time:time kcat:kcat \
            clang-format:clang-format protoc:protobuf-compiler; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
# tests/k8s read rendered manifests and examples/kubernetes with PyYAML
python3 -c 'import yaml' >/dev/null 2>&1 || missing="$missing python3-yaml"

[ -z "$missing" ] && exit 0

echo "install-deps: missing Debian packages:$missing" >&2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: no apt-get here; install the equivalents of:$missing" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-deps: not root and no sudo; run as root: apt-get install$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || { echo "install-deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
    { echo "install-deps: apt-get install$missing failed; see the output above" >&2; exit 1; }
echo "install-deps: installed$missing" >&2
