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

# The module downloads are the Temporal CLI's (same server version): share its module cache.
gomod="$root/temporal-cli-v1.5.1/gomod"
HINT="Or set TEMPORAL_SERVER_DIR to a directory with bin/temporal-server, bin/temporal-sql-tool and schema/." \
  "$(dirname "$0")/../scripts/go-build-cached.sh" "$cache/build" "$gomod" 25 "Temporal server $VERSION and its SQL tool" \
  "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION"
# Under the names operators know, with the SQL schemas, which ship in the module, not the binaries.
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -d "$cache/schema" ]; then
  rm -rf "$cache/bin" "$cache/schema.tmp"
  mkdir -p "$cache/bin"
  ln -sf ../build/bin/server "$cache/bin/temporal-server"
  ln -sf ../build/bin/sql "$cache/bin/temporal-sql-tool"
  cp -r "$gomod/go.temporal.io/server@$VERSION/schema" "$cache/schema.tmp"
  chmod -R u+w "$cache/schema.tmp"
  mv "$cache/schema.tmp" "$cache/schema"
fi
echo "$cache"
