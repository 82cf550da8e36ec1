# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""ISP customers as they stand today, for the cockpit: status, plan and the
balance read from the ledger (receivable and prepaid balance accounts), the
same lines ``res.partner.isp_balance`` sums."""

from odoo import fields, models
from odoo.tools import SQL

from .isp_report_period_mixin import CUSTOMER_DEPENDS, LEDGER_DEPENDS, SUBSCRIPTION_DEPENDS
from .res_partner import ISP_STATUSES


class IspReportSubscriber(models.Model):
    _name = "isp.report.subscriber"
    _description = "ISP subscribers today"
    _auto = False
    _depends = {**LEDGER_DEPENDS, **CUSTOMER_DEPENDS, **SUBSCRIPTION_DEPENDS}
    _order = "partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    status = fields.Selection(ISP_STATUSES, readonly=True)
    billing_type = fields.Selection(
        selection=lambda self: self.env["res.partner"]._fields["isp_billing_type"].selection,
        readonly=True,
    )
    product_id = fields.Many2one("product.product", string="Plan", readonly=True)
    subscriber_count = fields.Integer(string="Subscribers", readonly=True)
    balance = fields.Monetary(
        readonly=True,
        currency_field="currency_id",
        help="Posted receivable and prepaid balance lines, sign flipped: positive "
        "is money held for the customer.",
    )
    debt = fields.Monetary(readonly=True, currency_field="currency_id")
    held = fields.Monetary(
        string="Prepaid Balance Held", readonly=True, currency_field="currency_id"
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT p.id, p.id AS partner_id, p.isp_company_id AS company_id,
                   company.currency_id, p.isp_status AS status,
                   p.isp_billing_type AS billing_type, plan.product_id,
                   1 AS subscriber_count,
                   COALESCE(money.balance, 0) AS balance,
                   GREATEST(-COALESCE(money.balance, 0), 0) AS debt,
                   GREATEST(COALESCE(money.balance, 0), 0) AS held
              FROM res_partner p
              JOIN res_company company ON company.id = p.isp_company_id
              LEFT JOIN LATERAL (
                    SELECT -SUM(aml.balance) AS balance
                      FROM account_move_line aml
                      JOIN account_account account ON account.id = aml.account_id
                     WHERE aml.partner_id = p.id
                       AND aml.company_id = p.isp_company_id
                       AND aml.parent_state = 'posted'
                       AND (account.account_type = 'asset_receivable'
                            OR aml.account_id = company.isp_prepaid_account_id)
              ) money ON true
              LEFT JOIN LATERAL (
                    SELECT l.product_id
                      FROM contract_contract c
                      JOIN res_partner cp ON cp.id = c.partner_id
                      JOIN contract_line l ON l.contract_id = c.id
                       AND l.display_type IS NULL AND NOT COALESCE(l.is_canceled, false)
                       AND (l.isp_service_to IS NULL OR l.isp_service_to >= %(today)s::date)
                       AND (l.isp_service_from IS NULL OR l.isp_service_from <= %(today)s::date)
                     WHERE cp.commercial_partner_id = p.id AND c.isp_managed AND c.active
                     ORDER BY c.isp_cancel_date IS NOT NULL, c.id DESC, l.sequence, l.id
                     LIMIT 1
              ) plan ON true
             WHERE p.isp_billing_enabled AND p.active AND p.id = p.commercial_partner_id
            """,
            today=fields.Date.context_today(self),
        )
