# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Give every existing partner its stored balance and paid-until date."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._isp_recompute_balances()
