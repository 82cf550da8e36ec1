# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import freeze_time, tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestRecurring(IspBillingCase):
    """Splynx recurring billing and UISP forward invoicing."""

    def test_example_a_first_invoice_prorated_to_end_of_month(self):
        customer = self.make_subscriber("Anna", billing_type="recurring")
        self.make_subscription(customer, price=31.0, date_start="2026-03-15")

        self.run_engine(customer, "2026-03-15")
        self.run_engine(customer, "2026-04-01")

        first, second = self.isp_invoices(customer)
        self.assertEqual(first.isp_charge_ids.period_start, date(2026, 3, 15))
        self.assertEqual(first.isp_charge_ids.period_end, date(2026, 3, 31))
        self.assertMoney(first.amount_total, 17.0)  # 17 of 31 days at 31/month
        self.assertEqual(first.invoice_date_due, date(2026, 3, 29))
        self.assertEqual(second.isp_charge_ids.period_start, date(2026, 4, 1))
        self.assertEqual(second.isp_charge_ids.period_end, date(2026, 4, 30))
        self.assertMoney(second.amount_total, 31.0)
        self.assertEqual(second.invoice_date_due, date(2026, 4, 15))
        self.assertEqual(second.isp_block_date, date(2026, 4, 16))
        self.assertBalance(customer, -48.0)

    def test_example_b_first_invoice_in_april_covers_march_and_april(self):
        customer = self.make_subscriber("Ben", billing_type="recurring")
        self.make_subscription(customer, price=31.0, date_start="2026-03-15")

        self.run_engine(customer, "2026-04-01")

        invoice = self.isp_invoices(customer)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(
            (invoice.isp_charge_ids.period_start, invoice.isp_charge_ids.period_end),
            (date(2026, 3, 15), date(2026, 4, 30)),
        )
        self.assertMoney(invoice.amount_total, 48.0)

    def test_billing_day_ten_invoices_tenth_to_ninth(self):
        customer = self.make_subscriber("Cleo", billing_type="recurring", isp_billing_day=10)
        self.make_subscription(customer, price=30.0, date_start="2026-01-10")
        self.run_engine(customer, "2026-01-10")
        self.run_engine(customer, "2026-02-10")
        periods = [
            (inv.isp_charge_ids.period_start, inv.isp_charge_ids.period_end)
            for inv in self.isp_invoices(customer)
        ]
        self.assertEqual(
            periods,
            [(date(2026, 1, 10), date(2026, 2, 9)), (date(2026, 2, 10), date(2026, 3, 9))],
        )
        self.assertEqual(self.isp_invoices(customer)[1].invoice_date_due, date(2026, 2, 24))

    def test_blocked_day_after_due_then_deactivated(self):
        customer = self.make_subscriber("Dora", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-04-01")
        self.run_engine(customer, "2026-04-01")
        self.assertStatus(customer, "active", "2026-04-01")

        self.sweep(customer, "2026-04-15")
        self.assertStatus(customer, "active")
        self.sweep(customer, "2026-04-16")
        self.assertStatus(customer, "blocked", "2026-04-16")
        self.sweep(customer, "2026-04-25")
        self.assertStatus(customer, "blocked")
        self.sweep(customer, "2026-04-26")
        self.assertStatus(customer, "inactive", "2026-04-26")

    def test_blocking_period_delays_blocking(self):
        customer = self.make_subscriber("Egon", billing_type="recurring", isp_blocking_days=5)
        customer._isp_set_status("active", "installed", date(2026, 4, 1))
        self.make_subscription(customer, price=30.0, date_start="2026-04-01")
        self.run_engine(customer, "2026-04-01")
        self.sweep(customer, "2026-04-20")
        self.assertStatus(customer, "active")
        self.sweep(customer, "2026-04-21")
        self.assertStatus(customer, "blocked", "2026-04-21")

    def test_do_not_block_disables_blocking_and_deactivation(self):
        customer = self.make_subscriber("Fritz", billing_type="recurring", isp_do_not_block=True)
        customer._isp_set_status("active", "installed", date(2026, 4, 1))
        self.make_subscription(customer, price=30.0, date_start="2026-04-01")
        self.run_engine(customer, "2026-04-01")
        self.assertFalse(self.isp_invoices(customer).isp_block_date)
        self.sweep(customer, "2026-06-30")
        self.assertStatus(customer, "active")

    def test_uisp_prepay_three_months_then_credit_used_month_by_month(self):
        customer = self.make_subscriber("Greta", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-01-01")
        self.run_engine(customer, "2026-01-01")
        january = self.isp_invoices(customer)
        self.pay(customer, 90.0, date="2026-01-03")
        self.assertEqual(january.payment_state, "paid")
        self.assertBalance(customer, 60.0)

        for day, balance in (("2026-02-01", 30.0), ("2026-03-01", 0.0)):
            self.run_engine(customer, day)
            self.assertEqual(self.isp_invoices(customer)[-1].payment_state, "paid")
            self.assertBalance(customer, balance)

        self.run_engine(customer, "2026-04-01")
        self.assertEqual(self.isp_invoices(customer)[-1].payment_state, "not_paid")
        self.assertBalance(customer, -30.0)
        self.assertEqual(customer.isp_paid_until, date(2026, 3, 31))

    def test_uisp_billing_period_of_three_months(self):
        customer = self.make_subscriber("Hugo", billing_type="recurring", isp_recurring_months=3)
        subscription = self.make_subscription(customer, price=30.0, date_start="2026-01-01")
        self.assertEqual(subscription.isp_period_length, 3)
        self.assertMoney(subscription.isp_period_price, 90.0)
        for day in ("2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"):
            self.run_engine(customer, day)
        invoices = self.isp_invoices(customer)
        self.assertEqual(len(invoices), 2)
        self.assertEqual(
            [(i.isp_charge_ids.period_start, i.isp_charge_ids.period_end) for i in invoices],
            [(date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 6, 30))],
        )
        self.assertMoney(sum(invoices.mapped("amount_total")), 180.0)

    def test_active_to_date_stops_charges(self):
        customer = self.make_subscriber("Ida", billing_type="recurring")
        subscription = self.make_subscription(customer, price=31.0, date_start="2026-04-01")
        subscription.date_end = "2026-05-15"
        for day in ("2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01"):
            self.run_engine(customer, day)
        invoices = self.isp_invoices(customer)
        self.assertEqual(len(invoices), 2)
        self.assertEqual(invoices[1].isp_charge_ids.period_end, date(2026, 5, 15))
        self.assertMoney(invoices[1].amount_total, 15.0)
        self.assertFalse(subscription.isp_next_charge_date)

    def test_paybill_cycle_ends_with_month_yes_and_no(self):
        # "Yes": bill the remaining days of the month (billing day 1).
        yes = self.make_subscriber("Jan", billing_type="recurring", isp_billing_day=1)
        self.make_subscription(yes, price=30.0, date_start="2026-06-11")
        self.run_engine(yes, "2026-06-11")
        self.assertEqual(self.isp_invoices(yes).isp_charge_ids.period_end, date(2026, 6, 30))
        self.assertMoney(self.isp_invoices(yes).amount_total, 20.0)
        # "No": bill until the next payment date (billing day = creation day).
        self.company.isp_billing_day_from_creation = True
        with freeze_time("2026-06-11"):
            no = self.make_subscriber("Kim", billing_type="recurring", isp_billing_day=None)
        self.assertEqual(no.isp_billing_day, 11)
        self.make_subscription(no, price=30.0, date_start="2026-06-11")
        self.run_engine(no, "2026-06-11")
        invoice = self.isp_invoices(no)
        self.assertEqual(invoice.isp_charge_ids.period_end, date(2026, 7, 10))
        self.assertMoney(invoice.amount_total, 30.0)

    def test_the_customer_follows_each_invoice_once(self):
        customers = self.make_subscriber("Fola", billing_type="recurring") | self.make_subscriber(
            "Gale", billing_type="recurring"
        )
        for customer in customers:
            self.make_subscription(customer, date_start="2026-03-01")
        self.run_engine(customers, "2026-03-01")
        self.run_engine(customers, "2026-04-01")
        for customer in customers:
            invoices = self.isp_invoices(customer)
            self.assertEqual(len(invoices), 2)
            for invoice in invoices:
                followers = invoice.message_follower_ids.filtered(
                    lambda f, c=customer: f.partner_id == c
                )
                self.assertEqual(len(followers), 1, "followed once, so e-mails reach them")
                self.assertTrue(followers.subtype_ids)
