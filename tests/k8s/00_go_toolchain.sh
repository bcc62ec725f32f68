#!/bin/sh
# 00_go_toolchain.sh - the Kubernetes tools' Go comes from the module proxy
# when the machine's is missing or too old.
#
# tools/k8s/go.sh --fetch takes the path a machine without a new enough Go
# takes: it downloads golang.org/toolchain for the version the tools'
# go.mod files need into an empty cache, and that toolchain must then
# report the version and compile a program.  (The apt-get step before it
# is not run here: this machine has a go to bootstrap with.)
set -eu
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
need=$(awk '$1 == "go" { print $2 }' "$ROOT"/tools/k8s/*/go.mod | sort -V | tail -n 1)

go=$(TETRA_CACHE=$T/cache sh "$ROOT/tools/k8s/go.sh" --fetch)
case $go in "$T/cache/go/go$need/bin/go") ;; *) echo "FAIL: go.sh gave '$go'"; exit 1 ;; esac
got=$("$go" version)
echo "$got"
case $got in "go version go$need "*) ;; *) echo "FAIL: expected go$need"; exit 1 ;; esac

mkdir -p "$T/hello"
printf 'module hello\n\ngo %s\n' "$need" >"$T/hello/go.mod"
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello from go") }\n' >"$T/hello/main.go"
out=$(cd "$T/hello" && GOTOOLCHAIN=local GOCACHE=$T/gocache "$go" run .)
[ "$out" = "hello from go" ] || { echo "FAIL: the fetched toolchain ran '$out'"; exit 1; }

# without --fetch a new enough local go is preferred, and the answer is stable
again=$(TETRA_CACHE=$T/cache sh "$ROOT/tools/k8s/go.sh")
"$again" version | grep -q . || { echo "FAIL: go.sh without --fetch gave '$again'"; exit 1; }
echo "ok: Go $need fetched from the module proxy and used"
