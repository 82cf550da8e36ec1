#!/usr/bin/env bash
# Regenerate isp_prepaid_billing/i18n/isp_prepaid_billing.pot from a fresh install.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
prepare
DB="${ISP_POT_DB:-isp_pot}"
dropdb --if-exists "$DB"
odoo -d "$DB" -i isp_prepaid_billing --without-demo=all --stop-after-init --log-level=warn
odoo -d "$DB" --modules=isp_prepaid_billing --stop-after-init --log-level=warn \
    --i18n-export="$REPO_ROOT/isp_prepaid_billing/i18n/isp_prepaid_billing.pot"
dropdb "$DB"
say "updated isp_prepaid_billing/i18n/isp_prepaid_billing.pot"
