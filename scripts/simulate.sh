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
# Arguments are checked before the database is rebuilt (minutes); the Python
# side checks them again with the rest.
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
        --replay)
            file="${args[i + 1]:-}"
            [ -n "$file" ] || die "--replay needs the reproduction file"
            [ -r "$file" ] || die "cannot read the reproduction $file"
            python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$file" 2>/dev/null \
                || die "$file is not a JSON reproduction written by simulate.sh" ;;
        --seed | --size | --days)
            [[ "${args[i + 1]:-}" =~ ^[0-9]+$ ]] || die "${args[i]} needs a whole number" ;;
    esac
done
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
