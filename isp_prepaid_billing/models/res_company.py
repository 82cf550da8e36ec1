# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import re
from datetime import datetime, time

import pytz

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from ..tools import number_formats

# Written into the RouterOS script of the address-list endpoint and sent to
# routers as Mikrotik-Address-List: plain names only.
ADDRESS_LIST_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")

NOTIFICATION_EVENTS = [
    ("invoice", "Invoice issued"),
    ("proforma", "Proforma issued"),
    ("payment", "Payment received"),
    ("reminder", "Payment reminder"),
    ("overdue", "Invoice overdue"),
    ("low_balance", "Prepaid balance low"),
    ("blocked", "Service blocked"),
    ("deactivated", "Service deactivated"),
    ("reactivated", "Service reactivated"),
]


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

    # Numbering
    isp_receipt_number_format = fields.Char(
        string="Receipt Number Format",
        default="{year}-{type|2}-{next|5}",
        required=True,
        help="{type} is the code of the payment's journal (cash, bank, card...).",
    )
    isp_proforma_number_format = fields.Char(
        string="Proforma Number Format", default="{year}{next|6}", required=True
    )
    # Proforma invoices
    isp_proforma_enabled = fields.Boolean(string="Automatic Proforma Invoices")
    isp_tax_invoice_on_payment = fields.Boolean(
        string="Tax Invoice on Payment",
        help="Seed 004: on the billing day, a recurring or postpaid customer whose "
        "balance does not cover the period gets a proforma instead of a tax invoice; "
        "the tax invoice is issued when the money arrives, so no VAT is due for "
        "customers who never pay. Blocking follows the proforma's due date.",
    )
    # Service changes
    isp_refund_unused = fields.Boolean(
        string="Refund Unused Days",
        default=True,
        help="A service cancelled or paused inside a period already charged gets "
        "its unused days back on the balance, by a credit note.",
    )
    isp_portal_plan_ids = fields.Many2many(
        "product.product",
        "isp_company_portal_plan_rel",
        "company_id",
        "product_id",
        string="Plans Subscribers May Choose",
        help="Plans subscribers can switch to themselves in the portal.",
    )
    isp_proforma_day = fields.Integer(
        string="Proforma Generation Day",
        default=20,
        help="Day of the month (1-28) on which proformas are created and sent.",
    )
    isp_proforma_months = fields.Integer(
        string="Proforma Period (months)",
        default=1,
        help="Months a proforma covers (1-12).",
    )
    isp_proforma_for = fields.Selection(
        [("current", "Current month"), ("next", "Next month")],
        string="Create Proformas For",
        default="next",
        required=True,
    )
    isp_payment_instructions = fields.Text(
        string="Payment Instructions",
        translate=True,
        help="Printed on proformas and invoices: how to pay (bank account, reference).",
    )
    # Prepaid invoicing options
    isp_invoice_after_payment = fields.Boolean(
        string="Issue Invoice After Payment",
        help="Prepaid customers: every payment immediately produces a tax invoice for "
        "its full amount; period charges then only use the balance.",
    )
    isp_invoice_after_payment_text = fields.Char(
        string="Invoice Item Text",
        default="Prepayment for Internet service",
        translate=True,
    )
    isp_invoice_after_payment_tax_id = fields.Many2one(
        "account.tax",
        string="Invoice Tax",
        domain="[('type_tax_use', '=', 'sale'), ('company_id', '=', id)]",
        help="Tax included in the payment's amount.",
    )
    isp_prepaid_account_id = fields.Many2one(
        "account.account",
        string="Prepaid Balances Account",
        help="Liability account that holds invoiced prepayments until service "
        "charges use them (Issue Invoice After Payment).",
    )
    isp_consumption_invoice = fields.Boolean(
        string="Monthly Invoice of Consumed Services",
        help="Prepaid charges are entries against the balance during the month; on "
        "the first day of the next month one tax invoice lists the services "
        "consumed, paid from what the charges took from the balance.",
    )
    isp_consumption_account_id = fields.Many2one(
        "account.account",
        string="Consumed Services Account",
        help="Reconcilable liability account where prepaid charges wait, taxes "
        "included, until the monthly invoice of consumed services.",
    )
    isp_auto_associate_payments = fields.Boolean(
        string="Auto Associate Payments to Invoices",
        default=True,
        help="A payment equal to an open invoice's total pays that invoice; any other "
        "amount goes to the balance and pays invoices from there, oldest first.",
    )
    # One-time charges and fees
    isp_force_invoice_one_time = fields.Boolean(
        string="Force Invoice One-time Charges",
        help="One-time charges to invoice are invoiced the moment they are added, "
        "instead of on the customer's next billing-day invoice.",
    )
    # Humane cut-offs
    isp_cutoff_working_days = fields.Boolean(
        string="Cut-offs on Working Days Only",
        help="No automatic block or deactivation on a weekend or a public holiday "
        "of the company's working schedule (its global time off): the cut-off "
        "moves to the next working day. Customers may override it.",
    )
    isp_cutoff_hour = fields.Integer(
        string="Cut-off Hour",
        default=0,
        help="Local hour (0-23, in the timezone of the company's working "
        "schedule) from which the day's automatic blocks and deactivations "
        "happen. 0: from midnight.",
    )
    isp_late_fee_type = fields.Selection(
        [
            ("none", "No late fee"),
            ("fixed", "Fixed amount"),
            ("percent", "Percentage of the overdue invoice"),
        ],
        string="Late Fee",
        default="none",
        required=True,
        help="Added once per overdue invoice, on the day its customer is blocked for it.",
    )
    isp_late_fee_amount = fields.Monetary(
        string="Late Fee Amount", currency_field="isp_currency_id"
    )
    isp_late_fee_percent = fields.Float(
        string="Late Fee (%)", help="Percentage of the overdue invoice's total."
    )
    isp_late_fee_product_id = fields.Many2one(
        "product.product",
        string="Late Fee Product",
        domain=[("sale_ok", "=", True)],
        help="Its taxes and income account apply to the late fee.",
    )
    isp_reconnection_fee = fields.Monetary(
        string="Reconnection Fee",
        currency_field="isp_currency_id",
        help="Charged from the balance when a blocked customer is reactivated. "
        "Zero: no fee.",
    )
    isp_reconnection_product_id = fields.Many2one(
        "product.product",
        string="Reconnection Fee Product",
        domain=[("sale_ok", "=", True)],
    )
    # Customer portal
    isp_topup_minimum = fields.Monetary(
        string="Minimum Online Top-up",
        currency_field="isp_currency_id",
        default=5.0,
        help="Smallest amount a subscriber may top up online.",
    )
    isp_topup_maximum = fields.Monetary(
        string="Maximum Online Top-up",
        currency_field="isp_currency_id",
        default=10000.0,
        help="Largest amount a subscriber may top up online at once.",
    )
    isp_topup_amounts = fields.Char(
        string="Suggested Top-up Amounts",
        default="10, 20, 50, 100",
        help="Amounts offered as one-click choices on the top-up page, comma separated.",
    )
    isp_refill_journal_id = fields.Many2one(
        "account.journal",
        string="Refill Card Journal",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
        help="Journal of the payments made by redeeming refill cards. Empty: the "
        "company's first cash journal.",
    )
    isp_refill_max_failures = fields.Integer(
        string="Wrong Refill Codes Allowed",
        default=5,
        help="Wrong refill card codes a user may enter in 15 minutes before their "
        "further attempts are refused.",
    )
    isp_refill_max_failures_address = fields.Integer(
        string="Wrong Refill Codes per Address",
        default=50,
        help="Wrong refill card codes all users of one address may enter in 15 "
        "minutes. Many subscribers can share an address (carrier-grade NAT): keep it "
        "well above the limit per user, e.g. 10 times.",
    )
    isp_payment_link_lifetime = fields.Integer(
        string="Payment Link Lifetime (minutes)",
        default=60,
        help="How long a payment link sent from the suspended page can be used.",
    )
    isp_payment_link_max_requests = fields.Integer(
        string="Payment Links per Subscriber",
        default=3,
        help="Payment links one subscriber may request from the suspended page in an "
        "hour.",
    )
    isp_payment_link_max_requests_address = fields.Integer(
        string="Payment Links per Address",
        default=10,
        help="Payment links all subscribers behind one address may request in an hour.",
    )
    # Network (RADIUS)
    isp_radius_api_user = fields.Char(
        string="RADIUS API User",
        groups="base.group_system",
        help="HTTP user FreeRADIUS (rlm_rest) logs in with; unique across companies.",
    )
    isp_radius_api_key = fields.Char(
        string="RADIUS API Key", groups="base.group_system", copy=False
    )
    isp_radius_blocked_mode = fields.Selection(
        [("pool", "Accept into the suspended pool"), ("reject", "Reject")],
        string="Blocked Subscribers",
        default="pool",
        required=True,
        help="Suspended pool: blocked subscribers connect, get an address from the "
        "suspended pool and reach only the walled garden. Reject: they cannot connect.",
    )
    isp_radius_suspended_pool = fields.Char(
        string="Suspended Pool", default="suspended"
    )
    isp_radius_blocked_list = fields.Char(
        string="Blocked Address List",
        default="blocked",
        help="Router address list of blocked subscribers: letters, digits, '-', '_' "
        "and '.', at most 64 characters.",
    )
    # Grace before cut-off
    isp_throttle_days = fields.Integer(
        string="Throttle Before Blocking (days)",
        help="Days a customer who would be blocked keeps a throttled connection "
        "(the throttle profile) before the block. 0 = block at once.",
    )
    isp_throttle_profile_id = fields.Many2one(
        "isp.network.profile",
        string="Throttle Profile",
        domain="[('company_id', '=', id)]",
        help="Network profile of throttled customers, e.g. a low rate limit.",
    )
    isp_promise_days = fields.Integer(
        string="Promise to Pay (days)",
        help="Days a blocked customer may reconnect on a promise to pay. 0 = no "
        "promises from the portal.",
    )
    isp_promise_gap_days = fields.Integer(
        string="Days Between Promises",
        default=30,
        help="A customer may promise again only this many days after the last "
        "promise began.",
    )
    # Notifications
    isp_notify_invoice = fields.Boolean(string="Notify: Invoice Issued", default=True)
    isp_notify_proforma = fields.Boolean(string="Notify: Proforma Issued", default=True)
    isp_notify_payment = fields.Boolean(string="Notify: Payment Received", default=True)
    isp_notify_reminder = fields.Boolean(
        string="Notify: Payment Reminder", default=True
    )
    isp_notify_overdue = fields.Boolean(string="Notify: Invoice Overdue", default=True)
    isp_notify_low_balance = fields.Boolean(
        string="Notify: Prepaid Balance Low", default=True
    )
    isp_notify_blocked = fields.Boolean(string="Notify: Service Blocked", default=True)
    isp_notify_deactivated = fields.Boolean(
        string="Notify: Service Deactivated", default=True
    )
    isp_notify_reactivated = fields.Boolean(
        string="Notify: Service Reactivated", default=True
    )
    isp_reminder_days = fields.Integer(
        string="Reminder Days Before Due",
        default=3,
        help="Send the reminder this many days before the due date.",
    )
    isp_low_balance_days = fields.Integer(
        string="Low Balance Warning Days",
        default=3,
        help="Warn prepaid customers this many days before their paid period ends "
        "when the balance will not cover the next one.",
    )

    @api.constrains("isp_receipt_number_format", "isp_proforma_number_format")
    def _check_isp_number_formats(self):
        for company in self:
            for template in (
                company.isp_receipt_number_format,
                company.isp_proforma_number_format,
            ):
                try:
                    number_formats.parse(template)
                except number_formats.NumberFormatError as error:
                    raise ValidationError(str(error)) from error

    @api.constrains("isp_cutoff_hour")
    def _check_isp_cutoff_hour(self):
        for company in self:
            company._isp_check_range("isp_cutoff_hour", 0, 23)

    def _isp_cutoff_tz(self):
        """The timezone of the cut-off hour: the working schedule's, else the
        company's address's, else UTC."""
        self.ensure_one()
        return pytz.timezone(
            self.resource_calendar_id.tz or self.partner_id.tz or "UTC"
        )

    def _isp_local_now(self):
        self.ensure_one()
        return pytz.utc.localize(fields.Datetime.now()).astimezone(self._isp_cutoff_tz())

    def _isp_before_cutoff_hour(self, date):
        """Whether ``date`` is the company's today and its cut-off hour has not
        come yet. Any other day (past, or a preview) counts as after the hour."""
        self.ensure_one()
        now = self._isp_local_now()
        return bool(self.isp_cutoff_hour) and now.date() == date and (
            now.hour < self.isp_cutoff_hour
        )

    def _isp_day_off_reason(self, date):
        """Why ``date`` is no working day of the company's working schedule
        ("" when it is one): a weekend, or a public holiday (global time off)."""
        self.ensure_one()
        calendar = self.resource_calendar_id
        holiday = self._isp_public_holiday(date)
        if holiday:
            return self.env._(
                "no cut-offs on public holidays (%(holiday)s)",
                holiday=holiday.name or format_date(self.env, date),
            )
        working = (
            calendar._works_on_date(date)
            if calendar.attendance_ids
            else date.weekday() < 5
        )
        if not working:
            return self.env._("no cut-offs on weekends")
        return ""

    def _isp_public_holiday(self, date):
        """The company's global time off covering ``date`` (local day of the
        working schedule), on its own schedule or company-wide; never another
        company's."""
        self.ensure_one()
        calendar = self.resource_calendar_id
        tz = self._isp_cutoff_tz()
        start = tz.localize(datetime.combine(date, time.min)).astimezone(pytz.utc)
        end = tz.localize(datetime.combine(date, time.max)).astimezone(pytz.utc)
        return (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search(
                [
                    ("resource_id", "=", False),
                    ("time_type", "=", "leave"),
                    ("company_id", "=", self.id),
                    ("calendar_id", "in", [False, calendar.id]),
                    ("date_from", "<=", end.replace(tzinfo=None)),
                    ("date_to", ">=", start.replace(tzinfo=None)),
                ],
                limit=1,
            )
        )

    @api.constrains(
        "isp_throttle_days",
        "isp_throttle_profile_id",
        "isp_promise_days",
        "isp_promise_gap_days",
    )
    def _check_isp_grace(self):
        for company in self:
            company._isp_check_range("isp_throttle_days", 0, 60)
            company._isp_check_range("isp_promise_days", 0, 60)
            company._isp_check_range("isp_promise_gap_days", 0, 365)
            if company.isp_throttle_days and not company.isp_throttle_profile_id:
                raise ValidationError(
                    self.env._("Choose the network profile of throttled customers.")
                )

    @api.constrains(
        "isp_proforma_day",
        "isp_proforma_months",
        "isp_reminder_days",
        "isp_low_balance_days",
    )
    def _check_isp_document_ranges(self):
        for company in self:
            company._isp_check_range("isp_proforma_day", 1, 28)
            company._isp_check_range("isp_proforma_months", 1, 12)
            company._isp_check_range("isp_reminder_days", 0, 28)
            company._isp_check_range("isp_low_balance_days", 0, 28)

    @api.constrains(
        "isp_consumption_invoice",
        "isp_consumption_account_id",
        "isp_invoice_on_charge",
        "isp_invoice_after_payment",
    )
    def _check_isp_consumption_invoice(self):
        for company in self.filtered("isp_consumption_invoice"):
            account = company.isp_consumption_account_id
            if not account or not account.reconcile:
                raise ValidationError(
                    self.env._(
                        "The monthly invoice of consumed services needs a reconcilable "
                        "Consumed Services Account: prepaid charges wait there until "
                        "they are invoiced."
                    )
                )
            if company.isp_invoice_on_charge or company.isp_invoice_after_payment:
                raise ValidationError(
                    self.env._(
                        "The monthly invoice of consumed services replaces invoices on "
                        "charge and invoices after payment: turn those off first."
                    )
                )

    @api.constrains("isp_invoice_after_payment", "isp_prepaid_account_id")
    def _check_isp_invoice_after_payment(self):
        for company in self.filtered("isp_invoice_after_payment"):
            if not company.isp_prepaid_account_id:
                raise ValidationError(
                    self.env._(
                        "Issue Invoice After Payment needs a Prepaid Balances Account: the "
                        "invoiced prepayment waits there until service charges use it."
                    )
                )

    @api.constrains(
        "isp_topup_minimum",
        "isp_topup_maximum",
        "isp_topup_amounts",
        "isp_refill_max_failures",
        "isp_refill_max_failures_address",
        "isp_payment_link_lifetime",
        "isp_payment_link_max_requests",
        "isp_payment_link_max_requests_address",
    )
    def _check_isp_portal_settings(self):
        for company in self:
            if company.currency_id.compare_amounts(company.isp_topup_minimum, 0.0) < 0:
                raise ValidationError(
                    self.env._("The minimum top-up cannot be negative.")
                )
            if (
                company.currency_id.compare_amounts(
                    company.isp_topup_maximum, company.isp_topup_minimum
                )
                < 0
            ):
                raise ValidationError(
                    self.env._("The maximum top-up cannot be below the minimum top-up.")
                )
            company._isp_topup_choices()
            company._isp_check_range("isp_refill_max_failures", 1, 100)
            company._isp_check_range("isp_refill_max_failures_address", 1, 10000)
            company._isp_check_range("isp_payment_link_lifetime", 5, 24 * 60)
            company._isp_check_range("isp_payment_link_max_requests", 1, 100)
            company._isp_check_range("isp_payment_link_max_requests_address", 1, 10000)
            if company.isp_refill_max_failures_address < company.isp_refill_max_failures:
                raise ValidationError(
                    self.env._(
                        "The wrong refill codes allowed per address cannot be fewer than "
                        "those allowed per user."
                    )
                )

    @api.constrains(
        "isp_late_fee_type",
        "isp_late_fee_amount",
        "isp_late_fee_percent",
        "isp_late_fee_product_id",
        "isp_reconnection_fee",
        "isp_reconnection_product_id",
    )
    def _check_isp_fees(self):
        for company in self:
            currency = company.currency_id
            fee_type = company.isp_late_fee_type
            if fee_type == "fixed" and currency.compare_amounts(
                company.isp_late_fee_amount, 0.0
            ) <= 0:
                raise ValidationError(
                    self.env._("A fixed late fee needs an amount above zero.")
                )
            if fee_type == "percent" and not 0 < company.isp_late_fee_percent <= 100:
                raise ValidationError(
                    self.env._("The late fee percentage must be above 0 and at most 100.")
                )
            if fee_type != "none" and not company.isp_late_fee_product_id:
                raise ValidationError(self.env._("Choose the product of the late fee."))
            reconnection = currency.compare_amounts(company.isp_reconnection_fee, 0.0)
            if reconnection < 0:
                raise ValidationError(
                    self.env._("The reconnection fee cannot be negative.")
                )
            if reconnection > 0 and not company.isp_reconnection_product_id:
                raise ValidationError(
                    self.env._("Choose the product of the reconnection fee.")
                )
            for product in (
                company.isp_late_fee_product_id | company.isp_reconnection_product_id
            ):
                if product.company_id and product.company_id != company:
                    raise ValidationError(
                        self.env._(
                            "The fee product %(product)s belongs to another company.",
                            product=product.display_name,
                        )
                    )

    def _isp_late_fee_amount(self, invoice):
        """The late fee of ``invoice``: the fixed amount, or the percentage of
        its total; zero without a late fee."""
        self.ensure_one()
        if self.isp_late_fee_type == "fixed":
            return self.isp_late_fee_amount
        if self.isp_late_fee_type == "percent":
            return self.currency_id.round(
                invoice.amount_total * self.isp_late_fee_percent / 100
            )
        return 0.0

    def _isp_topup_choices(self):
        """The suggested top-up amounts, checked: numbers at or above the minimum."""
        self.ensure_one()
        choices = []
        for part in (self.isp_topup_amounts or "").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                amount = float(part)
            except ValueError:
                amount = None
            if (
                amount is None
                or self.currency_id.compare_amounts(amount, self.isp_topup_minimum) < 0
            ):
                raise ValidationError(
                    self.env._(
                        "Suggested top-up amount %(amount)s is not a number at or above the "
                        "minimum top-up.",
                        amount=part,
                    )
                )
            if self.currency_id.compare_amounts(amount, self.isp_topup_maximum) > 0:
                raise ValidationError(
                    self.env._(
                        "Suggested top-up amount %(amount)s is above the maximum top-up.",
                        amount=part,
                    )
                )
            choices.append(self.currency_id.round(amount))
        return sorted(set(choices))

    def _isp_check_topup_maximum(self, amount):
        """Refuse an online top-up above the company's maximum."""
        self.ensure_one()
        if self.currency_id.compare_amounts(amount, self.isp_topup_maximum) > 0:
            raise UserError(
                self.env._(
                    "The largest top-up is %(maximum)s.",
                    maximum=self.currency_id.format(self.isp_topup_maximum),
                )
            )

    def _isp_refill_journal(self):
        self.ensure_one()
        return self.isp_refill_journal_id or self._isp_first_journal("cash")

    @api.constrains("isp_radius_api_user", "isp_radius_api_key")
    def _check_isp_radius_api(self):
        for company in self.sudo().filtered("isp_radius_api_user"):
            if len(company.isp_radius_api_key or "") < 16:
                raise ValidationError(
                    self.env._("The RADIUS API key must have at least 16 characters.")
                )
            if (
                self.sudo().search_count(
                    [("isp_radius_api_user", "=", company.isp_radius_api_user)]
                )
                > 1
            ):
                raise ValidationError(
                    self.env._("Another company already uses this RADIUS API user.")
                )

    @api.constrains("isp_radius_blocked_list")
    def _check_isp_radius_blocked_list(self):
        for company in self.filtered("isp_radius_blocked_list"):
            if not ADDRESS_LIST_NAME.fullmatch(company.isp_radius_blocked_list):
                raise ValidationError(
                    self.env._(
                        'The blocked address list name "%(name)s" may contain only '
                        "letters, digits, '-', '_' and '.', at most 64 characters.",
                        name=company.isp_radius_blocked_list,
                    )
                )

    def _isp_notifies(self, event):
        self.ensure_one()
        return self[f"isp_notify_{event}"]

    @api.depends("currency_id")
    def _compute_isp_currency_id(self):
        for company in self:
            company.isp_currency_id = company.currency_id

    @api.model
    def _isp_setup_invoice_journals(self):
        """Give every company with a chart of accounts its own ISP sales journal,
        numbered with the default ISP format (kept apart from other invoices so
        the two numberings never mix)."""
        from .account_journal import DEFAULT_INVOICE_FORMAT

        Journal = self.env["account.journal"]
        for company in self.search([("isp_journal_id", "=", False)]):
            if not company.chart_template:
                continue
            codes = set(
                Journal.search(Journal._check_company_domain(company)).mapped("code")
            )
            code = next(
                c for c in ("ISP", "ISP1", "ISP2", "ISP3", "ISPX") if c not in codes
            )
            company.isp_journal_id = Journal.create(
                {
                    "name": self.env._("ISP Invoices"),
                    "code": code,
                    "type": "sale",
                    "company_id": company.id,
                    "refund_sequence": True,
                    "isp_number_format": DEFAULT_INVOICE_FORMAT,
                }
            )

    @api.model
    def _isp_setup_reconcile_models(self):
        """Give every company with a chart of accounts the bank reconciliation
        rules that match transfers quoting a customer's references: first the
        invoice quoted, then the customer's balance."""
        Model = self.env["account.reconcile.model"].sudo()
        for company in self.search([]):
            if not company.chart_template or Model.search_count(
                [
                    ("company_id", "=", company.id),
                    ("isp_customer_reference", "=", True),
                ],
                limit=1,
            ):
                continue
            receivable = company.partner_id.with_company(
                company
            ).property_account_receivable_id
            common = {
                "company_id": company.id,
                "isp_customer_reference": True,
                "auto_reconcile": True,
                "match_nature": "amount_received",
                "match_partner": True,
                "match_same_currency": True,
            }
            Model.create(
                [
                    {
                        **common,
                        "name": self.env._("ISP: invoice quoted on the transfer"),
                        "sequence": 0,
                        "rule_type": "invoice_matching",
                        "match_text_location_label": True,
                        "match_text_location_note": True,
                        "match_text_location_reference": True,
                        "allow_payment_tolerance": False,
                    },
                    {
                        **common,
                        "name": self.env._("ISP: customer reference to balance"),
                        "sequence": 3,
                        "rule_type": "writeoff_suggestion",
                        "line_ids": [
                            Command.create(
                                {
                                    "account_id": receivable.id,
                                    "amount_type": "percentage",
                                    "amount_string": "100",
                                }
                            )
                        ],
                    },
                ]
            )

    def _isp_invoice_journal(self):
        self.ensure_one()
        return self.isp_journal_id or self._isp_first_journal("sale")

    def _isp_first_journal(self, journal_type):
        """The company's first journal of ``journal_type``: the fallback of an
        unset journal setting."""
        Journal = self.env["account.journal"]
        return Journal.search(
            [*Journal._check_company_domain(self), ("type", "=", journal_type)], limit=1
        )
