# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Who may press the back-office buttons of ISP billing."""

from odoo.exceptions import AccessError

STAFF_GROUP = "isp_prepaid_billing.isp_prepaid_billing_group_user"
MANAGER_GROUP = "isp_prepaid_billing.isp_prepaid_billing_group_manager"


def check_staff(env, manager=False):
    """Refuse a staff action (a public method any user can call through RPC)
    to users outside ISP billing staff, or its managers with ``manager``.

    Called first in the action, before it reads or changes anything. Code in
    superuser mode (crons, the portal's own checked paths) passes."""
    if env.su:
        return
    if manager and not env.user.has_group(MANAGER_GROUP):
        raise AccessError(env._("Only ISP billing managers can do this."))
    if not env.user.has_group(STAFF_GROUP):
        raise AccessError(env._("Only ISP billing staff can do this."))
