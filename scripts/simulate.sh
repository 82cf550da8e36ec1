#!/usr/bin/env bash
# Live a month (or a year) of an ISP through the real engine and check the books
# every simulated day (isp_prepaid_billing/tests/simulator). Not a test.
# Usage: scripts/simulate.sh [--seed S] [--size N] [--days D] [--start YYYY-MM-DD] [--keep-going]
#        scripts/simulate.sh --replay file.json
# Runs on its own database ${ISP_SIM_DB:-isp_sim}, created afresh each time.
# On a violation it prints the seed and the day and writes the reproduction
# (the event list, JSON) to ${ISP_SIM_OUT:-.run}/simulation-seed<S>-<day>.json.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
prepare
DB="${ISP_SIM_DB:-isp_sim}"
OUT="${ISP_SIM_OUT:-$RUN_DIR}"
mkdir -p "$OUT"
dropdb --if-exists "$DB"
say "creating simulation database $DB"
odoo -d "$DB" -i isp_prepaid_billing,payment_demo,account_reconcile_oca --without-demo=all \
    --stop-after-init --log-level=warn >"$RUN_DIR/simulate-install.log" 2>&1 || {
    tail -50 "$RUN_DIR/simulate-install.log" >&2
    die "installing isp_prepaid_billing failed (full log: $RUN_DIR/simulate-install.log)"
}
ARGS=()
while [ $# -gt 0 ]; do
    if [ "$1" = "--replay" ]; then ARGS+=(--replay "$(realpath "$2")"); shift 2
    else ARGS+=("$1"); shift; fi
done
cd "$REPO_ROOT"
"$ODOO_PYTHON" - "$ODOO_CONF" "$DB" "$OUT" "${ARGS[@]}" <<'PY'
import logging
import sys

import odoo
from odoo.tools import config

conf, db, out, *args = sys.argv[1:]
config.parse_config(["-c", conf, "--log-level=warn"])
# The simulator lives beside the tests, so importing it imports the test
# framework, which Odoo reports as an error outside test mode.
logging.getLogger("odoo.tests.common").setLevel(logging.CRITICAL)
from odoo.addons.isp_prepaid_billing.tests.simulator import cli

sys.exit(cli.command_line(["--database", db, "--out", out, *args]))
PY
