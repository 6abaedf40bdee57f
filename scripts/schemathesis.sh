#!/usr/bin/env bash
# Prints the path of a Schemathesis `st` executable (the property-based API fuzzer the test suite
# runs against the OpenAPI document), providing it if needed:
#   1. $SCHEMATHESIS, if set;
#   2. the pinned version installed from PyPI into a virtualenv in the cache directory
#      (${LIBRARIAN_CACHE_DIR:-~/.cache/librarian}/schemathesis-<version>/), on first use, and
#      reused afterwards.
set -euo pipefail

VERSION=4.32.5

if [ -n "${SCHEMATHESIS:-}" ]; then
  if [ ! -x "$SCHEMATHESIS" ]; then
    echo "SCHEMATHESIS=$SCHEMATHESIS is not an executable file; unset it or point it at Schemathesis's st." >&2
    exit 1
  fi
  echo "$SCHEMATHESIS"
  exit 0
fi

root="${LIBRARIAN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/librarian}"
cache="$root/schemathesis-$VERSION"
bin="$cache/bin/st"
# A virtualenv cannot be moved once made (its scripts name its path): it is built in place, and
# this file says the build finished.
done_mark="$cache/.installed"
if [ -x "$bin" ] && [ -e "$done_mark" ]; then
  echo "$bin"
  exit 0
fi

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  cat >&2 <<MSG
Schemathesis (the API fuzzer the tests run) is installed once from PyPI into a virtualenv, which
needs Python 3.10+ with its venv module. Install it (e.g. apt-get install python3 python3-venv, or
brew install python) and run this again, or set SCHEMATHESIS=/path/to/st.
MSG
  exit 1
fi

mkdir -p "$root"
exec 9>"$root/.schemathesis-$VERSION.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -e "$done_mark" ]; then
  echo "Installing Schemathesis $VERSION from PyPI into $cache (first run only; a minute or less)..." >&2
  rm -rf "$cache"
  python3 -m venv "$cache" >&2
  if ! "$cache/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$VERSION" >"$cache/pip.log" 2>&1; then
    cat "$cache/pip.log" >&2
    echo "Installing Schemathesis $VERSION with pip failed (output above)." >&2
    exit 1
  fi
  touch "$done_mark"
  echo "Schemathesis ready: $bin" >&2
fi
echo "$bin"
