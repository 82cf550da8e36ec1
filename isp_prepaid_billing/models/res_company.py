# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class ResCompany(models.Model):
    _name = "res.company"
    _inherit = ["res.company", "isp.billing.settings.mixin"]

    isp_billing_type = fields.Selection(default="recurring")
    isp_billing_day_from_creation = fields.Boolean(
        string="Use Customer Creation Date as Billing Day",
        help="New customers get the day they were created (at most 28) as billing day.",
    )
    isp_allow_negative_balance_payment = fields.Boolean(
        string="Pay Invoices from Balance Even if Negative",
        help="Settle new invoices from the customer's credit even when the credit "
        "does not cover them (partial payment); otherwise only fully covered "
        "invoices are paid from the balance.",
    )
    isp_invoice_on_charge = fields.Boolean(
        string="Create Invoices on Charge & Invoice",
        default=True,
        help="Prepaid charges post a customer invoice. When off, they post a "
        "journal entry on the customer's receivable instead.",
    )
    isp_journal_id = fields.Many2one(
        "account.journal",
        string="ISP Invoice Journal",
        domain="[('type', '=', 'sale'), ('company_id', '=', id)]",
        help="Sales journal of ISP invoices. Empty: the company's first sales journal.",
    )
    isp_batch_size = fields.Integer(
        string="Billing Batch Size",
        default=200,
        help="Customers processed per committed batch by the billing crons.",
    )

    @api.depends("currency_id")
    def _compute_isp_currency_id(self):
        for company in self:
            company.isp_currency_id = company.currency_id

    def _isp_invoice_journal(self):
        self.ensure_one()
        return self.isp_journal_id or self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(self), ("type", "=", "sale")],
            limit=1,
        )
