# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Open receivable items of ISP customers by age, for the cockpit. The open
amounts are the journal items' own residuals, as in the Aged Partner Balance."""

from odoo import fields, models
from odoo.tools import SQL

from .isp_report_period_mixin import CUSTOMER_DEPENDS, LEDGER_DEPENDS

AGES = [
    ("not_due", "Not Due"),
    ("1_30", "1-30 Days"),
    ("31_60", "31-60 Days"),
    ("61_90", "61-90 Days"),
    ("over_90", "Over 90 Days"),
]


class IspReportReceivable(models.Model):
    _name = "isp.report.receivable"
    _description = "ISP receivable by age"
    _auto = False
    _depends = {**LEDGER_DEPENDS, **CUSTOMER_DEPENDS}
    _order = "date_maturity, id"
    _rec_name = "move_id"

    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    age = fields.Selection(AGES, readonly=True, help="Days past the due date, today.")
    amount_residual = fields.Monetary(
        string="Open Amount", readonly=True, currency_field="currency_id"
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT aml.id, aml.move_id, aml.partner_id, aml.company_id,
                   aml.company_currency_id AS currency_id, aml.date,
                   COALESCE(aml.date_maturity, aml.date) AS date_maturity,
                   CASE WHEN COALESCE(aml.date_maturity, aml.date) >= %(today)s::date
                            THEN 'not_due'
                        WHEN %(today)s::date - COALESCE(aml.date_maturity, aml.date) <= 30
                            THEN '1_30'
                        WHEN %(today)s::date - COALESCE(aml.date_maturity, aml.date) <= 60
                            THEN '31_60'
                        WHEN %(today)s::date - COALESCE(aml.date_maturity, aml.date) <= 90
                            THEN '61_90'
                        ELSE 'over_90' END AS age,
                   aml.amount_residual
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN res_partner p ON p.id = aml.partner_id
             WHERE account.account_type = 'asset_receivable'
               AND aml.parent_state = 'posted'
               AND NOT aml.reconciled AND aml.amount_residual != 0
               AND p.isp_billing_enabled AND aml.company_id = p.isp_company_id
            """,
            today=fields.Date.context_today(self),
        )
