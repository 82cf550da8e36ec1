# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""A blocked customer's promise to pay: the service runs again until a day,
then the block comes back unless the document that caused it is paid.

At most one promise per unpaid document (invoice, proforma or, for prepaid
customers, the period that could not be charged) and one in a company's
number of days. While a promise runs, the billing engine's cut-off gate
(``isp.billing.engine._cutoff_hold``) holds every block of the customer.
"""

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..tools.staff import check_staff

PROMISE_STATES = [
    ("active", "Active"),
    ("kept", "Kept"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]


# A promise longer than a year is no promise.
MAX_PROMISE_DAYS = 365


class IspPaymentPromise(models.Model):
    _name = "isp.payment.promise"
    _description = "Promise to pay"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        readonly=True,
        index="btree_not_null",
        check_company=True,
        help="The unpaid invoice that caused the block.",
    )
    proforma_id = fields.Many2one(
        "isp.proforma",
        string="Proforma",
        readonly=True,
        index="btree_not_null",
        check_company=True,
        help="The unpaid proforma that caused the block.",
    )
    period_date = fields.Date(
        string="Unpaid Period From",
        readonly=True,
        help="Prepaid: the first day of the period the balance could not pay.",
    )
    reference = fields.Char(string="Promised For", readonly=True)
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(
        string="Pay By", required=True, readonly=True, help="Last day of service."
    )
    source = fields.Selection(
        [("portal", "Subscriber (portal)"), ("staff", "Staff")],
        string="Granted From",
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one("res.users", string="Granted By", readonly=True)
    state = fields.Selection(
        PROMISE_STATES,
        default="active",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    closed_on = fields.Date(readonly=True)

    _sql_constraints = [
        (
            "dates_valid",
            "CHECK(date_to >= date_from)",
            "A promise cannot end before it starts.",
        ),
    ]

    @api.depends("date_to", "partner_id")
    def _compute_name(self):
        for promise in self:
            promise.name = self.env._(
                "Promise to pay by %(day)s",
                day=format_date(self.env, promise.date_to) if promise.date_to else "",
            )

    # === ACTIONS === #

    def action_cancel(self):
        """Staff withdraw a running promise: the next status run blocks again."""
        check_staff(self.env)
        for promise in self.filtered(lambda p: p.state == "active"):
            promise._isp_close("cancelled", fields.Date.context_today(self))

    # === BUSINESS METHODS === #

    @api.model
    def _isp_running(self, partner, date):
        """The promise holding ``partner``'s cut-off on ``date``, if any."""
        return self.sudo().search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("state", "=", "active"),
                ("date_from", "<=", date),
                ("date_to", ">=", date),
            ],
            limit=1,
        )

    @api.model
    def _isp_lapsed(self, partner, date):
        """The active promise of ``partner`` whose last day is before ``date``."""
        return self.sudo().search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("state", "=", "active"),
                ("date_to", "<", date),
            ],
            order="date_to desc",
            limit=1,
        )

    @api.model
    def _isp_cause(self, partner, date):
        """The unpaid document behind ``partner``'s block on ``date``, as the
        promise's values: the overdue proforma, else the oldest invoice past
        its blocking day, else (prepaid) the first period not charged."""
        request = self.env["isp.proforma"].sudo()._isp_open_requests(
            partner, overdue_on=date
        )[:1]
        if request:
            return {"proforma_id": request.id, "reference": request.name}
        invoice = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    *self.env["isp.billing.engine"]._isp_invoice_domain(partner),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("isp_block_date", "<=", date),
                ],
                order="isp_block_date, id",
                limit=1,
            )
        )
        if invoice:
            return {"move_id": invoice.id, "reference": invoice.name}
        starts = [
            contract._isp_next_start()
            for contract in partner.sudo().isp_contract_ids.filtered("active")
            if partner.isp_billing_type == "prepaid"
        ]
        lapsed = [start for start in starts if start and start <= date]
        if lapsed:
            start = min(lapsed)
            return {
                "period_date": start,
                "reference": self.env._(
                    "Service from %(day)s", day=format_date(self.env, start)
                ),
            }
        return {"reference": self.env._("Balance")}

    @api.model
    def _isp_check_grant(self, partner, date, days, cause):
        """Refuse a promise ``partner`` may not have; nothing is written."""
        if not partner.isp_billing_enabled:
            raise UserError(
                self.env._("%(partner)s has no Internet service.", partner=partner.name)
            )
        if partner.isp_status != "blocked":
            raise UserError(
                self.env._(
                    "The service is not blocked: there is nothing to promise."
                )
            )
        if days < 1:
            raise UserError(self.env._("Promises to pay are not offered."))
        if days > MAX_PROMISE_DAYS:
            raise UserError(
                self.env._(
                    "A promise to pay lasts at most %(days)s days.",
                    days=MAX_PROMISE_DAYS,
                )
            )
        if not self._isp_owes(partner, cause):
            raise UserError(
                self.env._("Nothing unpaid suspends this service: there is nothing to promise.")
            )
        if self._isp_blocked_by_staff(partner) and not self.env.context.get(
            "isp_promise_by_staff"
        ):
            raise UserError(
                self.env._(
                    "This service was suspended by our staff: please contact us."
                )
            )
        previous = self.sudo().search(
            [
                ("partner_id", "=", partner.id),
                ("state", "!=", "cancelled"),
            ],
            order="date_from desc, id desc",
        )
        same = previous.filtered(
            lambda p: (
                (cause.get("move_id") and p.move_id.id == cause["move_id"])
                or (cause.get("proforma_id") and p.proforma_id.id == cause["proforma_id"])
                or (cause.get("period_date") and p.period_date == cause["period_date"])
            )
        )
        if same:
            raise UserError(
                self.env._(
                    "A promise to pay %(document)s was already made on %(day)s: "
                    "please pay it to reconnect.",
                    document=same[0].reference,
                    day=format_date(self.env, same[0].date_from),
                )
            )
        company = partner.isp_company_id or self.env.company
        gap = company.isp_promise_gap_days
        recent = previous.filtered(
            lambda p: p.date_from > date - relativedelta(days=gap)
        )
        if gap and recent:
            raise UserError(
                self.env._(
                    "A promise to pay was made on %(day)s: the next one is possible "
                    "from %(next)s.",
                    day=format_date(self.env, recent[0].date_from),
                    next=format_date(
                        self.env, recent[0].date_from + relativedelta(days=gap)
                    ),
                )
            )

    @api.model
    def _isp_owes(self, partner, cause):
        """Whether an unpaid document, or a balance below the customer's
        minimum, is behind the block (a promise has something to pay)."""
        if cause.get("move_id") or cause.get("proforma_id") or cause.get("period_date"):
            return True
        return not partner._isp_has_funds_for(0.0)

    @api.model
    def _isp_blocked_by_staff(self, partner):
        """Whether the block in force was set by a person, not by the rules."""
        event = (
            self.env["isp.status.event"]
            .sudo()
            .search(
                [("partner_id", "=", partner.id), ("status_to", "=", "blocked")],
                order="date desc, id desc",
                limit=1,
            )
        )
        return event.by_staff

    @api.model
    def _isp_portal_offer(self, partner, date):
        """What a subscriber may promise on ``date``: ``{days, date_to,
        reference}``; raises a UserError saying why not."""
        company = partner.isp_company_id or self.env.company
        days = company.isp_promise_days
        cause = self._isp_cause(partner, date)
        self._isp_check_grant(partner, date, days, cause)
        return {
            "days": days,
            "date_to": date + relativedelta(days=days - 1),
            "reference": cause["reference"],
        }

    @api.model
    def _isp_grant(self, partner, date, days, source):
        """Record ``partner``'s promise to pay within ``days`` days from
        ``date`` and reconnect the service until then. The caller checked that
        the user may act for ``partner``."""
        partner = partner.commercial_partner_id
        cause = self._isp_cause(partner, date)
        self._isp_check_grant(partner, date, days, cause)
        date_to = date + relativedelta(days=days - 1)
        promise = self.sudo().create(
            {
                "partner_id": partner.id,
                "company_id": (partner.isp_company_id or self.env.company).id,
                "date_from": date,
                "date_to": date_to,
                "source": source,
                "user_id": self.env.user.id,
                **cause,
            }
        )
        reason = self.env._(
            "Promise to pay %(document)s until %(day)s",
            document=promise.reference,
            day=format_date(self.env, date_to),
        )
        promise.message_post(body=reason, subtype_xmlid="mail.mt_note")
        partner.sudo()._isp_set_status("active", reason, date)
        return promise

    def _isp_is_settled(self):
        """Whether what was promised is paid."""
        self.ensure_one()
        if self.move_id:
            return self.move_id.payment_state in ("paid", "in_payment", "reversed")
        if self.proforma_id:
            return self.proforma_id.state != "open"
        partner = self.partner_id
        if self.period_date:
            return not any(
                contract._isp_next_start() <= self.period_date
                for contract in partner.isp_contract_ids.filtered("active")
            )
        return partner._isp_has_funds_for(0.0)

    @api.model
    def _isp_refresh(self, partners, date):
        """Mark kept the active promises of ``partners`` whose document is paid."""
        promises = self.sudo().search(
            [
                ("partner_id", "in", partners.commercial_partner_id.ids),
                ("state", "=", "active"),
            ]
        )
        for promise in promises.filtered(lambda p: p._isp_is_settled()):
            promise._isp_close("kept", date)
        return promises

    def _isp_close(self, state, date):
        self.ensure_one()
        self.write({"state": state, "closed_on": date})
        message = {
            "kept": self.env._("%(promise)s: kept (paid).", promise=self.name),
            "broken": self.env._(
                "%(promise)s: broken, not paid in time.", promise=self.name
            ),
            "cancelled": self.env._("%(promise)s: cancelled.", promise=self.name),
        }[state]
        self.partner_id.message_post(body=message, subtype_xmlid="mail.mt_note")
