# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The events of a simulated day: drawn from the seed alone (never from the
database), as plain JSON-able dicts, then applied through the same methods the
screens, the portal, the bank, FreeRADIUS and the crons call.

An event names its subscriber by key ("S007") and says *what* to pay
("due", "half", "over" or an amount), not which record: which invoice or
proforma it hits is read from the books when it is applied, oldest first, so
a replay on another database does the same thing."""

import logging
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError

from .invariants import Violation

_logger = logging.getLogger(__name__)

# kind -> weight of the random events of a day
MONEY_KINDS = {
    "register": 5,
    "outstanding": 3,
    "statement": 3,
    "online": 5,
    "refill": 2,
    "credit_note": 1,
    "payment": 4,
}
OTHER_KINDS = {
    "plan_change": 2,
    "addon": 1,
    "pause": 1,
    "cancel": 1,
    "one_time": 2,
    "settings": 1,
    "proforma": 2,
    "radius_acct": 3,
}
AMOUNTS = ("due", "due", "due", "half", "over", 10.0, 50.0)


class Refused(Exception):
    """The application refused the event the way it refuses a user: nothing
    was written (the event's savepoint is rolled back)."""


class WorkerKilled(Exception):
    """Raised half-way inside a cron batch, as a worker dying would."""


def generate_day(rng, subscribers, day, size):
    """The events of ``day`` (a date) for ``subscribers`` [(key, payer)]."""
    iso = fields.Date.to_string(day)
    payers = [key for key, payer in subscribers if payer != "never"]
    late = {key for key, payer in subscribers if payer == "late"}
    keys = [key for key, __ in subscribers]
    events = []
    for __ in range(rng.randint(1, max(2, size // 3))):
        kind = _pick(rng, MONEY_KINDS)
        who = rng.choice(payers or keys)
        if who in late and rng.random() < 0.6:
            continue  # a late payer lets most chances pass
        events.append(
            {"day": iso, "kind": kind, "who": who, "amount": rng.choice(AMOUNTS)}
        )
    for __ in range(rng.randint(0, max(1, size // 8))):
        kind = _pick(rng, OTHER_KINDS)
        event = {"day": iso, "kind": kind, "who": rng.choice(keys)}
        event.update(_other_params(rng, kind))
        events.append(event)
    if rng.random() < 0.25:
        events.append({"day": iso, "kind": "kill", "fraction": rng.choice((0.3, 0.5))})
    # Every third day two cron processes start at once (drawn from the date,
    # not the seed, so earlier seeds keep their events).
    events.append({"day": iso, "kind": "crons", "at_once": day.toordinal() % 3 == 0})
    return events


def _pick(rng, weights):
    kinds = sorted(weights)
    return rng.choices(kinds, [weights[k] for k in kinds])[0]


def _other_params(rng, kind):
    if kind in ("plan_change", "addon"):
        return {"offset": rng.choice((0, 0, 1, 5)), "plan": rng.randrange(3)}
    if kind == "pause":
        return {"offset": rng.randint(1, 5), "length": rng.randint(3, 12)}
    if kind == "cancel":
        return {"offset": rng.randint(2, 20)}
    if kind == "one_time":
        return {
            "amount": rng.choice((15.0, 25.0, 49.99)),
            "mode": rng.choice(("to_invoice", "from_balance")),
        }
    if kind == "settings":
        return {
            "field": rng.choice(("minimum", "limit", "blocking_days")),
            "value": rng.choice((0, 5, 20)),
        }
    if kind == "radius_acct":
        return {"status": rng.choice(("Start", "Interim-Update", "Stop"))}
    return {}


class EventApplier:
    """Applies events to a world on the simulated day."""

    def __init__(self, sim):
        self.sim = sim
        self.world = sim.world
        self.env = sim.env

    # === DISPATCH === #

    def apply(self, event, day):
        """Apply ``event`` on ``day``; returns its outcome in words ("ok",
        "refused: ...", "skipped: ..."). A refusal rolls the event back."""
        try:
            return self._apply(event, day)
        except Exception as error:  # noqa: BLE001 - a crash is a finding, reported
            _logger.exception("Simulation event %s crashed", event)
            return [
                Violation(
                    "crash",
                    day,
                    event.get("who", event["kind"]),
                    f"{event['kind']} raised {type(error).__name__}: {error}",
                )
            ]

    def _apply(self, event, day):
        kind = event["kind"]
        if kind == "crons":
            return self.sim.run_crons(day, at_once=event.get("at_once", False))
        if kind == "kill":
            return self.sim.kill_worker(day, event["fraction"])
        subscriber = self.world.by_key(event["who"])
        partner = subscriber.partner
        partner.invalidate_recordset()
        handler = getattr(self, f"_{kind}")
        try:
            with self.env.cr.savepoint():
                outcome = handler(subscriber, partner.with_company(subscriber.company), event, day)
                self.env.flush_all()
        except Refused as refusal:
            outcome = f"skipped: {refusal}"
        except (UserError, ValidationError) as error:
            outcome = f"refused: {_first_line(error)}"
        self.env.invalidate_all()
        self.sim.commit()
        return outcome or "ok"

    # === WHAT IS OWED === #

    def open_invoices(self, partner):
        return self.env["account.move"].search(
            [
                ("partner_id", "=", partner.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            order="id",
        )

    def next_open_invoice(self, subscriber):
        subscribers = self.world.subscribers
        start = subscribers.index(subscriber)
        for other in subscribers[start:] + subscribers[:start]:
            if other.company == subscriber.company:
                invoices = self.open_invoices(other.partner)
                if invoices:
                    return invoices[0]
        return None

    def amount(self, subscriber, partner, event, due):
        currency = subscriber.company.currency_id
        wanted = event.get("amount", "due")
        if not due or currency.compare_amounts(due, 0.0) <= 0:
            due = self.period_price(partner)
        if wanted == "due":
            return currency.round(due)
        if wanted == "half":
            return currency.round(due / 2)
        if wanted == "over":
            return currency.round(due + 7.5)
        return currency.round(wanted)

    def period_price(self, partner):
        engine = self.env["isp.billing.engine"]
        try:
            with self.env.cr.savepoint():
                plan = engine._plan_ahead(partner, 1, self.sim.day)
                price = plan.total if plan.periods else 0.0
        except UserError:
            price = 0.0
        return price if price > 0 else 30.0

    def owed(self, partner):
        partner.invalidate_recordset(["isp_balance"])
        return max(0.0, -partner.isp_balance)

    # === MONEY === #

    def _payment(self, subscriber, partner, event, day):
        """Register Payment / Top Up on the customer: Odoo's payment form."""
        amount = self.amount(subscriber, partner, event, self.owed(partner))
        self.new_payment(subscriber, partner, amount)
        return f"paid {amount}"

    def new_payment(self, subscriber, partner, amount):
        payment = (
            self.env["account.payment"]
            .with_company(subscriber.company)
            .create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": amount,
                    "date": self.sim.day,
                    "journal_id": self.world.banks[subscriber.company.id].id,
                }
            )
        )
        payment.action_post()
        return payment

    def _register(self, subscriber, partner, event, day):
        invoices = self.open_invoices(partner)
        if not invoices:
            return self._payment(subscriber, partner, event, day)
        chosen = invoices[:2] if len(invoices) > 1 and event["amount"] == "due" else invoices[:1]
        residual = sum(chosen.mapped("amount_residual"))
        amount = self.amount(subscriber, partner, event, residual)
        wizard = (
            self.env["account.payment.register"]
            .with_company(subscriber.company)
            .with_context(active_model="account.move", active_ids=chosen.ids)
            .create(
                {
                    "journal_id": self.world.banks[subscriber.company.id].id,
                    "payment_date": day,
                    "group_payment": True,
                }
            )
        )
        wizard.write({"amount": amount, "payment_difference_handling": "open"})
        wizard._create_payments()
        return f"registered {amount} on {len(chosen)} invoice(s)"

    def _outstanding(self, subscriber, partner, event, day):
        invoices = self.open_invoices(partner)
        amount = self.amount(
            subscriber, partner, event, invoices[:1].amount_residual or self.owed(partner)
        )
        payment = self.new_payment(subscriber, partner, amount)
        # The settlement (run at the end of the transaction) may already have
        # used the money: add what is left, as the user does on the next screen.
        self.env.flush_all()
        self.env.cr.flush()
        invoices = self.open_invoices(partner)
        line = payment.move_id.line_ids.filtered(
            lambda l: l.account_type == "asset_receivable" and not l.reconciled
        )
        if invoices and line:
            invoices[0].js_assign_outstanding_line(line.id)
            return f"paid {amount}, added on the invoice"
        return f"paid {amount}, used by the settlement"

    def _statement(self, subscriber, partner, event, day):
        # Who owes nothing has nothing to match: the transfer is the next
        # subscriber's (in key order) who has an open invoice in that company.
        invoice = self.next_open_invoice(subscriber)
        if not invoice:
            raise Refused("no open invoice to match a transfer with")
        partner = invoice.partner_id
        amount = invoice.amount_residual
        line = (
            self.env["account.bank.statement.line"]
            .with_company(subscriber.company)
            .create(
                {
                    "journal_id": self.world.banks[subscriber.company.id].id,
                    "payment_ref": f"Transfer {partner.name}",
                    "partner_id": partner.id,
                    "amount": amount,
                    "date": day,
                }
            )
        )
        if line.is_reconciled:  # the company's reconciliation rules matched it
            return f"transfer {amount} matched by a reconciliation rule"
        receivable = invoice.line_ids.filtered(
            lambda l: l.account_type == "asset_receivable" and not l.reconciled
        )
        line.add_multiple_lines([("id", "in", receivable.ids)])
        line.reconcile_bank_line()
        return f"transfer {amount} matched"

    def _online(self, subscriber, partner, event, day):
        invoices = self.open_invoices(partner)
        proforma = self.env["isp.proforma"].search(
            [("partner_id", "=", partner.id), ("state", "=", "open")], order="id", limit=1
        )
        values = {}
        if proforma:
            offer = partner._isp_payment_offer("proforma", day, proforma=proforma)
            values["isp_proforma_id"] = proforma.id
            purpose = "proforma"
        elif invoices:
            offer = {"amount": self.amount(subscriber, partner, event, invoices[0].amount_residual)}
            values["invoice_ids"] = [Command.set(invoices[:1].ids)]
            purpose = "invoice"
        elif partner.isp_billing_type == "prepaid" and event["amount"] == "due":
            purpose = (
                "reactivate"
                if partner._isp_service_state(day) in ("blocked", "paused")
                else "prepay"
            )
            offer = partner._isp_payment_offer(purpose, day)
            values.update(
                isp_periods=offer["periods"], isp_extend_service=offer["extend"]
            )
        else:
            purpose = "topup"
            offer = partner._isp_payment_offer(
                "topup", day, amount=self.amount(subscriber, partner, event, self.owed(partner))
            )
        if purpose != "invoice":
            values["isp_purpose"] = purpose
        provider = self.world.providers[subscriber.company.id]
        Transaction = self.env["payment.transaction"].sudo()
        tx = Transaction.create(
            {
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids[:1].id,
                "reference": Transaction._compute_reference("demo"),
                "amount": offer["amount"],
                "currency_id": subscriber.company.currency_id.id,
                "partner_id": partner.id,
                "operation": "online_direct",
                **values,
            }
        )
        Transaction._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        tx._post_process()
        return f"online {purpose} {offer['amount']}"

    def _refill(self, subscriber, partner, event, day):
        amount = self.amount(subscriber, partner, event, self.owed(partner))
        wizard = self.env["isp.refill.card.generate"].create(
            {
                "name": f"{self.world.tag}-{event['who']}-{day}-{self.sim.event_index}",
                "count": 1,
                "value": amount,
                "company_id": subscriber.company.id,
            }
        )
        wizard.action_generate()
        __, error = self.env["isp.refill.card"]._isp_redeem(
            wizard._cards()[0][1], partner, "192.0.2.10"
        )
        if error:
            raise UserError(error)
        return f"refill card {amount}"

    def _credit_note(self, subscriber, partner, event, day):
        # An open invoice if there is one, else the last one paid: its credit
        # note is money owed back, on the balance.
        invoices = self.open_invoices(partner) or self.env["account.move"].search(
            [
                ("partner_id", "=", partner.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("reversal_move_ids", "=", False),
            ],
            order="id desc",
            limit=1,
        )
        if not invoices:
            raise Refused("no invoice to credit")
        invoice = invoices[0]
        reversal = (
            self.env["account.move.reversal"]
            .with_company(subscriber.company)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "reason": "Goodwill (simulation)",
                    "journal_id": invoice.journal_id.id,
                    "date": day,
                }
            )
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        credit_note.action_post()
        return f"credit note for {invoice.amount_total}"

    # === SERVICE === #

    def _change(self, subscriber, values):
        change = (
            self.env["isp.service.change"]
            .with_company(subscriber.company)
            .create({"contract_id": subscriber.contract.id, **values})
        )
        change.action_apply()
        return f"{values['kind']} from {values['date']}: {change.state}"

    def _plan_change(self, subscriber, partner, event, day):
        contract = subscriber.contract
        current = contract._isp_current_lines()[:1].product_id if hasattr(
            contract, "_isp_current_lines"
        ) else False
        plans = self.world.plans[subscriber.company.id]
        plan = plans[event["plan"]]
        if plan == current:
            plan = plans[(event["plan"] + 1) % len(plans)]
        return self._change(
            subscriber,
            {
                "kind": "plan",
                "date": day + timedelta(days=event["offset"]),
                "product_id": plan.id,
            },
        )

    def _addon(self, subscriber, partner, event, day):
        return self._change(
            subscriber,
            {
                "kind": "addon",
                "date": day + timedelta(days=event["offset"]),
                "product_id": self.world.addons[subscriber.company.id].id,
            },
        )

    def _pause(self, subscriber, partner, event, day):
        first = day + timedelta(days=event["offset"])
        return self._change(
            subscriber,
            {
                "kind": "pause",
                "date": first,
                "date_to": first + timedelta(days=event["length"]),
            },
        )

    def _cancel(self, subscriber, partner, event, day):
        return self._change(
            subscriber, {"kind": "cancel", "date": day + timedelta(days=event["offset"])}
        )

    def _one_time(self, subscriber, partner, event, day):
        charge = (
            self.env["isp.one.time.charge"]
            .with_company(subscriber.company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": subscriber.company.id,
                    "product_id": self.world.fees[subscriber.company.id].id,
                    "description": "Installation (simulation)",
                    "amount": event["amount"],
                    "mode": event["mode"],
                    "date": day,
                }
            )
        )
        return f"one-time {event['amount']} {event['mode']}: {charge.state}"

    def _settings(self, subscriber, partner, event, day):
        field, value = event["field"], event["value"]
        if field == "minimum":
            partner.isp_minimum_balance = -value
        elif field == "limit":
            if partner.isp_credit_mode != "limit":
                raise Refused("no credit limit to change")
            partner.isp_credit_limit = 40.0 + value
        else:
            subscriber.company.isp_blocking_days = value % 4
        return f"{field} set from {value}"

    def _proforma(self, subscriber, partner, event, day):
        proformas = self.env["isp.proforma"].with_company(subscriber.company)._isp_create_for(
            partner, day
        )
        if not proformas:
            raise Refused("no proforma to make")
        return f"proforma {proformas.amount_total}"

    def _radius_acct(self, subscriber, partner, event, day):
        """What FreeRADIUS posts to /isp/radius/accounting for this login."""
        company = subscriber.company
        line = self.env["contract.line"]._isp_radius_line(company, subscriber.username)
        session = f"{subscriber.key}-{day}"
        kind = {"Start": "start", "Interim-Update": "interim", "Stop": "stop"}[event["status"]]
        self.env["isp.radius.session"].sudo()._isp_record(
            company,
            {
                "unique_id": f"{self.world.tag}/{session}",
                "line_id": line.id or None,
                "partner_id": partner.id,
                "username": subscriber.username,
                "session_id": session,
                "nas_ip": "192.0.2.1",
                "framed_ip": "198.51.100.7",
                "session_time": 600,
                "input_bytes": 10**6,
                "output_bytes": 10**7,
                "terminate_cause": "User-Request" if kind == "stop" else None,
            },
            kind,
        )
        return f"accounting {kind}"


def _first_line(error):
    text = error.args[0] if error.args else str(error)
    return str(text).splitlines()[0][:160]
