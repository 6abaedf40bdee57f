#!/usr/bin/env bash
# Prints the directory holding a production Temporal server (`bin/temporal-server`), its SQL schema
# tool (`bin/temporal-sql-tool`) and its SQL schemas (`schema/`, as in the server's source tree),
# providing them if needed:
#   1. $TEMPORAL_SERVER_DIR, if set (laid out the same way);
#   2. the pinned version built from the Go module proxy into the cache directory
#      (${LIBRARIAN_CACHE_DIR:-~/.cache/librarian}), built on first use and reused afterwards.
# Used by the production-shape test (test/production) and by operators who run Temporal without
# containers. v1.29.1 is the server inside the pinned Temporal CLI (temporal-cli.sh), so the
# module downloads are shared with it. Prints nothing but the directory on stdout.
set -euo pipefail

VERSION=v1.29.1
root="${LIBRARIAN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/librarian}"

if [ -n "${TEMPORAL_SERVER_DIR:-}" ]; then
  for b in bin/temporal-server bin/temporal-sql-tool; do
    if [ ! -x "$TEMPORAL_SERVER_DIR/$b" ]; then
      echo "TEMPORAL_SERVER_DIR=$TEMPORAL_SERVER_DIR has no executable $b; unset it or point it at a directory with bin/temporal-server, bin/temporal-sql-tool and schema/." >&2
      exit 1
    fi
  done
  echo "$TEMPORAL_SERVER_DIR"
  exit 0
fi

cache="$root/temporal-server-$VERSION"
if [ -x "$cache/bin/temporal-server" ] && [ -x "$cache/bin/temporal-sql-tool" ] && [ -d "$cache/schema" ]; then
  echo "$cache"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "Building Temporal server $VERSION needs Go >= 1.25 (https://go.dev/dl/); or set TEMPORAL_SERVER_DIR to a directory with bin/temporal-server, bin/temporal-sql-tool and schema/." >&2
  exit 1
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -x "$cache/bin/temporal-server" ] || [ ! -d "$cache/schema" ]; then
  echo "Building Temporal server $VERSION and its SQL tool from the Go module proxy into $cache (first run only; several minutes)..." >&2
  gomod="$root/temporal-cli-v1.5.1/gomod"
  mkdir -p "$gomod"
  rm -rf "$cache/bin.tmp" "$cache/bin" "$cache/schema"
  mkdir -p "$cache/bin.tmp"
  GOBIN="$cache/bin.tmp" GOMODCACHE="$gomod" GOFLAGS=-modcacherw CGO_ENABLED=0 \
    go install "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION" >&2
  mv "$cache/bin.tmp/server" "$cache/bin.tmp/temporal-server"
  mv "$cache/bin.tmp/sql" "$cache/bin.tmp/temporal-sql-tool"
  # The SQL schemas ship in the module, not in the binaries.
  cp -r "$gomod/go.temporal.io/server@$VERSION/schema" "$cache/schema"
  chmod -R u+w "$cache/schema"
  mv "$cache/bin.tmp" "$cache/bin"
  echo "Temporal server ready: $cache" >&2
fi
echo "$cache"
