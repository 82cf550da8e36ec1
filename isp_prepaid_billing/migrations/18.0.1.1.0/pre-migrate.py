# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The balance and paid-until date of subscribers become stored fields.

The columns are created here, empty, so that the ORM does not compute them for
every partner while it loads the module; post-migrate.py computes them once,
with the fields' own compute methods."""

from odoo.tools.sql import column_exists, create_column


def migrate(cr, version):
    if not version:
        return
    for name, column_type in (("isp_balance", "numeric"), ("isp_paid_until", "date")):
        if not column_exists(cr, "res_partner", name):
            create_column(cr, "res_partner", name, column_type)
