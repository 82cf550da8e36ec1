#!/usr/bin/env bash
# Run the whole test suite on a fresh database (module installed, no demo data).
# Extra arguments go to pytest, e.g. scripts/run-tests.sh -k prepaid
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
prepare
ensure_chromium
ensure_freeradius

DB="${ISP_TEST_DB:-isp_test}"
say "creating test database $DB"
dropdb --if-exists "$DB"
# payment_demo: the test payment provider the portal tours pay with;
# account_reconcile_oca: the bank reconciliation accountants use with Community;
# account_statement_import_ofx: the bank statement files they import.
odoo -d "$DB" -i isp_prepaid_billing,payment_demo,account_reconcile_oca,account_statement_import_ofx --without-demo=all --stop-after-init \
    --log-level=warn >"$RUN_DIR/install.log" 2>&1 || {
    tail -50 "$RUN_DIR/install.log" >&2
    die "installing isp_prepaid_billing failed (full log: $RUN_DIR/install.log)"
}
cd "$REPO_ROOT"
# --odoo-http: serve HTTP for the portal tests and the browser tours.
"$ODOO_PYTHON" -m pytest --odoo-http --odoo-database="$DB" --odoo-config="$ODOO_CONF" \
    -p no:cacheprovider isp_prepaid_billing/tests "$@"
