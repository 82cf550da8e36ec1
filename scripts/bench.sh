#!/usr/bin/env bash
# Benchmark our billing-day cycle against OCA contract's cron (not a test).
# Usage: scripts/bench.sh [--audit-trail] [N ...]   (default 1000 5000)
#        scripts/bench.sh --realistic [--workers 1 2] [--max-minutes M] [--profile] N ...
#        (a realistic billing day on queue_job with 1 and 2 job workers, see
#        benchmarks/bench_jobs.py; databases ${ISP_BENCH_DB}_real_N*, port
#        ISP_BENCH_PORT, default 18369)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
prepare
if [ "${1:-}" = "--realistic" ]; then
    shift
    exec "$ODOO_PYTHON" "$REPO_ROOT/benchmarks/bench_jobs.py" --config "$ODOO_CONF" \
        --prefix "${ISP_BENCH_DB:-isp_bench}_real" --port "${ISP_BENCH_PORT:-18369}" "$@"
fi
DB="${ISP_BENCH_DB:-isp_bench}"
dropdb --if-exists "$DB"
say "creating benchmark database $DB"
odoo -d "$DB" -i isp_prepaid_billing --without-demo=all --stop-after-init --log-level=warn
"$ODOO_PYTHON" "$REPO_ROOT/benchmarks/bench_billing.py" --config "$ODOO_CONF" --database "$DB" "$@"
