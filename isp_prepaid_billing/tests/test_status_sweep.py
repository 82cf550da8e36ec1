# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestMinimumBalance(IspBillingCase):
    """Splynx minimum balance examples: invoice of 100 on the 1st, due the 15th."""

    def _invoiced_customer(self, name, minimum):
        customer = self.make_subscriber(name, billing_type="recurring", isp_minimum_balance=minimum)
        self.make_subscription(customer, price=100.0, date_start="2026-04-01")
        self.run_engine(customer, "2026-04-01")
        return customer

    def _status_after_paying(self, minimum, amount):
        customer = self._invoiced_customer(f"Paying {amount} min {minimum}", minimum)
        if amount:
            self.pay(customer, amount, date="2026-04-05")
        self.sweep(customer, "2026-04-15")
        self.assertStatus(customer, "active")  # nobody is blocked before the 16th
        self.sweep(customer, "2026-04-16")
        customer.invalidate_recordset()
        return customer.isp_status

    def test_minimum_zero(self):
        self.assertEqual(self._status_after_paying(0.0, 100.0), "active")
        self.assertEqual(self._status_after_paying(0.0, 90.0), "blocked")
        self.assertEqual(self._status_after_paying(0.0, 0.0), "blocked")

    def test_minimum_fifty(self):
        self.assertEqual(self._status_after_paying(50.0, 120.0), "blocked")
        self.assertEqual(self._status_after_paying(50.0, 150.0), "active")

    def test_minimum_minus_fifty(self):
        self.assertEqual(self._status_after_paying(-50.0, 60.0), "active")
        self.assertEqual(self._status_after_paying(-50.0, 40.0), "blocked")
        self.assertEqual(self._status_after_paying(-50.0, 50.0), "active")

    def test_balance_below_minimum_later_in_the_cycle_blocks(self):
        customer = self._invoiced_customer("Later", 0.0)
        self.pay(customer, 100.0, date="2026-04-05")
        self.sweep(customer, "2026-04-16")
        self.assertStatus(customer, "active")
        # May's invoice is not due yet: no block before its own due date passes.
        self.run_engine(customer, "2026-05-01")
        self.sweep(customer, "2026-05-10")
        self.assertStatus(customer, "active")
        self.sweep(customer, "2026-05-16")
        self.assertStatus(customer, "blocked", "2026-05-16")
