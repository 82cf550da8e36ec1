# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import client_address
from ..tools.staff import check_staff


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    isp_currency_id = fields.Many2one(
        related="company_id.currency_id", string="ISP Currency"
    )
    isp_billing_type = fields.Selection(
        related="company_id.isp_billing_type", readonly=False
    )
    isp_billing_day = fields.Integer(
        related="company_id.isp_billing_day", readonly=False
    )
    isp_billing_day_from_creation = fields.Boolean(
        related="company_id.isp_billing_day_from_creation", readonly=False
    )
    isp_payment_due_days = fields.Integer(
        related="company_id.isp_payment_due_days", readonly=False
    )
    isp_blocking_days = fields.Integer(
        related="company_id.isp_blocking_days", readonly=False
    )
    isp_do_not_block = fields.Boolean(
        related="company_id.isp_do_not_block", readonly=False
    )
    isp_deactivation_days = fields.Integer(
        related="company_id.isp_deactivation_days", readonly=False
    )
    isp_cutoff_working_days = fields.Boolean(
        related="company_id.isp_cutoff_working_days", readonly=False
    )
    isp_cutoff_hour = fields.Integer(
        related="company_id.isp_cutoff_hour", readonly=False
    )
    isp_minimum_balance = fields.Monetary(
        related="company_id.isp_minimum_balance",
        readonly=False,
        currency_field="isp_currency_id",
    )
    isp_credit_mode = fields.Selection(
        related="company_id.isp_credit_mode", readonly=False
    )
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
    isp_journal_id = fields.Many2one(
        related="company_id.isp_journal_id", readonly=False
    )
    isp_batch_size = fields.Integer(related="company_id.isp_batch_size", readonly=False)

    isp_receipt_number_format = fields.Char(
        related="company_id.isp_receipt_number_format", readonly=False
    )
    isp_proforma_number_format = fields.Char(
        related="company_id.isp_proforma_number_format", readonly=False
    )
    isp_proforma_enabled = fields.Boolean(
        related="company_id.isp_proforma_enabled", readonly=False
    )
    isp_refund_unused = fields.Boolean(
        related="company_id.isp_refund_unused", readonly=False
    )
    isp_portal_plan_ids = fields.Many2many(
        related="company_id.isp_portal_plan_ids", readonly=False
    )
    isp_tax_invoice_on_payment = fields.Boolean(
        related="company_id.isp_tax_invoice_on_payment", readonly=False
    )
    isp_proforma_day = fields.Integer(
        related="company_id.isp_proforma_day", readonly=False
    )
    isp_proforma_months = fields.Integer(
        related="company_id.isp_proforma_months", readonly=False
    )
    isp_proforma_for = fields.Selection(
        related="company_id.isp_proforma_for", readonly=False
    )
    isp_payment_instructions = fields.Text(
        related="company_id.isp_payment_instructions", readonly=False
    )
    isp_invoice_after_payment = fields.Boolean(
        related="company_id.isp_invoice_after_payment", readonly=False
    )
    isp_invoice_after_payment_text = fields.Char(
        related="company_id.isp_invoice_after_payment_text", readonly=False
    )
    isp_invoice_after_payment_tax_id = fields.Many2one(
        related="company_id.isp_invoice_after_payment_tax_id", readonly=False
    )
    isp_consumption_invoice = fields.Boolean(
        related="company_id.isp_consumption_invoice", readonly=False
    )
    isp_consumption_account_id = fields.Many2one(
        related="company_id.isp_consumption_account_id", readonly=False
    )
    isp_prepaid_account_id = fields.Many2one(
        related="company_id.isp_prepaid_account_id", readonly=False
    )
    isp_auto_associate_payments = fields.Boolean(
        related="company_id.isp_auto_associate_payments", readonly=False
    )
    isp_force_invoice_one_time = fields.Boolean(
        related="company_id.isp_force_invoice_one_time", readonly=False
    )
    isp_late_fee_type = fields.Selection(
        related="company_id.isp_late_fee_type", readonly=False
    )
    isp_late_fee_amount = fields.Monetary(
        related="company_id.isp_late_fee_amount",
        readonly=False,
        currency_field="isp_currency_id",
    )
    isp_late_fee_percent = fields.Float(
        related="company_id.isp_late_fee_percent", readonly=False
    )
    isp_late_fee_product_id = fields.Many2one(
        related="company_id.isp_late_fee_product_id", readonly=False
    )
    isp_reconnection_fee = fields.Monetary(
        related="company_id.isp_reconnection_fee",
        readonly=False,
        currency_field="isp_currency_id",
    )
    isp_reconnection_product_id = fields.Many2one(
        related="company_id.isp_reconnection_product_id", readonly=False
    )
    isp_topup_minimum = fields.Monetary(
        related="company_id.isp_topup_minimum",
        currency_field="isp_currency_id",
        readonly=False,
    )
    isp_topup_maximum = fields.Monetary(
        related="company_id.isp_topup_maximum",
        currency_field="isp_currency_id",
        readonly=False,
    )
    isp_topup_amounts = fields.Char(
        related="company_id.isp_topup_amounts", readonly=False
    )
    isp_refill_journal_id = fields.Many2one(
        related="company_id.isp_refill_journal_id", readonly=False
    )
    isp_refill_max_failures = fields.Integer(
        related="company_id.isp_refill_max_failures", readonly=False
    )
    isp_refill_max_failures_address = fields.Integer(
        related="company_id.isp_refill_max_failures_address", readonly=False
    )
    isp_payment_link_lifetime = fields.Integer(
        related="company_id.isp_payment_link_lifetime", readonly=False
    )
    isp_payment_link_max_requests = fields.Integer(
        related="company_id.isp_payment_link_max_requests", readonly=False
    )
    isp_payment_link_max_requests_address = fields.Integer(
        related="company_id.isp_payment_link_max_requests_address", readonly=False
    )
    isp_throttle_profile_id = fields.Many2one(
        related="company_id.isp_throttle_profile_id", readonly=False
    )
    isp_throttle_days = fields.Integer(
        related="company_id.isp_throttle_days", readonly=False
    )
    isp_promise_days = fields.Integer(
        related="company_id.isp_promise_days", readonly=False
    )
    isp_promise_gap_days = fields.Integer(
        related="company_id.isp_promise_gap_days", readonly=False
    )
    isp_radius_api_user = fields.Char(
        related="company_id.isp_radius_api_user", readonly=False
    )
    isp_radius_api_key = fields.Char(
        related="company_id.isp_radius_api_key", readonly=False
    )
    isp_radius_blocked_mode = fields.Selection(
        related="company_id.isp_radius_blocked_mode", readonly=False
    )
    isp_radius_suspended_pool = fields.Char(
        related="company_id.isp_radius_suspended_pool", readonly=False
    )
    isp_radius_blocked_list = fields.Char(
        related="company_id.isp_radius_blocked_list", readonly=False
    )
    isp_notify_invoice = fields.Boolean(
        related="company_id.isp_notify_invoice", readonly=False
    )
    isp_notify_proforma = fields.Boolean(
        related="company_id.isp_notify_proforma", readonly=False
    )
    isp_notify_payment = fields.Boolean(
        related="company_id.isp_notify_payment", readonly=False
    )
    isp_notify_reminder = fields.Boolean(
        related="company_id.isp_notify_reminder", readonly=False
    )
    isp_notify_overdue = fields.Boolean(
        related="company_id.isp_notify_overdue", readonly=False
    )
    isp_notify_low_balance = fields.Boolean(
        related="company_id.isp_notify_low_balance", readonly=False
    )
    isp_notify_blocked = fields.Boolean(
        related="company_id.isp_notify_blocked", readonly=False
    )
    isp_notify_deactivated = fields.Boolean(
        related="company_id.isp_notify_deactivated", readonly=False
    )
    isp_notify_reactivated = fields.Boolean(
        related="company_id.isp_notify_reactivated", readonly=False
    )
    isp_reminder_days = fields.Integer(
        related="company_id.isp_reminder_days", readonly=False
    )
    isp_low_balance_days = fields.Integer(
        related="company_id.isp_low_balance_days", readonly=False
    )
    isp_invoice_number_format = fields.Char(
        related="company_id.isp_journal_id.isp_number_format", readonly=False
    )

    isp_trusted_proxies = fields.Char(
        string="Trusted Proxies",
        config_parameter=client_address.TRUSTED_PROXIES_PARAM,
        help="Reverse proxies (addresses or networks, comma separated) whose "
        "X-Forwarded-For is believed in proxy mode, for the suspended page and the "
        "refill card limit. Empty: every visitor is known by their connection's address.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # Related fields are written to the company one by one, in the order of
        # the values; throttle days are refused without their profile, so the
        # profile goes first.
        vals_list = [
            dict(sorted(vals.items(), key=lambda item: item[0] != "isp_throttle_profile_id"))
            for vals in vals_list
        ]
        return super().create(vals_list)

    @api.constrains("isp_trusted_proxies")
    def _check_isp_trusted_proxies(self):
        for settings in self:
            try:
                client_address.parse_networks(settings.isp_trusted_proxies)
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "Trusted proxies: %(entry)s is not an IP address or network.",
                        entry=error.args[0],
                    )
                ) from None

    def action_isp_update_customers(self):
        check_staff(self.env, manager=True)
        return self.env["ir.actions.act_window"]._for_xml_id(
            "isp_prepaid_billing.isp_customer_update_action"
        )
