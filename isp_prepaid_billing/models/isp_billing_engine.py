# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The one billing engine behind the buttons, the crons and the billing runs.

Every entry point takes the date it runs for. ``_plan`` only reads: it says, per
customer, which periods would be charged or invoiced and for how much, or why
not. ``_execute`` turns plans into posted, reconciled accounting entries.
``_plan_status``/``_apply_status`` do the same for blocking and deactivation.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from dateutil.relativedelta import relativedelta
from psycopg2 import errors as pg_errors

from odoo import Command, _, api, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from ..tools import billing_jobs, billing_periods

_logger = logging.getLogger(__name__)

# At most this many periods are caught up in one go for a prepaid customer.
MAX_CATCH_UP_PERIODS = 12
# A customer may pay up to a year of periods in advance.
MAX_PERIODS_AHEAD = 12
# A cut-off never waits longer than this many days in a row for a working day.
MAX_DAYS_OFF = 31


@dataclass
class PeriodCharge:
    """One period of one subscription, priced line by line."""

    contract: object
    start: object
    end: object
    factor: Fraction
    lines: list = field(default_factory=list)  # [(contract.line, amount)]
    span: tuple = None  # (first, last) days an adjustment is for

    @property
    def amount(self):
        return sum(amount for __, amount in self.lines)


@dataclass
class ChargePlan:
    partner: object
    date: object
    action: str = "nothing"  # charge | insufficient | nothing | already
    periods: list = field(default_factory=list)
    total: float = 0.0  # taxes included: what the balance pays
    balance: float = 0.0
    message: str = ""
    error: str = ""
    move: object = None
    one_time: object = None  # isp.one.time.charge billed on this plan's document
    hold: object = None  # CutoffHold that kept a lapsed customer running


@dataclass
class StatusDecision:
    partner: object
    action: str  # block | deactivate | credit_block | credit_unblock
    reason: str
    # Which rule decided: invoice_unpaid | proforma_unpaid | balance |
    # deactivation | prepaid_funds | credit_limit | credit ("" elsewhere)
    rule: str = ""
    document: object = None  # the invoice or proforma the rule is about
    hold: object = None  # the CutoffHold that made it wait, once applied


@dataclass
class CutoffHold:
    """A block or deactivation that waits: until which day (inclusive), by which
    rule, and why in words."""

    until: object
    rule: str  # e.g. working_day | cutoff_hour | promise | throttle
    reason: str


class IspBillingEngine(models.AbstractModel):
    _name = "isp.billing.engine"
    _description = "ISP billing engine"

    # === PLANNING (read only) === #

    @api.model
    def _plan(self, partners, date):
        partners = partners.commercial_partner_id
        # Read every subscription line of the batch at once, not contract by contract.
        partners.isp_contract_ids.contract_line_ids.mapped("price_unit")
        tax_cache = {}
        plans = [self._plan_partner(partner, date, tax_cache) for partner in partners]
        self._plan_one_time(plans, date, tax_cache)
        return plans

    @api.model
    def _plan_partner(self, partner, date, tax_cache):
        plan = ChargePlan(partner=partner, date=date, balance=partner.isp_balance)
        if not partner.isp_billing_enabled or partner.isp_status == "inactive":
            return plan
        contracts = partner.isp_contract_ids.filtered(
            lambda c: (
                c.active and c.isp_next_charge_date and c.isp_next_charge_date <= date
            )
        )
        for contract in contracts:
            plan.periods += self._contract_periods(contract, partner, date)
        if not plan.periods:
            return plan
        plan.total = self._periods_total(partner, plan.periods, tax_cache)
        if partner._isp_charged_within_funds() and not partner._isp_has_funds_for(
            plan.total, plan.balance
        ):
            plan.action = "insufficient"
            plan.message = self._refusal_message(plan)
            return plan
        plan.action = self._charge_or_request(plan)
        return plan

    @api.model
    def _refusal_message(self, plan):
        partner, currency = plan.partner, plan.partner.isp_currency_id
        if partner.isp_credit_mode == "limit" and partner.isp_credit_blocked:
            # The floor is then the minimum balance: say why, not "minimum 0.00".
            return _(
                "%(partner)s: balance %(balance)s is not enough to charge %(amount)s: "
                "the credit limit of %(limit)s is suspended while an invoice is overdue.",
                partner=partner.display_name,
                balance=currency.format(plan.balance),
                amount=currency.format(plan.total),
                limit=currency.format(partner.isp_credit_limit),
            )
        if partner.isp_billing_type == "prepaid" and partner.isp_credit_mode != "limit":
            return _(
                "%(partner)s: balance %(balance)s is not enough to charge %(amount)s "
                "(minimum balance %(minimum)s).",
                partner=partner.display_name,
                balance=currency.format(plan.balance),
                amount=currency.format(plan.total),
                minimum=currency.format(partner._isp_floor() or 0.0),
            )
        return _(
            "%(partner)s: invoicing %(amount)s would take the debt beyond the "
            "credit limit of %(limit)s (balance %(balance)s).",
            partner=partner.display_name,
            amount=currency.format(plan.total),
            limit=currency.format(partner.isp_credit_limit),
            balance=currency.format(plan.balance),
        )

    @api.model
    def _charge_or_request(self, plan):
        """Tax Invoice on Payment: a recurring or postpaid customer whose balance
        does not cover the plan gets a proforma ("proforma"), once per period
        ("requested" while it is open); everyone else is charged."""
        partner = plan.partner
        company = partner.isp_company_id or self.env.company
        if (
            not company.isp_tax_invoice_on_payment
            or partner.isp_billing_type == "prepaid"
            or partner.isp_currency_id.compare_amounts(plan.balance, plan.total) >= 0
        ):
            return "charge"
        domain = [
            ("proforma_id.state", "=", "open"),
            ("contract_line_id", "in", [line.id for period in plan.periods for line, __ in period.lines]),
            ("period_start", "in", [period.start for period in plan.periods]),
        ]
        # A customer who can be blocked is asked by a request with a blocking
        # day; one who cannot (unlimited credit, Do not block) gets requests
        # without one, and an open one of those is the request too.
        if self._due_dates(partner, plan.date)[1]:
            domain.append(("proforma_id.isp_block_date", "!=", False))
        requested = self.env["isp.proforma.line"].search_count(domain)
        return "requested" if requested else "proforma"

    @api.model
    def _contract_periods(self, contract, partner, date, next_start=None):
        """Periods of ``contract`` due on ``date`` that have something to bill;
        ``next_start`` replaces the first uncharged day when forecasting."""
        billing_type = partner.isp_billing_type
        if billing_type == "prepaid":
            bounds = self._prepaid_bounds(contract, partner, date, next_start)
        else:
            bounds = self._cycle_bounds(
                contract, partner, date, billing_type, next_start
            )
        periods = (
            self._price_period(contract, partner, start, end, factor)
            for start, end, factor in bounds
        )
        return [period for period in periods if period.lines]

    @api.model
    def _prepaid_bounds(self, contract, partner, date, next_start=None):
        """Prepaid periods run from the day charged; a lapsed customer restarts today."""
        start = next_start or contract._isp_next_start()
        if not next_start and partner.isp_status != "active" and start < date:
            start = date
        unit, length = contract.isp_period_unit, contract.isp_period_length
        date_end = self._service_end(contract)
        bounds = []
        while start <= date and len(bounds) < MAX_CATCH_UP_PERIODS:
            if date_end and start > date_end:
                break
            full_end = billing_periods.add_period(start, unit, length)
            end = min(full_end, date_end) if date_end else full_end
            factor = Fraction(
                billing_periods.days_between(start, end),
                billing_periods.days_between(start, full_end),
            )
            if unit == "month":
                factor *= length  # the price of a month unit is a monthly price
            bounds.append((start, end, factor))
            start = end + billing_periods.ONE_DAY
        return bounds

    @api.model
    def _cycle_bounds(self, contract, partner, date, billing_type, next_start=None):
        """Recurring: up to the end of the cycle containing ``date`` (in advance).
        Postpaid: up to the day before that cycle (the period just used)."""
        next_start = next_start or contract._isp_next_start()
        billing_day = partner.isp_billing_day
        months = contract.isp_period_length or 1
        cycle_start, cycle_end = billing_periods.cycle_containing(
            date, contract.date_start, billing_day, months
        )
        if billing_type == "recurring":
            end = cycle_end
        else:
            end = cycle_start - billing_periods.ONE_DAY
        date_end = self._service_end(contract)
        if date_end:
            end = min(end, date_end)
        if next_start > date or end < next_start:
            return []
        factor = billing_periods.months_covered(next_start, end, billing_day)
        return [(next_start, end, factor)]

    @api.model
    def _service_end(self, contract):
        """Last day of service ("active to"); a reactivation plans past it."""
        if self.env.context.get("isp_extend_service"):
            return False
        return contract.date_end

    @api.model
    def _price_period(self, contract, partner, start, end, factor):
        """Each service line of ``contract`` in ``[start, end]``, priced for the
        days it was in service: a plan changed mid-period, an add-on, a service
        ended or paused pays its share of the period, to the day. A line paused
        for the whole period stays on it at zero, so the period is still closed."""
        currency = partner.isp_currency_id
        period = PeriodCharge(contract=contract, start=start, end=end, factor=factor)
        days = billing_periods.days_between(start, end)
        for line in contract._isp_billable_lines():
            span = line._isp_span(start, end)
            if not span:
                continue
            share = Fraction(contract._isp_days_in_service(*span), days)
            period.lines.append((line, self._line_amount(line, factor * share, currency)))
        return period

    @api.model
    def _line_amount(self, line, factor, currency):
        unit_price = line.price_unit * line.quantity * (1 - (line.discount or 0.0) / 100)
        return currency.round(float(Fraction(unit_price) * factor))

    @api.model
    def _line_taxes(self, line, partner, tax_cache=None):
        """Taxes of a subscription line for its customer (fiscal position applied)."""
        tax_cache = {} if tax_cache is None else tax_cache
        product = line.product_id
        key = (product.id, partner.property_account_position_id.id)
        if key not in tax_cache:
            company = partner.isp_company_id or self.env.company
            taxes = product.taxes_id.filtered(lambda t: t.company_id == company)
            fiscal_position = partner.with_company(company).property_account_position_id
            tax_cache[key] = (
                fiscal_position.map_tax(taxes) if fiscal_position else taxes
            )
        return tax_cache[key]

    @api.model
    def _amount_with_taxes(self, line, amount, partner, tax_cache):
        taxes = self._line_taxes(line, partner, tax_cache)
        if not taxes:
            return amount
        return taxes.compute_all(
            amount, partner.isp_currency_id, 1.0, line.product_id, partner
        )["total_included"]

    @api.model
    def _periods_total(self, partner, periods, tax_cache=None):
        """What ``periods`` cost ``partner``, taxes included, rounded."""
        tax_cache = {} if tax_cache is None else tax_cache
        return partner.isp_currency_id.round(
            sum(
                self._amount_with_taxes(line, amount, partner, tax_cache)
                for period in periods
                for line, amount in period.lines
            )
        )

    # === FORECAST (read only) === #

    @api.model
    def _forecast(self, partner, date_from, date_to):
        """The charges ``partner`` will get from ``date_from`` to ``date_to`` if every
        one of them goes through: ``[(charge_date, PeriodCharge)]`` by date. Used by
        proformas and the payment calendar; it writes nothing."""
        partner = partner.commercial_partner_id
        if not partner.isp_billing_enabled or partner.isp_status == "inactive":
            return []
        forecast = []
        for contract in partner.isp_contract_ids.filtered("active"):
            next_start = contract._isp_next_start()
            charge_date = contract.isp_next_charge_date
            while charge_date and charge_date <= date_to:
                on = max(charge_date, date_from)
                periods = self._contract_periods(contract, partner, on, next_start)
                if not periods:
                    break
                forecast += [(on, period) for period in periods]
                next_start = (
                    max(period.end for period in periods) + billing_periods.ONE_DAY
                )
                charge_date = contract._isp_next_charge_date(next_start)
        return sorted(
            forecast, key=lambda item: (item[0], item[1].start, item[1].contract.id)
        )

    # === PREPAYMENT (read only) === #

    @api.model
    def _plan_ahead(self, partner, count, date):
        """The next ``count`` periods of each running subscription of ``partner``,
        priced: what a prepayment made on ``date`` buys. A lapsed service (blocked
        prepaid, or past its "active to" date) restarts on ``date``. With context
        ``isp_extend_service`` the "active to" dates do not stop the plan."""
        partner = partner.commercial_partner_id
        self._check_periods_ahead(partner, count)
        plan = ChargePlan(partner=partner, date=date, balance=partner.isp_balance)
        for contract in self._contracts_ahead(partner):
            next_start = self._restart_day(contract, partner, date)
            for __ in range(count):
                periods = self._contract_periods(
                    contract, partner, next_start, next_start
                )
                if not periods:
                    break
                plan.periods += periods
                next_start = periods[-1].end + billing_periods.ONE_DAY
        plan.total = self._periods_total(partner, plan.periods)
        plan.action = "charge" if plan.periods else "nothing"
        return plan

    @api.model
    def _check_periods_ahead(self, partner, count):
        if not partner.isp_billing_enabled or partner.isp_status == "inactive":
            raise UserError(
                _(
                    "%(partner)s has no running Internet service to pay in advance.",
                    partner=partner.display_name,
                )
            )
        if partner.isp_billing_type == "postpaid":
            raise UserError(
                _(
                    "Postpaid services are billed after use: they cannot be paid in advance."
                )
            )
        if not 1 <= count <= MAX_PERIODS_AHEAD:
            raise UserError(
                _(
                    "Choose between 1 and %(max)s periods to pay in advance.",
                    max=MAX_PERIODS_AHEAD,
                )
            )

    @api.model
    def _contracts_ahead(self, partner):
        return partner.isp_contract_ids.filtered(lambda c: c.active and c.isp_managed)

    @api.model
    def _restart_day(self, contract, partner, date):
        next_start = contract._isp_next_start()
        lapsed = (
            partner.isp_billing_type == "prepaid" and partner.isp_status != "active"
        )
        ended = contract.date_end and contract.date_end < date
        if next_start < date and (lapsed or ended):
            return date
        return next_start

    @api.model
    def _amount_to_prepay(self, plan):
        """What the customer pays so that ``plan`` is charged from their own money
        and the balance stays at its minimum: the plan, plus any debt, less any
        money already on the balance. Never negative."""
        partner = plan.partner
        floor = max(partner._isp_floor() or 0.0, 0.0)
        currency = partner.isp_currency_id
        return max(currency.round(plan.total + floor - plan.balance), 0.0)

    @api.model
    def _charge_ahead(self, partner, count, date, extend_service=False):
        """Charge ``count`` periods ahead (invoices or prepaid entries, as the
        billing day would). ``extend_service`` first moves the "active to" date
        of ended subscriptions to the end of the new periods."""
        engine = self.with_context(isp_extend_service=True) if extend_service else self
        plan = engine._plan_ahead(partner, count, date)
        if not plan.periods:
            raise UserError(
                _(
                    "%(partner)s has nothing to pay in advance.",
                    partner=partner.display_name,
                )
            )
        if extend_service:
            self._extend_service(plan)
        self._apply([plan], date)
        return plan

    @api.model
    def _charge_proforma(self, proforma, date):
        """Charge the periods ``proforma`` lists (at the prices it showed) on
        ``date``; days charged already are not charged again. Returns the tax
        invoice (empty when nothing was left to charge)."""
        periods = {}
        for line in proforma.line_ids:
            contract = line.contract_line_id.contract_id
            period = periods.setdefault(
                (contract, line.period_start),
                PeriodCharge(
                    contract=contract,
                    start=line.period_start,
                    end=line.period_end,
                    factor=1,
                ),
            )
            period.lines.append((line.contract_line_id, line.price_unit))
        # Only days not charged yet are charged, from the subscription's first
        # uncharged day (the engine's own): a billing run may have charged the
        # periods, or the customer restarted from a payment day and the days
        # before it had no service. The money then stays on the balance.
        pending = [
            period for period in periods.values()
            if period.start >= period.contract._isp_next_start()
        ]
        if not pending:
            # The tax invoice a billing run issued for them, if one did.
            return (
                self.env["isp.charge"]
                .sudo()
                .search(
                    [
                        ("contract_id", "in", [p.contract.id for p in periods.values()]),
                        ("period_start", "<=", max(p.end for p in periods.values())),
                        ("period_end", ">=", min(p.start for p in periods.values())),
                    ]
                )
                .move_id[:1]
            )
        plan = ChargePlan(
            partner=proforma.partner_id,
            date=date,
            action="charge",
            periods=pending,
            total=proforma.amount_total,
        )
        self._apply([plan], date)
        return plan.move

    @api.model
    def _invoice_prepayment(self, payment):
        """Issue Invoice After Payment: the tax invoice of a prepaid customer's
        payment, for its full amount (tax included), paid by the payment."""
        company = payment.company_id
        customer = payment.partner_id.commercial_partner_id
        tax = company.isp_invoice_after_payment_tax_id
        # A price-included tax takes the amount paid as the line's price; an
        # excluded one takes the net amount, and the cent its rounding may
        # lose is added as an untaxed line, so the invoice equals the payment.
        price = payment.amount
        if tax and not tax.price_include:
            details = tax._get_tax_details(
                payment.amount,
                1.0,
                precision_rounding=payment.currency_id.rounding,
                special_mode="total_included",
            )
            price = payment.currency_id.round(details["total_excluded"])
        text = company.with_context(lang=customer.lang).isp_invoice_after_payment_text
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "company_id": company.id,
                "journal_id": company._isp_invoice_journal().id,
                "currency_id": payment.currency_id.id,
                "invoice_date": payment.date,
                "isp_is_billing": True,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": text,
                            "quantity": 1.0,
                            "price_unit": price,
                            "account_id": company.isp_prepaid_account_id.id,
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    )
                ],
            }
        )
        gap = payment.currency_id.round(payment.amount - invoice.amount_total)
        if not payment.currency_id.is_zero(gap):
            invoice.invoice_line_ids = [
                Command.create(
                    {
                        "name": _("%(text)s (tax rounding)", text=text),
                        "quantity": 1.0,
                        "price_unit": gap,
                        "account_id": company.isp_prepaid_account_id.id,
                        "tax_ids": [Command.clear()],
                    }
                )
            ]
        invoice.action_post()
        (invoice.line_ids + payment.move_id.line_ids).filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        ).reconcile()

        return invoice

    @api.model
    def _extend_service(self, plan):
        ends = defaultdict(lambda: None)
        for period in plan.periods:
            ends[period.contract] = max(ends[period.contract] or period.end, period.end)
        for contract, end in ends.items():
            if contract.date_end and contract.date_end < end:
                contract.date_end = end

    # === ADJUSTMENTS: service changes inside charged periods === #

    @api.model
    def _charged_amounts(self, contract, date_from):
        """``{(charge, contract.line): amount}``: what the periods of ``contract``
        charged and ending on or after ``date_from`` cost, line by line, priced
        on the subscription as it is now."""
        partner = contract.commercial_partner_id
        amounts = {}
        for charge in contract.isp_charge_ids.filtered(
            lambda c: c.period_end >= date_from
        ):
            period = self._price_period(
                contract,
                partner,
                charge.period_start,
                charge.period_end,
                charge._isp_factor(),
            )
            for line, amount in period.lines:
                amounts[charge, line] = amount
        return amounts

    @api.model
    def _adjustment_periods(self, contract, before, after, changed=None):
        """The difference between two pricings of the same charged periods, as
        periods whose lines carry what to charge (+) or credit (-); ``changed``
        is the ``(first, last)`` days the change is for (last None: to the end)."""
        periods = {}
        for key in sorted(
            set(before) | set(after),
            key=lambda k: (k[0].period_start, k[1].sequence, k[1].id),
        ):
            charge, line = key
            delta = contract.currency_id.round(after.get(key, 0.0) - before.get(key, 0.0))
            if contract.currency_id.is_zero(delta):
                continue
            period = periods.setdefault(
                charge,
                PeriodCharge(
                    contract=contract,
                    start=charge.period_start,
                    end=charge.period_end,
                    factor=charge._isp_factor(),
                    span=self._changed_span(charge, changed),
                ),
            )
            period.lines.append((line, delta))
        return list(periods.values())

    @api.model
    def _changed_span(self, charge, changed):
        if not changed:
            return None
        first, last = changed
        first = max(first, charge.period_start)
        last = min(last, charge.period_end) if last else charge.period_end
        return (first, last) if first <= last else None

    @api.model
    def _apply_adjustment(self, partner, periods, date):
        """One document for a service change: an invoice (or prepaid charge
        entry) when the customer owes more, a credit note (or credit entry)
        when the unused days are worth more. Returns the posted move."""
        plan = ChargePlan(partner=partner, date=date, action="charge", periods=periods)
        plan.total = self._periods_total(partner, periods)
        vals = self._prepare_move_vals(plan, date)
        lines = vals.get("invoice_line_ids") or []
        for __, __, line_vals in lines:
            if line_vals["price_unit"] < 0:
                line_vals["name"] = _("Unused: %(line)s", line=line_vals["name"])
        refund = vals.get("move_type") == "out_invoice" and plan.total < 0
        if refund:
            vals.update(move_type="out_refund", isp_block_date=False)
            vals.pop("invoice_date_due", None)
            vals.pop("invoice_payment_term_id", None)
            for __, __, line_vals in lines:
                line_vals["price_unit"] = -line_vals["price_unit"]
        Batch = self.env["isp.invoice.batch"]
        plan.move = Batch._create([vals])
        Batch._post(plan.move)
        if plan.total > 0:
            self._reconcile_with_credit([plan])
            self._queue_invoice_notices(plan.move)
        else:
            # Credit given back: it pays what is open, as money arriving does.
            self.env["isp.settlement"]._queue(partner, date=date)
        return plan

    # === EXECUTION === #

    @api.model
    def _execute(self, partners, date, change_status=True):
        """Charge/invoice what is due on ``date``. One failing customer never
        rolls back the others: it is retried alone and its error recorded.
        Without ``change_status`` (a run for a future day) nobody is blocked."""
        partners = self._lock_partners(partners.commercial_partner_id)
        plans = self._plan(partners, date)
        to_charge = [plan for plan in plans if plan.action == "charge"]
        self._request_payments(
            [plan for plan in plans if plan.action == "proforma"], date
        )
        if to_charge:
            try:
                with self.env.cr.savepoint():
                    self._apply(to_charge, date)
            except Exception as exc:  # noqa: BLE001 - isolate below, customer by customer
                if billing_jobs.is_concurrency_error(exc):
                    raise  # the whole batch is retried (queue_job, ir.cron)
                _logger.info("Billing batch failed, retrying customer by customer")
                for plan in to_charge:
                    self._apply_one(plan, date)
        if change_status:
            self._block_lapsed_prepaid(
                [plan for plan in plans if plan.action == "insufficient"], date
            )
        self._record_errors(plans)
        return plans

    @api.model
    def _request_payments(self, plans, date):
        Proforma = self.env["isp.proforma"]
        for plan in plans:
            try:
                with self.env.cr.savepoint():
                    proforma = Proforma._isp_request_payment(plan, date)
            except Exception as exc:  # noqa: BLE001 - shown on the customer
                if billing_jobs.is_concurrency_error(exc):
                    raise
                _logger.exception("Proforma failed for %s", plan.partner.display_name)
                plan.error = str(exc)
                continue
            plan.message = _(
                "Proforma %(number)s issued: the tax invoice follows the payment.",
                number=proforma.name,
            )
            # The proforma takes the invoice's place: it starts the service too.
            if plan.partner.isp_status == "new":
                plan.partner._isp_set_status("active", plan.message, date)

    @api.model
    def _apply_one(self, plan, date):
        # On failure the savepoint rolls the move back: forget it, so no run line
        # points at a move that does not exist.
        try:
            with self.env.cr.savepoint():
                self._apply([plan], date)
        except pg_errors.UniqueViolation:
            plan.move = None
            plan.action = "already"
            plan.message = _("Already charged by another run.")
        except Exception as exc:  # noqa: BLE001 - any error is shown on the customer
            if billing_jobs.is_concurrency_error(exc):
                raise
            _logger.exception("Billing failed for %s", plan.partner.display_name)
            plan.move = None
            plan.error = str(exc)

    @api.model
    def _lock_partners(self, partners):
        """Lock the customers we are about to bill; skip those busy elsewhere."""
        if not partners:
            return partners
        self.env.cr.execute(
            SQL(
                "SELECT id FROM res_partner WHERE id = ANY(%s) "
                "FOR NO KEY UPDATE SKIP LOCKED",
                partners.ids,
            )
        )
        locked_ids = {row[0] for row in self.env.cr.fetchall()}
        locked = partners.filtered(lambda p: p.id in locked_ids)
        locked.invalidate_recordset()
        locked.isp_contract_ids.invalidate_recordset()
        return locked

    @api.model
    def _apply(self, plans, date):
        Batch = self.env["isp.invoice.batch"]
        moves = Batch._create([self._prepare_move_vals(plan, date) for plan in plans])
        charge_vals = []
        for plan, move in zip(plans, moves, strict=True):
            plan.move = move
            charge_vals += self._prepare_charge_vals(plan, move, date)
        self._mark_one_time_billed(plans)
        # Charges are the engine's own audit rows (no user may write them); the
        # right to bill was checked when the invoices were created above.
        self.env["isp.charge"].sudo().create(charge_vals)
        Batch._post(moves)
        self._reconcile_with_credit(plans)
        self._queue_invoice_notices(moves)
        self._advance_contracts(plans)
        billed = self.env["res.partner"].union(*(plan.partner for plan in plans))
        billed.filtered("isp_billing_error").isp_billing_error = False
        for plan in plans:
            partner = plan.partner
            # A first charge starts the service; a prepaid charge also ends a block
            # (it was paid), an invoice of a blocked customer does not.
            if partner.isp_status == "new" or partner.isp_billing_type == "prepaid":
                partner._isp_set_status(
                    "active",
                    _(
                        "Charged %(amount)s",
                        amount=partner.isp_currency_id.format(plan.total),
                    ),
                    date,
                )
        self._bill_prepaid_one_time(plans, date)

    @api.model
    def _queue_invoice_notices(self, moves):
        """The "invoice issued" e-mail of each new invoice, queued once."""
        self.env["isp.notification"]._isp_queue_many(
            [
                ("invoice", move.partner_id, move, f"invoice:{move.id}")
                for move in moves
                if move.move_type == "out_invoice"
            ]
        )

    @api.model
    def _prepare_charge_vals(self, plan, move, date):
        partner = plan.partner
        return [
            {
                "contract_id": period.contract.id,
                "partner_id": partner.id,
                "company_id": move.company_id.id,
                "currency_id": move.currency_id.id,
                "billing_type": partner.isp_billing_type,
                "date": date,
                "period_start": period.start,
                "period_end": period.end,
                "amount": period.amount,
                "factor": float(period.factor),
                "move_id": move.id,
            }
            for period in plan.periods
        ]

    @api.model
    def _due_dates(self, partner, date):
        """Last day to pay and blocking day of an invoice issued on ``date``."""
        due = date + relativedelta(days=partner.isp_payment_due_days - 1)
        # Prepaid customers are blocked when their paid period lapses, not by invoice.
        if (
            partner.isp_billing_type == "prepaid"
            or partner.isp_do_not_block
            or partner.isp_credit_mode == "unlimited"
        ):
            return due, False
        return due, due + relativedelta(days=1 + partner.isp_blocking_days)

    @api.model
    def _move_header_vals(self, partner, date, origin):
        """What every engine document of ``partner`` on ``date`` shares, and the
        last day to pay it."""
        company = partner.isp_company_id or self.env.company
        due, block = self._due_dates(partner, date)
        return {
            "partner_id": partner.id,
            "company_id": company.id,
            "journal_id": company._isp_invoice_journal().id,
            "currency_id": company.currency_id.id,
            "date": date,
            "invoice_origin": origin,
            "isp_is_billing": True,
            "isp_block_date": block,
        }, due

    @api.model
    def _charges_by_entry(self, partner):
        """Prepaid charges are journal entries on the balance, not invoices,
        unless the company invoices each charge (and not each payment)."""
        company = partner.isp_company_id or self.env.company
        return partner.isp_billing_type == "prepaid" and (
            not company.isp_invoice_on_charge or company.isp_invoice_after_payment
        )

    @api.model
    def _prepare_move_vals(self, plan, date):
        partner = plan.partner
        company = partner.isp_company_id or self.env.company
        vals, due = self._move_header_vals(
            partner, date, ", ".join(sorted({p.contract.display_name for p in plan.periods}))
        )
        invoice_lines = [
            self._prepare_invoice_line_vals(period, line, amount)
            for period in plan.periods
            for line, amount in period.lines
        ]
        invoice_lines += [
            self._prepare_one_time_line_vals(charge) for charge in plan.one_time or ()
        ]
        if self._charges_by_entry(partner):
            return vals | self._prepare_charge_entry_vals(partner, invoice_lines)
        # OCA contract's invoice values first: the contract's payment term,
        # fiscal position and salesperson, and what other modules add, apply.
        # The customer, journal, currency and dates stay the engine's: the
        # balance is the commercial customer's, in the company's currency.
        invoice_vals = plan.periods[0].contract._prepare_invoice(
            date, journal=company._isp_invoice_journal()
        )
        invoice_vals.pop("invoice_line_ids", None)
        vals = invoice_vals | vals | {
            "move_type": "out_invoice",
            "invoice_date": date,
            "invoice_line_ids": [Command.create(line) for line in invoice_lines],
        }
        if not vals.get("invoice_payment_term_id"):
            vals["invoice_date_due"] = due
        return vals

    @api.model
    def _prepare_invoice_line_vals(self, period, line, amount):
        lang = period.contract.commercial_partner_id.lang
        # A plan changed or paused mid-period shows the days it was in service.
        start, end = (
            period.span
            or line._isp_span(period.start, period.end)
            or (period.start, period.end)
        )
        description = _(
            "%(service)s (%(start)s - %(end)s)",
            service=line.name.replace("#START#", "").replace("#END#", "").strip(),
            start=format_date(self.env, start, lang_code=lang),
            end=format_date(self.env, end, lang_code=lang),
        )
        # OCA contract's line values first (what other modules add), then the
        # engine's period: one unit at the period's amount, discount included.
        vals = line._prepare_invoice_line() | {
            "product_id": line.product_id.id,
            "name": description,
            "quantity": 1.0,
            "discount": 0.0,
            "display_type": "product",
            "price_unit": amount,
            "contract_line_id": line.id,
        }
        if not vals.get("analytic_distribution"):
            # Leave it to Odoo's analytic distribution models.
            vals.pop("analytic_distribution", None)
        return vals

    @api.model
    def _prepare_charge_entry_vals(self, partner, invoice_lines):
        """A charge without an invoice: receivable debit against the income accounts."""
        company = partner.isp_company_id or self.env.company
        # With Issue Invoice After Payment the money was invoiced on arrival and
        # waits on the prepaid balances account; otherwise it is receivable credit.
        receivable = (
            company.isp_invoice_after_payment and company.isp_prepaid_account_id
        ) or partner.property_account_receivable_id
        line_vals = []
        # Balances, not debit/credit: an adjustment entry credits unused days.
        for vals in invoice_lines:
            line_vals.append(
                Command.create(self._charge_entry_line_vals(partner, company, vals))
            )
        total = partner.isp_currency_id.round(
            -sum(command[2]["balance"] for command in line_vals)
        )
        line_vals.append(
            Command.create(
                {
                    "name": _("Prepaid charge") if total >= 0 else _("Prepaid credit"),
                    "account_id": receivable.id,
                    "partner_id": partner.id,
                    "balance": total,
                }
            )
        )
        return {"move_type": "entry", "line_ids": line_vals}

    @api.model
    def _charge_entry_line_vals(self, partner, company, vals):
        """The income side of a prepaid charge entry; with the monthly invoice of
        consumed services, the amount taxes included waits on the consumed
        services account for that invoice."""
        product = self.env["product.product"].browse(vals["product_id"])
        if not company.isp_consumption_invoice:
            income = product.product_tmpl_id.get_product_accounts()["income"]
            return {"name": vals["name"], "account_id": income.id, "balance": -vals["price_unit"]}
        line = self.env["contract.line"].browse(vals["contract_line_id"])
        amount = partner.isp_currency_id.round(
            self._amount_with_taxes(line, vals["price_unit"], partner, {})
        )
        return {
            "name": vals["name"],
            "account_id": company.isp_consumption_account_id.id,
            "partner_id": partner.id,
            "product_id": product.id,
            "balance": -amount,
        }

    @api.model
    def _reconcile_with_credit(self, plans):
        """Pay the new documents from each customer's outstanding credit, oldest first."""
        partners = self.env["res.partner"].union(*(plan.partner for plan in plans))
        credit_lines = self.env["account.move.line"].search(
            [
                ("partner_id", "in", partners.ids),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ],
            order="date, id",
        )
        credit_by_partner = credit_lines.grouped("partner_id")
        reconciliation_plan = []
        for plan in plans:
            move_lines = plan.move.line_ids.filtered(
                lambda line: (
                    line.account_type == "asset_receivable" and not line.reconciled
                )
            )
            credit = credit_by_partner.get(plan.partner, self.env["account.move.line"])
            credit = credit.filtered(
                lambda line: (
                    line.account_id == move_lines.account_id
                    and line.company_id == plan.move.company_id
                )
            )
            if not credit or not move_lines:
                continue
            if not self._may_pay_from_credit(plan, move_lines, credit):
                continue
            reconciliation_plan.append(move_lines + credit)
        if reconciliation_plan:
            self.env["isp.invoice.batch"]._reconcile(reconciliation_plan)

    @api.model
    def _may_pay_from_credit(self, plan, move_lines, credit):
        """Prepaid charges always use the credit (the funds check already passed);
        invoices are paid partially only when the company allows it."""
        partner = plan.partner
        company = partner.isp_company_id or self.env.company
        if (
            partner.isp_billing_type == "prepaid"
            or company.isp_allow_negative_balance_payment
        ):
            return True
        available = -sum(credit.mapped("amount_residual"))
        due = sum(move_lines.mapped("amount_residual"))
        return partner.isp_currency_id.compare_amounts(available, due) >= 0

    @api.model
    def _advance_contracts(self, plans):
        ends = {}
        for plan in plans:
            for period in plan.periods:
                contract = period.contract
                ends[contract] = max(ends.get(contract, period.end), period.end)
        by_end = defaultdict(lambda: self.env["contract.contract"])
        for contract, end in ends.items():
            by_end[end] |= contract
        for end, contracts in by_end.items():
            contracts.write({"isp_charged_until": end})

    @api.model
    def _block_lapsed_prepaid(self, plans, date):
        for plan in plans:
            partner = plan.partner
            decision = self._lapse_decision(plan, date)
            if decision:
                plan.hold = self._hold_cutoff(partner, "block", date)
            if decision and not plan.hold:
                partner._isp_set_status(
                    "blocked", self._cutoff_reason(partner, decision.reason, date), date
                )
            elif partner.isp_billing_type != "prepaid":
                partner.message_post(body=plan.message, subtype_xmlid="mail.mt_note")

    @api.model
    def _lapse_decision(self, plan, date):
        """The block an ``insufficient`` charge plan of ``date`` calls for (a
        prepaid customer, or one charged within a credit limit), or None."""
        partner = plan.partner
        # Customers imported as active have no charge yet: they lapse too.
        lapsed = any(
            contract._isp_next_start() <= date
            for contract in partner.isp_contract_ids.filtered("active")
        )
        if partner.isp_status != "active" or not lapsed or partner.isp_do_not_block:
            return None
        return StatusDecision(
            partner,
            "block",
            _("Insufficient funds: %(msg)s", msg=plan.message.rstrip(".")),
            rule="prepaid_funds" if partner.isp_billing_type == "prepaid" else "credit_limit",
        )

    @api.model
    def _record_errors(self, plans):
        for plan in plans:
            if plan.error:
                plan.partner.isp_billing_error = plan.error

    # === STATUS: blocking, deactivation, credit === #

    @api.model
    def _plan_status(self, partners, date, why_not=None):
        """Status decisions for ``date``. ``why_not``, a dict, receives for the
        customers a rule looked at and left alone why, in words."""
        partners = partners.commercial_partner_id.filtered("isp_billing_enabled")
        decisions = self._plan_credit(partners, date)
        decisions += self._plan_blocking(partners, date, decisions, why_not)
        decisions += self._plan_deactivation(partners, date, why_not)
        return decisions

    @api.model
    def _plan_reactivation(self, partners, date):
        """After money arrived: blocked recurring and postpaid customers whose
        balance is back at or above their minimum, with no unpaid proforma past
        its blocking day. (Blocked prepaid customers come back by being charged.)
        The daily sweep does not reactivate: a block staff set stays until paid."""
        blocked = partners.filtered(
            lambda p: p.isp_status == "blocked" and p.isp_billing_type != "prepaid"
        )
        if not blocked:
            return []
        Proforma = self.env["isp.proforma"]
        unpaid_requests = Proforma._isp_open_requests(blocked, overdue_on=date)
        return [
            StatusDecision(partner, "reactivate", self._reactivation_reason(partner))
            for partner in blocked - unpaid_requests.partner_id
            if partner._isp_has_funds_for(0.0)
        ]

    @api.model
    def _reactivation_reason(self, partner):
        balance = partner.isp_currency_id.format(partner.isp_balance)
        if partner.isp_credit_mode == "limit" and not partner.isp_credit_blocked:
            return _("Balance %(balance)s is back within the credit limit", balance=balance)
        return _("Balance %(balance)s is back above the minimum", balance=balance)

    @api.model
    def _isp_invoice_domain(self, partners):
        return [
            ("partner_id", "in", partners.ids),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("isp_is_billing", "=", True),
        ]

    @api.model
    def _plan_credit(self, partners, date):
        limited = partners.filtered(lambda p: p.isp_credit_mode == "limit")
        if not limited:
            return []
        overdue = self.env["account.move"].search(
            self._isp_invoice_domain(limited)
            + [
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", date),
            ]
        )
        overdue_by_partner = overdue.grouped("partner_id")
        decisions = []
        for partner in limited:
            invoices = overdue_by_partner.get(partner)
            if invoices and not partner.isp_credit_blocked:
                reason = _(
                    "Invoice %(invoice)s is overdue: credit blocked",
                    invoice=invoices[0].name,
                )
                decisions.append(
                    StatusDecision(
                        partner, "credit_block", reason, "credit", invoices[0]
                    )
                )
            elif not invoices and partner.isp_credit_blocked:
                decisions.append(
                    StatusDecision(
                        partner, "credit_unblock", _("No overdue invoice left"), "credit"
                    )
                )
        return decisions

    @api.model
    def _blocking_exemption(self, partner):
        """Why the status sweep never blocks ``partner``; "" when it may."""
        if partner.isp_do_not_block:
            return _("Do not block is set")
        if partner.isp_billing_type == "prepaid":
            return _(
                "prepaid customers are blocked by a charge their balance does not "
                "cover, not by the status sweep"
            )
        if partner.isp_billing_type not in ("recurring", "postpaid"):
            return _("no billing type")
        if partner.isp_credit_mode == "unlimited":
            return _("unlimited post-paid credit: never blocked for debt")
        return ""

    @api.model
    def _plan_blocking(self, partners, date, credit_decisions, why_not=None):
        why_not = {} if why_not is None else why_not
        active = partners.filtered(lambda p: p.isp_status == "active")
        for partner in active:
            if exemption := self._blocking_exemption(partner):
                why_not[partner] = exemption
        candidates = active.filtered(lambda p: p not in why_not)
        if not candidates:
            return []
        credit_blocked = {
            d.partner for d in credit_decisions if d.action == "credit_block"
        }
        Move = self.env["account.move"]
        invoice_domain = self._isp_invoice_domain(candidates) + [
            ("isp_block_date", "!=", False)
        ]
        open_due = Move.search(
            invoice_domain
            + [
                ("payment_state", "in", ("not_paid", "partial")),
                ("isp_block_date", "<=", date),
            ],
            order="isp_block_date, id",
        ).grouped("partner_id")
        latest_block = dict(
            Move._read_group(invoice_domain, ["partner_id"], ["isp_block_date:max"])
        )
        overdue_requests = (
            self.env["isp.proforma"]
            ._isp_open_requests(candidates, overdue_on=date)
            .grouped("partner_id")
        )
        decisions = []
        for partner in candidates:
            request = overdue_requests.get(partner)
            if request:
                reason = _(
                    "Unpaid proforma %(number)s (%(amount)s), due %(due)s",
                    number=request[0].name,
                    amount=request[0].currency_id.format(request[0].amount_total),
                    due=format_date(self.env, request[0].date_due),
                )
                decisions.append(
                    StatusDecision(partner, "block", reason, "proforma_unpaid", request[0])
                )
                continue
            invoices = open_due.get(partner)
            if not invoices and not (
                latest_block.get(partner) and latest_block[partner] <= date
            ):
                why_not[partner] = _(
                    "no unpaid invoice past its blocking day: recurring and "
                    "post-paid customers are blocked only for unpaid invoices"
                )
                continue
            floor = (
                partner.isp_minimum_balance
                if partner in credit_blocked
                else partner._isp_floor()
            )
            if partner.isp_currency_id.compare_amounts(partner.isp_balance, floor) >= 0:
                why_not[partner] = self._balance_why_not(partner, floor, invoices)
                continue
            currency = partner.isp_currency_id
            if partner.isp_credit_mode != "limit":
                reason = _(
                    "Balance %(balance)s below the minimum %(minimum)s after the payment due date",
                    balance=currency.format(partner.isp_balance),
                    minimum=currency.format(floor),
                )
            elif partner in credit_blocked or partner.isp_credit_blocked:
                # The credit is withdrawn: a minimum of 0.00 would only confuse.
                reason = _(
                    "Balance %(balance)s with an invoice overdue: the credit limit "
                    "of %(limit)s is suspended until it is paid",
                    balance=currency.format(partner.isp_balance),
                    limit=currency.format(partner.isp_credit_limit),
                )
            else:
                reason = _(
                    "Balance %(balance)s beyond the credit limit of %(limit)s after "
                    "the payment due date",
                    balance=currency.format(partner.isp_balance),
                    limit=currency.format(partner.isp_credit_limit),
                )
            if invoices:
                reason = _(
                    "Unpaid invoice %(invoice)s: %(reason)s",
                    invoice=invoices[0].name,
                    reason=reason,
                )
            decisions.append(
                StatusDecision(
                    partner,
                    "block",
                    reason,
                    "invoice_unpaid" if invoices else "balance",
                    invoices[0] if invoices else None,
                )
            )
        return decisions

    @api.model
    def _balance_why_not(self, partner, floor, invoices):
        values = {
            "balance": partner.isp_currency_id.format(partner.isp_balance),
            "minimum": partner.isp_currency_id.format(floor),
        }
        if invoices:
            return _("the balance %(balance)s is not below the minimum %(minimum)s", **values)
        return _(
            "no unpaid invoice past its blocking day, and the balance %(balance)s "
            "is not below the minimum %(minimum)s",
            **values,
        )

    @api.model
    def _plan_deactivation(self, partners, date, why_not=None):
        why_not = {} if why_not is None else why_not
        decisions = []
        for partner in partners.filtered(lambda p: p.isp_status == "blocked"):
            if partner.isp_do_not_block:
                why_not[partner] = _("Do not block is set")
            elif not partner.isp_deactivation_days:
                why_not[partner] = _(
                    "deactivation period 0: never deactivated automatically"
                )
            elif (
                partner.isp_status_date
                and partner.isp_status_date
                + relativedelta(days=partner.isp_deactivation_days)
                <= date
            ):
                reason = _(
                    "Blocked since %(date)s for %(days)s days",
                    date=format_date(self.env, partner.isp_status_date),
                    days=partner.isp_deactivation_days,
                )
                decisions.append(
                    StatusDecision(partner, "deactivate", reason, "deactivation")
                )
        return decisions

    @api.model
    def _cutoff_hold(self, partner, action, date):
        """Why a ``block`` or ``deactivate`` of ``partner`` due on ``date`` waits,
        as a ``CutoffHold``, or ``None`` when it goes ahead. Every rule that delays
        a cut-off (working days, promises to pay, a throttle period) answers here,
        so the crons and the explanations read the same rules."""
        for rule in (
            self._promise_hold,
            self._hold_for_working_day,
            self._hold_for_cutoff_hour,
            self._throttle_hold,
        ):
            hold = rule(partner, action, date)
            if hold:
                return hold
        return None

    @api.model
    def _hold_for_working_day(self, partner, action, date):
        """No cut-off on a weekend or public holiday (when the customer's or
        the company's setting asks): it waits for the next working day."""
        company = partner.isp_company_id or self.env.company
        policy = partner.isp_cutoff_working_days
        if policy == "never" or (
            policy == "company" and not company.isp_cutoff_working_days
        ):
            return None
        reason = company._isp_day_off_reason(date)
        if not reason:
            return None
        until = date
        for __ in range(MAX_DAYS_OFF):
            if not company._isp_day_off_reason(until + relativedelta(days=1)):
                break
            until += relativedelta(days=1)
        return CutoffHold(until, "working_day", reason)

    @api.model
    def _hold_for_cutoff_hour(self, partner, action, date):
        """Cut-offs of the company's today wait for its cut-off hour."""
        company = partner.isp_company_id or self.env.company
        if not company._isp_before_cutoff_hour(date):
            return None
        hour = "%02d:00" % company.isp_cutoff_hour
        return CutoffHold(
            date, "cutoff_hour", _("cut-offs happen from %(hour)s", hour=hour)
        )

    @api.model
    def _promise_hold(self, partner, action, date):
        """A running promise to pay holds every cut-off until its last day."""
        promise = self.env["isp.payment.promise"]._isp_running(partner, date)
        if not promise:
            return None
        return CutoffHold(
            promise.date_to,
            "promise",
            _(
                "The customer promised to pay %(document)s by %(day)s (promise of "
                "%(since)s).",
                document=promise.reference,
                day=format_date(self.env, promise.date_to),
                since=format_date(self.env, promise.date_from),
            ),
        )

    @api.model
    def _throttle_hold(self, partner, action, date):
        """A block waits the company's throttle days, from the first day it was
        due; a customer whose promise to pay lapsed is blocked at once."""
        company = partner.isp_company_id or self.env.company
        days, profile = company.isp_throttle_days, company.isp_throttle_profile_id
        if action != "block" or days < 1 or not profile:
            return None
        if self.env["isp.payment.promise"]._isp_lapsed(partner, date):
            return None
        since = (
            partner.isp_throttled_since
            or self.env.context.get("isp_throttle_since", {}).get(partner.id)
            or date
        )
        until = since + relativedelta(days=days - 1)
        if date > until:
            return None
        return CutoffHold(
            until,
            "throttle",
            _(
                "Throttled to %(profile)s since %(since)s before the block: "
                "blocked on %(day)s unless paid.",
                profile=profile.display_name,
                since=format_date(self.env, since),
                day=format_date(self.env, until + relativedelta(days=1)),
            ),
        )

    @api.model
    def _hold_cutoff(self, partner, action, date):
        """``_cutoff_hold`` for a cut-off about to happen: a throttle hold
        starts the throttle period on its first day."""
        hold = self._cutoff_hold(partner, action, date)
        if hold and hold.rule == "throttle" and not partner.isp_throttled_since:
            company = partner.isp_company_id or self.env.company
            partner._isp_start_throttle(company.isp_throttle_profile_id, hold.reason, date)
        return hold

    @api.model
    def _cutoff_reason(self, partner, reason, date):
        """The reason of a block that no rule holds any more: it names the
        promise it breaks (marked broken) or the throttle period it ends."""
        promise = self.env["isp.payment.promise"]._isp_lapsed(partner, date)
        if promise:
            promise._isp_close("broken", date)
            return _(
                "Promise to pay %(document)s by %(day)s broken: %(reason)s",
                document=promise.reference,
                day=format_date(self.env, promise.date_to),
                reason=reason,
            )
        if partner.isp_throttled_since:
            return _(
                "Throttled since %(since)s and still unpaid: %(reason)s",
                since=format_date(self.env, partner.isp_throttled_since),
                reason=reason,
            )
        return reason

    @api.model
    def _on_grace(self, partners, date):
        """Those of ``partners`` throttled or with an active promise."""
        promised = (
            self.env["isp.payment.promise"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.commercial_partner_id.ids),
                    ("state", "=", "active"),
                ]
            )
            .partner_id
        )
        return partners.filtered(lambda p: p.isp_throttled_since or p in promised)

    @api.model
    def _settle_grace(self, partners, date):
        """After money arrived (and on each status run): promises whose
        document is paid are kept, throttle periods no longer needed end."""
        self.env["isp.payment.promise"]._isp_refresh(partners, date)
        throttled = partners.filtered(
            lambda p: p.isp_throttled_since and p.isp_status == "active"
        )
        settled = throttled.filtered(lambda p: not self._would_block(p, date))
        settled._isp_end_throttle(_("Paid: the throttle period ends."))
        return settled

    @api.model
    def _would_block(self, partner, date):
        """Whether ``partner`` is still due to be blocked on ``date``."""
        if partner.isp_billing_type == "prepaid":
            return any(
                contract._isp_next_start() <= date
                for contract in partner.isp_contract_ids.filtered("active")
            )
        return bool(self._plan_blocking(partner, date, self._plan_credit(partner, date)))

    @api.model
    def _apply_status(self, decisions, date):
        blocked = self.env["res.partner"]
        for decision in decisions:
            partner = decision.partner
            if decision.action in ("block", "deactivate"):
                decision.hold = self._hold_cutoff(partner, decision.action, date)
                if decision.hold:
                    continue
            if decision.action == "block":
                reason = self._cutoff_reason(partner, decision.reason, date)
                blocked |= partner._isp_set_status("blocked", reason, date)
            elif decision.action == "deactivate":
                partner._isp_set_status("inactive", decision.reason, date)
            elif decision.action == "reactivate":
                partner._isp_set_status("active", decision.reason, date)
            else:
                partner.isp_credit_blocked = decision.action == "credit_block"
                partner.message_post(body=decision.reason, subtype_xmlid="mail.mt_note")
        self._add_late_fees(blocked, date)
        return decisions

    # === ONE-TIME CHARGES: installation, equipment, late and reconnection fees === #

    @api.model
    def _pending_one_time(self, partners, date):
        """Pending to-invoice charges of ``partners`` that a document of ``date``
        may bill, oldest first (the engine's own bookkeeping: read as superuser)."""
        return (
            self.env["isp.one.time.charge"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("state", "=", "pending"),
                    ("mode", "=", "to_invoice"),
                    ("date", "<=", date),
                ],
                order="date, id",
            )
        )

    @api.model
    def _plan_one_time(self, plans, date, tax_cache=None):
        """Put the pending to-invoice charges on the billing-day invoice of each
        recurring or postpaid customer invoiced on ``date``. A credit-limit
        customer's charges wait when they would take the debt past the limit.
        Prepaid customers get them on an invoice of their own with their next
        charge (``_bill_prepaid_one_time``): their funds pay periods first."""
        invoicing = [
            plan
            for plan in plans
            if plan.action == "charge" and plan.partner.isp_billing_type != "prepaid"
        ]
        if not invoicing:
            return
        partners = self.env["res.partner"].union(*(plan.partner for plan in invoicing))
        pending = self._pending_one_time(partners, date).grouped("partner_id")
        for plan in invoicing:
            partner = plan.partner
            company = partner.isp_company_id or self.env.company
            charges = pending.get(partner.sudo(), self.env["isp.one.time.charge"])
            charges = charges.filtered(lambda c, co=company: c.company_id == co)
            if not charges:
                continue
            total = partner.isp_currency_id.round(
                plan.total + self._one_time_total(partner, charges, tax_cache)
            )
            if partner.isp_credit_mode == "limit" and not partner._isp_has_funds_for(
                total, plan.balance
            ):
                continue
            plan.one_time = charges
            plan.total = total

    @api.model
    def _one_time_total(self, partner, charges, tax_cache=None):
        """What ``charges`` cost ``partner``, taxes included, rounded."""
        tax_cache = {} if tax_cache is None else tax_cache
        return partner.isp_currency_id.round(
            sum(
                self._amount_with_taxes(charge, charge.amount, partner, tax_cache)
                for charge in charges
            )
        )

    @api.model
    def _prepare_one_time_line_vals(self, charge):
        # Taxes and income account come from the product, as for a period.
        return {
            "product_id": charge.product_id.id,
            "name": charge.description,
            "quantity": 1.0,
            "discount": 0.0,
            "display_type": "product",
            "price_unit": charge.amount,
        }

    @api.model
    def _mark_one_time_billed(self, plans):
        for plan in plans:
            if plan.one_time:
                plan.one_time.sudo().write({"state": "done", "move_id": plan.move.id})

    @api.model
    def _bill_prepaid_one_time(self, plans, date):
        """Prepaid customers charged on ``date`` get their pending to-invoice
        charges on an invoice of their own, paid from what is left of the balance."""
        partners = self.env["res.partner"].union(
            *(plan.partner for plan in plans if plan.partner.isp_billing_type == "prepaid")
        )
        if not partners:
            return
        charges = self._pending_one_time(partners, date)
        if charges:
            self._apply_one_time(charges, date)

    @api.model
    def _apply_one_time(self, charges, date):
        """Bill ``charges`` at once, one document per customer and mode, through
        the engine's batch, post and payment from the customer's credit. Charges
        to invoice get an invoice; charges from the balance get the document a
        prepaid period of the customer gets (invoice or charge entry). Charges
        billed meanwhile (a double click, a billing run) are skipped. Returns
        the plans, each with its ``move``."""
        charges = self._lock_one_time(charges)
        if not charges:
            return []
        plans = self._one_time_plans(charges, date)
        self._check_one_time_funds(plans)
        Batch = self.env["isp.invoice.batch"]
        moves = Batch._create(
            [self._prepare_one_time_move_vals(plan, date) for plan in plans]
        )
        for plan, move in zip(plans, moves, strict=True):
            plan.move = move
        self._mark_one_time_billed(plans)
        Batch._post(moves)
        self._reconcile_with_credit(plans)
        self._queue_invoice_notices(moves)
        return plans

    @api.model
    def _lock_one_time(self, charges):
        """Wait for the customers' rows (a billing run holds them while it bills),
        then keep the charges still pending."""
        partners = charges.partner_id
        self.env.cr.execute(
            SQL(
                "SELECT id FROM res_partner WHERE id = ANY(%s) ORDER BY id "
                "FOR NO KEY UPDATE",
                partners.ids,
            )
        )
        charges = charges.sudo()
        charges.invalidate_recordset(["state", "move_id"])
        return charges.filtered(lambda charge: charge.state == "pending")

    @api.model
    def _one_time_plans(self, charges, date):
        plans = []
        for partner, group in charges.grouped("partner_id").items():
            partner = partner.with_env(self.env)
            from_balance = group.filtered(lambda c: c.mode == "from_balance")
            for part in (from_balance, group - from_balance):
                if part:
                    plans.append(
                        ChargePlan(
                            partner=partner,
                            date=date,
                            action="charge",
                            one_time=part,
                            total=self._one_time_total(partner, part),
                            balance=partner.isp_balance,
                        )
                    )
        return plans

    @api.model
    def _check_one_time_funds(self, plans):
        """Charges from the balance of a prepaid or credit-limit customer need
        the funds, as a period does; nothing is billed otherwise."""
        for plan in plans:
            partner = plan.partner
            if (
                partner._isp_charged_within_funds()
                and plan.one_time[:1].mode == "from_balance"
                and not partner._isp_has_funds_for(plan.total, plan.balance)
            ):
                currency = partner.isp_currency_id
                raise UserError(
                    _(
                        "%(partner)s: balance %(balance)s does not cover %(amount)s "
                        "(minimum balance %(minimum)s). Top up the balance first, or "
                        "add the charge to the next invoice.",
                        partner=partner.display_name,
                        balance=currency.format(plan.balance),
                        amount=currency.format(plan.total),
                        minimum=currency.format(partner._isp_floor() or 0.0),
                    )
                )

    @api.model
    def _one_time_as_entry(self, partner, charges):
        """From-balance charges of a prepaid customer whose periods are charged
        by journal entry are charged the same way; anything else is invoiced."""
        return self._charges_by_entry(partner) and all(
            charge.mode == "from_balance" for charge in charges
        )

    @api.model
    def _prepare_one_time_move_vals(self, plan, date):
        partner = plan.partner
        company = partner.isp_company_id or self.env.company
        vals, due = self._move_header_vals(partner, date, _("One-time charges"))
        lines = [self._prepare_one_time_line_vals(charge) for charge in plan.one_time]
        if self._one_time_as_entry(partner, plan.one_time):
            return vals | self._prepare_charge_entry_vals(partner, lines)
        vals |= {
            "move_type": "out_invoice",
            "invoice_date": date,
            "invoice_line_ids": [Command.create(line) for line in lines],
        }
        if not partner.with_company(company).property_payment_term_id:
            vals["invoice_date_due"] = due
        return vals

    # === FEES: late fee on blocking, reconnection fee on reactivation === #

    @api.model
    def _add_late_fees(self, partners, date):
        """Customers just blocked get the company's late fee for each overdue
        invoice, once per invoice: a rerun or a new block adds none."""
        partners = partners.filtered(
            lambda p: (p.isp_company_id or self.env.company).isp_late_fee_type != "none"
        )
        if not partners:
            return
        overdue = self.env["account.move"].search(
            self._isp_invoice_domain(partners)
            + [
                ("payment_state", "in", ("not_paid", "partial")),
                ("isp_block_date", "!=", False),
                ("isp_block_date", "<=", date),
            ],
            order="isp_block_date, id",
        )
        charged = (
            self.env["isp.one.time.charge"]
            .sudo()
            .search([("origin", "=", "late_fee"), ("overdue_move_id", "in", overdue.ids)])
            .overdue_move_id
        )
        for invoice in overdue - charged:
            company = invoice.company_id
            amount = company._isp_late_fee_amount(invoice)
            if company.currency_id.compare_amounts(amount, 0.0) <= 0:
                continue
            self._add_fee_safely(
                invoice.partner_id,
                "late_fee",
                company.isp_late_fee_product_id,
                amount,
                date,
                overdue_move_id=invoice.id,
                description=_("Late fee for invoice %(invoice)s", invoice=invoice.name),
            )

    @api.model
    def _charge_reconnection_fees(self, partners, date):
        """Blocked customers just reactivated pay the company's reconnection fee
        from their balance. When a prepaid or credit-limit customer's funds do
        not cover it, it waits as a charge to invoice (on the next invoice)."""
        for partner in partners:
            company = partner.isp_company_id or self.env.company
            product = company.isp_reconnection_product_id
            amount = company.isp_reconnection_fee
            if not product or company.currency_id.compare_amounts(amount, 0.0) <= 0:
                continue
            total = self._one_time_total(
                partner,
                self.env["isp.one.time.charge"].new(
                    {"partner_id": partner.id, "product_id": product.id, "amount": amount}
                ),
            )
            mode = "from_balance"
            if partner._isp_charged_within_funds() and not partner._isp_has_funds_for(total):
                mode = "to_invoice"
            self._add_fee_safely(
                partner,
                "reconnection",
                product,
                amount,
                date,
                mode=mode,
                description=_("Reconnection fee"),
            )

    @api.model
    def _add_fee_safely(self, partner, origin, product, amount, date, **values):
        """A fee never undoes the block or the reactivation it follows: a
        failure is noted on the customer instead."""
        try:
            with self.env.cr.savepoint():
                return self.env["isp.one.time.charge"].sudo()._isp_add_fee(
                    partner, origin, product, amount, date, **values
                )
        except Exception as error:  # noqa: BLE001 - shown on the customer
            if billing_jobs.is_concurrency_error(error):
                raise
            _logger.exception("Fee failed for %s", partner.display_name)
            message = _("The %(fee)s could not be added: %(error)s", fee=product.display_name, error=error)
            partner.isp_billing_error = message
            partner.message_post(body=message, subtype_xmlid="mail.mt_note")
            return self.env["isp.one.time.charge"]
