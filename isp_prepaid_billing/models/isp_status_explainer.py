# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Why a customer is (not) blocked, and what happens next.

The explainer has no rules of its own: it asks the billing engine's planners
(``_plan_status``, the charge-time funds check ``_lapse_decision`` and the
``_cutoff_hold`` gate) what they decide on the coming days, as the crons will.
The planners' answers only change on the days their data names (a blocking
day, a due date, a charge day, the end of a deactivation period), so those
are the days it asks about, within a bounded look-ahead.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, models
from odoo.tools import format_date

from .isp_billing_engine import ChargePlan

# How far ahead the next event is looked for.
LOOK_AHEAD_DAYS = 120
ONE_DAY = relativedelta(days=1)


@dataclass
class StatusEvent:
    """The next block or deactivation: its day, the planner's decision, the
    holds (``[(day, CutoffHold)]``) that moved it, the hour it happens from."""

    day: object
    decision: object
    holds: list = field(default_factory=list)
    hour: int = 0
    plan: object = None  # the charge plan a charge-time block comes from

    @property
    def action(self):
        return self.decision.action

    @property
    def rule(self):
        return self.decision.rule


@dataclass
class Explanation:
    partner: object
    date: object
    event: object = None  # StatusEvent, or None when nothing happens
    why_not: str = ""  # why no cut-off happens on ``date`` (staff words)


class IspStatusExplainer(models.AbstractModel):
    _name = "isp.status.explainer"
    _description = "ISP status explainer"

    # === WHAT HAPPENS NEXT === #

    @api.model
    def _explain(self, partner, date, horizon=LOOK_AHEAD_DAYS):
        """What the crons will do to ``partner`` from ``date`` on, and why."""
        partner = partner.commercial_partner_id
        explanation = Explanation(partner=partner, date=date)
        if not partner.isp_billing_enabled or partner.isp_status in ("new", "inactive"):
            return explanation
        end = date + relativedelta(days=horizon)
        why_not = {}
        first = self._first_decision(partner, date, end, why_not)
        if first:
            explanation.event = self._after_holds(partner, *first, end)
        explanation.why_not = self._why_not_text(partner, date, why_not)
        return explanation

    @api.model
    def _first_decision(self, partner, date, end, why_not):
        """``(day, decision, plan)`` of the first block or deactivation the
        planners decide on or after ``date``, before any hold."""
        Engine = self.env["isp.billing.engine"]
        lapse = self._first_lapse(partner, date, end)
        for day in self._days_to_ask(partner, date, end):
            if lapse and lapse[0] <= day:
                return lapse
            decisions = Engine._plan_status(
                partner, day, why_not if day == date else None
            )
            for decision in decisions:
                if decision.action in ("block", "deactivate"):
                    return day, decision, None
        return lapse

    @api.model
    def _days_to_ask(self, partner, date, end):
        """``date`` and the later days on which the status planner's answer
        may change: blocking and due days of unpaid documents, the end of the
        deactivation period."""
        days = {date}
        invoices = self.env["account.move"].search(
            self.env["isp.billing.engine"]._isp_invoice_domain(partner)
            + [("payment_state", "in", ("not_paid", "partial"))]
        )
        for invoice in invoices:
            days.add(invoice.isp_block_date)
            if invoice.invoice_date_due:
                days.add(invoice.invoice_date_due + ONE_DAY)
        days.update(
            self.env["isp.proforma"]._isp_open_requests(partner).mapped("isp_block_date")
        )
        if partner.isp_status == "blocked" and partner.isp_status_date:
            days.add(
                partner.isp_status_date
                + relativedelta(days=partner.isp_deactivation_days)
            )
        return sorted(day for day in days if day and date <= day <= end)

    @api.model
    def _first_lapse(self, partner, date, end):
        """``(day, decision, plan)`` of the first charge the balance will not
        cover, for a customer charged within funds, charges going through
        until then; None when every charge up to ``end`` is covered."""
        if partner.isp_status != "active" or not partner._isp_charged_within_funds():
            return None
        Engine = self.env["isp.billing.engine"]
        by_day = defaultdict(list)
        for day, period in Engine._forecast(partner, date, end):
            by_day[day].append(period)
        balance = partner.isp_balance
        for day in sorted(by_day):
            plan = ChargePlan(
                partner=partner, date=day, periods=by_day[day], balance=balance
            )
            plan.total = Engine._periods_total(partner, plan.periods)
            if partner._isp_has_funds_for(plan.total, balance):
                balance -= plan.total
                continue
            plan.action = "insufficient"
            plan.message = Engine._refusal_message(plan)
            decision = Engine._lapse_decision(plan, day)
            return (day, decision, plan) if decision else None
        return None

    @api.model
    def _after_holds(self, partner, day, decision, plan, end):
        """The event as it happens: moved past every ``_cutoff_hold``."""
        Engine = self.env["isp.billing.engine"]
        event = StatusEvent(day=day, decision=decision, plan=plan)
        company = partner.isp_company_id or self.env.company
        while day <= end:
            hold = Engine._cutoff_hold(partner, decision.action, day)
            if not hold:
                break
            event.holds.append((day, hold))
            if hold.rule == "throttle" and not partner.isp_throttled_since:
                # The cron starts the throttle on its first day: later days
                # count from there, as they will once it has started.
                Engine = Engine.with_context(isp_throttle_since={partner.id: day})
            if hold.rule == "cutoff_hour":
                event.hour = company.isp_cutoff_hour
                break
            day = max(hold.until, day) + ONE_DAY
        event.day = day
        if not event.hour and company.isp_cutoff_hour:
            event.hour = company.isp_cutoff_hour
        return event

    @api.model
    def _why_not_text(self, partner, date, why_not):
        """Why nothing is cut off on ``date``, in staff words ("" when it is)."""
        reason = why_not.get(partner)
        if partner.isp_do_not_block:
            reason = self.env._("Do not block is set")
        elif partner.isp_status == "active" and partner.isp_billing_type == "prepaid":
            reason = self.env._("the balance covers the charges due")
        if not reason:
            return ""
        paid_until = partner.isp_paid_until
        if partner.isp_status == "active" and paid_until and paid_until < date:
            return self.env._(
                "Not blocked although paid-until (%(day)s) passed: %(reason)s.",
                day=format_date(self.env, paid_until),
                reason=reason,
            )
        if partner.isp_status == "blocked":
            return self.env._("Not deactivated: %(reason)s.", reason=reason)
        return self.env._("Not blocked: %(reason)s.", reason=reason)

    # === IN WORDS === #

    @api.model
    def _day_text(self, day):
        """"Monday 15 March 2027" in the environment's language."""
        return format_date(self.env, day, date_format="EEEE d MMMM y")

    @api.model
    def _money(self, partner, amount):
        return partner.isp_currency_id.format(amount)

    @api.model
    def _missing(self, event):
        """What the customer must pay (or top up) so the event does not happen."""
        partner = event.decision.partner
        plan = event.plan
        if plan:
            floor = partner._isp_floor() or 0.0
            return partner.isp_currency_id.round(plan.total + floor - plan.balance)
        document = event.decision.document
        if document and document._name == "account.move":
            return document.amount_residual
        if document:
            return document.amount_total
        floor = partner._isp_floor() or 0.0
        return partner.isp_currency_id.round(floor - partner.isp_balance)

    @api.model
    def _staff_event_text(self, event):
        """The next event and the rule behind it, for ISP staff."""
        day = self._day_text(event.day)
        if event.hour:
            hour = "%02d:00" % event.hour
            day = self.env._("%(day)s at %(hour)s", day=day, hour=hour)
        verb = (
            self.env._("blocked")
            if event.action == "block"
            else self.env._("deactivated")
        )
        condition = self._staff_condition(event)
        text = self.env._(
            "Will be %(verb)s on %(day)s %(condition)s.",
            verb=verb,
            day=day,
            condition=condition,
        )
        days_moved_to = [held_day for held_day, __ in event.holds[1:]]
        days_moved_to += [event.day] if event.holds else []
        moves = [
            self.env._(
                "Would be %(verb)s on %(day)s; moved to %(to)s: %(reason)s.",
                verb=verb,
                day=self._day_text(held_day),
                to=self._day_text(moved_to),
                reason=hold.reason,
            )
            for (held_day, hold), moved_to in zip(event.holds, days_moved_to, strict=True)
            if hold.rule != "cutoff_hour"
        ]
        return " ".join([*moves, text])

    @api.model
    def _staff_condition(self, event):
        decision = event.decision
        partner = decision.partner
        document = decision.document
        if decision.rule == "invoice_unpaid":
            return self.env._(
                "unless invoice %(invoice)s of %(amount)s is paid — payment due "
                "%(due)s, blocking period %(days)s days",
                invoice=document.name,
                amount=self._money(partner, document.amount_residual),
                due=format_date(self.env, document.invoice_date_due),
                days=partner.isp_blocking_days,
            )
        if decision.rule == "proforma_unpaid":
            return self.env._(
                "unless proforma %(number)s of %(amount)s is paid — pay by %(due)s",
                number=document.name,
                amount=self._money(partner, document.amount_total),
                due=format_date(self.env, document.date_due),
            )
        if decision.rule == "prepaid_funds":
            return self.env._(
                "unless %(missing)s is topped up — the charge of %(amount)s that "
                "day finds a balance of %(balance)s",
                missing=self._money(partner, self._missing(event)),
                amount=self._money(partner, event.plan.total),
                balance=self._money(partner, event.plan.balance),
            )
        if decision.rule == "credit_limit":
            return self.env._(
                "unless %(missing)s is paid — the invoice of %(amount)s that day "
                "would go beyond the credit limit of %(limit)s",
                missing=self._money(partner, self._missing(event)),
                amount=self._money(partner, event.plan.total),
                limit=self._money(partner, partner.isp_credit_limit),
            )
        if decision.rule == "deactivation":
            return self.env._(
                "unless paid — blocked since %(since)s, deactivation period %(days)s days",
                since=format_date(self.env, partner.isp_status_date),
                days=partner.isp_deactivation_days,
            )
        return self.env._("— %(reason)s", reason=decision.reason)

    @api.model
    def _subscriber_event_text(self, event):
        """The next event in the subscriber's words, completing "Your service
        will be …". Never a staff reason."""
        partner = event.decision.partner
        day = format_date(self.env, event.day)
        document = event.decision.document
        rule = event.rule
        if event.action == "deactivate":
            text = self.env._("deactivated on %(day)s if unpaid", day=day)
        elif rule == "invoice_unpaid":
            text = self.env._(
                "blocked on %(day)s unless invoice %(invoice)s (%(amount)s) is paid",
                day=day,
                invoice=document.name,
                amount=self._money(partner, document.amount_residual),
            )
        elif rule == "proforma_unpaid":
            text = self.env._(
                "blocked on %(day)s unless proforma %(number)s (%(amount)s) is paid",
                day=day,
                number=document.name,
                amount=self._money(partner, document.amount_total),
            )
        elif rule == "prepaid_funds":
            text = self.env._(
                "blocked on %(day)s unless %(missing)s is topped up",
                day=day,
                missing=self._money(partner, self._missing(event)),
            )
        else:
            text = self.env._(
                "blocked on %(day)s unless %(missing)s is paid",
                day=day,
                missing=self._money(partner, self._missing(event)),
            )
        if event.hour:
            hour = "%02d:00" % event.hour
            text = self.env._("%(text)s (from %(hour)s)", text=text, hour=hour)
        # Only the working-day rule's reason is the subscriber's to read.
        for __, hold in event.holds:
            if hold.rule == "working_day":
                text = self.env._(
                    "%(text)s (moved: %(reason)s)", text=text, reason=hold.reason
                )
        return text

    # === TIMELINE (staff) === #

    @api.model
    def _timeline(self, partner, date, explanation):
        """``[(day, text)]``: charged periods, invoices with their due and
        blocking days, payments, status changes and the next event, by day."""
        Engine = self.env["isp.billing.engine"]
        items = []
        for charge in partner.isp_charge_ids.sorted("period_start")[-12:]:
            items.append(
                (
                    charge.date,
                    self.env._(
                        "Charged %(start)s – %(end)s: %(amount)s",
                        start=format_date(self.env, charge.period_start),
                        end=format_date(self.env, charge.period_end),
                        amount=self._money(partner, charge.amount),
                    ),
                )
            )
        invoices = self.env["account.move"].search(
            Engine._isp_invoice_domain(partner), order="invoice_date desc, id desc", limit=12
        )
        for invoice in invoices:
            items.append((invoice.invoice_date, self._invoice_text(partner, invoice)))
        payments = self.env["account.payment"].search(
            [
                ("partner_id", "=", partner.id),
                ("partner_type", "=", "customer"),
                ("state", "not in", ("draft", "canceled", "rejected")),
            ],
            order="date desc, id desc",
            limit=12,
        )
        for payment in payments:
            items.append(
                (
                    payment.date,
                    self.env._(
                        "Payment %(name)s: %(amount)s",
                        name=payment.name,
                        amount=payment.currency_id.format(payment.amount),
                    ),
                )
            )
        events = self.env["isp.status.event"].search(
            [("partner_id", "=", partner.id)], order="date desc, id desc", limit=12
        )
        labels = dict(events._fields["status_to"]._description_selection(self.env))
        for status_event in events:
            items.append(
                (
                    status_event.date,
                    self.env._(
                        "%(status)s: %(reason)s",
                        status=labels.get(status_event.status_to),
                        reason=status_event.reason or "",
                    ),
                )
            )
        if explanation.event:
            items.append((explanation.event.day, self._staff_event_text(explanation.event)))
        return sorted(items, key=lambda item: item[0] or date)

    @api.model
    def _invoice_text(self, partner, invoice):
        values = {
            "invoice": invoice.name,
            "amount": self._money(partner, invoice.amount_total),
            "due": format_date(self.env, invoice.invoice_date_due),
        }
        if invoice.payment_state in ("paid", "in_payment", "reversed"):
            return self.env._("Invoice %(invoice)s: %(amount)s, due %(due)s, paid", **values)
        if invoice.isp_block_date:
            return self.env._(
                "Invoice %(invoice)s: %(amount)s, due %(due)s, %(residual)s unpaid, "
                "blocking day %(block)s",
                residual=self._money(partner, invoice.amount_residual),
                block=format_date(self.env, invoice.isp_block_date),
                **values,
            )
        return self.env._(
            "Invoice %(invoice)s: %(amount)s, due %(due)s, %(residual)s unpaid",
            residual=self._money(partner, invoice.amount_residual),
            **values,
        )

    @api.model
    def _staff_html(self, partner, date):
        """The explanation as shown on the customer form."""
        explanation = self._explain(partner, date)
        parts = []
        if explanation.event:
            parts.append(
                Markup("<p class='o_isp_next_event fw-bold'>%s</p>")
                % self._staff_event_text(explanation.event)
            )
        if explanation.why_not:
            parts.append(Markup("<p class='o_isp_why_not'>%s</p>") % explanation.why_not)
        if not parts:
            parts.append(
                Markup("<p class='o_isp_why_not'>%s</p>")
                % self.env._("Nothing is due to change in the next %(days)s days.", days=LOOK_AHEAD_DAYS)
            )
        rows = Markup("").join(
            Markup("<li><span class='text-muted me-2'>%s</span>%s</li>")
            % (format_date(self.env, day), text)
            for day, text in self._timeline(partner, date, explanation)
        )
        if rows:
            parts.append(Markup("<ul class='o_isp_timeline list-unstyled mb-0'>%s</ul>") % rows)
        return Markup("").join(parts)
