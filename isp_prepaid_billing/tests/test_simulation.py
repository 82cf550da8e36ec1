# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Weeks of an ISP lived through the real engine, the books checked every day
(tests/simulator); and each check shown to catch a ledger broken on purpose."""

import json
import os
import time
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools import SQL

from .simulator import Simulation, SimulationFailed, check_all, replay

# The CI run: small enough for under 3 minutes on a shared 2-core machine.
CI_SEED, CI_SIZE, CI_DAYS = 17, 30, 45


class _Rollback(Exception):
    pass


@tagged("post_install", "-at_install")
class TestSimulation(TransactionCase):
    def simulate(self, seed, size, days):
        simulation = Simulation(
            self.env, seed, size, days, start="2026-01-01",
            keep_going=bool(os.environ.get("ISP_SIM_KEEP_GOING")),
        )
        try:
            result = simulation.run()
        except SimulationFailed as failure:
            self.fail(
                "\n".join(str(v) for v in failure.violations[:40]) + "\nreproduction: "
                + simulation.write_reproduction(f"/tmp/simulation-seed{seed}-{simulation.day}.json")
            )
        return simulation, result

    def test_weeks_of_an_isp_keep_the_books_right(self):
        started = time.monotonic()
        simulation, result = self.simulate(CI_SEED, CI_SIZE, CI_DAYS)
        elapsed = time.monotonic() - started
        tally = simulation.tally()
        # Every way money arrives, the service changes and the crons were
        # applied, not only drawn.
        for kind in ("register", "outstanding", "statement", "online", "refill",
                     "credit_note", "payment", "plan_change", "one_time", "crons", "kill"):
            self.assertTrue(tally.get(kind, {}).get("ok"), f"{kind} never applied: {tally}")
        statuses = {values["status"] for values in result.values()}
        self.assertIn("active", statuses)
        self.assertTrue(statuses & {"blocked", "inactive"}, "somebody who never pays is cut off")
        self.assertLess(elapsed, 180, f"the CI simulation took {elapsed:.0f} s")

    def test_same_seed_same_events_and_same_result(self):
        runs = []
        for attempt in range(3):
            try:
                with self.env.cr.savepoint():
                    if attempt < 2:
                        simulation, result = self.simulate(5, 8, 12)
                    else:  # the reproduction file of the first run, replayed
                        data = json.loads(json.dumps(reproduction))
                        simulation, result = replay(self.env, data)
                    reproduction = simulation.reproduction()
                    runs.append((simulation.events, result))
                    raise _Rollback()
            except _Rollback:
                self.env.invalidate_all()
        (events_1, result_1), (events_2, result_2), (events_3, result_3) = runs
        self.assertEqual(events_1, events_2)
        self.assertEqual(result_1, result_2)
        self.assertEqual(events_1, events_3)
        self.assertEqual(result_1, result_3)
        other = Simulation(self.env, 6, 8, 12)
        other.setup()
        self.assertNotEqual(
            [{k: v for k, v in e.items() if k != "outcome"} for e in events_1],
            other.draw_events(),
        )


@tagged("post_install", "-at_install")
class TestInvariantsCatchBrokenBooks(TransactionCase):
    """A clean simulated month, then one thing broken by SQL: the invariant
    that must notice names the subscriber."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.simulation = Simulation(cls.env, 11, 10, 28, start="2026-01-01")
        cls.simulation.run()
        cls.world = cls.simulation.world
        cls.day = cls.simulation.day

    def violations(self, invariant):
        with freeze_time(fields.Date.to_string(self.day)):
            return [str(v) for v in check_all(self.world, self.day, only=[invariant])]

    def assertNamed(self, invariant, subscriber, corrupt):
        self.assertEqual(self.violations(invariant), [], "clean before the corruption")
        corrupt()
        self.env.invalidate_all()
        violations = self.violations(invariant)
        self.assertTrue(
            any(f"[{invariant}]" in v and subscriber.key in v for v in violations),
            f"{invariant} must name {subscriber.key}: {violations}",
        )

    def subscriber(self, condition):
        found = [s for s in self.world.subscribers if condition(s)]
        self.assertTrue(found, "the seed gives such a subscriber")
        return found[0]

    def receivable_lines(self, subscriber):
        return self.env["account.move.line"].search(
            [
                ("partner_id", "=", subscriber.partner.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ],
            order="id",
        )

    def sql(self, query, *args):
        self.env.flush_all()
        self.env.cr.execute(SQL(query, *args))

    def test_balance_not_the_receivable(self):
        subscriber = self.world.subscribers[1]
        self.assertNamed(
            "balance",
            subscriber,
            lambda: self.sql(
                "UPDATE res_partner SET isp_balance = COALESCE(isp_balance, 0) + 1 WHERE id = %s",
                subscriber.partner.id,
            ),
        )

    def test_period_charged_twice(self):
        subscriber = self.subscriber(lambda s: s.partner.isp_charge_ids)
        charge = subscriber.partner.isp_charge_ids.sorted("id")[0]
        self.assertNamed(
            "charged_once",
            subscriber,
            lambda: self.sql(
                """INSERT INTO isp_charge (contract_id, partner_id, company_id, currency_id,
                       billing_type, date, period_start, period_end, amount, factor)
                   SELECT contract_id, partner_id, company_id, currency_id, billing_type,
                          date, period_start + 1, period_end, amount, factor
                     FROM isp_charge WHERE id = %s""",
                charge.id,
            ),
        )

    def test_days_taken_as_charged_without_a_charge(self):
        subscriber = self.subscriber(lambda s: s.contract.isp_charged_until)
        self.assertNamed(
            "charged_until",
            subscriber,
            lambda: self.sql(
                "UPDATE contract_contract SET isp_charged_until = isp_charged_until + 62 WHERE id = %s",
                subscriber.contract.id,
            ),
        )

    def test_last_period_stretched(self):
        subscriber = self.subscriber(lambda s: s.contract.isp_charged_until)
        self.assertNamed(
            "charged_until",
            subscriber,
            lambda: self.sql(
                """UPDATE isp_charge SET period_end = period_end + 90
                    WHERE id = (SELECT MAX(id) FROM isp_charge WHERE contract_id = %s)""",
                subscriber.contract.id,
            ),
        )

    def test_due_period_neither_charged_nor_blocked(self):
        subscriber = self.subscriber(
            lambda s: s.partner.isp_status == "active" and s.contract.isp_next_charge_date
        )
        self.assertNamed(
            "due_charged",
            subscriber,
            lambda: self.sql(
                "UPDATE contract_contract SET isp_next_charge_date = %s WHERE id = %s",
                self.day - timedelta(days=3),
                subscriber.contract.id,
            ),
        )

    def test_status_changed_by_sql(self):
        # Blocked by SQL a month ago: the rules deactivate after 10 days.
        subscriber = self.subscriber(
            lambda s: s.partner.isp_status == "active" and not s.partner.isp_do_not_block
        )
        self.assertNamed(
            "status",
            subscriber,
            lambda: self.sql(
                "UPDATE res_partner SET isp_status = 'blocked', isp_status_date = %s WHERE id = %s",
                self.day - timedelta(days=30),
                subscriber.partner.id,
            ),
        )

    def test_unbalanced_entry(self):
        subscriber = self.subscriber(self.receivable_lines)
        line = self.receivable_lines(subscriber)[0]
        self.assertNamed(
            "moves_balanced",
            subscriber,
            lambda: self.sql(
                """UPDATE account_move_line
                      SET debit = CASE WHEN debit > 0 THEN debit + 1 ELSE debit END,
                          credit = CASE WHEN debit > 0 THEN credit ELSE credit + 1 END,
                          balance = balance + CASE WHEN debit > 0 THEN 1 ELSE -1 END
                    WHERE id = %s""",
                line.id,
            ),
        )

    def test_two_entries_with_one_number(self):
        subscriber = self.subscriber(lambda s: len(self.receivable_lines(s).move_id.filtered(lambda m: m.move_type == "out_invoice")) >= 1)
        journal = self.world.companies[0].isp_journal_id
        moves = self.env["account.move"].search(
            [("journal_id", "=", journal.id), ("state", "=", "posted")], order="id", limit=2
        )
        self.assertEqual(len(moves), 2)

        def corrupt():
            # The database refuses a duplicate posted number: drop its guard first.
            self.sql("DROP INDEX IF EXISTS account_move_unique_name")
            self.sql("DROP INDEX IF EXISTS account_move_isp_unique_posted_name")
            for (index,) in self.env.execute_query(
                SQL(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'account_move' AND indexdef ILIKE %s",
                    "%UNIQUE%name%",
                )
            ):
                self.sql(f'DROP INDEX "{index}"')  # noqa: S608 - names read from the catalog
            self.sql(
                "UPDATE account_move SET name = %s WHERE id = %s", moves[0].name, moves[1].id
            )

        self.assertEqual(self.violations("numbers_unique"), [])
        corrupt()
        violations = self.violations("numbers_unique")
        self.assertTrue(any(moves[0].name in v for v in violations), violations)
        self.assertTrue(subscriber)

    def test_hashed_entry_altered(self):
        journal = self.world.companies[0].isp_journal_id
        hashed = self.env["account.move"].search(
            [("journal_id", "=", journal.id), ("inalterable_hash", "!=", False)], order="id", limit=1
        )
        self.assertTrue(hashed, "the locked journal's entries are hashed")
        self.assertEqual(self.violations("hash_chain"), [])
        self.sql(
            "UPDATE account_move_line SET name = 'tampered' WHERE move_id = %s", hashed.id
        )
        self.sql("UPDATE account_move SET date = date - 1 WHERE id = %s", hashed.id)
        self.env.invalidate_all()
        violations = self.violations("hash_chain")
        self.assertTrue(any(hashed.name in v for v in violations), violations)

    def test_provider_money_without_payment(self):
        subscriber = self.world.subscribers[2]
        provider = self.world.providers[subscriber.company.id]
        Transaction = self.env["payment.transaction"].sudo()

        def corrupt():
            tx = Transaction.create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": provider.payment_method_ids[:1].id,
                    "reference": Transaction._compute_reference("demo"),
                    "amount": 12.0,
                    "currency_id": subscriber.company.currency_id.id,
                    "partner_id": subscriber.partner.id,
                    "operation": "online_direct",
                }
            )
            self.sql("UPDATE payment_transaction SET state = 'done' WHERE id = %s", tx.id)

        self.assertNamed("provider_money", subscriber, corrupt)

    def test_provider_money_booked_short(self):
        subscriber = self.subscriber(
            lambda s: self.env["account.payment"].search_count(
                [("partner_id", "=", s.partner.id), ("payment_transaction_id", "!=", False)]
            )
        )
        payment = self.env["account.payment"].search(
            [
                ("partner_id", "=", subscriber.partner.id),
                ("payment_transaction_id", "!=", False),
                ("amount", ">", 0),
            ],
            limit=1,
        )
        self.assertNamed(
            "provider_money",
            subscriber,
            lambda: self.sql("UPDATE account_payment SET amount = amount / 2 WHERE id = %s", payment.id),
        )

    def test_statement_and_ledger_disagree(self):
        subscriber = self.subscriber(self.receivable_lines)
        line = self.receivable_lines(subscriber)[-1]
        self.assertNamed(
            "statement",
            subscriber,
            lambda: self.sql(
                "UPDATE account_move_line SET date = %s WHERE id = %s",
                self.day + timedelta(days=40),
                line.id,
            ),
        )

    def test_radius_lets_in_who_is_cut_off(self):
        subscriber = self.subscriber(
            lambda s: s.partner.isp_status == "active"
            and self.env["contract.line"]._isp_radius_line(s.company, s.username)
        )
        line = self.env["contract.line"]._isp_radius_line(subscriber.company, subscriber.username)
        self.assertNamed(
            "radius",
            subscriber,
            lambda: self.sql(
                "UPDATE contract_line SET isp_radius_disabled = TRUE WHERE id = %s", line.id
            ),
        )

    def test_draft_left_behind(self):
        subscriber = self.world.subscribers[3]

        def corrupt():
            self.env["account.move"].with_company(subscriber.company).create(
                {
                    "move_type": "out_invoice",
                    "partner_id": subscriber.partner.id,
                    "invoice_line_ids": [Command.create({"name": "Forgotten", "price_unit": 9.0})],
                }
            )

        self.assertNamed("drafts", subscriber, corrupt)

    def test_draft_left_behind_for_a_contact_of_the_subscriber(self):
        subscriber = self.world.subscribers[4]

        def corrupt():
            contact = self.env["res.partner"].create(
                {"name": "Billing contact", "parent_id": subscriber.partner.id, "type": "invoice"}
            )
            self.env["account.move"].with_company(subscriber.company).create(
                {
                    "move_type": "out_invoice",
                    "partner_id": contact.id,
                    "invoice_line_ids": [Command.create({"name": "Forgotten", "price_unit": 9.0})],
                }
            )

        self.assertNamed("drafts", subscriber, corrupt)
