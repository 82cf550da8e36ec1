# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""A change of a subscriber's service: a new plan, an add-on, a pause or the
end of the service, from a chosen day.

Applying a change rewrites when each service line is in service, then prices
the periods already charged again: the difference (unused days credited, the
new plan charged pro rata) becomes one document of the billing engine. Periods
not charged yet are priced by the engine with the new lines when their day
comes. The record stays as the history of who changed what, when, and for how
much.
"""

from dataclasses import replace

from dateutil.relativedelta import relativedelta
from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date

from ..tools import billing_periods
from ..tools.staff import check_staff

CHANGE_KINDS = [
    ("plan", "Plan Change"),
    ("addon", "Add-on"),
    ("pause", "Pause"),
    ("cancel", "Cancellation"),
]


class _PreviewDone(Exception):
    """Ends the savepoint of a preview, so that what it wrote is rolled back."""


class IspServiceChange(models.Model):
    _name = "isp.service.change"
    _description = "ISP service change"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    contract_id = fields.Many2one(
        "contract.contract",
        string="Subscription",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        domain="[('isp_managed', '=', True)]",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        related="contract_id.commercial_partner_id",
        store=True,
        index=True,
    )
    company_id = fields.Many2one(
        related="contract_id.company_id", store=True, index=True
    )
    currency_id = fields.Many2one(related="contract_id.currency_id")
    kind = fields.Selection(CHANGE_KINDS, required=True, default="plan")
    line_id = fields.Many2one(
        "contract.line",
        string="Service",
        domain="[('contract_id', '=', contract_id), ('display_type', '=', False)]",
        help="The plan replaced or the service ended. Empty for a cancellation: "
        "the whole subscription ends.",
    )
    product_id = fields.Many2one(
        "product.product",
        string="New Plan",
        check_company=True,
        domain="[('sale_ok', '=', True)]",
    )
    price_unit = fields.Monetary(
        string="New Price",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        precompute=True,
        help="Price of the new plan or add-on, per month (or per period for "
        "periods in days), taxes as the product's.",
    )
    date = fields.Date(
        string="From",
        required=True,
        default=fields.Date.context_today,
        help="Plan change and add-on: first day on the new plan. Pause: first "
        "paused day. Cancellation: last day of service.",
    )
    date_to = fields.Date(string="Paused To", help="Last paused day.")
    reason = fields.Char()
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("waiting", "Waiting for Payment"),
            ("done", "Applied"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
    )
    user_id = fields.Many2one(
        "res.users", string="Changed By", readonly=True, copy=False
    )
    applied_on = fields.Date(readonly=True, copy=False)
    new_line_id = fields.Many2one("contract.line", readonly=True, copy=False)
    move_id = fields.Many2one(
        "account.move",
        string="Adjustment",
        readonly=True,
        copy=False,
        check_company=True,
        help="The invoice, credit note or charge entry of the days already charged.",
    )
    amount = fields.Monetary(
        string="Net Amount",
        readonly=True,
        copy=False,
        help="Charged (positive) or credited (negative) for the days already "
        "charged, taxes included.",
    )
    network_date = fields.Date(
        readonly=True,
        copy=False,
        help="Next day the network is told of the change (its start, a pause's end).",
    )

    # === COMPUTE METHODS === #

    @api.depends("kind", "product_id", "contract_id")
    def _compute_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for change in self:
            change.name = " - ".join(
                filter(None, [kinds.get(change.kind), change.contract_id.display_name])
            )

    @api.depends("product_id")
    def _compute_price_unit(self):
        for change in self:
            change.price_unit = change.product_id.lst_price

    # === CONSTRAINTS === #

    @api.constrains("kind", "product_id", "price_unit", "line_id", "date", "date_to")
    def _check_change(self):
        for change in self:
            change._isp_check_values()
            if change.state == "draft":
                change._isp_check_date()

    def _isp_check_values(self):
        self.ensure_one()
        if self.kind in ("plan", "addon"):
            if not self.product_id:
                raise ValidationError(_("Choose the new plan or add-on."))
            if self.product_id.company_id and self.product_id.company_id != self.company_id:
                raise ValidationError(
                    _("%(plan)s belongs to another company.", plan=self.product_id.display_name)
                )
            if self.currency_id.compare_amounts(self.price_unit, 0.0) < 0:
                raise ValidationError(_("A plan's price cannot be negative."))
        if (
            self.kind == "plan"
            and self.line_id.product_id == self.product_id
            and self.currency_id.compare_amounts(self.line_id.price_unit, self.price_unit) == 0
        ):
            raise ValidationError(
                _("%(plan)s is already the plan of this service.", plan=self.product_id.display_name)
            )
        if self.kind == "pause" and (not self.date_to or self.date_to < self.date):
            raise ValidationError(_("A pause ends on or after the day it starts."))
        if self.line_id and self.line_id.contract_id != self.contract_id:
            raise ValidationError(_("The service must belong to the subscription."))
        if self.state == "draft" and self.line_id and self.kind in ("plan", "cancel"):
            self._isp_check_line_in_service()
        if self.kind == "pause" and any(
            pause.date <= self.date_to and self.date <= pause.date_to
            for pause in self.contract_id._isp_pauses() - self
        ):
            raise ValidationError(_("The subscription is already paused on some of these days."))

    def _isp_check_line_in_service(self):
        line = self.line_id
        successor = self.env["contract.line"].search(
            [("isp_replaces_line_id", "=", line.id)], limit=1
        )
        if successor:
            raise ValidationError(
                _(
                    "%(service)s was already replaced by %(new)s from %(date)s: "
                    "change the current plan instead.",
                    service=line.name,
                    new=successor.name,
                    date=format_date(self.env, successor.isp_service_from),
                )
            )
        if self.kind == "plan" and line.isp_service_from and self.date < line.isp_service_from:
            raise ValidationError(
                _(
                    "%(service)s starts on %(date)s: a change of it takes effect "
                    "on that day or later.",
                    service=line.name,
                    date=format_date(self.env, line.isp_service_from),
                )
            )
        if line.isp_service_to and line.isp_service_to < self.date:
            raise ValidationError(
                _(
                    "%(service)s ended on %(date)s.",
                    service=line.name,
                    date=format_date(self.env, line.isp_service_to),
                )
            )

    # === CRUD === #

    def write(self, vals):
        # An applied change is history: only the network follow-up moves on.
        if not self.env.context.get("isp_applying") and set(vals) - {"network_date"}:
            if any(change.state == "done" for change in self):
                raise UserError(
                    _("An applied change cannot be modified: apply a new change instead.")
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_applied(self):
        if any(change.state == "done" for change in self):
            raise UserError(
                _("An applied change cannot be deleted: apply a new change instead.")
            )

    # === ACTIONS === #

    def action_apply(self):
        for change in self:
            change._isp_apply(fields.Date.context_today(self))
        return True

    def action_cancel(self):
        self.filtered(lambda c: c.state in ("draft", "waiting")).state = "cancelled"

    # === BUSINESS METHODS === #

    def _isp_lock(self):
        """Lock the change, so that a double click or two users apply it once."""
        self.flush_recordset()
        try:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM isp_service_change WHERE id = ANY(%s) FOR UPDATE NOWAIT",
                    self.ids,
                )
            )
        except pg_errors.LockNotAvailable as exc:
            raise UserError(_("This change is being applied by someone else.")) from exc
        self.invalidate_recordset(["state"])

    def _isp_apply(self, today):
        """Apply the change as of ``today``; a change already applied is left as it is."""
        self.ensure_one()
        check_staff(self.env)
        self._isp_lock()
        if self.state == "done":
            return self
        if self.state == "cancelled":
            raise UserError(_("This change was cancelled."))
        self._isp_check_values()
        self._isp_check_date()
        engine = self.env["isp.billing.engine"].sudo()
        periods = self.sudo()._isp_repriced_periods()
        if self.kind in ("pause", "cancel") and not self.company_id.isp_refund_unused:
            periods = [
                period for period in periods if all(amount > 0 for __, amount in period.lines)
            ]
        total = engine._periods_total(self.partner_id, periods) if periods else 0.0
        if total > 0:
            self._isp_check_funds(total)
        plan = engine._apply_adjustment(self.partner_id, periods, today) if periods else None
        self.with_context(isp_applying=True).write(
            {
                "state": "done",
                "user_id": self.env.uid,
                "applied_on": today,
                "move_id": plan.move.id if plan else False,
                "amount": total,
                "network_date": self._isp_first_network_date(),
            }
        )
        self._isp_log()
        self._isp_notify_network(today)
        return self

    def _isp_preview(self, date=None):
        """What applying the change from its day (or ``date`` when later)
        would credit and charge, without writing anything: the lines are
        changed and the charged periods priced inside a savepoint that is
        rolled back. Run it before anything is queued for the commit (a rolled
        back savepoint drops the precommit hooks).

        Returns ``{"date", "credited", "charged", "net", "until", "to_pay"}``:
        the first day on the new plan, the unused days of the old plan (a
        positive amount), the new plan to the end of the charged period, their
        difference, the last day charged, and what the customer must pay first
        (zero when the balance, or the customer's credit, allows the net)."""
        self.ensure_one()
        preview = {}
        try:
            with self.env.cr.savepoint():
                change = self.sudo()
                if date and date > change.date:
                    change.date = date
                change._isp_check_values()
                change._isp_check_date()
                engine = self.env["isp.billing.engine"].sudo()
                periods = change._isp_repriced_periods()
                partner = change.partner_id
                credits = [
                    replace(period, lines=[lk for lk in period.lines if lk[1] < 0])
                    for period in periods
                ]
                charges = [
                    replace(period, lines=[lk for lk in period.lines if lk[1] > 0])
                    for period in periods
                ]
                net = engine._periods_total(partner, periods) if periods else 0.0
                preview = {
                    "date": change.date,
                    "credited": -engine._periods_total(partner, credits),
                    "charged": engine._periods_total(partner, charges),
                    "net": net,
                    "until": max((period.end for period in periods), default=False),
                    "to_pay": change._isp_amount_missing(net),
                }
                raise _PreviewDone()
        except _PreviewDone:
            pass
        self.env.invalidate_all()
        return preview

    @api.model
    def _isp_preview_new(self, vals):
        """The preview of a change made of ``vals``, which is not kept."""
        preview = {}
        try:
            with self.env.cr.savepoint():
                preview = self.sudo().create(vals)._isp_preview()
                raise _PreviewDone()
        except _PreviewDone:
            pass
        self.env.invalidate_all()
        return preview

    def _isp_amount_missing(self, total):
        """What the customer must pay before ``total`` can be charged: zero when
        the customer is not charged within funds (postpaid or unlimited credit, see
        _isp_check_funds) or the balance allows it; else the net plus the
        balance's floor less the balance."""
        partner = self.partner_id
        if (
            not partner._isp_charged_within_funds()
            or total <= 0
            or partner._isp_has_funds_for(total)
        ):
            return 0.0
        currency = partner.isp_currency_id
        floor = partner._isp_floor() or 0.0
        return max(currency.round(total + floor - partner.isp_balance), 0.0)

    def _isp_apply_paid(self, payment):
        """Apply the change a payment was made for, from the payment's day (the
        subscriber had the old plan until then); UserError when it can no
        longer be applied, and the money stays on the balance."""
        self.ensure_one()
        self._isp_lock()
        if self.state == "done":
            raise UserError(_("The plan change this payment was for was already applied."))
        if self.state != "waiting":
            raise UserError(_("The plan change this payment was for was cancelled."))
        if payment.date > self.date:
            self.date = payment.date
        return self._isp_apply(payment.date)

    def _isp_repriced_periods(self):
        """Change the service lines and return what that changes in the
        periods already charged, line by line (see the module docstring)."""
        engine = self.env["isp.billing.engine"]
        contract = self.contract_id
        before = engine._charged_amounts(contract, self.date)
        self.with_context(isp_applying=True)._isp_change_lines()
        contract.invalidate_recordset()
        after = engine._charged_amounts(contract, self.date)
        return engine._adjustment_periods(contract, before, after, self._isp_changed_days())

    def _isp_changed_days(self):
        """``(first, last)`` days the change is for; last None: to the end."""
        if self.kind == "pause":
            return self.date, self.date_to
        if self.kind == "cancel":
            return self.date + billing_periods.ONE_DAY, None
        return self.date, None

    def _isp_check_date(self):
        contract = self.contract_id
        if contract.date_start and self.date < contract.date_start:
            raise UserError(
                _(
                    "The change cannot start before the subscription does (%(date)s).",
                    date=format_date(self.env, contract.date_start),
                )
            )
        last = contract.sudo().isp_charge_ids[:1]
        if last and self.date < last.period_start:
            raise UserError(
                _(
                    "The change cannot take effect before %(date)s, the start of the "
                    "last charged period: earlier periods are closed.",
                    date=format_date(self.env, last.period_start),
                )
            )
        if contract.isp_cancel_date:
            raise UserError(_("This subscription was cancelled."))

    def _isp_check_funds(self, total):
        """Seed 002: a prepaid customer pays from the balance, a credit-limit
        customer within the limit; other customers are charged, their debt grows."""
        partner = self.partner_id
        if partner._isp_charged_within_funds() and not partner._isp_has_funds_for(total):
            currency = partner.isp_currency_id
            raise UserError(
                _(
                    "%(partner)s cannot be charged %(amount)s for this change: the "
                    "balance of %(balance)s (minimum %(minimum)s) does not allow it. "
                    "The customer can pay the difference first.",
                    partner=partner.display_name,
                    amount=currency.format(total),
                    balance=currency.format(partner.isp_balance),
                    minimum=currency.format(partner._isp_floor() or 0.0),
                )
            )

    def _isp_main_line(self):
        return self._isp_plan_line(self.contract_id, self.date)

    @api.model
    def _isp_plan_line(self, contract, date):
        """The plan of ``contract`` on ``date``: the line with the login, else
        the first line in service."""
        lines = contract._isp_billable_lines().filtered(
            lambda line: not line.isp_service_to or line.isp_service_to >= date
        )
        return lines.filtered("isp_radius_username")[:1] or lines[:1]

    def _isp_change_lines(self):
        contract = self.contract_id
        if self.kind == "plan":
            old = self.line_id or self._isp_main_line()
            if not old:
                raise UserError(_("This subscription has no plan to change."))
            self.line_id = old
            self.new_line_id = self._isp_new_line(replaces=old)
            old.isp_service_to = self.date - relativedelta(days=1)
        elif self.kind == "addon":
            self.new_line_id = self._isp_new_line()
        elif self.kind == "pause":
            self.state = "done"  # the engine prices paused days from done pauses
        elif self.line_id:
            self._isp_end_line(self.line_id)
        else:
            for line in contract._isp_billable_lines():
                self._isp_end_line(line)
            active_to = contract.date_end
            contract.write(
                {
                    "isp_cancel_date": self.date,
                    "date_end": min(active_to, self.date) if active_to else self.date,
                }
            )

    def _isp_end_line(self, line):
        """End ``line`` on the cancellation day; a line that would only start
        later (a plan change not in effect yet) never starts."""
        end = min(line.isp_service_to or self.date, self.date)
        if line.isp_service_from:
            end = max(end, line.isp_service_from - relativedelta(days=1))
        line.isp_service_to = end

    def _isp_new_line(self, replaces=None):
        vals = {
            "contract_id": self.contract_id.id,
            "product_id": self.product_id.id,
            "name": self.product_id.get_product_multiline_description_sale()
            or self.product_id.display_name,
            "quantity": 1.0,
            "price_unit": self.price_unit,
            "uom_id": self.product_id.uom_id.id,
            # OCA contract's own dates stay the subscription's; the days in
            # service are ours.
            "date_start": self.contract_id.date_start,
            "isp_service_from": self.date,
        }
        if replaces:
            # The login moves to the new plan; the old plan applies until it starts.
            vals.update(
                {
                    "isp_replaces_line_id": replaces.id,
                    "sequence": replaces.sequence,
                    "quantity": replaces.quantity,
                }
            )
            credentials = {
                "isp_radius_username": replaces.isp_radius_username,
                "isp_radius_password": replaces.isp_radius_password,
            }
            if replaces.isp_radius_username:
                replaces.write({"isp_radius_username": False, "isp_radius_password": False})
                replaces.flush_recordset()  # the login is unique: free it first
                vals.update(credentials)
        return self.env["contract.line"].create(vals)

    def _isp_log(self):
        currency = self.currency_id
        message = _(
            "%(change)s from %(date)s by %(user)s%(detail)s%(amount)s%(reason)s",
            change=dict(self._fields["kind"]._description_selection(self.env))[self.kind],
            date=format_date(self.env, self.date),
            user=self.env.user.name,
            detail=self._isp_detail(),
            amount=(
                _(": %(document)s for %(amount)s", document=self.move_id.name,
                  amount=currency.format(self.amount))
                if self.move_id
                else ""
            ),
            reason=_(" (%(reason)s)", reason=self.reason) if self.reason else "",
        )
        for record in (self.contract_id, self.partner_id):
            record.sudo().message_post(body=message, subtype_xmlid="mail.mt_note")

    def _isp_detail(self):
        if self.kind == "plan":
            return _(
                ": %(old)s → %(new)s at %(price)s",
                old=self.line_id.product_id.display_name,
                new=self.product_id.display_name,
                price=self.currency_id.format(self.price_unit),
            )
        if self.kind == "addon":
            return _(
                ": %(new)s at %(price)s",
                new=self.product_id.display_name,
                price=self.currency_id.format(self.price_unit),
            )
        if self.kind == "pause":
            return _(" to %(date)s", date=format_date(self.env, self.date_to))
        return ""

    # === NETWORK === #

    def _isp_first_network_date(self):
        if self.kind == "addon":
            return False
        if self.kind == "cancel":
            return self.date + billing_periods.ONE_DAY
        return self.date

    def _isp_notify_network(self, today):
        """Tell the network of the changes due by ``today``: a new plan's profile
        (or the end of a service, a pause and its end) applies to open sessions."""
        Requests = self.env["isp.radius.disconnect"].sudo()
        for change in self.filtered(lambda c: c.network_date and c.network_date <= today):
            if change.kind == "plan":
                # The new profile in place (CoA) where the router can, else a reconnect.
                Requests._isp_queue_plan_change(
                    change.new_line_id.filtered("isp_radius_username"),
                    change._isp_network_reason(),
                )
            else:
                Requests._isp_queue_for(change.partner_id, change._isp_network_reason())
            change.network_date = (
                change.date_to + billing_periods.ONE_DAY
                if change.kind == "pause" and change.network_date <= change.date_to
                else False
            )

    def _isp_network_reason(self):
        return dict(self._fields["kind"]._description_selection(self.env))[self.kind]

    @api.model
    def _cron_isp_network(self, date=None):
        date = date or fields.Date.context_today(self)
        due = self.search(
            [("state", "=", "done"), ("network_date", "!=", False), ("network_date", "<=", date)]
        )
        due._isp_notify_network(date)
