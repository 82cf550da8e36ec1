# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import IspPortalCase


@tagged("post_install", "-at_install")
class TestPortalPayments(IspPortalCase):
    """Online top-up, payment in advance, reactivation and proforma payment
    through a real payment transaction of the demo provider."""

    def lapsed_prepaid(self, name="Ana"):
        """Paid March; on 1 April the renewal finds no money: blocked."""
        customer = self.make_subscriber(name)
        subscription = self.make_subscription(
            customer, price=30.0, date_start="2026-03-01"
        )
        self.pay(customer, 30.0, "2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-04-01")
        self.assertStatus(customer, "blocked", "2026-04-01")
        return customer, subscription

    @freeze_time("2026-04-02")
    def test_topup_of_a_blocked_prepaid_customer_reactivates_at_once(self):
        customer, __ = self.lapsed_prepaid()
        tx = self.start_online_payment(customer, "topup", amount=50.0)
        self.assertBalance(customer, 0.0)  # a pending transaction changes nothing

        self.provider_says(tx)

        payment = self.online_payments(customer)
        self.assertEqual(len(payment), 1)
        self.assertIn(payment.state, ("in_process", "paid"))
        self.assertTrue(payment.isp_receipt_number)
        # The renewal restarts on the day of payment: 2 April to 1 May.
        self.assertStatus(customer, "active", "2026-04-02")
        self.assertBalance(customer, 20.0)
        self.assertEqual(customer.isp_paid_until, date(2026, 5, 1))

    @freeze_time("2026-04-02")
    def test_a_callback_arriving_twice_posts_one_payment(self):
        customer, __ = self.lapsed_prepaid()
        tx = self.start_online_payment(customer, "topup", amount=40.0)
        self.provider_says(tx)
        self.provider_says(tx)
        self.env["payment.transaction"].sudo()._cron_post_process()

        self.assertEqual(len(self.online_payments(customer)), 1)
        self.assertBalance(customer, 10.0)

    @freeze_time("2026-04-02")
    def test_failed_or_cancelled_transactions_change_nothing(self):
        customer, __ = self.lapsed_prepaid()
        for state in ("cancel", "error"):
            tx = self.start_online_payment(customer, "topup", amount=40.0)
            self.provider_says(tx, state)
            self.assertEqual(tx.state, state)
        self.assertFalse(self.online_payments(customer))
        self.assertBalance(customer, 0.0)
        self.assertStatus(customer, "blocked", "2026-04-01")

    @freeze_time("2026-03-15")
    def test_pay_three_months_in_advance(self):
        customer = self.make_subscriber("Ben")
        subscription = self.make_subscription(
            customer, price=30.0, date_start="2026-03-01"
        )
        self.pay(customer, 35.0, "2026-03-01")
        self.run_engine(customer, "2026-03-01")  # March charged, 5 left

        offer = customer._isp_payment_offer("prepay", date(2026, 3, 15), periods=3)
        self.assertMoney(offer["plan"].total, 90.0)
        self.assertMoney(offer["amount"], 85.0, "the 5 on the balance count")
        self.assertEqual(
            [(p.start, p.end) for p in offer["plan"].periods],
            [
                (date(2026, 4, 1), date(2026, 4, 30)),
                (date(2026, 5, 1), date(2026, 5, 31)),
                (date(2026, 6, 1), date(2026, 6, 30)),
            ],
        )

        tx = self.start_online_payment(customer, "prepay", periods=3)
        self.provider_says(tx)

        self.assertBalance(customer, 0.0)
        self.assertEqual(customer.isp_paid_until, date(2026, 6, 30))
        self.assertEqual(subscription.isp_next_charge_date, date(2026, 7, 1))
        self.assertEqual(len(subscription.isp_charge_ids), 4)
        # The billing day of April finds nothing left to charge.
        self.run_engine(customer, "2026-04-01")
        self.assertEqual(len(subscription.isp_charge_ids), 4)
        self.assertStatus(customer, "active")

    @freeze_time("2026-05-10")
    def test_reactivate_a_paused_service_moves_its_active_to_date(self):
        customer = self.make_subscriber("Cleo")
        subscription = self.make_subscription(
            customer, price=30.0, date_start="2026-03-01", date_end="2026-03-31"
        )
        self.pay(customer, 30.0, "2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-04-01")  # past "active to": nothing charged
        self.assertEqual(customer._isp_service_state(date(2026, 5, 10)), "paused")
        with self.assertRaisesRegex(UserError, "reactivate it instead"):
            customer._isp_payment_offer("prepay", date(2026, 5, 10), periods=1)

        tx = self.start_online_payment(customer, "reactivate", periods=2)
        self.assertMoney(tx.amount, 60.0)
        self.provider_says(tx)

        self.assertEqual(subscription.date_end, date(2026, 7, 9))
        self.assertEqual(customer.isp_paid_until, date(2026, 7, 9))
        self.assertEqual(customer._isp_service_state(date(2026, 5, 10)), "active")
        self.assertBalance(customer, 0.0)
        charge = subscription.isp_charge_ids.sorted("period_start")[1]
        self.assertEqual(
            charge.period_start, date(2026, 5, 10), "restarts on the day paid"
        )

    @freeze_time("2026-03-20")
    def test_reactivate_a_blocked_recurring_customer_pays_the_debt_and_the_next_cycle(
        self,
    ):
        customer = self.make_subscriber("Dan", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")  # March invoiced, due 15 March
        self.sweep(customer, "2026-03-16")
        self.assertStatus(customer, "blocked", "2026-03-16")

        tx = self.start_online_payment(customer, "reactivate", periods=1)
        self.assertMoney(tx.amount, 60.0, "March's debt and April")
        self.provider_says(tx)

        invoices = self.isp_invoices(customer)
        self.assertEqual(len(invoices), 2)
        self.assertEqual(
            set(invoices.mapped("payment_state")) - {"in_payment"}, {"paid"}
        )
        charges = self.env["isp.charge"].search([("partner_id", "=", customer.id)])
        self.assertEqual(
            sorted(charges.mapped("period_start")), [date(2026, 3, 1), date(2026, 4, 1)]
        )
        self.assertBalance(customer, 0.0)
        self.assertStatus(customer, "active", "2026-03-20")

    @freeze_time("2026-03-21")
    def test_pay_a_proforma_online(self):
        self.company.write(
            {
                "isp_proforma_enabled": True,
                "isp_proforma_day": 20,
                "isp_proforma_for": "next",
            }
        )
        customer = self.make_subscriber("Eve", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.pay(customer, 30.0, "2026-03-02")
        proforma = self.env["isp.proforma"]._isp_create_for(customer, date(2026, 3, 20))

        tx = self.start_online_payment(customer, "proforma", proforma=proforma)
        self.provider_says(tx)

        self.assertEqual(proforma.state, "paid")
        self.assertEqual(proforma.payment_id, tx.payment_id)
        self.assertIn(proforma.invoice_id.payment_state, ("paid", "in_payment"))
        self.assertBalance(customer, 0.0)

    def _proforma_of(self, name):
        self.company.write(
            {
                "isp_proforma_enabled": True,
                "isp_proforma_day": 20,
                "isp_proforma_for": "next",
            }
        )
        customer = self.make_subscriber(name, billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.pay(customer, 30.0, "2026-03-02")
        proforma = self.env["isp.proforma"]._isp_create_for(customer, date(2026, 3, 20))
        return customer, proforma

    @freeze_time("2026-03-21")
    def test_a_proforma_paid_twice_books_the_second_payment_on_the_balance(self):
        """Two browser sessions pay the same proforma: the provider takes both."""
        customer, proforma = self._proforma_of("Jan")
        first = self.start_online_payment(customer, "proforma", proforma=proforma)
        second = self.start_online_payment(customer, "proforma", proforma=proforma)
        self.provider_says(first)
        self.provider_says(second)
        self.assertEqual(proforma.state, "paid")
        self.assertEqual(proforma.payment_id, first.payment_id)
        self.assertTrue(second.payment_id, "money the provider confirmed is booked")
        self.assertEqual(second.payment_id.state, "in_process")
        self.assertBalance(customer, 30.0)
        self.assertIn("cannot be paid", str(second.payment_id.message_ids[0].body))
        self.assertIn("stays on the customer's balance", str(second.payment_id.message_ids[0].body))

    @freeze_time("2026-03-21")
    def test_a_topup_carrying_another_customers_proforma_is_a_topup(self):
        __, foreign = self._proforma_of("Kai")
        customer = self.make_subscriber("Lou")
        self.make_subscription(customer, price=20.0, date_start="2026-03-01")
        tx = self.start_online_payment(customer, "topup", amount=20.0, proforma=foreign)
        self.assertFalse(tx.isp_proforma_id)
        self.provider_says(tx)
        self.assertTrue(tx.payment_id)
        self.assertFalse(tx.payment_id.isp_pay_proforma_id)
        self.assertEqual(foreign.state, "open")
        self.assertFalse(foreign.payment_id)
        self.assertBalance(customer, 20.0)

    @freeze_time("2026-04-10")
    def test_paying_one_invoice_online_pays_that_invoice(self):
        customer = self.make_subscriber("Ida", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-04-01")
        march, april = self.isp_invoices(customer)
        tx = self.demo_transaction(
            customer, april.amount_residual, invoice_ids=[Command.set(april.ids)]
        )
        self.provider_says(tx)
        self.assertIn(april.payment_state, ("paid", "in_payment"))
        self.assertEqual(march.payment_state, "not_paid", "the customer chose April")
        self.assertBalance(customer, -30.0)

    @freeze_time("2026-03-15")
    def test_bad_offers_are_refused(self):
        prepaid = self.make_subscriber("Fay")
        self.make_subscription(prepaid, price=30.0, date_start="2026-03-01")
        postpaid = self.make_subscriber("Gus", billing_type="postpaid")
        self.make_subscription(postpaid, price=30.0, date_start="2026-03-01")
        other = self.make_subscriber("Hal", billing_type="recurring")
        self.make_subscription(other, price=30.0, date_start="2026-03-01")
        self.run_engine(other, "2026-03-01")
        self.company.isp_proforma_enabled = True
        proforma = self.env["isp.proforma"]._isp_create_for(other, date(2026, 3, 20))
        today = date(2026, 3, 15)
        cases = [
            (prepaid, "topup", {"amount": 4.99}, "The smallest top-up is"),
            (prepaid, "topup", {"amount": -10.0}, "The smallest top-up is"),
            (prepaid, "prepay", {"periods": 13}, "between 1 and 12"),
            (prepaid, "prepay", {"periods": 0}, "between 1 and 12"),
            (postpaid, "prepay", {"periods": 1}, "Postpaid services"),
            (prepaid, "reactivate", {"periods": 1}, "not suspended"),
            (prepaid, "proforma", {"proforma": proforma}, "no such proforma"),
        ]
        for customer, purpose, args, message in cases:
            with (
                self.subTest(purpose=purpose, args=args),
                self.assertRaisesRegex(UserError, message),
            ):
                customer._isp_payment_offer(purpose, today, **args)
        proforma.action_cancel()
        with self.assertRaisesRegex(UserError, "cannot be paid"):
            other._isp_payment_offer("proforma", today, proforma=proforma)
