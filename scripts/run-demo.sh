#!/usr/bin/env bash
# Create (once) a demo database with realistic subscribers and serve it on
# http://localhost:8069 (login admin / password admin).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
prepare

DB="${ISP_DEMO_DB:-isp_demo}"
PORT="${ISP_DEMO_PORT:-8069}"
if psql -d postgres -tAc "select 1 from pg_database where datname = '$DB'" | grep -q 1; then
    say "updating isp_prepaid_billing in existing database $DB"
    odoo -d "$DB" -i website,payment_demo,account_statement_import_ofx -u isp_prepaid_billing --stop-after-init --log-level=warn
else
    say "creating demo database $DB (a few minutes)"
    # website: the portal inside the site layout; payment_demo: pay online in the demo;
    # account_statement_import_ofx: import bank statements (OFX) to match transfers.
    odoo -d "$DB" -i isp_prepaid_billing,website,payment_demo,account_statement_import_ofx --stop-after-init --log-level=warn
fi
# Subscribers pay online in the demo with Odoo's demo payment provider (test mode).
"$ODOO_PYTHON" -m odoo shell -c "$ODOO_CONF" -d "$DB" --log-level=warn >/dev/null <<'PY'
env["payment.provider"].search([("code", "=", "demo")]).write({"state": "test", "is_published": True})
env.cr.commit()
PY
say "portal subscribers: ana/ana, farid/farid, gita/gita (http://localhost:$PORT/my/isp)"
say "serving $DB on http://localhost:$PORT (login: admin, password: admin)"
exec "$ODOO_PYTHON" -m odoo -c "$ODOO_CONF" -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$PORT"
