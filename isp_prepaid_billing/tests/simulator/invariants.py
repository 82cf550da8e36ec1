# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""What must hold in the books after every simulated day. Each check returns
``Violation``s naming the invariant, the day and the subscriber (or the
record) in words; an empty list means the books are right."""

from dataclasses import dataclass

from odoo import Command, fields
from odoo.tools import SQL


@dataclass
class Violation:
    invariant: str
    day: object
    subject: str
    message: str

    def __str__(self):
        return f"[{self.invariant}] {fields.Date.to_string(self.day)} {self.subject}: {self.message}"


INVARIANTS = (
    "balance",
    "charged_once",
    "charged_until",
    "due_charged",
    "status",
    "moves_balanced",
    "numbers_unique",
    "hash_chain",
    "provider_money",
    "statement",
    "radius",
    "drafts",
)


def check_all(world, day, only=None):
    """Every invariant (or those in ``only``) of ``world`` on ``day``."""
    env = world.env
    env.flush_all()
    env.invalidate_all()
    violations = []
    for name in INVARIANTS:
        if only and name not in only:
            continue
        try:
            with env.cr.savepoint():
                violations += globals()[f"check_{name}"](world, day)
        except Exception as error:  # noqa: BLE001 - a check that cannot run is a finding
            violations.append(Violation(name, day, "check", f"could not run: {error}"))
    return violations


def _subject(world, partner_id):
    for subscriber in world.subscribers:
        if subscriber.partner.id == partner_id:
            return f"{subscriber.key} ({subscriber.partner.name})"
    return f"res.partner({partner_id})"


def _rows(env, query):
    return env.execute_query(query)


def _company_ids(world):
    return tuple(company.id for company in world.companies)


# === MONEY === #


def check_balance(world, day):
    """The balance a subscriber sees is minus their receivable."""
    env = world.env
    rows = _rows(
        env,
        SQL(
            """
            SELECT p.id, COALESCE(p.isp_balance, 0),
                   COALESCE((SELECT -SUM(l.balance) FROM account_move_line l
                               JOIN account_account a ON a.id = l.account_id
                              WHERE l.partner_id = p.id AND l.parent_state = 'posted'
                                AND l.company_id = p.isp_company_id
                                AND a.account_type = 'asset_receivable'), 0)
              FROM res_partner p
             WHERE p.id = ANY(%s)
             ORDER BY p.id
            """,
            world.partners.ids,
        ),
    )
    violations = []
    for partner_id, stored, ledger in rows:
        currency = world.env["res.partner"].browse(partner_id).isp_currency_id
        if currency.compare_amounts(float(stored), float(ledger)):
            violations.append(
                Violation(
                    "balance",
                    day,
                    _subject(world, partner_id),
                    f"balance {float(stored):.2f} but the receivable says {float(ledger):.2f}",
                )
            )
    return violations


def check_charged_once(world, day):
    """No day of a subscription is charged by two charges."""
    rows = _rows(
        world.env,
        SQL(
            """
            SELECT a.partner_id, a.contract_id, a.period_start, a.period_end,
                   b.period_start, b.period_end
              FROM isp_charge a
              JOIN isp_charge b ON b.contract_id = a.contract_id AND b.id > a.id
                               AND b.period_start <= a.period_end
                               AND a.period_start <= b.period_end
             WHERE a.partner_id = ANY(%s)
             ORDER BY a.id, b.id
            """,
            world.partners.ids,
        ),
    )
    return [
        Violation(
            "charged_once",
            day,
            _subject(world, partner_id),
            f"subscription {contract_id}: {a_start} - {a_end} charged again as {b_start} - {b_end}",
        )
        for partner_id, contract_id, a_start, a_end, b_start, b_end in rows
    ]


def check_charged_until(world, day):
    """A subscription's "charged until" is the end of its last charged period:
    no day is taken as charged without a charge."""
    rows = _rows(
        world.env,
        SQL(
            """
            SELECT c.partner_id, c.name, c.isp_charged_until, MAX(ch.period_end)
              FROM contract_contract c
              LEFT JOIN isp_charge ch ON ch.contract_id = c.id
             WHERE c.partner_id = ANY(%s)
             GROUP BY c.id
            HAVING c.isp_charged_until IS DISTINCT FROM MAX(ch.period_end)
             ORDER BY c.id
            """,
            world.partners.ids,
        ),
    )
    return [
        Violation(
            "charged_until",
            day,
            _subject(world, partner_id),
            f"{name} says charged until {charged_until}, its charges end on {last_end}",
        )
        for partner_id, name, charged_until, last_end in rows
    ]


def check_due_charged(world, day):
    """Every period due by ``day`` is charged, requested (an open proforma), or
    its customer is blocked (or deactivated) with the reason."""
    env = world.env
    violations = []
    Proforma = env["isp.proforma"]
    for subscriber in world.subscribers:
        partner = subscriber.partner
        if partner.isp_status == "new":
            # Never charged yet (a prepaid customer who has not paid): no service
            # is given (RADIUS rejects "not started"), so nothing is owed.
            continue
        if partner.isp_status in ("blocked", "inactive"):
            if not partner.isp_status_reason:
                violations.append(
                    Violation("due_charged", day, _subject(world, partner.id), "blocked without a reason")
                )
            continue
        for contract in partner.isp_contract_ids.sorted("id"):
            due = contract.isp_next_charge_date
            if not due or due > day or not contract.active:
                continue
            requested = Proforma.search_count(
                [
                    ("partner_id", "=", partner.id),
                    ("state", "=", "open"),
                    ("period_end", ">=", contract._isp_next_start()),
                ]
            )
            if requested:
                continue
            violations.append(
                Violation(
                    "due_charged",
                    day,
                    _subject(world, partner.id),
                    f"period of {contract.name} due on {due} not charged while {partner.isp_status}"
                    + (f" (billing error: {partner.isp_billing_error})" if partner.isp_billing_error else ""),
                )
            )
    return violations


# === STATUS === #


def check_status(world, day):
    """The planner the crons use proposes nothing more for the day."""
    engine = world.env["isp.billing.engine"]
    violations = []
    for decision in engine._plan_status(world.partners, day):
        if decision.action in ("block", "deactivate") and engine._cutoff_hold(
            decision.partner, decision.action, day
        ):
            continue
        violations.append(
            Violation(
                "status",
                day,
                _subject(world, decision.partner.id),
                f"is {decision.partner.isp_status} but the rules say {decision.action}: {decision.reason}",
            )
        )
    return violations


# === ACCOUNTING === #


def check_moves_balanced(world, day):
    rows = _rows(
        world.env,
        SQL(
            """
            SELECT m.id, m.name, m.partner_id, SUM(l.debit), SUM(l.credit)
              FROM account_move m JOIN account_move_line l ON l.move_id = m.id
             WHERE m.state = 'posted' AND m.company_id IN %s
             GROUP BY m.id
            HAVING ROUND(SUM(l.debit) - SUM(l.credit), 2) != 0
             ORDER BY m.id
            """,
            _company_ids(world),
        ),
    )
    return [
        Violation(
            "moves_balanced",
            day,
            _subject(world, partner_id) if partner_id else f"move {move_id}",
            f"posted entry {name} is unbalanced: debit {float(debit):.2f}, credit {float(credit):.2f}",
        )
        for move_id, name, partner_id, debit, credit in rows
    ]


def check_numbers_unique(world, day):
    rows = _rows(
        world.env,
        SQL(
            """
            SELECT journal_id, name, COUNT(*)
              FROM account_move
             WHERE state = 'posted' AND company_id IN %s
             GROUP BY journal_id, name HAVING COUNT(*) > 1
             ORDER BY journal_id, name
            """,
            _company_ids(world),
        ),
    )
    return [
        Violation("numbers_unique", day, f"journal {journal_id}", f"number {name} used by {count} posted entries")
        for journal_id, name, count in rows
    ]


def check_hash_chain(world, day):
    violations = []
    for company in world.companies:
        results = company.sudo()._check_hash_integrity()["results"]
        for result in results:
            if result["status"] == "corrupted":
                violations.append(
                    Violation("hash_chain", day, company.name, f"{result['journal_name']}: {result['msg_cover']}")
                )
    return violations


def check_provider_money(world, day):
    """Money a provider confirmed is booked as a posted payment of that amount."""
    rows = _rows(
        world.env,
        SQL(
            """
            SELECT t.id, t.reference, c.commercial_partner_id, t.amount,
                   (SELECT SUM(p.amount) FROM account_payment p
                     WHERE p.payment_transaction_id = t.id
                       AND p.state IN ('in_process', 'paid'))
              FROM payment_transaction t
              JOIN res_partner c ON c.id = t.partner_id
             WHERE t.state = 'done' AND c.commercial_partner_id = ANY(%s)
               AND t.operation != 'validation'
             ORDER BY t.id
            """,
            world.partners.ids,
        ),
    )
    violations = []
    for __, reference, partner_id, amount, booked in rows:
        if booked is None:
            message = f"transaction {reference} of {float(amount):.2f} is done but no payment is booked"
        elif world.env["res.partner"].browse(partner_id).isp_currency_id.compare_amounts(
            float(amount), float(booked)
        ):
            message = f"transaction {reference} of {float(amount):.2f} is booked as {float(booked):.2f}"
        else:
            continue
        violations.append(Violation("provider_money", day, _subject(world, partner_id), message))
    return violations


def check_statement(world, day):
    """The customer statement ends where the accountant's partner ledger (OCA
    ``account_financial_report``) and the balance do."""
    env = world.env
    ledgers = {company: _partner_ledger(world, company, day) for company in world.companies}
    violations = []
    for subscriber in world.subscribers:
        partner = subscriber.partner
        statement = env["isp.statement"].new(
            {
                "partner_id": partner.id,
                "company_id": subscriber.company.id,
                "date_from": day.replace(day=1),
                "date_to": day,
            }
        )
        closing = statement._isp_statement_data()["closing"]
        ledger = ledgers[subscriber.company].get(partner.id, 0.0)
        currency = subscriber.company.currency_id
        balance = -(partner.isp_balance or 0.0)
        if currency.compare_amounts(closing, ledger) or currency.compare_amounts(closing, balance):
            violations.append(
                Violation(
                    "statement",
                    day,
                    _subject(world, partner.id),
                    f"statement closes at {closing:.2f}, the partner ledger at {ledger:.2f}, "
                    f"the balance says {balance:.2f}",
                )
            )
    return violations


def _partner_ledger(world, company, day):
    """Ending receivable balance by customer id in OCA's partner ledger (its
    general ledger by partner, receivable accounts) of ``company`` on ``day``,
    computed as the report's own screen computes it."""
    env = world.env
    partners = world.partners.filtered(
        lambda partner: world.by_id(partner.id).company == company
    )
    wizard = env["general.ledger.report.wizard"].create(
        {
            "company_id": company.id,
            "date_from": day.replace(month=1, day=1),
            "date_to": day,
            "receivable_accounts_only": True,
            "partner_ids": [Command.set(partners.ids)],
            "grouped_by": "partners",
            "centralize": False,
        }
    )
    wizard.onchange_type_accounts_only()
    data = wizard._prepare_report_data()
    report = env["report.account_financial_report.general_ledger"]
    balances = {}
    for account in report._get_report_values(wizard.ids, data)["general_ledger"]:
        for row in account.get("list_grouped") or []:
            balances[row["id"]] = balances.get(row["id"], 0.0) + row["fin_bal"]["balance"]
    return balances


# === NETWORK === #


def check_radius(world, day):
    """What FreeRADIUS is told for each login follows the customer's status."""
    env = world.env
    violations = []
    for subscriber in world.subscribers:
        line = env["contract.line"]._isp_radius_line(subscriber.company, subscriber.username)
        if not line:
            continue  # the plan was changed: the new line has no login yet
        code, body = line._isp_radius_decision(day)
        partner = subscriber.partner
        contract = line.contract_id
        state = partner._isp_service_state(day)
        ended = (
            not contract.active
            or line.is_canceled
            or (contract.isp_cancel_date and contract.isp_cancel_date < day)
        )
        suspended = "Framed-Pool" in str(body) or "suspended" in str(body).lower()
        if ended or state in ("inactive", "new"):
            expected = code == 401
        elif state in ("blocked", "paused"):
            expected = code == 401 or (code == 200 and suspended)
        else:
            expected = code == 200 and not suspended
        if not expected:
            violations.append(
                Violation(
                    "radius",
                    day,
                    _subject(world, partner.id),
                    f"status {partner.isp_status} (service {state}) but RADIUS answers {code}: "
                    f"{body.get('reply:Reply-Message', {}).get('value', '')}",
                )
            )
    return violations


def check_drafts(world, day):
    rows = _rows(
        world.env,
        SQL(
            """
            SELECT 'account.move', m.id, c.commercial_partner_id
              FROM account_move m JOIN res_partner c ON c.id = m.partner_id
             WHERE m.state = 'draft' AND c.commercial_partner_id = ANY(%(p)s)
            UNION ALL
            SELECT 'account.payment', y.id, c.commercial_partner_id
              FROM account_payment y JOIN res_partner c ON c.id = y.partner_id
             WHERE y.state = 'draft' AND c.commercial_partner_id = ANY(%(p)s)
             ORDER BY 1, 2
            """,
            p=world.partners.ids,
        ),
    )
    return [
        Violation("drafts", day, _subject(world, partner_id), f"{model}({record_id}) left in draft")
        for model, record_id, partner_id in rows
    ]
