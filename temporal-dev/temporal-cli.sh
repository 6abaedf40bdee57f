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

HINT="Or install the Temporal CLI yourself (brew install temporal, or curl -sSf https://temporal.download/cli.sh | sh) and put it on PATH, or set TEMPORAL_CLI=/path/to/temporal." \
  "$(dirname "$0")/../scripts/go-build-cached.sh" "$cache" "$cache/gomod" 25 "Temporal CLI $VERSION" \
  "github.com/temporalio/cli/cmd/temporal@$VERSION"
echo "$bin"
