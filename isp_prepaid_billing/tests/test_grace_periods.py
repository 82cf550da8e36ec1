# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Grace before the cut-off: a throttle period before the block, and a
blocked customer's promise to pay (issue 16)."""

from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from .common import IspBillingCase


class GraceCase(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slow = cls.env["isp.network.profile"].create(
            {"name": "Throttled 1M", "company_id": cls.company.id, "rate_limit": "1M/1M"}
        )
        cls.Promise = cls.env["isp.payment.promise"]

    def invoiced(self, name, billing_type="recurring"):
        """Invoiced 100 on 1 April, due on the 15th: blocked from the 16th."""
        customer = self.make_subscriber(name, billing_type=billing_type)
        self.make_subscription(customer, price=100.0, date_start="2026-04-01")
        self.run_engine(customer, "2026-04-01")
        return customer

    def status_run(self, customers, day):
        """The status job of the daily cron (or a confirmed billing run)."""
        run = self.env["isp.billing.run"].create({"date": day})
        return run._run_job("status", customers)

    def noted(self, customer, text):
        return customer.message_ids.filtered(lambda m: text in str(m.body))

    def blocked_on_the_16th(self, name):
        customer = self.invoiced(name)
        self.status_run(customer, date(2026, 4, 16))
        self.assertStatus(customer, "blocked", "2026-04-16")
        return customer


@tagged("post_install", "-at_install")
class TestThrottle(GraceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"isp_throttle_days": 3, "isp_throttle_profile_id": cls.slow.id})

    def test_throttled_for_n_days_then_blocked_on_day_n_plus_one(self):
        customer = self.invoiced("Theo Throttle")

        self.status_run(customer, date(2026, 4, 16))
        self.assertStatus(customer, "active")
        self.assertEqual(customer.isp_throttled_since, date(2026, 4, 16))
        self.assertEqual(customer.isp_throttle_profile_id, self.slow)
        self.assertTrue(self.noted(customer, "Throttled to Throttled 1M"))
        hold = self.env["isp.billing.engine"]._cutoff_hold(
            customer, "block", date(2026, 4, 17)
        )
        self.assertEqual((hold.rule, hold.until), ("throttle", date(2026, 4, 18)))
        self.assertIn("blocked on 04/19/2026 unless paid", hold.reason)
        explanation = customer._isp_portal_explanation(date(2026, 4, 17))
        self.assertIn("Your connection is slowed down", explanation)
        self.assertIn("04/19/2026", explanation)

        for day in (17, 18):
            self.status_run(customer, date(2026, 4, day))
            self.assertStatus(customer, "active")
            self.assertEqual(customer.isp_throttled_since, date(2026, 4, 16))
        self.status_run(customer, date(2026, 4, 19))

        self.assertStatus(customer, "blocked", "2026-04-19")
        self.assertIn("Throttled since 04/16/2026 and still unpaid", customer.isp_status_reason)
        self.assertIn("Unpaid invoice", customer.isp_status_reason)
        self.assertFalse(customer.isp_throttled_since)
        self.assertFalse(customer.isp_throttle_profile_id)

    def test_paying_during_the_throttle_ends_it(self):
        customer = self.invoiced("Paula Pays")
        self.status_run(customer, date(2026, 4, 16))
        self.assertEqual(customer.isp_throttled_since, date(2026, 4, 16))

        self.pay(customer, 100.0, date="2026-04-17")

        customer.invalidate_recordset()
        self.assertFalse(customer.isp_throttled_since)
        self.assertFalse(customer.isp_throttle_profile_id)
        self.assertTrue(self.noted(customer, "the throttle period ends"))
        self.assertEqual(customer._isp_portal_explanation(date(2026, 4, 17)), "")
        self.status_run(customer, date(2026, 4, 19))
        self.assertStatus(customer, "active")

    def test_a_part_payment_keeps_the_throttle(self):
        customer = self.invoiced("Part Payer")
        self.status_run(customer, date(2026, 4, 16))
        self.pay(customer, 40.0, date="2026-04-17")
        customer.invalidate_recordset()
        self.assertEqual(customer.isp_throttled_since, date(2026, 4, 16))
        self.status_run(customer, date(2026, 4, 19))
        self.assertStatus(customer, "blocked", "2026-04-19")

    def test_no_throttle_when_the_company_has_none(self):
        self.company.isp_throttle_days = 0
        customer = self.blocked_on_the_16th("Bea Blocked")
        self.assertFalse(customer.isp_throttled_since)

    def test_the_explainer_counts_the_throttle_from_its_first_day(self):
        """Reviewer: before the throttle started, each previewed day began a
        new throttle period, and the block moved 120 days away."""
        customer = self.invoiced("Tia Preview")
        event = self.env["isp.status.explainer"]._explain(customer, date(2026, 4, 10)).event
        self.assertEqual(event.day, date(2026, 4, 19), "throttled 16-18 April, blocked on the 19th")
        self.assertEqual([hold.rule for __, hold in event.holds], ["throttle"])

    def test_settings_save_throttle_days_with_their_profile(self):
        """Reviewer: Settings writes its related fields one by one, and the
        days written before the profile were refused."""
        self.company.write({"isp_throttle_days": 0, "isp_throttle_profile_id": False})
        settings = self.env["res.config.settings"].create(
            {"isp_throttle_days": 2, "isp_throttle_profile_id": self.slow.id}
        )
        settings.execute()
        self.assertEqual(self.company.isp_throttle_days, 2)
        self.assertEqual(self.company.isp_throttle_profile_id, self.slow)

    def test_days_without_a_profile_are_refused(self):
        with self.assertRefused(ValidationError, "network profile of throttled customers"):
            self.company.write({"isp_throttle_profile_id": False})


@tagged("post_install", "-at_install")
class TestPromiseToPay(GraceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"isp_promise_days": 5, "isp_promise_gap_days": 30})

    def promise(self, customer, day, days=5, source="staff"):
        return self.Promise._isp_grant(customer, day, days, source)

    def test_a_promise_reconnects_and_holds_the_block_until_its_last_day(self):
        customer = self.blocked_on_the_16th("Kim Keeps")
        invoice = self.isp_invoices(customer)

        promise = self.promise(customer, date(2026, 4, 17))

        self.assertStatus(customer, "active", "2026-04-17")
        self.assertEqual(promise.move_id, invoice)
        self.assertEqual(promise.date_to, date(2026, 4, 21))
        self.assertEqual(promise.state, "active")
        self.assertEqual(
            customer.isp_status_reason, f"Promise to pay {invoice.name} until 04/21/2026"
        )
        hold = self.env["isp.billing.engine"]._cutoff_hold(
            customer, "block", date(2026, 4, 20)
        )
        self.assertEqual((hold.rule, hold.until), ("promise", date(2026, 4, 21)))
        self.assertEqual(
            customer._isp_portal_explanation(date(2026, 4, 18)),
            "You promised to pay by 04/21/2026; your service runs until then.",
        )
        self.status_run(customer, date(2026, 4, 21))
        self.assertStatus(customer, "active", "2026-04-17")

        self.pay(customer, 100.0, date="2026-04-20")

        promise.invalidate_recordset()
        self.assertEqual(promise.state, "kept")
        self.assertEqual(promise.closed_on, date(2026, 4, 20))
        self.status_run(customer, date(2026, 4, 22))
        self.assertStatus(customer, "active", "2026-04-17")

    def test_a_promise_lapsing_unpaid_blocks_again_and_is_broken(self):
        customer = self.blocked_on_the_16th("Bob Breaks")
        promise = self.promise(customer, date(2026, 4, 17))
        self.status_run(customer, date(2026, 4, 21))
        self.assertStatus(customer, "active")

        self.status_run(customer, date(2026, 4, 22))

        self.assertStatus(customer, "blocked", "2026-04-22")
        self.assertEqual(promise.state, "broken")
        self.assertEqual(promise.closed_on, date(2026, 4, 22))
        self.assertIn(
            "Promise to pay %s by 04/21/2026 broken" % promise.reference,
            customer.isp_status_reason,
        )

    def test_a_broken_promise_is_not_followed_by_a_throttle(self):
        self.company.write({"isp_throttle_days": 3, "isp_throttle_profile_id": self.slow.id})
        customer = self.invoiced("Tom Twice")
        for day in (16, 17, 18, 19):
            self.status_run(customer, date(2026, 4, day))
        self.assertStatus(customer, "blocked", "2026-04-19")
        self.promise(customer, date(2026, 4, 20))
        self.status_run(customer, date(2026, 4, 25))
        self.assertStatus(customer, "blocked", "2026-04-25")
        self.assertFalse(customer.isp_throttled_since)

    def test_a_second_promise_is_refused_and_nothing_is_written(self):
        customer = self.blocked_on_the_16th("Sam Second")
        first = self.promise(customer, date(2026, 4, 17))
        self.status_run(customer, date(2026, 4, 22))
        self.assertEqual(first.state, "broken")
        promises = self.Promise.search_count([])

        with self.assertRefused(UserError, "was already made on 04/17/2026"):
            self.promise(customer, date(2026, 4, 23))

        self.assertEqual(self.Promise.search_count([]), promises)
        self.assertStatus(customer, "blocked", "2026-04-22")

    def test_a_promise_within_the_gap_is_refused_for_another_invoice(self):
        customer = self.blocked_on_the_16th("Gap Gary")
        first = self.promise(customer, date(2026, 4, 17))
        self.assertEqual(first.state, "active")
        # Another invoice, paid the first: the promise is kept.
        self.pay(customer, 100.0, date="2026-04-18")
        self.assertEqual(first.state, "kept")
        self.run_engine(customer, "2026-05-01")
        self.status_run(customer, date(2026, 5, 16))
        self.assertStatus(customer, "blocked", "2026-05-16")
        # 17 April + 30 days: 17 May.
        with self.assertRefused(UserError, "the next one is possible from 05/17/2026"):
            self.promise(customer, date(2026, 5, 16))
        self.assertTrue(self.promise(customer, date(2026, 5, 17)))

    def test_a_promise_needs_a_blocked_service(self):
        customer = self.invoiced("Ann Active")
        with self.assertRefused(UserError, "not blocked"):
            self.promise(customer, date(2026, 4, 10))
        self.assertFalse(self.Promise.search([("partner_id", "=", customer.id)]))

    @freeze_time("2026-04-17")
    def test_staff_grant_a_promise_from_the_customer(self):
        customer = self.blocked_on_the_16th("Stan Staff")
        wizard = Form(
            self.env["isp.payment.promise.grant"].with_context(
                default_partner_id=customer.id
            )
        )
        self.assertEqual(wizard.days, 5, "the company's days")
        wizard.days = 3
        self.assertEqual(wizard.date_to, date(2026, 4, 19))
        wizard.save().action_grant()

        promise = customer.isp_promise_ids
        self.assertEqual((promise.source, promise.user_id), ("staff", self.env.user))
        self.assertEqual(promise.date_to, date(2026, 4, 19))
        self.assertStatus(customer, "active", "2026-04-17")

    @freeze_time("2026-04-17")
    def test_a_staff_block_is_not_undone_by_the_subscriber(self):
        """Reviewer: a subscriber blocked by staff, owing nothing, promised to
        pay "Balance" from the portal and was reconnected."""
        customer = self.make_subscriber("Sue Staffblock", billing_type="recurring")
        self.make_subscription(customer, price=100.0, date_start="2026-04-01")
        self.run_engine(customer, "2026-04-01")
        self.pay(customer, 100.0, "2026-04-02")
        customer.action_isp_block()
        self.assertStatus(customer, "blocked")
        with self.assertRefused(UserError, "nothing to promise"):
            self.promise(customer, date(2026, 4, 17), source="portal")
        # Owing money does not let the subscriber lift a staff block either.
        owing = self.invoiced("Oli Owing")
        owing.action_isp_block()
        with self.assertRefused(UserError, "suspended by our staff"):
            self.promise(owing, date(2026, 4, 17), source="portal")
        self.assertStatus(customer, "blocked")
        self.assertStatus(owing, "blocked")
        self.assertFalse(self.Promise.search([("partner_id", "in", (customer | owing).ids)]))

    @freeze_time("2026-04-17")
    def test_staff_promise_days_are_bounded(self):
        """Reviewer: 36,500 days were accepted and 2147483647 crashed the form."""
        customer = self.blocked_on_the_16th("Max Days")
        wizard = Form(
            self.env["isp.payment.promise.grant"].with_context(
                default_partner_id=customer.id
            )
        )
        wizard.days = 2147483647
        self.assertFalse(wizard.date_to)
        with self.assertRefused(UserError, "at most 365 days"):
            wizard.save().action_grant()
        self.assertStatus(customer, "blocked")

    @freeze_time("2026-04-17")
    def test_only_isp_staff_grant_promises(self):
        customer = self.blocked_on_the_16th("Nora Nostaff")
        clerk = self.make_user("clerk_promise", "base.group_user")
        wizard = (
            self.env["isp.payment.promise.grant"]
            .with_user(clerk)
            .new({"partner_id": customer.id, "days": 3})
        )
        with self.assertRaises(AccessError):
            wizard.action_grant()
        self.assertStatus(customer, "blocked")

    def test_prepaid_promise_defers_the_charge_and_blocks_again_when_broken(self):
        customer = self.make_subscriber("Pia Prepaid")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.pay(customer, 30.0, date="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-04-01")
        self.assertStatus(customer, "blocked", "2026-04-01")

        promise = self.promise(customer, date(2026, 4, 2))

        self.assertEqual(promise.period_date, date(2026, 4, 1))
        self.assertStatus(customer, "active", "2026-04-02")
        self.run_engine(customer, "2026-04-06")  # the charge cron holds the block
        self.assertStatus(customer, "active", "2026-04-02")
        self.run_engine(customer, "2026-04-07")
        self.assertStatus(customer, "blocked", "2026-04-07")
        self.assertEqual(promise.state, "broken")
        self.assertIn("broken", customer.isp_status_reason)

    def test_prepaid_promise_kept_charges_the_period_from_the_lapse(self):
        customer = self.make_subscriber("Kay Prepaid")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.pay(customer, 30.0, date="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-04-01")
        promise = self.promise(customer, date(2026, 4, 2))

        self.pay(customer, 30.0, date="2026-04-04")

        self.assertEqual(promise.state, "kept")
        customer.invalidate_recordset()
        self.assertEqual(customer.isp_paid_until, date(2026, 4, 30))
        self.assertBalance(customer, 0.0)
        self.assertStatus(customer, "active")
