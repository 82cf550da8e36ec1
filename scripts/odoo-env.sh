#!/usr/bin/env bash
# Find or build the Python with Odoo 18.0 and requirements.txt (README, Prerequisites) and
# print its path: for a production node, or to run Odoo by hand.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
ensure_odoo
check_odoo
ensure_requirements
command -v "$ODOO_PYTHON"
