#!/usr/bin/env bash
# Create (or update) the PostgreSQL role FreeRADIUS uses in SQL mode: it reads
# the radius views of DATABASE and writes radius.radacct, nothing else.
# Usage: scripts/radius-sql-role.sh DATABASE [ROLE]   (password from $RADIUS_DB_PASSWORD,
#        or a random one, printed once). Default ROLE: DATABASE_radius.
# Connects with psql's usual settings (PGHOST, PGPORT, PGUSER...) as a superuser.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DATABASE [ROLE]" >&2; exit 2; }
DB="$1"
ROLE="${2:-${DB}_radius}"
PASSWORD="${RADIUS_DB_PASSWORD:-}"
if [ -z "$PASSWORD" ]; then
    PASSWORD="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
    echo "password of $ROLE: $PASSWORD" >&2
fi
psql -q -X -d "$DB" -v role="$ROLE" -v password="$PASSWORD" \
    -f "$(dirname "$0")/../isp_prepaid_billing/data/radius_sql_role.sql"
echo "role $ROLE may read the radius views of $DB and write radius.radacct" >&2
