# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestPostpaidAndCredit(IspBillingCase):
    """Postpaid invoicing and BILLmanager credit limit / unlimited post-paid."""

    def test_postpaid_invoices_the_period_just_used(self):
        customer = self.make_subscriber("Lena", billing_type="postpaid")
        subscription = self.make_subscription(customer, price=30.0, date_start="2026-01-01")
        self.assertEqual(subscription.isp_next_charge_date, date(2026, 2, 1))
        self.run_engine(customer, "2026-01-20")
        self.assertFalse(self.isp_invoices(customer))

        self.run_engine(customer, "2026-02-01")
        invoice = self.isp_invoices(customer)
        self.assertEqual(
            (invoice.isp_charge_ids.period_start, invoice.isp_charge_ids.period_end),
            (date(2026, 1, 1), date(2026, 1, 31)),
        )
        self.assertEqual(invoice.invoice_date, date(2026, 2, 1))
        self.assertEqual(invoice.invoice_date_due, date(2026, 2, 15))
        self.assertMoney(invoice.amount_total, 30.0)
        self.assertBalance(customer, -30.0)
        self.assertEqual(subscription.isp_next_charge_date, date(2026, 3, 1))

    def test_postpaid_first_partial_month_is_prorated(self):
        customer = self.make_subscriber("Mia", billing_type="postpaid")
        self.make_subscription(customer, price=31.0, date_start="2026-03-15")
        self.run_engine(customer, "2026-04-01")
        self.assertMoney(self.isp_invoices(customer).amount_total, 17.0)

    def test_credit_limit_allows_charges_down_to_minus_limit(self):
        customer = self.make_subscriber(
            "Nora", isp_credit_mode="limit", isp_credit_limit=100.0, isp_payment_due_days=28
        )
        subscription = self.make_subscription(customer, price=40.0, date_start="2026-01-01")
        self.run_engine(customer, "2026-01-01")
        self.run_engine(customer, "2026-02-01")  # unpaid, not overdue: credit still open
        self.assertBalance(customer, -80.0)
        self.assertStatus(customer, "active")

        plans = self.run_engine(customer, "2026-03-01")  # would reach -120
        self.assertEqual(plans[0].action, "insufficient")
        self.assertStatus(customer, "blocked", "2026-03-01")
        self.assertBalance(customer, -80.0)
        self.assertEqual(subscription.isp_charged_until, date(2026, 2, 28))

    def test_overdue_invoice_blocks_credit_and_paid_service_runs_to_its_end(self):
        customer = self.make_subscriber("Otto", isp_credit_mode="limit", isp_credit_limit=100.0)
        subscription = self.make_subscription(customer, price=40.0, date_start="2026-01-01")
        self.run_engine(customer, "2026-01-01")
        invoice = self.isp_invoices(customer)
        self.assertEqual(invoice.invoice_date_due, date(2026, 1, 15))

        self.sweep(customer, "2026-01-15")
        self.assertFalse(customer.isp_credit_blocked)
        self.sweep(customer, "2026-01-16")
        self.assertTrue(customer.isp_credit_blocked)
        self.assertStatus(customer, "active")  # January was granted: it runs to its end

        plans = self.run_engine(customer, "2026-02-01")
        self.assertEqual(plans[0].action, "insufficient")
        self.assertStatus(customer, "blocked", "2026-02-01")
        self.assertEqual(subscription.isp_charged_until, date(2026, 1, 31))

        # Paying the overdue invoice restores the credit at the next sweep.
        self.pay(customer, 40.0, date="2026-02-03")
        self.sweep(customer, "2026-02-03")
        self.assertFalse(customer.isp_credit_blocked)

    def test_status_run_withdraws_the_credit_of_customers_out_of_service(self):
        # Found by the simulation (seed 2026, S030): the status run skipped
        # inactive credit-limit customers, so an overdue invoice left their
        # credit open for the day they come back.
        customer = self.make_subscriber("Pia", isp_credit_mode="limit", isp_credit_limit=100.0)
        self.make_subscription(customer, price=40.0, date_start="2026-01-01")
        self.run_engine(customer, "2026-01-01")
        customer._isp_set_status("inactive", "Moved away", date(2026, 1, 10))
        self.assertStatus(customer, "inactive")
        done, remaining = self.env["res.partner"]._cron_isp_status(date(2026, 1, 16))
        self.assertEqual(remaining, 0)
        self.assertTrue(customer.isp_credit_blocked)
        self.assertStatus(customer, "inactive")

    def test_unlimited_postpaid_never_blocks(self):
        customer = self.make_subscriber("Paul", isp_credit_mode="unlimited")
        self.make_subscription(customer, price=100.0, date_start="2026-01-01")
        for day in ("2026-01-01", "2026-02-01", "2026-03-01"):
            self.run_engine(customer, day)
            self.sweep(customer, day)
        self.assertBalance(customer, -300.0)
        self.assertStatus(customer, "active")
        self.sweep(customer, "2026-06-30")
        self.assertStatus(customer, "active")

    def test_credit_limit_and_unlimited_are_exclusive(self):
        customer = self.make_subscriber("Quinn", isp_credit_mode="limit", isp_credit_limit=50.0)
        with self.assertRaises(ValidationError) as caught:
            customer.isp_credit_mode = "unlimited"
        self.assertIn("cannot both be set", str(caught.exception))
        customer.invalidate_recordset()
        self.assertEqual(customer.isp_credit_mode, "limit")
        with self.assertRaises(ValidationError):
            self.company.write({"isp_credit_mode": "unlimited", "isp_credit_limit": 10.0})

    def test_credit_limit_caps_recurring_and_postpaid_debt(self):
        """Seed 002: the debt cannot exceed the limit, for every billing type."""
        for billing_type in ("recurring", "postpaid"):
            with self.subTest(billing_type):
                customer = self.make_subscriber(
                    f"Capped {billing_type}",
                    billing_type=billing_type,
                    isp_credit_mode="limit",
                    isp_credit_limit=50.0,
                )
                start = "2026-02-01" if billing_type == "recurring" else "2026-01-01"
                self.make_subscription(customer, price=30.0, date_start=start)
                self.run_engine(customer, "2026-02-01")
                self.assertEqual(len(self.isp_invoices(customer)), 1)
                self.assertBalance(customer, -30.0)
                plans = self.run_engine(customer, "2026-03-01")
                self.assertEqual(plans[0].action, "insufficient")
                self.assertIn("credit limit", plans[0].message)
                self.assertEqual(len(self.isp_invoices(customer)), 1)
                self.assertBalance(customer, -30.0)
                self.assertStatus(customer, "blocked", "2026-03-01")
                self.assertIn("credit limit", customer.isp_status_reason)
