# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    isp_currency_id = fields.Many2one(related="company_id.currency_id", string="ISP Currency")
    isp_billing_type = fields.Selection(
        related="company_id.isp_billing_type", readonly=False
    )
    isp_billing_day = fields.Integer(related="company_id.isp_billing_day", readonly=False)
    isp_billing_day_from_creation = fields.Boolean(
        related="company_id.isp_billing_day_from_creation", readonly=False
    )
    isp_payment_due_days = fields.Integer(
        related="company_id.isp_payment_due_days", readonly=False
    )
    isp_blocking_days = fields.Integer(
        related="company_id.isp_blocking_days", readonly=False
    )
    isp_do_not_block = fields.Boolean(related="company_id.isp_do_not_block", readonly=False)
    isp_deactivation_days = fields.Integer(
        related="company_id.isp_deactivation_days", readonly=False
    )
    isp_minimum_balance = fields.Monetary(
        related="company_id.isp_minimum_balance",
        readonly=False,
        currency_field="isp_currency_id",
    )
    isp_credit_mode = fields.Selection(related="company_id.isp_credit_mode", readonly=False)
    isp_credit_limit = fields.Monetary(
        related="company_id.isp_credit_limit",
        readonly=False,
        currency_field="isp_currency_id",
    )
    isp_recurring_months = fields.Integer(
        related="company_id.isp_recurring_months", readonly=False
    )
    isp_prepaid_period_unit = fields.Selection(
        related="company_id.isp_prepaid_period_unit", readonly=False
    )
    isp_prepaid_period_length = fields.Integer(
        related="company_id.isp_prepaid_period_length", readonly=False
    )
    isp_allow_negative_balance_payment = fields.Boolean(
        related="company_id.isp_allow_negative_balance_payment", readonly=False
    )
    isp_invoice_on_charge = fields.Boolean(
        related="company_id.isp_invoice_on_charge", readonly=False
    )
    isp_journal_id = fields.Many2one(related="company_id.isp_journal_id", readonly=False)
    isp_batch_size = fields.Integer(related="company_id.isp_batch_size", readonly=False)

    def action_isp_update_customers(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "isp_prepaid_billing.isp_customer_update_action"
        )
