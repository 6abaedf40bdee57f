#!/usr/bin/env bash
# Starts the Temporal dev server for a Librarian:
#   temporal-dev/start-dev.sh [DATA_DIR] [extra `temporal server start-dev` flags...]
# SQLite persistence in DATA_DIR/temporal.db (workflows survive restarts), frontend on
# 127.0.0.1:7233, Web UI on http://127.0.0.1:8233, and the custom search attributes the
# workflows use (listed in temporal-dev/search-attributes).
# Environment: TEMPORAL_IP, TEMPORAL_PORT, TEMPORAL_UI_PORT, TEMPORAL_DB (empty = in memory),
# TEMPORAL_NAMESPACE.
# The CLI's dev server reads its search-attribute metadata from the database on every lookup
# (system.forceSearchAttributesCacheRefreshOnRead, its default, so that attributes added at run
# time show at once). Not needed here: the attributes are set with the namespace, before the
# services start, and with SQL visibility adding one later changes the namespace's aliases, not
# that metadata. Off, Temporal spent 1-9 ms less CPU per upload in four paired runs
# (docs/benchmarks.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data_dir=${1:-${LIBRARIAN_DATA_DIR:-./librarian-data}}
[ $# -gt 0 ] && shift

bin=$("$here/temporal-cli.sh")
mkdir -p "$data_dir"
db=${TEMPORAL_DB-$data_dir/temporal.db}

args=(server start-dev
  --ip "${TEMPORAL_IP:-127.0.0.1}"
  --port "${TEMPORAL_PORT:-7233}"
  --ui-port "${TEMPORAL_UI_PORT:-8233}"
  --namespace "${TEMPORAL_NAMESPACE:-default}"
  --log-level warn
  --dynamic-config-value frontend.enableUpdateWorkflowExecution=true
  --dynamic-config-value frontend.enableUpdateWorkflowExecutionAsyncAccepted=true
  --dynamic-config-value system.forceSearchAttributesCacheRefreshOnRead=false)
# WAL: one fsync per commit of Temporal's state instead of the rollback journal's several, as
# durable (synchronous stays FULL). One upload against it: 0.37-0.46 s, against 0.46-0.49 s with
# the default journal (docs/benchmarks.md).
[ -n "$db" ] && args+=(--db-filename "$db" --sqlite-pragma journal_mode=wal)
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  args+=(--search-attribute "$line")
done < "$here/search-attributes"

# exec, so signals reach the server itself and no orphan is left behind.
exec "$bin" "${args[@]}" "$@"
