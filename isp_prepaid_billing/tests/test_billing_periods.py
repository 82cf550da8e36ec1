# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date
from fractions import Fraction

from odoo.tests import BaseCase, tagged

from ..tools.billing_periods import (
    add_period,
    cycle_containing,
    months_covered,
)


@tagged("post_install", "-at_install")
class TestBillingPeriods(BaseCase):
    def test_billing_day_one_prorates_first_month(self):
        # Splynx example A: service from 15 March, billing day 1.
        self.assertEqual(
            cycle_containing(date(2026, 3, 20), date(2026, 3, 15), 1),
            (date(2026, 3, 15), date(2026, 3, 31)),
        )
        self.assertEqual(months_covered(date(2026, 3, 15), date(2026, 3, 31), 1), Fraction(17, 31))

    def test_example_b_merges_first_partial_cycle(self):
        self.assertEqual(
            months_covered(date(2026, 3, 15), date(2026, 4, 30), 1), Fraction(17, 31) + 1
        )

    def test_billing_day_ten_runs_tenth_to_ninth(self):
        self.assertEqual(
            cycle_containing(date(2026, 5, 3), date(2026, 1, 10), 10),
            (date(2026, 4, 10), date(2026, 5, 9)),
        )
        self.assertEqual(months_covered(date(2026, 4, 10), date(2026, 5, 9), 10), 1)

    def test_three_month_cycles_anchor_on_first_billing_day(self):
        self.assertEqual(
            cycle_containing(date(2026, 5, 1), date(2026, 1, 1), 1, months=3),
            (date(2026, 4, 1), date(2026, 6, 30)),
        )
        self.assertEqual(
            cycle_containing(date(2026, 3, 31), date(2026, 1, 1), 1, months=3),
            (date(2026, 1, 1), date(2026, 3, 31)),
        )

    def test_prepaid_periods_in_months_and_days(self):
        self.assertEqual(add_period(date(2026, 1, 15), "month", 1), date(2026, 2, 14))
        self.assertEqual(add_period(date(2026, 3, 5), "month", 1), date(2026, 4, 4))
        self.assertEqual(add_period(date(2026, 3, 5), "day", 7), date(2026, 3, 11))
