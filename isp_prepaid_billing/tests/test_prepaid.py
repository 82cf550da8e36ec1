# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestPrepaid(IspBillingCase):
    """Splynx "Prepaid (Custom)" and PayBill daily billing."""

    def _lapsed_customer(self, name, **values):
        """Paid 30 for the month from 5 March; renewal on 5 April finds no funds."""
        customer = self.make_subscriber(name, **values)
        subscription = self.make_subscription(customer, price=30.0, date_start="2026-03-05")
        self.pay(customer, 30.0, date="2026-03-05")
        self.run_engine(customer, "2026-03-05")
        self.run_engine(customer, "2026-04-05")
        return customer, subscription

    @freeze_time("2026-03-05")
    def test_charge_and_invoice_monthly_then_blocked_when_period_lapses(self):
        customer = self.make_subscriber("Alice")
        self.make_subscription(customer, price=30.0, date_start="2026-03-05")
        self.pay(customer, 30.0)
        self.assertBalance(customer, 30.0)

        customer.action_isp_charge_and_invoice()

        invoice = self.isp_invoices(customer)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertMoney(invoice.amount_total, 30.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertBalance(customer, 0.0)
        self.assertStatus(customer, "active", "2026-03-05")
        self.assertEqual(customer.isp_paid_until, date(2026, 4, 4))
        self.assertEqual(customer.isp_next_charge_date, date(2026, 4, 5))

        # Renewal on the first day after the paid period, without funds: blocked.
        with freeze_time("2026-04-05"):
            plans = self.run_engine(customer, "2026-04-05")
        self.assertEqual(plans[0].action, "insufficient")
        self.assertStatus(customer, "blocked", "2026-04-05")
        self.assertEqual(len(self.isp_invoices(customer)), 1)
        self.assertEqual(customer.isp_paid_until, date(2026, 4, 4))

    @freeze_time("2026-04-07")
    def test_payment_of_blocked_prepaid_customer_charges_new_period_at_once(self):
        customer, subscription = self._lapsed_customer("Bob")
        self.assertStatus(customer, "blocked", "2026-04-05")

        self.pay(customer, 30.0, date="2026-04-07")

        self.assertStatus(customer, "active", "2026-04-07")
        self.assertEqual(subscription.isp_charged_until, date(2026, 5, 6))
        self.assertBalance(customer, 0.0)
        charges = subscription.isp_charge_ids.sorted("period_start")
        self.assertEqual(
            [(c.period_start, c.period_end) for c in charges],
            [(date(2026, 3, 5), date(2026, 4, 4)), (date(2026, 4, 7), date(2026, 5, 6))],
        )

    def test_prepaid_period_in_days(self):
        customer = self.make_subscriber(
            "Carol", isp_prepaid_period_unit="day", isp_prepaid_period_length=7
        )
        subscription = self.make_subscription(customer, price=10.0, date_start="2026-03-01")
        self.assertEqual((subscription.isp_period_unit, subscription.isp_period_length), ("day", 7))
        self.pay(customer, 25.0, date="2026-03-01")

        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-03-08")
        self.assertBalance(customer, 5.0)
        self.assertEqual(subscription.isp_charged_until, date(2026, 3, 14))

        self.run_engine(customer, "2026-03-15")
        self.assertStatus(customer, "blocked", "2026-03-15")
        self.assertBalance(customer, 5.0)

    def test_deactivated_after_deactivation_period_and_no_longer_charged(self):
        customer, __ = self._lapsed_customer("Dan", isp_deactivation_days=10)
        self.assertStatus(customer, "blocked", "2026-04-05")

        self.sweep(customer, "2026-04-14")
        self.assertStatus(customer, "blocked")
        self.sweep(customer, "2026-04-15")
        self.assertStatus(customer, "inactive", "2026-04-15")

        self.pay(customer, 100.0, date="2026-04-20")
        self.run_engine(customer, "2026-04-20")
        self.assertStatus(customer, "inactive")
        self.assertEqual(len(self.isp_invoices(customer)), 1)
        self.assertBalance(customer, 100.0)

    @freeze_time("2026-03-05")
    def test_charge_refused_without_funds_changes_nothing(self):
        customer = self.make_subscriber("Eve", isp_minimum_balance=5.0)
        self.make_subscription(customer, price=30.0, date_start="2026-03-05")
        self.pay(customer, 30.0)
        with self.assertRefused(UserError, "not enough"):
            customer.action_isp_charge_and_invoice()
        self.assertFalse(self.isp_invoices(customer))
        self.assertStatus(customer, "new")
        self.assertBalance(customer, 30.0)

    def test_charge_without_invoice_posts_receivable_entry(self):
        self.company.isp_invoice_on_charge = False
        customer = self.make_subscriber("Frank")
        self.make_subscription(customer, price=30.0, date_start="2026-03-05")
        self.pay(customer, 50.0, date="2026-03-05")
        plans = self.run_engine(customer, "2026-03-05")
        move = plans[0].move
        self.assertEqual(move.move_type, "entry")
        self.assertEqual(move.state, "posted")
        self.assertBalance(customer, 20.0)
        self.assertStatus(customer, "active")

    def test_active_to_date_truncates_last_prepaid_period(self):
        customer = self.make_subscriber(
            "Gina", isp_prepaid_period_unit="day", isp_prepaid_period_length=10
        )
        subscription = self.make_subscription(customer, price=10.0, date_start="2026-03-01")
        subscription.date_end = "2026-03-15"
        self.pay(customer, 100.0, date="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-03-11")
        self.assertEqual(subscription.isp_charged_until, date(2026, 3, 15))
        self.assertBalance(customer, 85.0)  # 10 + 5 days of 10
        self.assertFalse(subscription.isp_next_charge_date)
        self.run_engine(customer, "2026-03-21")
        self.assertEqual(len(self.isp_invoices(customer)), 2)

    def test_funds_check_uses_the_total_with_taxes(self):
        vat = self.env["account.tax"].create(
            {
                "name": "VAT 20%",
                "amount": 20.0,
                "type_tax_use": "sale",
                "company_id": self.company.id,
                "country_id": self.company.account_fiscal_country_id.id,
            }
        )
        self.plan.taxes_id = vat
        short = self.make_subscriber("Hugo")
        self.make_subscription(short, price=25.0, date_start="2026-03-01")
        self.pay(short, 29.99, date="2026-03-01")
        plans = self.run_engine(short, "2026-03-01")
        self.assertEqual(plans[0].action, "insufficient")
        self.assertMoney(plans[0].total, 30.0)
        self.assertFalse(self.isp_invoices(short))

        enough = self.make_subscriber("Iris")
        self.make_subscription(enough, price=25.0, date_start="2026-03-01")
        self.pay(enough, 30.0, date="2026-03-01")
        self.run_engine(enough, "2026-03-01")
        invoice = self.isp_invoices(enough)
        self.assertMoney(invoice.amount_untaxed, 25.0)
        self.assertMoney(invoice.amount_tax, 5.0)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertBalance(enough, 0.0)

    def test_status_changes_are_kept_in_the_chatter(self):
        customer, __ = self._lapsed_customer("Jack")
        bodies = " ".join(customer.message_ids.mapped("body"))
        self.assertIn("Active", bodies)
        self.assertIn("Blocked", bodies)
        self.assertIn("Insufficient funds", bodies)
        self.assertIn("Insufficient funds", customer.isp_status_reason)
