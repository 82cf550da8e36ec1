# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

BILLING_TYPES = [
    ("prepaid", "Prepaid (balance)"),
    ("recurring", "Recurring (invoiced in advance)"),
    ("postpaid", "Postpaid (invoiced after use)"),
]
CREDIT_MODES = [
    ("none", "No credit"),
    ("limit", "Credit limit"),
    ("unlimited", "Unlimited post-paid"),
]
PERIOD_UNITS = [("month", "Months"), ("day", "Days")]

# Settings a company gives its new customers and the mass update can push.
ISP_SETTING_FIELDS = (
    "isp_billing_type",
    "isp_billing_day",
    "isp_payment_due_days",
    "isp_blocking_days",
    "isp_do_not_block",
    "isp_deactivation_days",
    "isp_minimum_balance",
    "isp_credit_mode",
    "isp_credit_limit",
    "isp_recurring_months",
    "isp_prepaid_period_unit",
    "isp_prepaid_period_length",
)


class IspBillingSettingsMixin(models.AbstractModel):
    """Billing settings shared by a company (defaults) and a customer (own values)."""

    _name = "isp.billing.settings.mixin"
    _description = "ISP billing settings"

    isp_currency_id = fields.Many2one(
        "res.currency", string="ISP Currency", compute="_compute_isp_currency_id"
    )
    isp_billing_type = fields.Selection(BILLING_TYPES, string="Billing Type")
    isp_billing_day = fields.Integer(
        string="Billing Day",
        default=1,
        help="Day of the month (1-28) on which invoices are issued and cycles start.",
    )
    isp_payment_due_days = fields.Integer(
        string="Payment Due (days)",
        default=15,
        help="Days the customer has to pay, counted from the billing day itself: "
        "billing day 1 and 15 days make the 15th the last day to pay.",
    )
    isp_blocking_days = fields.Integer(
        string="Blocking Period (days)",
        help="Days after the last day to pay before an unpaid customer is blocked.",
    )
    isp_do_not_block = fields.Boolean(
        string="Do Not Block",
        help="Never block (nor deactivate) automatically.",
    )
    isp_deactivation_days = fields.Integer(
        string="Deactivation Period (days)",
        default=10,
        help="Days a customer stays blocked before becoming inactive. 0 = never.",
    )
    isp_minimum_balance = fields.Monetary(
        string="Minimum Balance",
        currency_field="isp_currency_id",
        help="Balance the customer must keep after charges; may be negative.",
    )
    isp_credit_mode = fields.Selection(
        CREDIT_MODES, string="Credit", default="none", required=True
    )
    isp_credit_limit = fields.Monetary(
        string="ISP Credit Limit", currency_field="isp_currency_id"
    )
    isp_recurring_months = fields.Integer(
        string="Recurring Prepay (months)",
        default=1,
        help="How many months a recurring invoice covers (1-12).",
    )
    isp_prepaid_period_unit = fields.Selection(
        PERIOD_UNITS, string="Prepaid Period Unit", default="month", required=True
    )
    isp_prepaid_period_length = fields.Integer(string="Prepaid Period", default=1)

    def _compute_isp_currency_id(self):
        raise NotImplementedError  # each concrete model says which currency applies

    @api.constrains(
        "isp_billing_day",
        "isp_payment_due_days",
        "isp_blocking_days",
        "isp_deactivation_days",
        "isp_recurring_months",
        "isp_prepaid_period_length",
        "isp_prepaid_period_unit",
    )
    def _check_isp_ranges(self):
        for record in self:
            record._isp_check_range("isp_billing_day", 1, 28)
            record._isp_check_range("isp_payment_due_days", 1, 28)
            record._isp_check_range("isp_blocking_days", 0, 99)
            record._isp_check_range("isp_deactivation_days", 0, 99)
            record._isp_check_range("isp_recurring_months", 1, 12)
            upper = 366 if record.isp_prepaid_period_unit == "day" else 12
            record._isp_check_range("isp_prepaid_period_length", 1, upper)

    def _isp_check_range(self, field_name, low, high):
        value = self[field_name]
        if not low <= value <= high:
            raise ValidationError(
                _(
                    "%(field)s must be between %(low)s and %(high)s (got %(value)s).",
                    field=self._fields[field_name].get_description(self.env)["string"],
                    low=low,
                    high=high,
                    value=value,
                )
            )

    @api.constrains("isp_credit_mode", "isp_credit_limit")
    def _check_isp_credit(self):
        for record in self:
            currency = record.isp_currency_id
            if currency.compare_amounts(record.isp_credit_limit, 0) < 0:
                raise ValidationError(_("A credit limit cannot be negative."))
            if record.isp_credit_mode == "unlimited" and not currency.is_zero(
                record.isp_credit_limit
            ):
                raise ValidationError(
                    _(
                        "A credit limit and unlimited post-paid cannot both be set: "
                        "clear the credit limit or choose 'Credit limit'."
                    )
                )
