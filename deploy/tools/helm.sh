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

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
helm is needed to lint and render deploy/helm/librarian, and it is not installed.
Either:
  - install Go >= 1.24 (https://go.dev/dl/, or your package manager) and run this again:
    it builds helm $VERSION from the Go module proxy into $cache;
  - or install helm yourself (https://helm.sh/docs/intro/install/) and put it on PATH,
    or set HELM=/path/to/helm.
MSG
  exit 1
fi

mkdir -p "$cache"
# One builder at a time (CI and parallel test files may ask together).
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -x "$bin" ]; then
  echo "Building helm $VERSION from the Go module proxy into $cache (first run only; a few minutes)..." >&2
  rm -rf "$cache/bin.tmp"
  GOBIN="$cache/bin.tmp" GOMODCACHE="$cache/gomod" GOFLAGS=-modcacherw CGO_ENABLED=0 \
    go install "helm.sh/helm/v3/cmd/helm@$VERSION" >&2
  mv "$cache/bin.tmp" "$cache/bin"
  echo "helm ready: $bin" >&2
fi
echo "$bin"
