#!/usr/bin/env bash
# Screenshots of the running demo (scripts/run-demo.sh) for the README, taken
# with headless Chromium at 1280x800 into docs/screenshots/NAME.png.
#
#   scripts/screenshots.sh                     # the pages below
#   scripts/screenshots.sh "name|login|target" # these pages instead
#
# ISP_DEMO_DB and ISP_DEMO_PORT name the demo database and port, as for
# run-demo.sh; ISP_SCREENSHOTS_DIR another output directory.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

DB="${ISP_DEMO_DB:-isp_demo}"
PORT="${ISP_DEMO_PORT:-8069}"
OUT="${ISP_SCREENSHOTS_DIR:-$REPO_ROOT/docs/screenshots}"

# One page a line: NAME|LOGIN[:PASSWORD]|TARGET[|SELECTOR], where TARGET is a
# URL path, action:<xmlid>, menu:<xmlid> or record:<action xmlid>:<record xmlid>,
# and SELECTOR (CSS) is scrolled to the top first. A page whose action or record
# does not exist yet is skipped with a message.
PAGES=(
    "subscribers|admin|menu:isp_prepaid_billing.res_partner_menu_isp"
    "subscriber-form|admin|record:isp_prepaid_billing.res_partner_action_isp:isp_prepaid_billing.partner_carla_demo|.o_notebook"
    "portal|ana|/my/isp"
    "portal-blocked|gita|/my/isp"
    # The ISP cockpit: wait for its figures, drawn once the dashboard has loaded.
    "cockpit|admin|${ISP_COCKPIT:-action:isp_prepaid_billing.isp_cockpit_action}|.o-figure"
)
[ "$#" -gt 0 ] && PAGES=("$@")

ensure_chromium
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/web/login?db=$DB" \
    || die "no Odoo on http://127.0.0.1:$PORT: start the demo first (ISP_DEMO_DB=$DB ISP_DEMO_PORT=$PORT scripts/run-demo.sh)"
# Any Python with websocket-client will do; the one with Odoo has it.
"${ODOO_PYTHON:-python3}" "$REPO_ROOT/scripts/screenshots.py" --url "http://127.0.0.1:$PORT" --db "$DB" \
    --out "$OUT" "${PAGES[@]}"
