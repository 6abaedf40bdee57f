#!/usr/bin/env bash
# Creates (if missing) and migrates Temporal's two PostgreSQL databases with temporal-sql-tool:
# run it before the first start and after every Temporal server upgrade (it applies only the
# schema versions not yet applied). Connection from the same variables as config/production.yaml:
#   TEMPORAL_DB_HOST [127.0.0.1], TEMPORAL_DB_PORT [5432], TEMPORAL_DB_USER [temporal],
#   TEMPORAL_DB_PASSWORD [empty], TEMPORAL_DB [temporal], TEMPORAL_VISIBILITY_DB [temporal_visibility]
# and where the tool and schemas are: TEMPORAL_SERVER_DIR (bin/temporal-sql-tool, schema/), by
# default what temporal-dev/temporal-server.sh provides (built from the Go module proxy).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${TEMPORAL_SERVER_DIR:-$("$here/../../temporal-dev/temporal-server.sh")}
tool="$dir/bin/temporal-sql-tool"
schema="$dir/schema/postgresql/v12"

conn=(--plugin postgres12 --endpoint "${TEMPORAL_DB_HOST:-127.0.0.1}" --port "${TEMPORAL_DB_PORT:-5432}"
  --user "${TEMPORAL_DB_USER:-temporal}")
[ -n "${TEMPORAL_DB_PASSWORD:-}" ] && conn+=(--password "$TEMPORAL_DB_PASSWORD")

for pair in "${TEMPORAL_DB:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}:visibility"; do
  db=${pair%%:*}
  kind=${pair##*:}
  # create-database fails when it exists: that is the normal case after the first run.
  "$tool" "${conn[@]}" --db "$db" create-database >/dev/null 2>&1 || true
  # setup-schema -v 0.0 creates the version table only if absent (an existing schema is kept).
  "$tool" "${conn[@]}" --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 || true
  if ! out=$("$tool" "${conn[@]}" --db "$db" update-schema -d "$schema/$kind/versioned" 2>&1); then
    echo "$out" >&2
    echo "Updating Temporal's $kind schema in database $db failed (above); check the TEMPORAL_DB_* settings and that the user may create tables." >&2
    exit 1
  fi
  echo "Temporal $kind schema up to date in database $db" >&2
done
