#!/bin/sh
# Runs once, when the PostgreSQL volume is empty (docker-entrypoint-initdb.d): a role for Temporal
# (temporal-sql-tool creates its two databases) and a role and database for the Librarian's catalog.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_pw="$TEMPORAL_DB_PASSWORD" -v librarian_pw="$LIBRARIAN_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_pw';
CREATE ROLE librarian LOGIN PASSWORD :'librarian_pw';
CREATE DATABASE librarian OWNER librarian;
SQL
