# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Humane cut-offs: no block or deactivation on weekends and public holidays,
and none before the company's cut-off hour. 13 March 2027 is a Saturday,
15 March a Monday, 16 March a Tuesday."""

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestCutoffRules(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.isp_cutoff_working_days = True
        cls.calendar = cls.company.resource_calendar_id
        cls.calendar.tz = "UTC"
        cls.Explainer = cls.env["isp.status.explainer"]

    def invoiced(self, name, due_days, **values):
        """Recurring, invoiced 30.00 on 1 March 2027, last day to pay the
        ``due_days``-th, blocked the day after when unpaid."""
        customer = self.make_subscriber(
            name, billing_type="recurring", isp_payment_due_days=due_days, **values
        )
        self.make_subscription(customer, price=30.0, date_start="2027-03-01")
        self.run_engine(customer, "2027-03-01")
        return customer

    def holiday(self, day, name="Founders' Day", calendar=None):
        return self.env["resource.calendar.leaves"].create(
            {
                "name": name,
                "calendar_id": (calendar or self.calendar).id,
                "date_from": f"{day} 00:00:00",
                "date_to": f"{day} 23:59:59",
            }
        )

    def test_block_due_on_saturday_waits_for_monday(self):
        customer = self.invoiced("Saturday", due_days=12)
        self.assertEqual(str(self.isp_invoices(customer).isp_block_date), "2027-03-13")
        explained = self.Explainer._explain(customer, self.date("2027-03-10"))
        self.assertEqual(str(explained.event.day), "2027-03-15")
        text = self.Explainer._staff_event_text(explained.event)
        self.assertIn(
            "Would be blocked on Saturday 13 March 2027; moved to Monday 15 March "
            "2027: no cut-offs on weekends.",
            text,
        )
        self.assertIn("Will be blocked on Monday 15 March 2027", text)
        day, subscriber_text = customer._isp_next_change(self.date("2027-03-10"))
        self.assertEqual(str(day), "2027-03-15")
        self.assertTrue(
            subscriber_text.startswith("blocked on 03/15/2027 unless invoice")
        )
        self.assertTrue(
            subscriber_text.endswith("is paid (moved: no cut-offs on weekends)")
        )
        for day in ("2027-03-13", "2027-03-14"):
            self.sweep(customer, day)
            self.assertStatus(customer, "active")
        self.sweep(customer, "2027-03-15")
        self.assertStatus(customer, "blocked", "2027-03-15")

    def test_deactivation_due_on_saturday_waits_for_monday(self):
        customer = self.invoiced("Deactivated", due_days=14, isp_deactivation_days=5)
        self.sweep(customer, "2027-03-15")
        self.assertStatus(customer, "blocked", "2027-03-15")
        explained = self.Explainer._explain(customer, self.date("2027-03-16"))
        self.assertEqual(explained.event.action, "deactivate")
        self.assertEqual(str(explained.event.day), "2027-03-22")
        self.sweep(customer, "2027-03-20")
        self.assertStatus(customer, "blocked")
        self.sweep(customer, "2027-03-22")
        self.assertStatus(customer, "inactive", "2027-03-22")

    def test_block_due_on_public_holiday_waits_for_next_working_day(self):
        self.holiday("2027-03-16")
        customer = self.invoiced("Holiday", due_days=15)
        explained = self.Explainer._explain(customer, self.date("2027-03-10"))
        self.assertEqual(str(explained.event.day), "2027-03-17")
        self.assertIn(
            "no cut-offs on public holidays (Founders' Day)",
            self.Explainer._staff_event_text(explained.event),
        )
        self.sweep(customer, "2027-03-16")
        self.assertStatus(customer, "active")
        self.sweep(customer, "2027-03-17")
        self.assertStatus(customer, "blocked", "2027-03-17")

    def test_block_on_a_working_day_is_not_moved(self):
        customer = self.invoiced("Tuesday", due_days=15)
        explained = self.Explainer._explain(customer, self.date("2027-03-10"))
        self.assertEqual(str(explained.event.day), "2027-03-16")
        self.assertFalse(explained.event.holds)
        self.sweep(customer, "2027-03-16")
        self.assertStatus(customer, "blocked", "2027-03-16")

    def test_another_companys_holidays_are_not_used(self):
        other = self.setup_other_company()["company"]
        self.holiday("2027-03-16", "Their holiday", calendar=other.resource_calendar_id)
        customer = self.invoiced("Not their holiday", due_days=15)
        self.sweep(customer, "2027-03-16")
        self.assertStatus(customer, "blocked", "2027-03-16")

    def test_customer_override(self):
        anyday = self.invoiced("Any day", due_days=12, isp_cutoff_working_days="never")
        self.sweep(anyday, "2027-03-13")
        self.assertStatus(anyday, "blocked", "2027-03-13")
        self.company.isp_cutoff_working_days = False
        workdays = self.invoiced("Working days", due_days=12, isp_cutoff_working_days="always")
        default = self.invoiced("Company default", due_days=12)
        self.sweep(workdays | default, "2027-03-13")
        self.assertStatus(workdays, "active")
        self.assertStatus(default, "blocked", "2027-03-13")

    def test_cutoff_hour_out_of_range_is_refused(self):
        with self.assertRaises(ValidationError):
            self.company.isp_cutoff_hour = 24

    def date(self, text):
        return fields.Date.to_date(text)


@tagged("post_install", "-at_install")
class TestCutoffHour(IspBillingCase):
    """Blocks happen from 10:00 in the company's time zone (Brussels, UTC+1
    in March): the hourly crons hold them before and do them after."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.resource_calendar_id.tz = "Europe/Brussels"
        cls.company.isp_cutoff_hour = 10
        cls.Partner = cls.env["res.partner"]

    def run_crons(self):
        for cron in (self.Partner._cron_isp_charge, self.Partner._cron_isp_status):
            while cron()[0]:
                pass

    def test_status_cron_blocks_from_the_hour(self):
        customer = self.make_subscriber(
            "Hour", billing_type="recurring", isp_payment_due_days=15
        )
        self.make_subscription(customer, price=30.0, date_start="2027-03-01")
        self.run_engine(customer, "2027-03-01")
        with freeze_time("2027-03-16 08:30:00"):  # 09:30 in Brussels
            self.run_crons()
            self.assertStatus(customer, "active")
            explained = self.env["isp.status.explainer"]._explain(
                customer, customer.isp_status_checked_on
            )
            self.assertEqual(str(explained.event.day), "2027-03-16")
            self.assertEqual(explained.event.hour, 10)
        with freeze_time("2027-03-16 08:59:00"):
            self.run_crons()
            self.assertStatus(customer, "active")
        with freeze_time("2027-03-16 09:01:00"):  # 10:01 in Brussels
            self.run_crons()
            self.assertStatus(customer, "blocked", "2027-03-16")
            self.assertFalse(customer.isp_status_waits_hour)

    def test_prepaid_charge_blocks_from_the_hour(self):
        customer = self.make_subscriber("Prepaid hour", isp_status="active")
        self.make_subscription(customer, price=30.0, date_start="2027-04-01")
        with freeze_time("2027-04-01 07:00:00"):
            self.run_crons()
            self.assertStatus(customer, "active")
            self.assertTrue(customer.isp_charge_waits_hour)
        with freeze_time("2027-04-01 08:00:00"):  # 10:00 in Brussels (summer time)
            self.run_crons()
            self.assertStatus(customer, "blocked", "2027-04-01")

    def test_past_day_is_after_the_hour(self):
        customer = self.make_subscriber(
            "Past", billing_type="recurring", isp_payment_due_days=15
        )
        self.make_subscription(customer, price=30.0, date_start="2027-03-01")
        self.run_engine(customer, "2027-03-01")
        with freeze_time("2027-03-17 06:00:00"):
            self.sweep(customer, "2027-03-16")
            self.assertStatus(customer, "blocked", "2027-03-16")
