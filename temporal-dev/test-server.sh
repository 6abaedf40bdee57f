#!/usr/bin/env bash
# Prints the path of an executable that runs Temporal's time-skipping test server (Java, from
# the Java SDK), providing it if needed:
#   1. $TEMPORAL_TEST_SERVER, if set;
#   2. the pinned version fetched from Maven Central into the cache directory
#      (${LIBRARIAN_CACHE_DIR:-~/.cache/librarian}/temporal-test-server-<version>/), on first use,
#      and reused afterwards.
# The result, bin/temporal-test-server, takes the test server's own arguments (`<port>`) and
# `exec`s java, so signals reach the JVM and nothing is left behind when it is killed.
# @temporalio/testing would download a native build of the same server from the web; our machines
# reach package registries only, so we take the official jars from Maven Central instead.
# Version 1.38.0 is pinned: the newest io.temporal:temporal-test-server on Maven Central when this
# was written; it runs on Java 8+ (the machines have 17).
set -euo pipefail

VERSION=1.38.0

if [ -n "${TEMPORAL_TEST_SERVER:-}" ]; then
  if [ ! -x "$TEMPORAL_TEST_SERVER" ]; then
    echo "TEMPORAL_TEST_SERVER=$TEMPORAL_TEST_SERVER is not an executable file; unset it or point it at a Temporal test server." >&2
    exit 1
  fi
  echo "$TEMPORAL_TEST_SERVER"
  exit 0
fi

root="${LIBRARIAN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/librarian}"
cache="$root/temporal-test-server-$VERSION"
bin="$cache/bin/temporal-test-server"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

if ! command -v java >/dev/null 2>&1; then
  cat >&2 <<MSG
Temporal's time-skipping test server (used by the workflow tests) runs on Java, and java is not
on PATH. Install a JDK or JRE 8 or later (e.g. apt-get install default-jdk-headless, or
brew install openjdk) and run this again, or set TEMPORAL_TEST_SERVER=/path/to/temporal-test-server.
MSG
  exit 1
fi
if ! command -v mvn >/dev/null 2>&1; then
  cat >&2 <<MSG
Maven is needed once, to fetch Temporal's time-skipping test server $VERSION from Maven Central
into $cache, and mvn is not on PATH. Install Maven 3 (e.g. apt-get install maven, or
brew install maven) and run this again, or set TEMPORAL_TEST_SERVER=/path/to/temporal-test-server.
MSG
  exit 1
fi

mkdir -p "$root"
# One builder at a time (two jest runs, or CI's pre-build and a test, may ask together). Each
# build goes to a private directory that is renamed into place whole, so a reader never sees a
# half-built one, also where flock is missing.
exec 9>"$root/.temporal-test-server-$VERSION.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ ! -x "$bin" ]; then
  echo "Fetching Temporal test server $VERSION from Maven Central into $cache (first run only; a minute or less)..." >&2
  tmp=$(mktemp -d "$root/.temporal-test-server-$VERSION.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cat >"$tmp/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>librarian.local</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
  # Maven's own local repository (~/.m2/repository, or whatever settings.xml says) is reused;
  # the jars the wrapper runs are copied into the cache, so the build needs nothing else later.
  if ! mvn -B -q -f "$tmp/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    echo "Fetching Temporal test server $VERSION with Maven failed (output above)." >&2
    exit 1
  fi
  if ! ls "$tmp/lib"/temporal-test-server-*.jar >/dev/null 2>&1; then
    cat "$tmp/mvn.log" >&2
    echo "Maven ran but fetched no temporal-test-server jar (output above)." >&2
    exit 1
  fi
  mkdir -p "$tmp/bin"
  # The JVM options favour start-up time: tests start a server each and run briefly.
  cat >"$tmp/bin/temporal-test-server" <<'WRAPPER'
#!/bin/sh
# Temporal time-skipping test server; arguments: <port>. Made by temporal-dev/test-server.sh.
lib="$(cd "$(dirname "$0")/../lib" && pwd)"
exec java ${TEMPORAL_TEST_SERVER_JAVA_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto} \
  -cp "$lib/*" io.temporal.testserver.TestServer "$@"
WRAPPER
  chmod +x "$tmp/bin/temporal-test-server"
  chmod 755 "$tmp"
  rm -f "$tmp/pom.xml" "$tmp/mvn.log"
  # Into place. A leftover without bin/ is from an interrupted older layout: replace it.
  if [ -e "$cache" ] && [ ! -x "$bin" ]; then rm -rf "$cache"; fi
  # Where another builder (without flock) got there first, keep theirs; the trap removes ours.
  if [ ! -e "$cache" ]; then mv "$tmp" "$cache"; fi
  echo "Temporal test server ready: $bin" >&2
fi
echo "$bin"
