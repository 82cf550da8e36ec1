# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Why (not) blocked: the explainer says what the crons will do, in staff
words on the customer form and in the subscriber's words on /my/isp."""

import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, freeze_time, tagged

from .common import IspBillingCase, IspPortalCase

START = fields.Date.to_date("2027-03-01")


def words(text):
    return " ".join(text.split())


class ExplainerMixin:
    def explain(self, customer, day):
        return self.env["isp.status.explainer"]._explain(
            customer, fields.Date.to_date(day)
        )

    def staff_text(self, customer, day):
        explainer = self.env["isp.status.explainer"]
        explained = self.explain(customer, day)
        self.assertTrue(explained.event, f"{customer.name}: no next event")
        return words(explainer._staff_event_text(explained.event))

    def money(self, amount):
        return words(self.currency.format(amount))

    def recurring(self, name, **values):
        customer = self.make_subscriber(name, billing_type="recurring", **values)
        self.make_subscription(customer, price=30.0, date_start="2027-03-01")
        return customer


@tagged("post_install", "-at_install")
class TestExplainerWording(ExplainerMixin, IspBillingCase):
    def test_unpaid_invoice(self):
        customer = self.recurring("Rita Recurring")
        self.run_engine(customer, "2027-03-01")
        invoice = self.isp_invoices(customer)
        self.assertEqual(
            self.staff_text(customer, "2027-03-05"),
            f"Will be blocked on Tuesday 16 March 2027 unless invoice {invoice.name} "
            f"of {self.money(30.0)} is paid — payment due 03/15/2027, blocking "
            "period 0 days.",
        )

    def test_postpaid_paid_until_passed_without_unpaid_invoice(self):
        customer = self.make_subscriber("Pat Postpaid", billing_type="postpaid")
        self.make_subscription(customer, price=30.0, date_start="2027-03-01")
        self.run_engine(customer, "2027-04-01")
        self.pay(customer, 30.0, date="2027-04-02")
        customer.invalidate_recordset()
        self.assertEqual(str(customer.isp_paid_until), "2027-03-31")
        explained = self.explain(customer, "2027-04-20")
        self.assertFalse(explained.event)
        self.assertEqual(
            words(explained.why_not),
            "Not blocked although paid-until (03/31/2027) passed: no unpaid invoice "
            f"past its blocking day, and the balance {self.money(0.0)} is not below "
            f"the minimum {self.money(0.0)}.",
        )

    def test_do_not_block(self):
        customer = self.recurring("Dora", isp_do_not_block=True)
        self.run_engine(customer, "2027-03-01")
        explained = self.explain(customer, "2027-03-20")
        self.assertFalse(explained.event)
        self.assertEqual(explained.why_not, "Not blocked: Do not block is set.")

    def test_prepaid_blocked_at_charge_time(self):
        customer = self.make_subscriber("Pia Prepaid")
        self.make_subscription(customer, price=30.0, date_start="2027-03-01")
        self.pay(customer, 35.0, date="2027-03-01")
        self.run_engine(customer, "2027-03-01")
        self.assertIn(
            f"Will be blocked on Thursday 1 April 2027 unless {self.money(25.0)} is "
            "topped up",
            self.staff_text(customer, "2027-03-10"),
        )
        day, text = customer._isp_next_change(fields.Date.to_date("2027-03-10"))
        self.assertEqual(str(day), "2027-04-01")
        self.assertEqual(
            words(text), f"blocked on 04/01/2027 unless {self.money(25.0)} is topped up"
        )

    def test_credit_limit_blocked_when_next_invoice_goes_beyond(self):
        customer = self.recurring(
            "Carl Credit",
            isp_credit_mode="limit",
            isp_credit_limit=40.0,
            isp_payment_due_days=28,
            isp_blocking_days=10,
        )
        self.run_engine(customer, "2027-03-01")
        self.assertIn(
            f"Will be blocked on Thursday 1 April 2027 unless {self.money(20.0)} is "
            f"paid — the invoice of {self.money(30.0)} that day would go beyond the "
            f"credit limit of {self.money(40.0)}",
            self.staff_text(customer, "2027-03-20"),
        )
        self.run_engine(customer, "2027-04-01")
        self.assertStatus(customer, "blocked", "2027-04-01")

    def test_form_shows_timeline_and_previews_a_day(self):
        customer = self.recurring("Fiona Form")
        self.run_engine(customer, "2027-03-01")
        invoice = self.isp_invoices(customer)
        with freeze_time("2027-03-05"):
            form = Form(customer)
            html = words(str(form.isp_status_explanation))
            self.assertIn("Will be blocked on Tuesday 16 March 2027", html)
            self.assertIn(f"Invoice {invoice.name}", html)
            self.assertIn("blocking day 03/16/2027", html)
            form.isp_explain_date = fields.Date.to_date("2027-03-20")
            html = words(str(form.isp_status_explanation))
            self.assertIn("Will be blocked on Saturday 20 March 2027", html)

    def test_explanation_is_for_isp_staff_only(self):
        customer = self.recurring("Hidden")
        clerk = self.make_user("clerk_explain", "base.group_user")
        with self.assertRaises(AccessError):
            customer.with_user(clerk).read(["isp_status_explanation"])


@tagged("post_install", "-at_install")
class TestExplainerAgreesWithCrons(ExplainerMixin, IspBillingCase):
    """90 days of real crons, one call per day under freeze_time, for mixed
    customers: each block and deactivation happens on the day the explainer
    announced the day before, and every announced one happens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"isp_cutoff_working_days": True, "isp_cutoff_hour": 10})
        cls.company.resource_calendar_id.tz = "UTC"
        cls.Partner = cls.env["res.partner"]

    def make_customers(self):
        prepaid = self.make_subscriber("P1 prepaid, lapses on a Saturday")
        topped_up = self.make_subscriber("P2 prepaid, tops up while blocked")
        for customer in prepaid | topped_up:
            self.make_subscription(customer, price=30.0, date_start="2027-03-01")
        self.pay(prepaid, 65.0, date="2027-03-01")
        self.pay(topped_up, 30.0, date="2027-03-01")
        customers = prepaid | topped_up
        customers |= self.recurring("R1 recurring, never pays")
        customers |= self.recurring("R2 recurring, pays March only")
        postpaid = self.make_subscriber("PP postpaid", billing_type="postpaid")
        self.make_subscription(postpaid, price=30.0, date_start="2027-03-01")
        customers |= postpaid
        customers |= self.recurring(
            "CL credit limit",
            isp_credit_mode="limit",
            isp_credit_limit=40.0,
            isp_payment_due_days=28,
            isp_blocking_days=10,
        )
        customers |= self.recurring("DNB do not block", isp_do_not_block=True)
        payments = {
            "2027-03-10": [(customers[3], 30.0)],
            "2027-04-05": [(topped_up, 30.0)],
            "2027-04-10": [(postpaid, 30.0)],
        }
        return customers, payments

    def run_crons(self):
        for cron in (self.Partner._cron_isp_charge, self.Partner._cron_isp_status):
            while cron()[0]:
                pass

    def predict(self, customers, day):
        predictions = {}
        for customer in customers:
            event = self.explain(customer, day).event
            predictions[customer] = event and (event.day, event.action)
        return predictions

    def test_ninety_days(self):
        customers, payments = self.make_customers()
        predicted = self.predict(customers, START)
        happened = []
        for offset in range(90):
            day = START + timedelta(days=offset)
            with freeze_time(f"{day} 12:00:00"):
                for customer, amount in payments.get(str(day), []):
                    self.pay(customer, amount, date=str(day))
                    predicted[customer] = self.predict(customer, day)[customer]
                before = {c: c.isp_status for c in customers}
                self.run_crons()
                customers.invalidate_recordset()
                for customer in customers:
                    action = {
                        ("active", "blocked"): "block",
                        ("blocked", "inactive"): "deactivate",
                    }.get((before[customer], customer.isp_status))
                    expected = predicted[customer]
                    announced = expected and expected[0] == day
                    if action or announced:
                        self.assertEqual(
                            (day, action),
                            expected,
                            f"{customer.name} on {day}",
                        )
                        happened.append((customer.name[:2], str(day), action))
                predicted = self.predict(customers, day + timedelta(days=1))
        self.assertEqual(
            sorted(happened),
            sorted(
                [
                    ("CL", "2027-04-01", "block"),
                    ("CL", "2027-04-12", "deactivate"),
                    ("P1", "2027-05-03", "block"),
                    ("P1", "2027-05-13", "deactivate"),
                    ("P2", "2027-04-01", "block"),
                    ("P2", "2027-05-05", "block"),
                    ("P2", "2027-05-17", "deactivate"),
                    ("PP", "2027-05-17", "block"),
                    ("PP", "2027-05-27", "deactivate"),
                    ("R1", "2027-03-16", "block"),
                    ("R1", "2027-03-26", "deactivate"),
                    ("R2", "2027-04-16", "block"),
                    ("R2", "2027-04-26", "deactivate"),
                ]
            ),
        )


@freeze_time("2027-03-10")
@tagged("post_install", "-at_install")
class TestPortalExplanation(ExplainerMixin, IspPortalCase, HttpCase):
    def next_change(self, login):
        self.authenticate(login, login)
        page = self.url_open("/my/isp").text
        match = re.search(r'class="[^"]*o_isp_next_change[^"]*"[^>]*>(.*?)</p>', page, re.S)
        return match and words(re.sub(r"<[^>]*>", " ", match.group(1)))

    def test_subscriber_reads_what_blocks_them_and_when(self):
        customer = self.recurring("Paula Portal")
        self.run_engine(customer, "2027-03-01")
        invoice = self.isp_invoices(customer)
        self.make_portal_user(customer, "paula_explain")
        text = self.next_change("paula_explain")
        self.assertEqual(
            text,
            f"Your service will be blocked on 03/16/2027 unless invoice "
            f"{invoice.name} ({self.money(30.0)}) is paid.",
        )
        self.assertNotIn("blocking period", text)

    def test_prepaid_subscriber_reads_what_to_top_up(self):
        customer = self.make_subscriber("Pete Portal")
        self.make_subscription(customer, price=30.0, date_start="2027-03-01")
        self.pay(customer, 35.0, date="2027-03-01")
        self.run_engine(customer, "2027-03-01")
        self.make_portal_user(customer, "pete_explain")
        self.assertEqual(
            self.next_change("pete_explain"),
            f"Your service will be blocked on 04/01/2027 unless "
            f"{self.money(25.0)} is topped up.",
        )
