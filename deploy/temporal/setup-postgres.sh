#!/bin/sh
# Creates (first start) or migrates (later starts, newer images) Temporal's two PostgreSQL schemas. Safe to re-run.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
PORT="${DB_PORT:-5432}"

until nc -z -w 5 "$POSTGRES_SEEDS" "$PORT"; do echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$PORT"; sleep 2; done

for database in temporal temporal_visibility; do
  case "$database" in temporal) schema=temporal ;; *) schema=visibility ;; esac
  sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" --db "$database" "$@"; }
  # `create` fails when the database exists, which is the normal case after the first start.
  sql create || echo "database $database already exists"
  sql setup-schema -v 0.0
  sql update-schema -d "/etc/temporal/schema/postgresql/v12/$schema/versioned"
done
echo "Temporal schemas are up to date"
