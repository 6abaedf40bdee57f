#!/usr/bin/env bash
# Builds Go programs from the Go module proxy into a cache directory once, and reuses them:
#   go-build-cached.sh DIR GOMODCACHE MIN_GO_MINOR 'what, for messages' PACKAGE@VERSION...
# Installs the packages' binaries into DIR/bin (atomically: a build cut short leaves no DIR/bin),
# one builder at a time, with CGO off. On success prints nothing on stdout; on failure exits 1
# with the reason on stderr (the caller adds how else to get the program: $HINT, if set).
# Used by temporal-dev/temporal-cli.sh, temporal-dev/temporal-server.sh and deploy/tools/helm.sh:
# our machines reach package registries only, so we build rather than download release binaries.
set -euo pipefail
dir=$1 gomod=$2 min_minor=$3 what=$4
shift 4

if ! command -v go >/dev/null 2>&1; then
  echo "Building $what needs Go >= 1.$min_minor (https://go.dev/dl/, or your package manager), and go is not installed.${HINT:+ $HINT}" >&2
  exit 1
fi
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "${go_minor:-0}" -lt "$min_minor" ] 2>/dev/null; then
  echo "Building $what needs Go >= 1.$min_minor; this machine has $(go env GOVERSION).${HINT:+ $HINT}" >&2
  exit 1
fi

mkdir -p "$dir" "$gomod"
# One builder at a time (tests, CI and `librarian dev` may ask together).
exec 9>"$dir/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
[ -d "$dir/bin" ] && exit 0
echo "Building $what from the Go module proxy into $dir (first run only; several minutes)..." >&2
rm -rf "$dir/bin.tmp"
GOBIN="$dir/bin.tmp" GOMODCACHE="$gomod" GOFLAGS=-modcacherw CGO_ENABLED=0 go install "$@" >&2
mv "$dir/bin.tmp" "$dir/bin"
echo "$what ready in $dir/bin" >&2
