#!/bin/sh
# Creates (or updates) the runtime login role the Meguri app connects as.
#
# Run by the official postgres image from /docker-entrypoint-initdb.d on the
# first start of an empty volume, as POSTGRES_USER (the owner, meguri_owner).
# Safe to run again by hand; it only creates the role or resets its password:
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-runtime-role.sh
#
# Table privileges are not granted here: `meguri db upgrade` (run as the owner)
# grants the runtime role what it needs, and only SELECT/INSERT on ledger tables.
set -eu

role="${MEGURI_RUNTIME_ROLE:-meguri_app}"
password="${MEGURI_APP_DB_PASSWORD:-}"
if [ -z "$password" ] && [ -n "${MEGURI_APP_DB_PASSWORD_FILE:-}" ]; then
    password="$(cat "$MEGURI_APP_DB_PASSWORD_FILE")"
fi
if [ -z "$password" ]; then
    echo "10-runtime-role.sh: set MEGURI_APP_DB_PASSWORD (the password of role $role)" >&2
    exit 1
fi

# Values go in as psql variables, quoted by format(%I, %L): no SQL injection via
# the password, and nothing is echoed.
psql -v ON_ERROR_STOP=1 -q \
    --username "${POSTGRES_USER:-postgres}" \
    --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" \
    -v role="$role" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'password')
\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'role')
\gexec
SQL

echo "10-runtime-role.sh: runtime role $role is ready"
