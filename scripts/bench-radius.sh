#!/usr/bin/env bash
# RADIUS authorize latency at a large subscriber base (not a test).
# Usage: scripts/bench-radius.sh [SUBSCRIBERS] [REQUESTS]   (default 100000 1000)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
prepare
DB="${ISP_BENCH_RADIUS_DB:-isp_bench_radius}"
dropdb --if-exists "$DB"
say "creating benchmark database $DB"
odoo -d "$DB" -i isp_prepaid_billing --without-demo=all --stop-after-init --log-level=warn
"$ODOO_PYTHON" "$REPO_ROOT/benchmarks/bench_radius.py" --config "$ODOO_CONF" --database "$DB" "$@"
