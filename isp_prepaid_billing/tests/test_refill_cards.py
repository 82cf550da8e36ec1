# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import base64
import csv
import io
import threading
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.exceptions import ValidationError
from odoo.service.model import retrying
from odoo.tests import BaseCase, freeze_time, get_db_name, tagged

from .common import IspBillingCase, race_on_two_connections


@tagged("post_install", "-at_install")
class TestRefillCards(IspBillingCase):
    def generate(self, count=3, value=20.0, **values):
        wizard = self.env["isp.refill.card.generate"].create(
            {
                "name": "R26",
                "count": count,
                "value": value,
                "company_id": self.company.id,
                **values,
            }
        )
        wizard.action_generate()
        return wizard

    def redeem(self, code, customer, ip="192.0.2.10"):
        result = self.env["isp.refill.card"]._isp_redeem(code, customer, ip)
        self.end_transaction()
        return result

    def test_generated_codes_are_random_printable_and_stored_only_as_hashes(self):
        wizard = self.generate(count=50)
        cards = wizard._cards()
        self.assertEqual(len(cards), 50)
        codes = [code for __, code in cards]
        self.assertEqual(len(set(codes)), 50)
        for code in codes:
            self.assertRegex(
                code, r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$"
            )
        self.assertEqual([number for number, __ in cards][:2], ["R26-0001", "R26-0002"])

        batch = wizard.batch_id
        self.assertEqual(batch.card_count, 50)
        self.assertEqual(batch.available_count, 50)
        # No column of the cards table holds a clear code.
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT row_to_json(c)::text FROM isp_refill_card c WHERE batch_id = %s",
            [batch.id],
        )
        rows = " ".join(row[0] for row in self.env.cr.fetchall())
        for code in codes[:10]:
            self.assertNotIn(code.replace("-", ""), rows)
            self.assertNotIn(code, rows)

        exported = list(
            csv.reader(io.StringIO(base64.b64decode(wizard.csv_file).decode()))
        )
        self.assertEqual(
            exported[0], ["serial", "code", "value", "currency", "valid_until"]
        )
        self.assertEqual(exported[1][:2], list(cards[0]))
        sheet = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "isp_prepaid_billing.action_report_isp_refill_cards", wizard.ids
            )[0]
            .decode()
        )
        for number, code in cards:
            self.assertIn(code, sheet)
            self.assertIn(number, sheet)

        wizard.action_done()
        self.assertFalse(wizard.exists(), "closing forgets the clear codes")

    def test_the_limit_per_address_cannot_undercut_the_limit_per_user(self):
        with self.assertRaisesRegex(ValidationError, "cannot be fewer"):
            self.company.write(
                {"isp_refill_max_failures": 5, "isp_refill_max_failures_address": 4}
            )

    def test_bad_batches_are_refused(self):
        Generate = self.env["isp.refill.card.generate"]
        for values, message in [
            ({"count": 0}, "from 1 to"),
            ({"count": 10001}, "from 1 to"),
            ({"value": 0.0}, "must be positive"),
            ({"expiry_date": "2000-01-01"}, "in the past"),
        ]:
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(ValidationError, message),
            ):
                Generate.create({"name": "BAD", "count": 1, "value": 10.0, **values})
        self.assertFalse(
            self.env["isp.refill.card.batch"].search([("name", "=", "BAD")])
        )

    @freeze_time("2026-04-02")
    def test_redeeming_a_card_pays_the_balance_and_reactivates(self):
        customer = self.make_subscriber("Ivy")
        self.make_subscription(customer, price=20.0, date_start="2026-03-01")
        self.pay(customer, 20.0, "2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-04-01")
        self.assertStatus(customer, "blocked")
        wizard = self.generate(count=2, value=25.0)
        number, code = wizard._cards()[0]

        # Typed in lower case, with spaces instead of dashes.
        payment, error = self.redeem(code.lower().replace("-", " "), customer)

        self.assertFalse(error)
        self.assertIn(payment.state, ("in_process", "paid"))
        self.assertMoney(payment.amount, 25.0)
        self.assertIn(number, payment.memo)
        self.assertTrue(payment.isp_receipt_number)
        card = self.env["isp.refill.card"].search([("number", "=", number)])
        self.assertEqual(card.state, "redeemed")
        self.assertEqual(card.redeemed_partner_id, customer)
        self.assertEqual(card.payment_id, payment)
        self.assertStatus(customer, "active", "2026-04-02")
        self.assertBalance(customer, 5.0)

        payment, error = self.redeem(code, customer)
        self.assertFalse(payment)
        self.assertEqual(error, "This card has already been used.")
        self.assertBalance(customer, 5.0)

    @freeze_time("2026-04-02")
    def test_expired_disabled_and_foreign_cards_are_refused(self):
        customer = self.make_subscriber("Jon")
        expiring = self.generate(count=1, expiry_date="2026-04-30")
        disabled = self.generate(count=2, name="D26")
        disabled.batch_id.action_disable()
        other_company = self.setup_other_company()["company"]
        foreign = self.env["isp.refill.card.generate"].create(
            {
                "name": "F26",
                "count": 1,
                "value": 20.0,
                "company_id": other_company.id,
                "currency_id": other_company.currency_id.id,
            }
        )
        foreign.action_generate()

        with freeze_time("2026-05-01"):
            __, error = self.redeem(expiring._cards()[0][1], customer)
        self.assertIn("expired on 2026-04-30", error)
        __, error = self.redeem(disabled._cards()[0][1], customer)
        self.assertIn("disabled", error)
        __, error = self.redeem(foreign._cards()[0][1], customer)
        self.assertIn("not valid", error)
        __, error = self.redeem("not a code", customer)
        self.assertIn("not valid", error)
        self.assertBalance(customer, 0.0)
        attempts = self.env["isp.refill.attempt"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(
            sorted(attempts.mapped("result")),
            ["disabled", "expired", "unknown", "unknown"],
        )

    def test_wrong_codes_are_limited_per_user_not_per_shared_address(self):
        customer = self.make_subscriber("Kim")
        good_codes = [code for __, code in self.generate(count=2)._cards()]
        self.company.isp_refill_max_failures = 3
        cgnat = "198.51.100.7"  # the carrier-grade NAT many subscribers share
        for __ in range(3):
            __, error = self.redeem("AAAA-AAAA-AAAA-AAAA", customer, ip=cgnat)
            self.assertIn("not valid", error)

        payment, error = self.redeem(good_codes[0], customer, ip=cgnat)
        self.assertFalse(payment)
        self.assertIn("Too many wrong codes", error)
        # The same user from another address is still the same user.
        payment, error = self.redeem(good_codes[0], customer, ip="203.0.113.9")
        self.assertIn("Too many wrong codes", error)
        # Another subscriber behind the same address is not locked out.
        neighbour = self.make_subscriber("Lee")
        Card = self.env["isp.refill.card"].with_user(
            self.make_user("lee", "isp_prepaid_billing.isp_prepaid_billing_group_manager")
        )
        payment, error = Card._isp_redeem(good_codes[0], neighbour, cgnat)
        self.assertFalse(error)
        self.assertMoney(payment.amount, 20.0)
        # The address as a whole has a much higher ceiling (50 by default).
        self.assertEqual(self.company.isp_refill_max_failures_address, 50)
        self.company.isp_refill_max_failures_address = 5
        for __ in range(2):
            __, error = Card._isp_redeem("AAAA-AAAA-AAAA-AAAA", neighbour, cgnat)
            self.assertIn("not valid", error)
        Card = Card.with_user(
            self.make_user("max", "isp_prepaid_billing.isp_prepaid_billing_group_manager")
        )
        payment, error = Card._isp_redeem(good_codes[1], neighbour, cgnat)
        self.assertIn("Too many wrong codes", error)
        payment, error = Card._isp_redeem(good_codes[1], neighbour, "203.0.113.10")
        self.assertFalse(error)

        # The window is 15 minutes.
        with freeze_time(fields.Datetime.now() + timedelta(minutes=16)):
            __, error = self.redeem("AAAA-AAAA-AAAA-AAAA", customer, ip=cgnat)
        self.assertIn("not valid", error)


@tagged("post_install", "-at_install")
class TestRefillCardConcurrency(BaseCase):
    """Two redemptions of one card at the same moment, on two real database
    connections: the second waits for the first, then finds the card used."""

    def test_a_card_is_taken_once_under_concurrent_redemptions(self):
        db = get_db_name()
        with sql_db.db_connect(db).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            batch = env["isp.refill.card.batch"].create(
                {
                    "name": f"CONC-{id(self)}",
                    "company_id": company.id,
                    "currency_id": company.currency_id.id,
                    "value": 15.0,
                }
            )
            card = env["isp.refill.card"].create(
                {
                    "batch_id": batch.id,
                    "number": "CONC-1",
                    "code_hash": f"test-{id(self)}",
                }
            )
            ids = (batch.id, card.id, env.ref("base.partner_admin").id)
            cr.commit()

        def take(env):
            card = env["isp.refill.card"].browse(ids[1])
            return card._isp_take(env["res.partner"].browse(ids[2]))

        try:
            results = race_on_two_connections(self, take, "redemption")
            self.assertEqual(sorted(results), [False, True])
        finally:
            with sql_db.db_connect(db).cursor() as cr:
                cr.execute("DELETE FROM isp_refill_card WHERE id = %s", [ids[1]])
                cr.execute("DELETE FROM isp_refill_card_batch WHERE id = %s", [ids[0]])
                cr.commit()

    def test_parallel_wrong_codes_are_checked_no_more_than_the_limit(self):
        """Many wrong codes at once from one user (a script): each request has
        read the database before it redeems, as a web request has, and the
        limit still holds: only the allowed number of codes is looked up."""
        db = get_db_name()
        count, address = 12, "192.0.2.201"
        with sql_db.db_connect(db).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": f"Race {id(self)}"})
            limit = env.company.isp_refill_max_failures
            cr.commit()
        started, go = [], threading.Event()
        answers, errors = [], []

        def redeem(number):
            try:
                with sql_db.db_connect(db).cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})

                    def once():
                        customer = env["res.partner"].browse(partner.id)
                        customer.name  # the transaction's snapshot starts here
                        if not go.is_set():
                            started.append(number)
                            go.wait(10)
                        code = f"ZZZZ-ZZZZ-ZZZZ-{number:04d}"
                        return env["isp.refill.card"]._isp_redeem(code, customer, address)

                    answers.append(retrying(once, env)[1])
            except Exception as error:  # noqa: BLE001 - surfaced by the assertion
                errors.append(error)

        threads = [threading.Thread(target=redeem, args=(n,)) for n in range(count)]
        try:
            for thread in threads:
                thread.start()
            for __ in range(100):
                if len(started) == count:
                    break
                threading.Event().wait(0.1)
            go.set()
            for thread in threads:
                thread.join(60)
            self.assertFalse(errors)
            with sql_db.db_connect(db).cursor() as cr:
                cr.execute(
                    "SELECT count(*) FROM isp_refill_attempt WHERE partner_id = %s "
                    "AND result = 'unknown'",
                    [partner.id],
                )
                checked = cr.fetchone()[0]
            self.assertLessEqual(checked, limit, "wrong codes looked up")
            refused = [answer for answer in answers if "Too many wrong codes" in answer]
            self.assertEqual(len(refused), count - checked)
        finally:
            go.set()
            with sql_db.db_connect(db).cursor() as cr:
                cr.execute(
                    "DELETE FROM isp_refill_attempt WHERE partner_id = %s", [partner.id]
                )
                cr.execute("DELETE FROM res_partner WHERE id = %s", [partner.id])
                cr.commit()
