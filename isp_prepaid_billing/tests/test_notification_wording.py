# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import html
import re

from odoo.modules.migration import load_script
from odoo.tests import tagged

from .common import IspBillingCase


def words(text):
    """``text`` without its tags, its spaces (no-break ones too) as single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", str(text))).split())


@tagged("post_install", "-at_install")
class TestNotificationWording(IspBillingCase):
    """The blocked and deactivated e-mails speak to the subscriber in the
    portal's words and language, never with the staff reason."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Notification = cls.env["isp.notification"]
        cls.company.isp_topup_minimum = 1.0

    def mail(self, customer, event):
        self.Notification._cron_isp_notify("2026-03-31")
        notification = self.Notification.search(
            [("partner_id", "=", customer.id), ("event", "=", event)]
        )
        self.assertEqual(notification.state, "sent", notification.error)
        return words(notification.message_id.body)

    def money(self, amount, partner):
        return words(partner.isp_currency_id.format(amount))

    def blocked_prepaid(self, name):
        """7-day passes at 7.00: 13.00 paid, one pass charged, the next one
        refused on 8 March: blocked with 6.00 (as in test_portal_wording)."""
        customer = self.make_subscriber(
            name,
            email="pass@example.com",
            isp_prepaid_period_unit="day",
            isp_prepaid_period_length=7,
        )
        self.make_subscription(customer, price=7.0, date_start="2026-03-01")
        self.pay(customer, 13.0, date="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-03-08")
        self.assertStatus(customer, "blocked", "2026-03-08")
        self.assertBalance(customer, 6.0)
        return customer

    def test_blocked_prepaid_subscriber_is_told_what_to_top_up(self):
        customer = self.blocked_prepaid("Pia Pass")
        reason = customer.isp_status_reason
        self.assertIn("not enough", reason)
        body = self.mail(customer, "blocked")
        self.assertIn(
            f"Your balance ({self.money(6.0, customer)}) does not cover the next "
            f"7 days of service ({self.money(7.0, customer)}). "
            f"Top up {self.money(1.0, customer)} to reconnect.",
            body,
        )
        self.assertIn("Your Internet service was blocked on 03/08/2026.", body)
        self.assertNotIn(words(reason), body)
        self.assertNotIn("minimum balance", body)

    def test_blocked_credit_limit_subscriber_is_told_what_to_pay(self):
        customer = self.make_subscriber(
            "Nora Limit",
            email="nora@example.com",
            isp_credit_mode="limit",
            isp_credit_limit=100.0,
            isp_payment_due_days=28,
        )
        self.make_subscription(customer, price=40.0, date_start="2026-01-01")
        self.run_engine(customer, "2026-01-01")
        self.run_engine(customer, "2026-02-01")
        self.run_engine(customer, "2026-03-01")  # would reach -120.00
        self.assertStatus(customer, "blocked", "2026-03-01")
        reason = customer.isp_status_reason
        self.assertIn("credit limit", reason)
        body = self.mail(customer, "blocked")
        self.assertIn(
            f"Your balance ({self.money(-80.0, customer)}) and credit limit "
            f"({self.money(100.0, customer)}) do not cover the next charge "
            f"({self.money(40.0, customer)}). "
            f"Pay {self.money(20.0, customer)} to reconnect.",
            body,
        )
        self.assertNotIn(words(reason), body)
        self.assertNotIn("would take the debt", body)

    def test_blocked_recurring_credit_limit_subscriber(self):
        """Nothing unpaid yet, the next invoice beyond the limit: the portal's
        words, not "contact us"."""
        customer = self.make_subscriber(
            "Rita Recurring",
            billing_type="recurring",
            email="rita@example.com",
            isp_credit_mode="limit",
            isp_credit_limit=50.0,
            isp_payment_due_days=28,
            isp_blocking_days=10,
        )
        self.make_subscription(customer, price=30.0, date_start="2026-02-01")
        self.run_engine(customer, "2026-02-01")
        self.run_engine(customer, "2026-03-01")  # would reach -60.00
        self.assertStatus(customer, "blocked", "2026-03-01")
        self.assertBalance(customer, -30.0)
        body = self.mail(customer, "blocked")
        self.assertIn(
            f"Your balance ({self.money(-30.0, customer)}) and credit limit "
            f"({self.money(50.0, customer)}) do not cover the next charge "
            f"({self.money(30.0, customer)}). "
            f"Pay {self.money(10.0, customer)} to reconnect.",
            body,
        )
        self.assertNotIn("Contact us", body)
        self.assertNotIn(words(customer.isp_status_reason), body)

    def test_deactivated_mail_has_no_staff_reason(self):
        customer = self.make_subscriber(
            "Gil Gone", billing_type="recurring", email="gil@example.com"
        )
        self.make_subscription(customer, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.sweep(customer, "2026-03-16")
        self.sweep(customer, "2026-03-26")
        self.assertStatus(customer, "inactive", "2026-03-26")
        body = self.mail(customer, "deactivated")
        self.assertIn(
            "Your service has been deactivated. Contact us to restart it.", body
        )
        self.assertIn("It had stayed blocked until 03/26/2026.", body)
        self.assertNotIn(words(customer.isp_status_reason), body)
        blocked = self.mail(customer, "blocked")
        self.assertNotIn("after the payment due date", blocked)

    def test_mail_in_the_subscribers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        customer = self.blocked_prepaid("Fanny Francaise")
        customer.lang = "fr_FR"
        french = customer.isp_currency_id.with_context(lang="fr_FR")
        body = self.mail(customer, "blocked")
        self.assertIn(words(french.format(6.0)), body)
        self.assertIn(words(french.format(7.0)), body)
        self.assertNotIn(self.money(6.0, customer), body)

    def test_existing_databases_get_the_new_body_unless_edited(self):
        script = load_script(
            "isp_prepaid_billing/migrations/18.0.1.0.1/post-migrate.py",
            "isp_post_migrate_18_0_1_0_1",
        )
        blocked = self.env.ref("isp_prepaid_billing.mail_template_isp_blocked")
        deactivated = self.env.ref("isp_prepaid_billing.mail_template_isp_deactivated")
        new_blocked = blocked.body_html
        self.assertIn("_isp_mail_explanation", new_blocked)
        # A database from 18.0.1.0.0: the shipped blocked body (in English and
        # in French), an edited deactivated one.
        blocked.with_context(lang="en_US").body_html = script.as_loaded(
            script.SHIPPED["mail_template_isp_blocked"]
        )
        self.env["res.lang"]._activate_lang("fr_FR")
        blocked.with_context(lang="fr_FR").body_html = script.as_loaded(
            script.SHIPPED["mail_template_isp_blocked"]
        )
        edited = (
            "<div><p>Hello, blocked: <t t-out='object.isp_status_reason'/></p></div>"
        )
        deactivated.with_context(lang="en_US").body_html = edited
        self.env.flush_all()
        self.assertIn("isp_status_reason", blocked.body_html)

        script.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(blocked.body_html, new_blocked)
        self.assertEqual(blocked.with_context(lang="fr_FR").body_html, new_blocked)
        self.assertIn("isp_status_reason", deactivated.body_html)
        # Running it again changes nothing.
        script.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(blocked.body_html, new_blocked)
