# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestPayments(IspBillingCase):
    def _customer_with_two_invoices(self):
        customer = self.make_subscriber("Rita", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-01-01")
        self.make_subscription(customer, price=15.0, date_start="2026-02-01")
        self.run_engine(customer, "2026-01-01")
        self.run_engine(customer, "2026-02-01")
        january, february = self.isp_invoices(customer)
        self.assertMoney(january.amount_total, 30.0)
        self.assertMoney(february.amount_total, 45.0)
        return customer, january, february

    def test_exact_amount_pays_that_invoice(self):
        customer, january, february = self._customer_with_two_invoices()
        self.pay(customer, 45.0, date="2026-02-03")
        self.assertEqual(february.payment_state, "paid")
        self.assertEqual(january.payment_state, "not_paid")
        self.assertBalance(customer, -30.0)

    def test_other_amount_pays_oldest_first(self):
        customer, january, february = self._customer_with_two_invoices()
        self.pay(customer, 50.0, date="2026-02-03")
        self.assertEqual(january.payment_state, "paid")
        self.assertEqual(february.payment_state, "partial")
        self.assertMoney(february.amount_residual, 25.0)
        self.assertBalance(customer, -25.0)

    def test_blocked_recurring_customer_reactivated_by_payment(self):
        customer = self.make_subscriber("Sam", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-04-01")
        self.run_engine(customer, "2026-04-01")
        self.sweep(customer, "2026-04-16")
        self.assertStatus(customer, "blocked", "2026-04-16")
        self.pay(customer, 20.0, date="2026-04-18")
        self.assertStatus(customer, "blocked")
        self.pay(customer, 10.0, date="2026-04-19")
        self.assertStatus(customer, "active", "2026-04-19")

    def test_payment_in_another_company_is_refused(self):
        other = self.setup_other_company()["company"]
        customer = self.make_subscriber("Tess")
        journal = self.env["account.journal"].search(
            [("company_id", "=", other.id), ("type", "=", "bank")], limit=1
        )
        payment = self.env["account.payment"].with_company(other).create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": 10.0,
                "journal_id": journal.id,
                "company_id": other.id,
            }
        )
        with self.assertRefused(ValidationError, "billed by"):
            payment.action_post()
        self.assertEqual(payment.state, "draft")
        self.assertBalance(customer, 0.0)

    def _invoice_with_partial_credit(self, allow_negative):
        self.company.isp_allow_negative_balance_payment = allow_negative
        customer = self.make_subscriber(f"Vera {allow_negative}", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-04-01")
        self.pay(customer, 10.0, date="2026-03-28")
        self.run_engine(customer, "2026-04-01")
        self.assertBalance(customer, -20.0)  # the ledger is the same either way
        return self.isp_invoices(customer)

    def test_credit_short_of_the_invoice_is_kept_by_default(self):
        invoice = self._invoice_with_partial_credit(allow_negative=False)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertMoney(invoice.amount_residual, 30.0)

    def test_credit_short_of_the_invoice_pays_part_when_allowed(self):
        invoice = self._invoice_with_partial_credit(allow_negative=True)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertMoney(invoice.amount_residual, 20.0)
