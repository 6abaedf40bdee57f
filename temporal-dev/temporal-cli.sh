#!/usr/bin/env bash
# Prints the path of a Temporal CLI, providing one if needed:
#   1. $TEMPORAL_CLI, if set;
#   2. `temporal` on PATH;
#   3. the pinned version built from the Go module proxy into the cache directory
#      (${LIBRARIAN_CACHE_DIR:-~/.cache/librarian}), built on first use and reused afterwards.
# We build instead of downloading a release binary because our machines reach package
# registries only. v1.5.1 is pinned: later versions carry a `replace` directive that
# `go install pkg@version` refuses.
set -euo pipefail

VERSION=v1.5.1

if [ -n "${TEMPORAL_CLI:-}" ]; then
  if [ ! -x "$TEMPORAL_CLI" ]; then
    echo "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file; unset it or point it at a Temporal CLI." >&2
    exit 1
  fi
  echo "$TEMPORAL_CLI"
  exit 0
fi

if command -v temporal >/dev/null 2>&1; then
  command -v temporal
  exit 0
fi

cache="${LIBRARIAN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/librarian}/temporal-cli-$VERSION"
bin="$cache/bin/temporal"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
The Temporal CLI is needed to run the local Temporal server, and it is not installed.
Either:
  - install Go >= 1.25 (https://go.dev/dl/, or your package manager) and run this again:
    it builds Temporal CLI $VERSION from the Go module proxy into $cache;
  - or install the Temporal CLI yourself (brew install temporal, or
    curl -sSf https://temporal.download/cli.sh | sh) and put it on PATH,
    or set TEMPORAL_CLI=/path/to/temporal.
MSG
  exit 1
fi

go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "${go_minor:-0}" -lt 25 ] 2>/dev/null; then
  echo "Building Temporal CLI $VERSION needs Go >= 1.25; this machine has $(go env GOVERSION). Upgrade Go, or install the Temporal CLI and set TEMPORAL_CLI." >&2
  exit 1
fi

mkdir -p "$cache"
# One builder at a time (tests and `librarian dev` may ask together).
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -x "$bin" ]; then
  echo "Building Temporal CLI $VERSION from the Go module proxy into $cache (first run only; several minutes)..." >&2
  rm -rf "$cache/bin.tmp"
  GOBIN="$cache/bin.tmp" GOMODCACHE="$cache/gomod" GOFLAGS=-modcacherw CGO_ENABLED=0 \
    go install "github.com/temporalio/cli/cmd/temporal@$VERSION" >&2
  mv "$cache/bin.tmp" "$cache/bin"
  echo "Temporal CLI ready: $bin" >&2
fi
echo "$bin"
