#!/usr/bin/env bash
# Benchmark our billing-day cycle against OCA contract's cron (not a test).
# Usage: scripts/bench.sh [--audit-trail] [N ...]   (default 1000 5000)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
prepare
DB="${ISP_BENCH_DB:-isp_bench}"
dropdb --if-exists "$DB"
say "creating benchmark database $DB"
odoo -d "$DB" -i isp_prepaid_billing --without-demo=all --stop-after-init --log-level=warn
"$ODOO_PYTHON" "$REPO_ROOT/benchmarks/bench_billing.py" --config "$ODOO_CONF" --database "$DB" "$@"
