#!/usr/bin/env bash
# RADIUS at a large subscriber base (not a test).
# Usage: scripts/bench-radius.sh [SUBSCRIBERS] [REQUESTS]   (default 100000 1000)
#          authorize latency of /isp/radius/authorize over HTTP, without FreeRADIUS
#        scripts/bench-radius.sh --storm [SUBSCRIBERS] [REQUESTS] [SECONDS] [CLIENTS]
#          (default 100000 5000 60 20; options --billing M --workers W --sessions S
#          --modes sql,rest) a reconnect storm through a real FreeRADIUS in SQL
#          mode then REST mode while a billing day runs, then accounting
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
STORM=
if [ "${1:-}" = "--storm" ]; then
    STORM=1
    shift
fi
prepare
DB="${ISP_BENCH_RADIUS_DB:-isp_bench_radius}"
dropdb --if-exists "$DB"
say "creating benchmark database $DB"
odoo -d "$DB" -i isp_prepaid_billing --without-demo=all --stop-after-init --log-level=warn
if [ -n "$STORM" ]; then
    ensure_freeradius
    "$ODOO_PYTHON" "$REPO_ROOT/benchmarks/bench_radius_storm.py" --config "$ODOO_CONF" \
        --database "$DB" "$@"
else
    "$ODOO_PYTHON" "$REPO_ROOT/benchmarks/bench_radius.py" --config "$ODOO_CONF" --database "$DB" "$@"
fi
