#!/usr/bin/env bash
# Prints the path of a helm binary (for `helm lint` / `helm template` in test/unit/deploy.test.ts),
# providing one if needed:
#   1. $HELM, if set;
#   2. `helm` on PATH;
#   3. the pinned version built from the Go module proxy into the cache directory
#      (${LIBRARIAN_CACHE_DIR:-~/.cache/librarian}/helm-$VERSION), built on first use and reused
#      afterwards.
# We build instead of downloading a release binary because our machines reach package
# registries only (see docs/development.md).
set -euo pipefail

VERSION=v3.22.0

if [ -n "${HELM:-}" ]; then
  if [ ! -x "$HELM" ]; then
    echo "HELM=$HELM is not an executable file; unset it or point it at a helm binary." >&2
    exit 1
  fi
  echo "$HELM"
  exit 0
fi

if command -v helm >/dev/null 2>&1; then
  command -v helm
  exit 0
fi

cache="${LIBRARIAN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/librarian}/helm-$VERSION"
bin="$cache/bin/helm"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

HINT="Or install helm yourself (https://helm.sh/docs/intro/install/) and put it on PATH, or set HELM=/path/to/helm." \
  "$(dirname "$0")/../../scripts/go-build-cached.sh" "$cache" "$cache/gomod" 24 "helm $VERSION" \
  "helm.sh/helm/v3/cmd/helm@$VERSION"
echo "$bin"
