# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import json
import time
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import hmac


from .common import IspPortalCase

# A well-formed page token part of a transaction route (not a valid one).
ANY_OFFER = "/0123456789abcdef0123456789abcdef/4102444800"


@freeze_time("2026-03-21")
@tagged("post_install", "-at_install")
class TestPortalAccess(IspPortalCase, HttpCase):
    """What a subscriber, another subscriber and an anonymous visitor can reach
    over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "isp_proforma_enabled": True,
                "isp_proforma_day": 20,
                "isp_proforma_for": "next",
            }
        )
        cls.alice = cls.subscriber_with_documents("Alice Portal")
        cls.bob = cls.subscriber_with_documents("Bob Portal")
        cls.make_portal_user(cls.alice, "alice")
        cls.make_portal_user(cls.bob, "bob")

    @classmethod
    def subscriber_with_documents(cls, name):
        customer = cls.make_subscriber(name, billing_type="recurring")
        cls.make_subscription(customer, price=30.0, date_start="2026-03-01")
        cls.env["isp.billing.engine"]._execute(customer, date(2026, 3, 1))
        payment = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": 30.0,
                "date": date(2026, 3, 2),
                "journal_id": cls.bank_journal.id,
            }
        )
        payment.action_post()
        cls.env.flush_all()
        cls.env.cr.flush()  # the commit's settlement: the payment pays the invoice
        cls.env["isp.proforma"]._isp_create_for(customer, date(2026, 3, 20))
        return customer

    def documents(self, customer):
        invoice = self.isp_invoices(customer)
        payment = self.env["account.payment"].search([("partner_id", "=", customer.id)])
        proforma = self.env["isp.proforma"].search([("partner_id", "=", customer.id)])
        return invoice, payment, proforma

    def test_the_service_page_shows_the_subscribers_own_data(self):
        self.authenticate("alice", "alice")
        page = self.url_open("/my/isp").text
        invoice, payment, proforma = self.documents(self.alice)
        self.assertIn('data-state="active"', page)
        self.assertIn(invoice.name, page)
        self.assertIn(payment.isp_receipt_number, page)
        self.assertIn(proforma.name, page)
        self.assertIn("Fibre 100 Mbit/s", page)
        self.assertIn(self.alice.isp_payment_reference, page)
        bob_invoice, __, bob_proforma = self.documents(self.bob)
        for foreign in (
            bob_invoice.name,
            bob_proforma.name,
            "Bob Portal",
            self.bob.isp_payment_reference,
        ):
            self.assertNotIn(foreign, page)
        # The breadcrumb is the page's own, not the last invoice listed on it.
        breadcrumb = page[page.index('<ol class="o_portal_submenu breadcrumb'):]
        breadcrumb = breadcrumb[: breadcrumb.index("</ol>")]
        self.assertIn("Internet service", breadcrumb)
        self.assertNotIn(invoice.name, breadcrumb)
        self.assertIn('href="/my/isp"', self.url_open("/my").text)

    def test_another_subscribers_documents_are_out_of_reach(self):
        self.authenticate("alice", "alice")
        invoice, payment, proforma = self.documents(self.bob)
        response = self.url_open(f"/my/isp/receipt/{payment.id}")
        self.assertEqual(response.status_code, 404)
        for url in (
            f"/my/isp/proforma/{proforma.id}",
            f"/my/isp/proforma/{proforma.id}?access_token=not-the-token",
            f"/my/isp/proforma/{proforma.id}?report_type=pdf",
            f"/my/invoices/{invoice.id}",
        ):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertTrue(response.url.endswith("/my"), response.url)
                self.assertNotIn(proforma.name, response.text)
        page = self.url_open(
            f"/my/isp/pay?purpose=proforma&proforma_id={proforma.id}"
        ).text
        self.assertIn("There is no such proforma to pay", page)
        self.assertNotIn("o_payment_form", page)
        # Her own receipt she can download.
        own_payment = self.documents(self.alice)[1]
        response = self.url_open(f"/my/isp/receipt/{own_payment.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")

    def test_a_shared_proforma_link_works_with_its_token_only(self):
        proforma = self.documents(self.bob)[2]
        token = proforma._portal_ensure_token()
        response = self.url_open(f"/my/isp/proforma/{proforma.id}?access_token={token}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(proforma.name, response.text)
        self.assertNotIn("Pay now", response.text, "paying needs the customer's login")

    def test_transactions_for_someone_else_or_bad_amounts_are_refused(self):
        self.authenticate("alice", "alice")
        bob_proforma = self.documents(self.bob)[2]
        params = {
            "provider_id": self.provider.id,
            "payment_method_id": self.demo_method.id,
            "token_id": None,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "https://evil.example.com",
            "is_validation": False,
            "access_token": "x",
        }
        cases = [
            (
                f"/my/isp/transaction/proforma/0/{bob_proforma.id}{ANY_OFFER}",
                {"amount": 30.0},
                "no such proforma",
            ),
            (
                f"/my/isp/transaction/topup/0/0{ANY_OFFER}",
                {"amount": 1.0},
                "The smallest top-up is",
            ),
            (
                f"/my/isp/transaction/topup/0/0{ANY_OFFER}",
                {
                    "amount": 20.0,
                    "currency_id": self.env.ref("base.EUR").id
                    if self.currency != self.env.ref("base.EUR")
                    else self.env.ref("base.USD").id,
                },
                "pay in that currency",
            ),
            (f"/my/isp/transaction/topup/0/0{ANY_OFFER}", {"amount": 20.0}, "reload it"),
            (
                f"/my/isp/transaction/prepay/13/0{ANY_OFFER}",
                {"amount": 20.0},
                "between 1 and 12",
            ),
        ]
        for route, extra, message in cases:
            with self.subTest(route=route, extra=extra):
                self.assertIn(message, self.json_error(route, {**params, **extra}))
        self.assertFalse(
            self.env["payment.transaction"].search([("partner_id", "=", self.alice.id)])
        )

    def json_error(self, route, params):
        """The message of the error a JSON route answers with."""
        response = self.url_open(
            route,
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": 0, "params": params}
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json().get("error", {}).get("data", {}).get("message", "")

    def test_a_valid_transaction_lands_back_on_the_service_page(self):
        self.authenticate("alice", "alice")
        page = self.url_open("/my/isp/pay?purpose=topup&amount=20").text
        route, params = self.offer_of(page)
        self.assertTrue(route.startswith("/my/isp/transaction/topup/0/0/"))
        result = self.make_jsonrpc_request(
            route, dict(params, landing_route="https://evil.example.com")
        )
        tx = self.env["payment.transaction"].search(
            [("reference", "=", result["reference"])]
        )
        self.assertEqual(tx.isp_purpose, "topup")
        self.assertMoney(tx.amount, 20.0)
        self.assertEqual(tx.partner_id.commercial_partner_id, self.alice)
        self.assertEqual(tx.landing_route.split("?")[0], "/my/isp")

    def test_only_the_providers_the_page_offers_are_accepted(self):
        """An enabled but unpublished test-mode provider of the company (or a
        payment method the provider does not offer) is refused: paying
        through it would be free credit."""
        hidden = self.provider.copy({"company_id": self.company.id})
        hidden.write({"state": "test", "is_published": False})
        hidden.payment_method_ids = [Command.set(self.demo_method.ids)]
        card = self.env.ref("payment.payment_method_card")
        self.authenticate("alice", "alice")
        page = self.url_open("/my/isp/pay?purpose=topup&amount=20").text
        route, params = self.offer_of(page)
        for extra in ({"provider_id": hidden.id}, {"payment_method_id": card.id}):
            with self.subTest(extra=extra):
                self.assertIn(
                    "not available", self.json_error(route, {**params, **extra})
                )
        self.assertFalse(
            self.env["payment.transaction"].search([("partner_id", "=", self.alice.id)])
        )
        # The published provider of the page pays.
        result = self.make_jsonrpc_request(route, params)
        tx = self.env["payment.transaction"].search(
            [("reference", "=", result["reference"])]
        )
        self.assertEqual(tx.provider_id, self.provider)

    def test_a_payment_page_starts_one_transaction_and_expires(self):
        """Finding 3: the same page from two browser sessions pays once."""
        self.authenticate("alice", "alice")
        route, params = self.offer_of(self.url_open("/my/isp/pay?purpose=topup&amount=20").text)
        self.make_jsonrpc_request(route, params)
        self.assertIn("already started", self.json_error(route, params))
        self.assertEqual(
            self.env["payment.transaction"].search_count([("partner_id", "=", self.alice.id)]),
            1,
        )
        # A page older than its lifetime: a token the server signed, but expired.
        expired = int(time.time()) - 1
        values = (self.alice.id, 20.0, self.alice.isp_currency_id.id, "topup", 0, 0)
        token = hmac(  # what payment_utils.generate_access_token signs
            self.env(su=True),
            "generate_access_token",
            "|".join(str(value) for value in (*values, "f" * 32, expired, 0)),
        )
        stale_route = f"/my/isp/transaction/topup/0/0/{'f' * 32}/{expired}"
        self.assertIn("expired", self.json_error(stale_route, dict(params, access_token=token)))

    def test_anonymous_visitors_get_only_the_suspended_page(self):
        response = self.url_open("/my/isp")
        self.assertIn("/web/login", response.url)
        self.assertNotIn("Alice Portal", response.text)
        response = self.url_open("/isp/suspended")
        self.assertEqual(response.status_code, 200)
        self.assertIn("suspended", response.text)
        self.assertIn("/web/login?redirect=/my/isp", response.text)
        for secret in ("Alice Portal", "Bob Portal", "30.00", "o_isp_balance"):
            self.assertNotIn(secret, response.text)
        proforma = self.documents(self.alice)[2]
        response = self.url_open(f"/my/isp/proforma/{proforma.id}")
        self.assertNotIn(proforma.name, response.text)

    def test_portal_users_cannot_change_billing_settings(self):
        alice_user = self.env["res.users"].search([("login", "=", "alice")])
        with self.assertRaises(AccessError):
            self.company.with_user(alice_user).write({"isp_topup_minimum": 0.0})
        with self.assertRaises(AccessError):
            self.alice.with_user(alice_user).write({"isp_minimum_balance": -500.0})
        with self.assertRaises(AccessError):
            self.env["isp.refill.card"].with_user(alice_user).search([])

    def test_other_companies_documents_stay_hidden(self):
        other = self.setup_other_company()["company"]
        carol = self.make_subscriber(
            "Carol Elsewhere", billing_type="recurring", isp_company_id=other.id
        )
        carol_proforma = self.env["isp.proforma"].create(
            {
                "partner_id": carol.id,
                "company_id": other.id,
                "currency_id": other.currency_id.id,
                "date": date(2026, 3, 20),
                "period_start": date(2026, 4, 1),
                "period_end": date(2026, 4, 30),
            }
        )
        self.authenticate("alice", "alice")
        response = self.url_open(f"/my/isp/proforma/{carol_proforma.id}")
        self.assertTrue(response.url.endswith("/my"))
        page = self.url_open("/my/isp").text
        self.assertNotIn("Carol Elsewhere", page)
