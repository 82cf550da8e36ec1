# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import re
from datetime import date

from odoo.tests import HttpCase, freeze_time, tagged

from .common import IspPortalCase


def words(text):
    """``text`` with its spaces (no-break ones too) as single spaces."""
    return " ".join(text.split())


def between(page, start, end):
    """The text of ``page`` from the first ``start`` to the next ``end``,
    without its tags."""
    part = page[page.index(start) :]
    return words(re.sub(r"<[^>]*>", " ", part[: part.index(end)]))


@freeze_time("2026-03-21")
@tagged("post_install", "-at_install")
class TestPortalWording(IspPortalCase, HttpCase):
    """What a subscriber reads on /my/isp: their own words, not staff notes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "isp_topup_minimum": 1.0,
                "isp_proforma_enabled": True,
                "isp_proforma_day": 20,
                "isp_proforma_for": "next",
            }
        )

    def service_page(self, login, query=""):
        self.authenticate(login, login)
        return self.url_open(f"/my/isp{query}").text

    def explanation(self, page):
        match = re.search(
            r'class="[^"]*o_isp_explanation[^"]*"[^>]*>(.*?)</p>', page, re.S
        )
        return match and words(match.group(1))

    def money(self, amount, partner):
        return words(partner.isp_currency_id.format(amount))

    def blocked_prepaid(self, name, login):
        """7-day passes at 7.00: 13.00 paid, one pass charged, the next one
        refused on 8 March: blocked with 6.00."""
        customer = self.make_subscriber(
            name, isp_prepaid_period_unit="day", isp_prepaid_period_length=7
        )
        self.make_subscription(customer, price=7.0, date_start="2026-03-01")
        self.pay(customer, 13.0, date="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-03-08")
        self.assertStatus(customer, "blocked", "2026-03-08")
        self.assertBalance(customer, 6.0)
        self.make_portal_user(customer, login)
        return customer

    def recurring_with_documents(self, name, login, paid=30.0):
        """March invoiced (30.00) and ``paid``; April's proforma (30.00) open."""
        customer = self.make_subscriber(name, billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.pay(customer, paid, date="2026-03-02")
        self.env["isp.proforma"]._isp_create_for(customer, date(2026, 3, 20))
        self.make_portal_user(customer, login)
        return customer

    # === 1. breadcrumb === #

    def test_breadcrumb_shows_only_the_service_page(self):
        customer = self.recurring_with_documents("Wendy Crumb", "wendy")
        invoice = self.isp_invoices(customer)
        proforma = self.env["isp.proforma"].search([("partner_id", "=", customer.id)])
        self.assertTrue(invoice and proforma)
        page = self.service_page("wendy")
        # The documents are on the page...
        self.assertIn(invoice.name, page)
        self.assertIn(proforma.name, page)
        # ...but the breadcrumb is home, then this page.
        crumbs = between(page, '<ol class="o_portal_submenu breadcrumb', "</ol>")
        self.assertEqual(crumbs, "Internet service")
        for leaked in (
            invoice.name,
            proforma.name,
            "Internet Wendy Crumb",
            "Contracts",
        ):
            self.assertNotIn(leaked, crumbs)

    # === 2. the subscriber's explanation, never the staff reason === #

    def test_blocked_prepaid_subscriber_is_told_what_to_top_up(self):
        customer = self.blocked_prepaid("Pia Pass", "pia")
        self.assertIn("Insufficient funds", customer.isp_status_reason)
        page = self.service_page("pia")
        self.assertEqual(
            self.explanation(page),
            f"Your balance ({self.money(6.0, customer)}) does not cover the next "
            f"7 days of service ({self.money(7.0, customer)}). "
            f"Top up {self.money(1.0, customer)} to reconnect.",
        )
        self.assertNotIn("Insufficient funds", page)
        self.assertNotIn("minimum balance", page)

    def test_top_up_asked_is_at_least_the_smallest_top_up(self):
        self.company.isp_topup_minimum = 5.0
        customer = self.blocked_prepaid("Mia Minimum", "mia")
        self.assertIn(
            f"Top up {self.money(5.0, customer)} to reconnect.",
            self.explanation(self.service_page("mia")),
        )

    def test_blocked_by_staff_gets_no_staff_note(self):
        customer = self.make_subscriber("Stan Staff")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.pay(customer, 100.0, date="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        customer._isp_set_status("blocked", "Abuse report 7", date(2026, 3, 5))
        self.make_portal_user(customer, "stan")
        page = self.service_page("stan")
        self.assertEqual(
            self.explanation(page),
            "Your service is suspended. Contact us to have it reconnected.",
        )
        self.assertNotIn("Abuse report 7", page)

    def test_blocked_for_an_unpaid_invoice_names_the_invoice(self):
        customer = self.make_subscriber("Ivo Unpaid", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.sweep(customer, "2026-03-16")
        self.assertStatus(customer, "blocked", "2026-03-16")
        self.make_portal_user(customer, "ivo")
        invoice = self.isp_invoices(customer)
        page = self.service_page("ivo")
        self.assertEqual(
            self.explanation(page),
            f"Invoice {invoice.name} ({self.money(30.0, customer)}) is unpaid. "
            "Pay it to reconnect.",
        )
        self.assertNotIn(customer.isp_status_reason, page)
        self.assertNotIn("after the payment due date", page)

    def test_paused_and_deactivated_subscribers(self):
        paused = self.make_subscriber("Paula Paused")
        self.make_subscription(
            paused, price=30.0, date_start="2026-03-01", date_end="2026-03-10"
        )
        self.make_portal_user(paused, "paula")
        self.assertIn(
            "Your service is paused. Reactivate it by paying for the periods you want.",
            self.explanation(self.service_page("paula")),
        )

        gone = self.make_subscriber("Dora Gone")
        self.make_subscription(gone, price=30.0, date_start="2026-03-01")
        gone._isp_set_status("inactive", "Staff only: fraud check 42", date(2026, 3, 5))
        self.make_portal_user(gone, "dora")
        page = self.service_page("dora")
        self.assertEqual(
            self.explanation(page),
            "Your service has been deactivated. Contact us to restart it.",
        )
        self.assertNotIn("fraud check 42", page)

    # === 3. next charge, period wording, payment banner === #

    def test_no_past_charge_date_while_blocked(self):
        customer = self.blocked_prepaid("Bea Past", "bea")
        self.assertEqual(customer.isp_next_charge_date, date(2026, 3, 8))
        page = self.service_page("bea")
        self.assertNotIn("Next charge on", page)
        self.assertNotIn("03/08/2026", page)
        charge = between(page, "o_isp_next_charge", "</div>")
        self.assertIn("Next charge when you top up", charge)
        self.assertIn(self.money(7.0, customer), charge)

    def test_periods_read_naturally(self):
        for name, login, values, text in (
            (
                "Mo One",
                "mo",
                {"billing_type": "recurring", "isp_recurring_months": 1},
                "1 month",
            ),
            (
                "Tri Three",
                "tri",
                {"billing_type": "recurring", "isp_recurring_months": 3},
                "3 months",
            ),
            (
                "Wes Week",
                "wes",
                {"isp_prepaid_period_unit": "day", "isp_prepaid_period_length": 7},
                "7 days",
            ),
        ):
            customer = self.make_subscriber(name, **values)
            self.make_subscription(customer, price=30.0, date_start="2026-03-01")
            self.make_portal_user(customer, login)
            page = self.service_page(login)
            period = re.search(r'class="o_isp_period">(.*?)</td>', page, re.S)
            self.assertEqual(words(period.group(1)), text)
            self.assertNotIn("Months", page)
            self.assertNotIn("Days", page)

    def test_payment_banner_after_the_payment_lands(self):
        customer = self.make_subscriber("Tess Topup")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.make_portal_user(customer, "tess")
        other = self.make_subscriber("Otto Other")
        self.make_portal_user(other, "otto")
        # Nothing paid yet: the landing flag alone shows nothing.
        self.assertNotIn(
            "o_isp_payment_done", self.service_page("tess", "?payment=done")
        )

        tx = self.start_online_payment(customer, "topup", amount=20.0)
        self.provider_says(tx)
        self.assertEqual(tx.state, "done")
        # The amount comes from the transaction, never from the URL.
        page = self.service_page("tess", "?payment=done&amount=999")
        banner = between(page, "o_isp_payment_done", "</div>")
        self.assertIn("your payment of", banner)
        self.assertIn(self.money(20.0, customer), banner)
        self.assertNotIn("999", banner)
        # Not on a plain visit, nor for another subscriber.
        self.assertNotIn("o_isp_payment_done", self.service_page("tess"))
        self.assertNotIn(
            "o_isp_payment_done", self.service_page("otto", "?payment=done")
        )

    def test_payment_banner_not_for_a_failed_payment(self):
        customer = self.make_subscriber("Fay Failed")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.make_portal_user(customer, "fay")
        done = self.start_online_payment(customer, "topup", amount=20.0)
        self.provider_says(done)
        failed = self.start_online_payment(customer, "topup", amount=15.0)
        self.provider_says(failed, state="error")
        self.assertNotIn(
            "o_isp_payment_done", self.service_page("fay", "?payment=done")
        )

    # === 4. a proforma the balance covers === #

    def test_proforma_covered_by_the_balance_is_not_asked_again(self):
        # 60.00 paid on 2 March: March's invoice and 30.00 ahead.
        covered = self.recurring_with_documents("Cleo Covered", "cleo", paid=60.0)
        self.assertBalance(covered, 30.0)
        proforma = self.env["isp.proforma"].search([("partner_id", "=", covered.id)])
        self.assertEqual(proforma.state, "open")
        pay_link = f"purpose=proforma&amp;proforma_id={proforma.id}"

        page = self.service_page("cleo")
        self.assertNotIn(pay_link, page)
        self.assertIn("Covered by your balance", page)
        detail = self.url_open(f"/my/isp/proforma/{proforma.id}").text
        self.assertNotIn(pay_link, detail)
        self.assertIn("Your balance covers this proforma", detail)

        # Without the money, the same proforma is still to pay.
        short = self.recurring_with_documents("Sam Short", "sam")
        short_proforma = self.env["isp.proforma"].search(
            [("partner_id", "=", short.id)]
        )
        page = self.service_page("sam")
        self.assertIn(f"purpose=proforma&amp;proforma_id={short_proforma.id}", page)
        self.assertNotIn("Covered by your balance", page)

    # === 5. the subscriber's language === #

    def test_explanation_in_the_subscribers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        customer = self.blocked_prepaid("Fanny Francaise", "fanny")
        customer.lang = "fr_FR"
        french = customer.isp_currency_id.with_context(lang="fr_FR")
        explanation = self.explanation(self.service_page("fanny"))
        self.assertIn(words(french.format(6.0)), explanation)
        self.assertIn(words(french.format(7.0)), explanation)
        self.assertNotIn(self.money(6.0, customer), explanation)
