# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import logging
from collections import defaultdict

from markupsafe import Markup

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from ..tools.payment_reference import payment_reference, references_in
from ..tools.staff import check_staff
from .isp_billing_settings_mixin import ISP_SETTING_FIELDS

_logger = logging.getLogger(__name__)

ISP_STATUSES = [
    ("new", "New"),
    ("active", "Active"),
    ("blocked", "Blocked"),
    ("inactive", "Inactive"),
]
ISP_PROTECTED_FIELDS = {
    "isp_billing_enabled",
    "isp_company_id",
    "isp_payment_journal_id",
    "isp_cutoff_working_days",
    *ISP_SETTING_FIELDS,
}
# Settings that shape the billing periods of the customer's subscriptions.
ISP_PERIOD_FIELDS = {
    "isp_billing_type",
    "isp_recurring_months",
    "isp_prepaid_period_unit",
    "isp_prepaid_period_length",
}
# Which statuses each status may be reached from.
ISP_STATUS_SOURCES = {
    "active": ("new", "blocked", "inactive"),
    "blocked": ("new", "active"),
    "inactive": ("new", "active", "blocked"),
}

# Status changes the customer is told about.
STATUS_EVENTS = {
    ("new", "blocked"): "blocked",
    ("active", "blocked"): "blocked",
    ("new", "inactive"): "deactivated",
    ("active", "inactive"): "deactivated",
    ("blocked", "inactive"): "deactivated",
    ("blocked", "active"): "reactivated",
    ("inactive", "active"): "reactivated",
}


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "isp.billing.settings.mixin"]

    isp_billing_enabled = fields.Boolean(string="ISP Billing Enabled", tracking=True)
    isp_company_id = fields.Many2one(
        "res.company",
        string="Billing Company",
        default=lambda self: self.env.company,
        help="The company that bills this subscriber and whose settings apply.",
    )
    isp_billing_type = fields.Selection(tracking=True)
    isp_billing_day = fields.Integer(tracking=True)
    isp_minimum_balance = fields.Monetary(tracking=True)
    isp_credit_mode = fields.Selection(tracking=True)
    isp_credit_limit = fields.Monetary(tracking=True)
    isp_recurring_months = fields.Integer(tracking=True)
    isp_prepaid_period_unit = fields.Selection(tracking=True)
    isp_prepaid_period_length = fields.Integer(tracking=True)
    isp_payment_journal_id = fields.Many2one(
        "account.journal",
        string="Payment Method",
        domain="[('type', 'in', ('bank', 'cash'))]",
        help="Journal of the way this customer usually pays "
        "(cash, bank transfer, card, refill card).",
    )
    isp_status = fields.Selection(
        ISP_STATUSES,
        string="Service Status",
        default="new",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    isp_status_date = fields.Date(string="Status Since", readonly=True, copy=False)
    isp_status_reason = fields.Char(string="Status Reason", readonly=True, copy=False)
    isp_throttled_since = fields.Date(
        string="Throttled Since",
        readonly=True,
        copy=False,
        tracking=True,
        help="First day of the throttle period before the block: the network "
        "answers with the throttle profile until the customer pays or is blocked.",
    )
    isp_throttle_profile_id = fields.Many2one(
        "isp.network.profile",
        string="Throttle Profile",
        readonly=True,
        copy=False,
        help="The network profile of the running throttle period.",
    )
    isp_promise_ids = fields.One2many(
        "isp.payment.promise", "partner_id", string="Promises to Pay"
    )
    isp_credit_blocked = fields.Boolean(
        string="Credit Blocked",
        readonly=True,
        copy=False,
        tracking=True,
        help="Set while an invoice of a credit-limit customer is overdue: new "
        "charges then need prepaid funds.",
    )
    # Stored so the subscriber list sorts, filters and sums them; Odoo's
    # recomputation keeps them in step with every move of money (see the
    # dependencies of their computes), there is no other place writing them.
    isp_balance = fields.Monetary(
        string="Balance",
        compute="_compute_isp_balance",
        store=True,
        currency_field="isp_currency_id",
        help="Posted receivable balance of the customer, sign flipped: "
        "positive means credit in favour of the customer.",
    )
    isp_paid_until = fields.Date(
        string="Paid Until", compute="_compute_isp_paid_until", store=True
    )
    # Dependency paths of the two fields above, never shown.
    isp_move_line_ids = fields.One2many(
        "account.move.line",
        "partner_id",
        string="ISP Journal Items",
        groups="isp_prepaid_billing.isp_prepaid_billing_group_user",
    )
    isp_charge_ids = fields.One2many(
        "isp.charge",
        "partner_id",
        string="ISP Charges",
        groups="isp_prepaid_billing.isp_prepaid_billing_group_user",
    )
    isp_ledger_line_ids = fields.Many2many(
        "account.move.line",
        string="Recent Transactions",
        compute="_compute_isp_ledger_line_ids",
        groups="isp_prepaid_billing.isp_prepaid_billing_group_user",
        help="The last transactions on the customer's balance, oldest first, "
        "as in a ledger: the last line's balance is the balance above.",
    )
    isp_contract_ids = fields.One2many(
        "contract.contract",
        "commercial_partner_id",
        string="ISP Subscriptions",
        domain=[("isp_managed", "=", True)],
    )
    isp_next_charge_date = fields.Date(
        string="Next Charge",
        compute="_compute_isp_next_charge_date",
        store=True,
        index=True,
    )
    isp_send_notifications = fields.Boolean(
        string="Send Billing Notifications",
        default=True,
        help="E-mail this customer about invoices, payments, reminders and status changes.",
    )
    isp_cutoff_working_days = fields.Selection(
        [
            ("company", "Company default"),
            ("always", "Working days only"),
            ("never", "Any day"),
        ],
        string="Cut-off Days",
        default="company",
        required=True,
        tracking=True,
        help="Whether automatic blocks and deactivations of this customer wait "
        "for a working day (no weekends, no public holidays).",
    )
    # A block or deactivation the job held for today's cut-off hour: the job
    # takes the customer again once the hour has come.
    isp_charge_waits_hour = fields.Boolean(copy=False, readonly=True)
    isp_status_waits_hour = fields.Boolean(copy=False, readonly=True)
    isp_explain_date = fields.Date(
        string="Explain as of",
        compute="_compute_isp_explain_date",
        inverse="_inverse_isp_explain_date",
        groups="isp_prepaid_billing.isp_prepaid_billing_group_user",
        help="Preview the explanation for another day; empty: today.",
    )
    isp_status_explanation = fields.Html(
        string="Why (not) blocked",
        compute="_compute_isp_status_explanation",
        sanitize=False,
        groups="isp_prepaid_billing.isp_prepaid_billing_group_user",
    )
    isp_proforma_ids = fields.One2many("isp.proforma", "partner_id", string="Proformas")
    isp_charge_checked_on = fields.Date(copy=False, readonly=True)
    isp_status_checked_on = fields.Date(copy=False, readonly=True)
    isp_billing_error = fields.Text(
        string="Last Billing Error", copy=False, readonly=True
    )
    isp_payment_reference = fields.Char(
        string="Payment Reference",
        compute="_compute_isp_payment_reference",
        store=True,
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Quoted on a bank transfer, it brings the money to this customer's "
        "balance without anyone matching it by hand.",
    )

    isp_next_charge_overdue = fields.Boolean(
        string="Charge Overdue",
        compute="_compute_isp_next_charge_overdue",
        search="_search_isp_next_charge_overdue",
        help="The next charge date has passed without the period being charged, "
        "e.g. while the customer is blocked for want of funds.",
    )
    isp_overdue = fields.Boolean(
        string="Overdue",
        compute="_compute_isp_overdue",
        search="_search_isp_overdue",
        help="An invoice is unpaid past its due date, or a period past its "
        "charge date is not charged yet.",
    )
    isp_blocking_soon = fields.Boolean(
        string="Blocked within 7 Days",
        compute="_compute_isp_blocking_soon",
        search="_search_isp_blocking_soon",
        help="The service will be blocked within a week unless the customer pays.",
    )
    isp_invoice_count = fields.Integer(
        string="ISP Invoices", compute="_compute_isp_document_counts"
    )
    isp_payment_count = fields.Integer(
        string="Payments", compute="_compute_isp_document_counts"
    )
    isp_charge_count = fields.Integer(
        string="Charged Periods", compute="_compute_isp_document_counts"
    )

    _sql_constraints = [
        (
            "isp_payment_reference_unique",
            "unique(isp_company_id, isp_payment_reference)",
            "A payment reference belongs to one customer of the company.",
        ),
    ]

    # === COMPUTE METHODS === #

    @api.depends("isp_company_id", "company_id")
    def _compute_isp_currency_id(self):
        for partner in self:
            company = partner.isp_company_id or partner.company_id or self.env.company
            partner.isp_currency_id = company.currency_id

    @api.depends("isp_billing_enabled")
    def _compute_isp_payment_reference(self):
        # Given once, for good: a reference printed on a proforma or told to
        # the bank stays valid when billing is switched off and on again.
        for partner in self:
            reference = partner.isp_payment_reference
            if not reference and partner.isp_billing_enabled and partner.id:
                reference = payment_reference(partner.id)
            partner.isp_payment_reference = reference

    @api.model
    def _isp_balance_domain(self, partners, companies):
        """The journal items that make the balance of ``partners`` in
        ``companies``: their posted receivable items (what the partner ledger
        shows) and, with Issue Invoice After Payment, their items on the
        prepaid balances account. The balance, the running balance on the form
        and the "all transactions" list all read these items."""
        return [
            ("partner_id", "in", partners.ids),
            ("company_id", "in", companies.ids),
            ("parent_state", "=", "posted"),
            "|",
            ("account_type", "=", "asset_receivable"),
            ("account_id", "in", companies.isp_prepaid_account_id.ids),
        ]

    def _isp_balance_company(self):
        """The company whose books hold the customer's balance."""
        self.ensure_one()
        return self.isp_company_id or self.env.company

    @api.depends(
        "isp_company_id.isp_prepaid_account_id",
        "commercial_partner_id.isp_move_line_ids.balance",
        "commercial_partner_id.isp_move_line_ids.parent_state",
        "commercial_partner_id.isp_move_line_ids.account_id",
        "commercial_partner_id.isp_move_line_ids.account_type",
        "commercial_partner_id.isp_move_line_ids.company_id",
    )
    def _compute_isp_balance(self):
        # The balance IS the accounting balance: one grouped query on the items
        # of the whole batch. Whatever posts, resets, cancels or edits one of
        # these items (engine documents, payments, statements, credit notes)
        # marks the customer's balance for recomputation.
        rows = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                self._isp_balance_domain(
                    self.commercial_partner_id._origin,
                    self.isp_company_id._origin | self.env.company,
                ),
                groupby=["partner_id", "company_id"],
                aggregates=["balance:sum"],
            )
        )
        totals = {
            (partner.id, company.id): balance for partner, company, balance in rows
        }
        for partner in self:
            key = (
                partner.commercial_partner_id._origin.id,
                partner._isp_balance_company()._origin.id,
            )
            partner.isp_balance = -totals.get(key, 0.0)

    @api.model
    def _isp_recompute_balances(self):
        """Recompute the stored balance and paid-until date of every partner:
        for the upgrade to stored fields and after changes Odoo cannot see
        (SQL written by hand)."""
        partners = self.with_context(active_test=False).search([])
        for name in ("isp_balance", "isp_paid_until"):
            self.env.add_to_compute(self._fields[name], partners)
        partners.flush_recordset(["isp_balance", "isp_paid_until"])

    @api.depends_context("isp_ledger_lines")
    def _compute_isp_ledger_line_ids(self):
        """The last ``isp_ledger_lines`` items of each customer's balance (20
        unless the context says otherwise), oldest first: one query."""
        limit = self.env.context.get("isp_ledger_lines", 20)
        Line = self.env["account.move.line"]
        customers = self.commercial_partner_id._origin
        if not customers:
            self.isp_ledger_line_ids = Line
            return
        domain = self._isp_balance_domain(
            customers, self.isp_company_id._origin | self.env.company
        )
        # The user's own access: record rules of the journal items apply.
        query = Line._search(domain)
        newest = SQL(
            "ROW_NUMBER() OVER (PARTITION BY %s, %s ORDER BY %s DESC, %s DESC, %s DESC)",
            SQL.identifier(query.table, "partner_id"),
            SQL.identifier(query.table, "company_id"),
            SQL.identifier(query.table, "date"),
            SQL.identifier(query.table, "move_name"),
            SQL.identifier(query.table, "id"),
        )
        rows = self.env.execute_query(
            SQL(
                "SELECT id, partner_id, company_id FROM (%s) AS ranked "
                "WHERE newest_rank <= %s ORDER BY date, move_name, id",
                query.select(
                    SQL.identifier(query.table, "id"),
                    SQL.identifier(query.table, "partner_id"),
                    SQL.identifier(query.table, "company_id"),
                    SQL.identifier(query.table, "date"),
                    SQL.identifier(query.table, "move_name"),
                    SQL("%s AS newest_rank", newest),
                ),
                limit,
            )
        )
        ids = defaultdict(list)
        for line_id, partner_id, company_id in rows:
            ids[partner_id, company_id].append(line_id)
        for partner in self:
            key = (
                partner.commercial_partner_id._origin.id,
                partner._isp_balance_company()._origin.id,
            )
            partner.isp_ledger_line_ids = Line.browse(ids.get(key, []))

    def _compute_isp_next_charge_overdue(self):
        today = fields.Date.context_today(self)
        for partner in self:
            day = partner.isp_next_charge_date
            partner.isp_next_charge_overdue = bool(day and day < today)

    def _search_isp_next_charge_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Operation not supported"))
        today = fields.Date.context_today(self)
        overdue = [("isp_next_charge_date", "<", today)]
        return overdue if (operator == "=") == value else ["!", *overdue]

    def _isp_overdue_domain(self):
        today = fields.Date.context_today(self)
        return [
            ("isp_billing_enabled", "=", True),
            "|",
            ("isp_next_charge_date", "<", today),
            ("invoice_ids", "any", [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("isp_is_billing", "=", True),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", today),
            ]),
        ]

    def _compute_isp_overdue(self):
        overdue = self.search([("id", "in", self.ids), *self._isp_overdue_domain()])
        for partner in self:
            partner.isp_overdue = partner in overdue

    def _search_isp_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Operation not supported"))
        ids = self.search(self._isp_overdue_domain()).ids
        return [("id", "in" if (operator == "=") == value else "not in", ids)]

    def _compute_isp_blocking_soon(self):
        today = fields.Date.context_today(self)
        soon = self.browse(self._isp_blocking_soon_ids(self.ids, today))
        for partner in self:
            partner.isp_blocking_soon = partner in soon

    def _search_isp_blocking_soon(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Operation not supported"))
        ids = self._isp_blocking_soon_ids(None, fields.Date.context_today(self))
        return [("id", "in" if (operator == "=") == value else "not in", ids)]

    @api.model
    def _isp_blocking_soon_ids(self, ids, today, days=7):
        """Ids of the customers (among ``ids``, or all) the portal warns of a
        block within ``days`` days: the same ``_isp_next_change`` decides."""
        horizon = today + relativedelta(days=days)
        domain = [
            ("isp_billing_enabled", "=", True),
            ("isp_status", "=", "active"),
            ("isp_do_not_block", "=", False),
            ("isp_credit_mode", "!=", "unlimited"),
            "|",
            "&",
            ("isp_billing_type", "=", "prepaid"),
            ("isp_next_charge_date", "<=", horizon),
            ("invoice_ids", "any", [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("isp_is_billing", "=", True),
                ("payment_state", "in", ("not_paid", "partial")),
                ("isp_block_date", ">", today),
                ("isp_block_date", "<=", horizon),
            ]),
        ]
        if ids is not None:
            domain.append(("id", "in", [i for i in ids if isinstance(i, int)]))
        candidates = self.search(domain)
        return [
            partner.id
            for partner in candidates
            if (day := partner._isp_next_change(today, days)[0]) and day <= horizon
        ]

    def _compute_isp_document_counts(self):
        commercial = self.commercial_partner_id._origin
        counts = {}
        for model, domain, key in (
            ("account.move", self._isp_invoices_domain(), "isp_invoice_count"),
            ("account.payment", self._isp_payments_domain(), "isp_payment_count"),
            ("isp.charge", [("partner_id", "in", commercial.ids)], "isp_charge_count"),
        ):
            rows = self.env[model]._read_group(
                domain, groupby=["partner_id"], aggregates=["__count"]
            )
            counts[key] = {partner.commercial_partner_id.id: 0 for partner, __ in rows}
            for partner, count in rows:
                counts[key][partner.commercial_partner_id.id] += count
        for partner in self:
            customer_id = partner.commercial_partner_id.id
            for key, by_customer in counts.items():
                partner[key] = by_customer.get(customer_id, 0)

    def _isp_invoices_domain(self):
        return [
            ("partner_id", "child_of", self.commercial_partner_id._origin.ids),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("isp_is_billing", "=", True),
        ]

    def _isp_payments_domain(self):
        return [
            ("partner_id", "child_of", self.commercial_partner_id._origin.ids),
            ("partner_type", "=", "customer"),
        ]

    @api.depends(
        "commercial_partner_id.isp_charge_ids.period_end",
        "commercial_partner_id.isp_charge_ids.billing_type",
        "commercial_partner_id.isp_charge_ids.move_id.payment_state",
    )
    def _compute_isp_paid_until(self):
        commercial = self.commercial_partner_id._origin
        rows = (
            self.env["isp.charge"]
            .sudo()
            ._read_group(
                [("partner_id", "in", commercial.ids), ("is_paid", "=", True)],
                groupby=["partner_id"],
                aggregates=["period_end:max"],
            )
        )
        ends = {partner.id: end for partner, end in rows}
        for partner in self:
            partner.isp_paid_until = ends.get(
                partner.commercial_partner_id._origin.id, False
            )

    @api.depends(
        "isp_billing_enabled",
        "isp_status",
        "isp_contract_ids.isp_next_charge_date",
        "isp_contract_ids.active",
    )
    def _compute_isp_next_charge_date(self):
        for partner in self:
            dates = [
                date
                for date in partner.isp_contract_ids.mapped("isp_next_charge_date")
                if date
            ]
            running = partner.isp_billing_enabled and partner.isp_status != "inactive"
            partner.isp_next_charge_date = min(dates) if running and dates else False

    # === CRUD === #

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        company = self.env.company
        for field_name in ISP_SETTING_FIELDS:
            if (
                field_name in fields_list
                and f"default_{field_name}" not in self.env.context
            ):
                value = company[field_name]
                values[field_name] = (
                    value.id if isinstance(value, models.BaseModel) else value
                )
        if "isp_billing_day" in fields_list and company.isp_billing_day_from_creation:
            values["isp_billing_day"] = min(fields.Date.context_today(self).day, 28)
        return values

    def write(self, vals):
        self._isp_check_settings_access(vals)
        res = super().write(vals)
        if ISP_PERIOD_FIELDS & set(vals):
            self.isp_contract_ids._isp_note_period_change()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("isp_billing_enabled"):
                self._isp_check_settings_access(vals)
        return super().create(vals_list)

    def _increase_rank(self, field, n=1):
        deferred = self.env.cr.cache.get("isp_deferred_customer_ranks")
        if deferred is not None and field == "customer_rank":
            # The billing engine posts a batch: one UPDATE for all (see isp.invoice.batch).
            for partner in self:
                deferred[partner.id] += n
            return
        return super()._increase_rank(field, n)

    @api.model
    def _isp_check_settings_access(self, vals):
        """Billing settings of customers are for ISP billing staff only."""
        if self.env.su or not set(vals) & ISP_PROTECTED_FIELDS:
            return
        if not self.env.user.has_group(
            "isp_prepaid_billing.isp_prepaid_billing_group_user"
        ):
            raise AccessError(
                _(
                    "Only ISP billing staff can change the billing settings of a customer."
                )
            )

    # === ACTIONS === #

    def action_isp_charge_and_invoice(self):
        """Charge the current period of prepaid customers from their balance."""
        check_staff(self.env)
        date = fields.Date.context_today(self)
        for partner in self:
            partner._isp_check_billable()
        plans = self.env["isp.billing.engine"]._execute(self, date)
        refused = [plan for plan in plans if plan.action == "insufficient"]
        if refused and len(self) == 1:
            raise UserError(refused[0].message)
        failed = [plan for plan in plans if plan.error]
        if failed and len(self) == 1:
            raise UserError(failed[0].error)
        charged = [plan for plan in plans if plan.action == "charge" and not plan.error]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if charged else "warning",
                "message": _("%(count)s customer(s) charged.", count=len(charged))
                if charged
                else _("Nothing was due for charging."),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_isp_block(self):
        check_staff(self.env)
        self.with_context(isp_status_by_staff=True)._isp_set_status(
            "blocked", _("Blocked by %(user)s", user=self.env.user.name)
        )

    def action_isp_activate(self):
        check_staff(self.env)
        self._isp_set_status(
            "active", _("Activated by %(user)s", user=self.env.user.name)
        )

    def action_isp_deactivate(self):
        check_staff(self.env)
        self._isp_set_status(
            "inactive", _("Deactivated by %(user)s", user=self.env.user.name)
        )

    def action_isp_refund_balance(self):
        """Pay a customer's positive balance back: Odoo's own payment form, an
        outbound customer payment of the balance, for staff to check and post."""
        check_staff(self.env)
        self.ensure_one()
        customer = self.commercial_partner_id
        currency = customer.isp_currency_id
        if currency.compare_amounts(customer.isp_balance, 0.0) <= 0:
            raise UserError(
                _(
                    "%(customer)s has no money on the balance to refund (balance %(balance)s).",
                    customer=customer.display_name,
                    balance=currency.format(customer.isp_balance),
                )
            )
        company = customer.isp_company_id or self.env.company
        journal = customer.isp_payment_journal_id or self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "bank")],
            limit=1,
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Refund Balance"),
            "res_model": "account.payment",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                "default_payment_type": "outbound",
                "default_partner_type": "customer",
                "default_partner_id": customer.id,
                "default_company_id": company.id,
                "default_journal_id": journal.id,
                "default_amount": customer.isp_balance,
                "default_memo": _("Refund of the balance"),
            },
        }

    def action_isp_register_payment(self):
        """Odoo's own payment form for money the customer brings: an inbound
        customer payment in the customer's payment journal, prefilled with what
        is owed. Posting it settles through the one money path, as any payment."""
        check_staff(self.env)
        self.ensure_one()
        customer = self.commercial_partner_id
        company = customer.isp_company_id or self.env.company
        currency = customer.isp_currency_id
        Journal = self.env["account.journal"]
        journal = customer.isp_payment_journal_id or Journal.search(
            [*Journal._check_company_domain(company), ("type", "in", ("bank", "cash"))],
            limit=1,
        )
        owed = -customer.isp_balance
        return {
            "type": "ir.actions.act_window",
            "name": _("Register Payment"),
            "res_model": "account.payment",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_payment_type": "inbound",
                "default_partner_type": "customer",
                "default_partner_id": customer.id,
                "default_company_id": company.id,
                "default_journal_id": journal.id,
                "default_currency_id": currency.id,
                "default_amount": owed if currency.compare_amounts(owed, 0.0) > 0 else 0.0,
            },
        }

    def action_isp_view_invoices(self):
        check_staff(self.env)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = self._isp_invoices_domain()
        action["context"] = {
            "default_move_type": "out_invoice",
            "default_partner_id": self.commercial_partner_id.id,
        }
        return action

    def action_isp_view_payments(self):
        check_staff(self.env)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_account_payments"
        )
        action["domain"] = self._isp_payments_domain()
        action["context"] = {
            "default_payment_type": "inbound",
            "default_partner_type": "customer",
            "default_partner_id": self.commercial_partner_id.id,
        }
        return action

    def action_isp_view_charges(self):
        check_staff(self.env)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_prepaid_billing.isp_charge_action"
        )
        action["domain"] = [("partner_id", "in", self.commercial_partner_id.ids)]
        return action

    def action_isp_view_one_time_charges(self):
        check_staff(self.env)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_prepaid_billing.isp_one_time_charge_action"
        )
        customer = self.commercial_partner_id
        action["domain"] = [("partner_id", "=", customer.id)]
        action["context"] = {
            "default_partner_id": customer.id,
            "default_company_id": (customer.isp_company_id or self.env.company).id,
        }
        return action

    def action_isp_view_transactions(self):
        """All the items of the customer's balance in Odoo's Journal Items
        list, in ledger order (the form shows the last few)."""
        check_staff(self.env)
        self.ensure_one()
        customer = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_account_moves_all"
        )
        action["name"] = _("Transactions of %(customer)s", customer=customer.display_name)
        action["domain"] = self._isp_balance_domain(
            customer, self._isp_balance_company()
        )
        action["context"] = {}
        return action

    def action_isp_add_service(self):
        """A new subscription (an OCA contract) for this customer: the contract
        form, with the customer, the billing company and its invoice journal
        filled in; the ISP settings (engine-managed, billing period) follow
        from the customer as the contract computes them."""
        check_staff(self.env)
        self.ensure_one()
        customer = self.commercial_partner_id
        if not customer.isp_billing_enabled:
            raise UserError(
                _(
                    "ISP billing is not enabled for %(partner)s.",
                    partner=customer.display_name,
                )
            )
        company = customer._isp_balance_company()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "contract.action_customer_contract"
        )
        action.update(
            {
                "name": _("Add Service"),
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "current",
            }
        )
        action.pop("res_id", None)
        action["context"] = {
            "is_contract": 1,
            "default_contract_type": "sale",
            "default_partner_id": customer.id,
            "default_company_id": company.id,
            "default_journal_id": company._isp_invoice_journal().id,
            "default_name": _("Internet %(customer)s", customer=customer.name),
        }
        return action

    # === BUSINESS METHODS === #

    def action_isp_create_proforma(self):
        check_staff(self.env)
        self._isp_check_billable()
        today = fields.Date.context_today(self)
        proformas = self.env["isp.proforma"]._isp_create_for(
            self, today, raise_if_empty=True
        )
        if not proformas:
            raise UserError(
                _(
                    "A proforma for this period already exists for %(customer)s.",
                    customer=self.display_name,
                )
            )
        return self.env["ir.actions.act_window"]._for_xml_id(
            "isp_prepaid_billing.isp_proforma_action"
        ) | {"res_id": proformas.id, "views": [(False, "form")]}

    def action_isp_payment_calendar(self):
        check_staff(self.env)
        self.ensure_one()
        self.check_access("read")
        entries = self.env["isp.payment.forecast"]._isp_build(
            self, fields.Date.context_today(self)
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_prepaid_billing.isp_payment_forecast_action"
        )
        action["domain"] = [("id", "in", entries.ids)]
        return action

    def action_isp_statement(self):
        check_staff(self.env)
        self.ensure_one()
        today = fields.Date.context_today(self)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_prepaid_billing.isp_statement_action"
        )
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "default_company_id": (self.isp_company_id or self.env.company).id,
            "default_date_from": today.replace(day=1, month=1),
            "default_date_to": today,
        }
        return action

    def action_isp_partner_ledger(self):
        """OCA's partner ledger (its general ledger by partner) for this
        customer's receivable account, from the start of the year to today."""
        self.ensure_one()
        partner = self.commercial_partner_id
        company = self.isp_company_id or self.env.company
        today = fields.Date.context_today(self)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_prepaid_billing.isp_partner_ledger_action"
        )
        action["context"] = {
            "isp_partner_ledger": True,
            "default_company_id": company.id,
            "default_partner_ids": partner.ids,
            "default_receivable_accounts_only": True,
            "default_account_ids": partner.with_company(
                company
            ).property_account_receivable_id.ids,
            "default_grouped_by": "partners",
            "default_centralize": False,
            "default_date_from": today.replace(day=1, month=1),
            "default_date_to": today,
        }
        return action

    def _isp_check_billable(self):
        self.ensure_one()
        if not self.isp_billing_enabled:
            raise UserError(
                _(
                    "ISP billing is not enabled for %(partner)s.",
                    partner=self.display_name,
                )
            )
        if self.isp_status == "inactive":
            raise UserError(
                _(
                    "%(partner)s is inactive: reactivate the customer before charging.",
                    partner=self.display_name,
                )
            )

    def _isp_floor(self):
        """Lowest balance the customer may reach; None when there is no floor."""
        self.ensure_one()
        if self.isp_credit_mode == "unlimited":
            return None
        if self.isp_credit_mode == "limit" and not self.isp_credit_blocked:
            return min(-self.isp_credit_limit, self.isp_minimum_balance)
        return self.isp_minimum_balance

    def _isp_charged_within_funds(self):
        """Seed 002: a prepaid customer is charged only from the balance and a
        credit-limit customer within the limit, whatever is charged; other
        customers are charged and their debt grows."""
        self.ensure_one()
        return self.isp_billing_type == "prepaid" or self.isp_credit_mode == "limit"

    def _isp_has_funds_for(self, amount, balance=None):
        """Whether charging ``amount`` keeps the balance at or above the floor."""
        self.ensure_one()
        floor = self._isp_floor()
        if floor is None:
            return True
        balance = self.isp_balance if balance is None else balance
        return self.isp_currency_id.compare_amounts(balance - amount, floor) >= 0

    def _isp_set_status(self, status, reason, date=None):
        """Move customers to ``status``; customers already there (or not allowed
        to go there) are left untouched, so re-applying a transition is a no-op."""
        date = date or fields.Date.context_today(self)
        to_change = self.filtered(lambda p: p.isp_status in ISP_STATUS_SOURCES[status])
        if not to_change:
            return to_change
        events = {
            partner: STATUS_EVENTS.get((partner.isp_status, status))
            for partner in to_change
        }
        reconnected = to_change.filtered(
            lambda p: status == "active" and p.isp_status == "blocked"
        )
        self.env["isp.status.event"].sudo().create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": (partner.isp_company_id or self.env.company).id,
                    "date": date,
                    "status_from": partner.isp_status,
                    "status_to": status,
                    "reason": reason,
                    "by_staff": bool(self.env.context.get("isp_status_by_staff")),
                }
                for partner in to_change
            ]
        )
        to_change.write(
            {
                "isp_status": status,
                "isp_status_date": date,
                "isp_status_reason": reason,
                # A throttle period ends with any change of status.
                "isp_throttled_since": False,
                "isp_throttle_profile_id": False,
            }
        )
        self.env["isp.notification"]._isp_queue_many(
            [
                (event, partner, partner, f"{event}:{partner.id}:{date}")
                for partner, event in events.items()
                if event
            ]
        )
        # The network must follow: open sessions reconnect under the new status.
        self.env["isp.radius.disconnect"]._isp_queue_for(to_change, reason)
        label = dict(ISP_STATUSES)[status]
        for partner in to_change:
            partner.message_post(
                body=Markup("<b>%s</b>: %s (%s)")
                % (label, reason, fields.Date.to_string(date)),
                subtype_xmlid="mail.mt_note",
            )
        if reconnected:
            self.env["isp.billing.engine"]._charge_reconnection_fees(reconnected, date)
        return to_change

    def _isp_after_payment(self, date):
        """React at once to money received: reactivate or charge blocked customers,
        charge throttled or promised prepaid customers, end throttle periods and
        keep promises that are paid."""
        Engine = self.env["isp.billing.engine"]
        customers = self.commercial_partner_id.filtered("isp_billing_enabled")
        on_grace = Engine._on_grace(customers, date)
        blocked = customers.filtered(lambda p: p.isp_status == "blocked")
        prepaid = (blocked | on_grace).filtered(
            lambda p: p.isp_billing_type == "prepaid"
        )
        if prepaid:
            Engine._execute(prepaid, date)
        others = blocked - prepaid
        if others:
            Engine._apply_status(Engine._plan_reactivation(others, date), date)
        if on_grace:
            Engine._settle_grace(on_grace, date)

    def _isp_start_throttle(self, profile, reason, date):
        """Throttle the service from ``date``: the status stays active, the
        network answers with ``profile`` and open sessions get it by CoA."""
        self.write({"isp_throttled_since": date, "isp_throttle_profile_id": profile.id})
        for partner in self:
            partner.message_post(body=reason, subtype_xmlid="mail.mt_note")
        self.env["isp.radius.disconnect"]._isp_queue_plan_change(
            self._isp_network_lines(), reason
        )

    def _isp_end_throttle(self, reason):
        """Back to the plan's network profile, open sessions by CoA."""
        throttled = self.filtered("isp_throttled_since")
        if not throttled:
            return throttled
        throttled.write({"isp_throttled_since": False, "isp_throttle_profile_id": False})
        for partner in throttled:
            partner.message_post(body=reason, subtype_xmlid="mail.mt_note")
        self.env["isp.radius.disconnect"]._isp_queue_plan_change(
            throttled._isp_network_lines(), reason
        )
        return throttled

    def _isp_network_lines(self):
        return (
            self.sudo()
            .isp_contract_ids.filtered("active")
            .contract_line_ids.filtered("isp_radius_username")
        )

    # === SERVICE SUMMARY (portal) === #

    def _isp_service_state(self, date):
        """The status a subscriber sees: the billing status, or "paused" when every
        subscription is past its "active to" date or paused on request."""
        self.ensure_one()
        contracts = self.isp_contract_ids.filtered(lambda c: c.active and c.isp_managed)
        if (
            self.isp_status in ("active", "new")
            and contracts
            and all(
                (c.date_end and c.date_end < date) or c._isp_paused_on(date)
                for c in contracts
            )
        ):
            return "paused"
        return self.isp_status

    def _isp_next_change(self, date, horizon=None):
        """``(day, text)``: the next block or deactivation the subscriber can
        still avoid, in their words (the explainer's, so the crons' own rules),
        e.g. "blocked on 03/16/2027 unless invoice INV/2027/0003 ($ 30.00) is
        paid"; ``(False, "")`` when none is due within ``horizon`` days."""
        self.ensure_one()
        if self._isp_service_state(date) not in ("active", "blocked"):
            return False, ""
        Explainer = self.env["isp.status.explainer"]
        args = (horizon,) if horizon is not None else ()
        event = Explainer._explain(self, date, *args).event
        if not event:
            return False, ""
        return event.day, Explainer._subscriber_event_text(event)

    def _isp_next_charge(self):
        """``(day, periods, amount)`` of the next charge the engine foresees,
        taxes included; ``(False, [], 0.0)`` when none is due."""
        self.ensure_one()
        day = self.isp_next_charge_date
        if not day:
            return False, [], 0.0
        Engine = self.env["isp.billing.engine"]
        periods = [period for __, period in Engine._forecast(self, day, day)]
        return day, periods, Engine._periods_total(self, periods)

    # === WHY (NOT) BLOCKED (staff) === #

    def _compute_isp_explain_date(self):
        self.isp_explain_date = False

    def _inverse_isp_explain_date(self):
        """A preview day only: nothing is stored."""

    @api.depends("isp_explain_date", "isp_status", "isp_balance")
    def _compute_isp_status_explanation(self):
        Explainer = self.env["isp.status.explainer"]
        today = fields.Date.context_today(self)
        for partner in self:
            customer = partner._origin or partner
            if not isinstance(customer.id, int) or not partner.isp_billing_enabled:
                partner.isp_status_explanation = False
                continue
            partner.isp_status_explanation = Explainer._staff_html(
                customer, partner.isp_explain_date or today
            )

    @api.model
    def _isp_period_text(self, length, unit):
        """A billing period as a subscriber reads it: "1 month", "7 days"."""
        if unit == "day":
            if length == 1:
                return self.env._("1 day")
            return self.env._("%(count)s days", count=length)
        if length == 1:
            return self.env._("1 month")
        return self.env._("%(count)s months", count=length)

    def _isp_portal_explanation(self, date):
        """Why the service is not running and what brings it back, in words for
        the subscriber (in the environment's language); "" when it runs. The
        staff reason (``isp_status_reason``) is never part of it."""
        self.ensure_one()
        state = self._isp_service_state(date)
        if state == "paused":
            return self.env._(
                "Your service is paused. Reactivate it by paying for the periods "
                "you want."
            )
        if state == "inactive":
            return self.env._(
                "Your service has been deactivated. Contact us to restart it."
            )
        if state == "active":
            return self._isp_portal_grace(date)
        if state != "blocked":
            return ""
        if self.isp_billing_type == "prepaid":
            text = self._isp_portal_prepaid_shortfall()
        else:
            text = self._isp_portal_unpaid(date)
            if not text and self._isp_charged_within_funds():
                # Nothing unpaid: the next invoice would go beyond the credit limit.
                text = self._isp_portal_prepaid_shortfall()
        return text or self.env._(
            "Your service is suspended. Contact us to have it reconnected."
        )

    def _isp_grace_hold(self, date):
        """The promise or throttle period the service runs on, as a
        ``CutoffHold``; None when neither."""
        Engine = self.env["isp.billing.engine"]
        hold = Engine._promise_hold(self, "block", date)
        if not hold and self.isp_throttled_since:
            hold = Engine._throttle_hold(self, "block", date)
        return hold

    def _isp_portal_grace(self, date):
        """An active service that runs on a promise or throttled, in words."""
        hold = self._isp_grace_hold(date)
        if hold and hold.rule == "promise":
            return self.env._(
                "You promised to pay by %(day)s; your service runs until then.",
                day=format_date(self.env, hold.until),
            )
        if hold:
            return self.env._(
                "Your connection is slowed down because a payment is missing. Pay "
                "before %(day)s to avoid the suspension of your service.",
                day=format_date(self.env, hold.until + relativedelta(days=1)),
            )
        return ""

    def _isp_mail_explanation(self):
        """The portal's explanation (``_isp_portal_explanation``) for the
        blocked and deactivated e-mails, as of the day the status began, in the
        language the template renders in. Never the staff reason."""
        self.ensure_one()
        return self._isp_portal_explanation(
            self.isp_status_date or fields.Date.context_today(self)
        )

    def _isp_portal_prepaid_shortfall(self):
        """What a blocked subscriber charged within funds (prepaid, or within a
        credit limit) is missing for the next period."""
        currency = self.isp_currency_id
        __, periods, amount = self._isp_next_charge()
        floor = self._isp_floor()
        if not periods or floor is None or self._isp_has_funds_for(amount):
            return ""
        company = self.isp_company_id or self.env.company
        missing = max(
            currency.round(amount + floor - self.isp_balance),
            company.isp_topup_minimum,
        )
        kinds = {
            (period.contract.isp_period_length, period.contract.isp_period_unit)
            for period in periods
        }
        values = {
            "balance": currency.format(self.isp_balance),
            "amount": currency.format(amount),
            "missing": currency.format(missing),
        }
        if self.isp_credit_mode == "limit" and not self.isp_credit_blocked:
            # The balance alone would mislead: the credit is part of the funds.
            return self.env._(
                "Your balance (%(balance)s) and credit limit (%(limit)s) do not "
                "cover the next charge (%(amount)s). Pay %(missing)s to reconnect.",
                limit=currency.format(self.isp_credit_limit),
                **values,
            )
        if len(kinds) == 1:
            return self.env._(
                "Your balance (%(balance)s) does not cover the next %(period)s of "
                "service (%(amount)s). Top up %(missing)s to reconnect.",
                period=self._isp_period_text(*kinds.pop()),
                **values,
            )
        return self.env._(
            "Your balance (%(balance)s) does not cover the next charge "
            "(%(amount)s). Top up %(missing)s to reconnect.",
            **values,
        )

    def _isp_portal_unpaid(self, date):
        """The unpaid document (or balance) that keeps a recurring or postpaid
        subscriber blocked."""
        request = self.env["isp.proforma"]._isp_open_requests(self, overdue_on=date)[:1]
        if request:
            return self.env._(
                "Proforma %(number)s (%(amount)s) is unpaid. Pay it to reconnect.",
                number=request.name,
                amount=request.currency_id.format(request.amount_total),
            )
        invoice = self.env["account.move"].search(
            [
                *self.env["isp.billing.engine"]._isp_invoice_domain(self),
                ("payment_state", "in", ("not_paid", "partial")),
                ("isp_block_date", "<=", date),
            ],
            order="isp_block_date, id",
            limit=1,
        )
        if invoice:
            return self.env._(
                "Invoice %(number)s (%(amount)s) is unpaid. Pay it to reconnect.",
                number=invoice.name,
                amount=invoice.currency_id.format(invoice.amount_residual),
            )
        floor = self._isp_floor()
        currency = self.isp_currency_id
        if floor is None or currency.compare_amounts(self.isp_balance, floor) >= 0:
            return ""
        return self.env._(
            "Your balance (%(balance)s) is below the minimum of %(minimum)s. "
            "Pay %(missing)s to reconnect.",
            balance=currency.format(self.isp_balance),
            minimum=currency.format(floor),
            missing=currency.format(floor - self.isp_balance),
        )

    def _isp_payment_offer(
        self, purpose, date, amount=None, periods=1, proforma=None, change=None
    ):
        """What the subscriber pays online for ``purpose`` (topup, prepay,
        reactivate, proforma, plan_change), checked: ``{"amount", "periods",
        "extend", "proforma", "plan", "change"}``. Bad input raises a UserError
        and changes nothing."""
        self.ensure_one()
        company = self.isp_company_id or self.env.company
        currency = self.isp_currency_id
        offer = {
            "amount": 0.0,
            "periods": 0,
            "extend": False,
            # A proforma only means something to a proforma payment.
            "proforma": proforma if purpose == "proforma" else None,
            "plan": None,
            "change": change if purpose == "plan_change" else None,
            "preview": None,
        }
        if purpose == "topup":
            if (
                amount is None
                or currency.compare_amounts(amount, company.isp_topup_minimum) < 0
            ):
                raise UserError(
                    _(
                        "The smallest top-up is %(minimum)s.",
                        minimum=currency.format(company.isp_topup_minimum),
                    )
                )
            offer["amount"] = currency.round(amount)
        elif purpose in ("prepay", "reactivate"):
            state = self._isp_service_state(date)
            if purpose == "reactivate" and state not in ("blocked", "paused"):
                raise UserError(
                    _("Your service is not suspended: there is nothing to reactivate.")
                )
            if purpose == "prepay" and state in ("blocked", "paused"):
                raise UserError(_("Your service is suspended: reactivate it instead."))
            offer["extend"] = state == "paused"
            Engine = self.env["isp.billing.engine"]
            if offer["extend"]:
                Engine = Engine.with_context(isp_extend_service=True)
            plan = Engine._plan_ahead(self, periods, date)
            if not plan.periods:
                raise UserError(_("There is no service to pay in advance."))
            offer.update(
                plan=plan, periods=periods, amount=Engine._amount_to_prepay(plan)
            )
        elif purpose == "proforma":
            if not proforma or proforma.partner_id != self:
                raise UserError(
                    _("There is no such proforma to pay on your account.")
                )
            proforma._isp_check_payable()
            offer["amount"] = proforma.amount_total
        elif purpose == "plan_change":
            if not change or change.partner_id != self or change.state != "waiting":
                raise UserError(
                    _("There is no plan change waiting for payment on your account.")
                )
            # The new plan starts when it is paid, today at the earliest.
            preview = change._isp_preview(date)
            offer.update(preview=preview, amount=preview["to_pay"])
        else:
            raise UserError(_("Unknown payment purpose."))
        return offer

    # === BANK MATCHING === #

    @api.model
    def _isp_find_by_payment_texts(self, company, texts):
        """The customers of ``company`` whom a bank transfer's texts point to:
        through an invoice number, a proforma number, a receipt number or a
        customer payment reference. Nothing is guessed from names."""
        words = self._isp_payment_words(texts)
        found = self.browse()
        references = references_in(" ".join(text or "" for text in texts))
        # A lookup only: the company is in every domain, only the ids leave here.
        sudo = self.sudo()
        if references:
            found |= sudo.search(
                [
                    ("isp_payment_reference", "in", references),
                    ("isp_company_id", "=", company.id),
                ]
            )
        if words:
            invoices = sudo.env["account.move"].search(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    "|",
                    ("name", "in", words),
                    ("payment_reference", "in", words),
                ]
            )
            proformas = sudo.env["isp.proforma"].search(
                [("company_id", "=", company.id), ("name", "in", words)]
            )
            receipts = sudo.env["account.payment"].search(
                [
                    ("company_id", "=", company.id),
                    ("partner_type", "=", "customer"),
                    ("state", "not in", ("draft", "canceled", "rejected")),
                    "|",
                    ("isp_receipt_number", "in", words),
                    ("name", "in", words),
                ]
            )
            found |= (
                invoices.commercial_partner_id
                | proformas.partner_id.commercial_partner_id
                | receipts.partner_id.commercial_partner_id
            )
        return self.browse(found.ids)

    @api.model
    def _isp_customer_from_texts(self, company, texts):
        """The one customer ``texts`` point to, or none when they point to
        several: an ambiguous transfer is left to a person."""
        found = self._isp_find_by_payment_texts(company, texts)
        return found if len(found) == 1 else self.browse()

    @api.model
    def _isp_payment_words(self, texts):
        """The words of ``texts`` that can be a document number, as written
        and in upper case."""
        words = set()
        for text in texts:
            for word in (text or "").split():
                word = word.strip(".,;:()[]{}'\"")
                if len(word) >= 3:
                    words.update((word, word.upper()))
        return sorted(words)

    # === CRONS === #

    @api.model
    def _cron_isp_charge(self, date=None):
        """Charge prepaid, invoice recurring and postpaid customers due today
        (or on ``date``)."""
        return self.env["isp.billing.run"]._cron_batch("charge", date)

    @api.model
    def _cron_isp_status(self, date=None):
        """Block, deactivate and restore credit as of today (or ``date``)."""
        return self.env["isp.billing.run"]._cron_batch("status", date)
