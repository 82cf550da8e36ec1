# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Money of ISP customers month by month, for the cockpit: what was charged
(invoices and charge entries), credited (credit notes), collected (payments and
bank statement lines) and paid back, read from the posted receivable and
prepaid balance lines the customers' balances are made of."""

from odoo import fields, models
from odoo.tools import SQL

from .isp_report_period_mixin import CUSTOMER_DEPENDS, LEDGER_DEPENDS



class IspReportMoney(models.Model):
    _name = "isp.report.money"
    _inherit = "isp.report.period.mixin"
    _description = "ISP money by month"
    _auto = False
    _depends = {**LEDGER_DEPENDS, **CUSTOMER_DEPENDS}
    _order = "date desc, id desc"
    _rec_name = "move_id"

    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    journal_id = fields.Many2one("account.journal", readonly=True)
    date = fields.Date(readonly=True)
    charged = fields.Monetary(readonly=True, currency_field="currency_id")
    credited = fields.Monetary(readonly=True, currency_field="currency_id")
    collected = fields.Monetary(readonly=True, currency_field="currency_id")
    refunded = fields.Monetary(
        string="Paid Back", readonly=True, currency_field="currency_id"
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT aml.id, aml.move_id, aml.partner_id, aml.company_id,
                   aml.company_currency_id AS currency_id, aml.journal_id, aml.date,
                   CASE WHEN paid THEN 0 ELSE aml.debit END AS charged,
                   CASE WHEN paid THEN 0 ELSE aml.credit END AS credited,
                   CASE WHEN paid THEN aml.credit ELSE 0 END AS collected,
                   CASE WHEN paid THEN aml.debit ELSE 0 END AS refunded
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN res_partner p ON p.id = aml.partner_id
              JOIN res_company company ON company.id = aml.company_id
              CROSS JOIN LATERAL (
                    SELECT aml.payment_id IS NOT NULL OR aml.statement_line_id IS NOT NULL
                           AS paid
              ) kind
             WHERE aml.parent_state = 'posted'
               AND (account.account_type = 'asset_receivable'
                    OR aml.account_id = company.isp_prepaid_account_id)
               AND p.isp_billing_enabled AND aml.company_id = p.isp_company_id
            """
        )
