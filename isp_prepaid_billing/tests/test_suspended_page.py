# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import json
import re
import secrets
from datetime import timedelta
from urllib.parse import urlparse

from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api, fields, sql_db
from odoo.tests import BaseCase, HttpCase, get_db_name, tagged

from ..tools import refill_codes
from .common import IspPortalCase, race_on_two_connections

# The test client connects from loopback: that is the subscriber's address.
ADDRESS = "127.0.0.1"
CARD_CODE = "7V3K-9QWX-2MHP-4RTA"


@tagged("post_install", "-at_install")
class TestSuspendedPage(IspPortalCase, HttpCase):
    """The walled garden without a password: a payment link sent to the
    e-mail on file of the subscriber the connection belongs to, and refill
    cards by customer number."""

    def setUp(self):
        super().setUp()
        self.today = fields.Date.context_today(self.env.user)
        self.company.write({"isp_topup_amounts": "20, 50"})
        self.alice = self.lapsed_subscriber("Alice Walled", "alice@example.com")
        self.session = self.open_session(self.alice, "alice-ppp", ADDRESS)

    def lapsed_subscriber(self, name, email):
        """A prepaid subscriber whose month ran out today without money."""
        customer = self.make_subscriber(name, email=email)
        started = self.today - relativedelta(months=1)
        self.make_subscription(customer, price=30.0, date_start=started)
        self.pay(customer, 30.0, started)
        self.run_engine(customer, started)
        self.run_engine(customer, self.today)
        self.assertStatus(customer, "blocked")
        return customer

    def open_session(self, customer, login, address):
        return self.env["isp.radius.session"]._isp_record(
            self.company,
            {
                "unique_id": f"walled-{login}",
                "line_id": customer.isp_contract_ids.contract_line_ids.id,
                "partner_id": customer.id,
                "username": login,
                "framed_ip": address,
            },
            "start",
        )

    # === HELPERS === #

    def url_open(self, *args, **kwargs):
        # What the server wrote is read again, not taken from this test's cache.
        self.env.flush_all()
        response = super().url_open(*args, **kwargs)
        self.env.invalidate_all()
        return response

    def post_form(self, route, **data):
        page = self.url_open("/isp/suspended").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.url_open(route, data={**data, "csrf_token": token})

    def request_link(self, **data):
        return self.post_form("/isp/suspended/link", **data)

    def links(self, customer=None):
        domain = [("partner_id", "=", customer.id)] if customer else []
        return self.env["isp.payment.link"].sudo().search(domain)

    def link_mails(self, customer):
        self.env.invalidate_all()
        return self.env["mail.mail"].sudo().search(
            [
                ("model", "=", "isp.payment.link"),
                ("res_id", "in", self.links(customer).ids),
            ]
        )

    def link_path(self, customer):
        """The path of the link in the last e-mail queued for ``customer``."""
        body = self.link_mails(customer)[:1].body_html
        url = re.search(r'href="([^"]*/isp/pay/[^"]+)"', body).group(1)
        return urlparse(url).path

    def json_call(self, route, params):
        response = self.url_open(
            route,
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": 0, "params": params}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        answer = response.json()
        return answer.get("result"), answer.get("error", {}).get("data")

    def pay_from(self, path, purpose="reactivate", periods=1, **form):
        """Start the payment of the link page at ``path`` as its form does
        (``form`` overrides its values)."""
        page = self.url_open(f"{path}?purpose={purpose}&periods={periods}").text
        route = page.split('data-transaction-route="')[1].split('"')[0]
        access_token = page.split('data-access-token="')[1].split('"')[0]
        return self.json_call(
            route,
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.demo_method.id,
                "token_id": None,
                "amount": 30.0,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": "/elsewhere",
                "is_validation": False,
                "access_token": access_token,
                **form,
            },
        )

    @staticmethod
    def amount_due(page):
        return re.search(r"o_isp_amount_due.*?</strong>", page, re.S).group(0)

    def transactions(self, customer):
        return self.env["payment.transaction"].sudo().search(
            [("partner_id", "=", customer.id)]
        )

    # === PAYMENT LINK === #

    def test_the_link_goes_to_the_contact_on_file_only(self):
        page = self.url_open("/isp/suspended").text
        self.assertIn("o_isp_request_link", page)
        self.assertNotIn("Alice", page)
        response = self.request_link(email="mallory@example.com", partner_id=999)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_isp_link_sent", response.text)
        self.assertNotIn("alice@example.com", response.text)
        mail = self.link_mails(self.alice)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.alice)
        self.assertFalse(mail.email_to)
        self.assertNotIn("mallory", mail.body_html)
        link = self.links(self.alice)
        self.assertEqual(link.ip_address, ADDRESS)
        self.assertEqual(link.sent_by, "email")
        # Valid for the company's lifetime; only a hash of the token is kept.
        self.assertAlmostEqual(
            link.expires_on,
            link.create_date + timedelta(minutes=60),
            delta=timedelta(seconds=5),
        )
        token = self.link_path(self.alice).rsplit("/", 1)[1]
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT row_to_json(l)::text FROM isp_payment_link l WHERE id = %s",
            [link.id],
        )
        self.assertNotIn(token, self.env.cr.fetchone()[0])

    def test_the_link_page_shows_what_to_pay_and_no_account_data(self):
        self.request_link()
        path = self.link_path(self.alice)
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn("A*** W***", page)
        self.assertNotIn("Alice", page)
        self.assertNotIn("alice@example.com", page)
        self.assertNotIn("Balance", page)
        self.assertIn("30.00", self.amount_due(page))
        # Top-up choices, with the payment form for the one chosen.
        page = self.url_open(f"{path}?purpose=topup&amount=50").text
        self.assertIn("50.00", self.amount_due(page))
        self.assertIn('data-transaction-route="/isp/pay/', page)

    def test_paying_through_the_link_reactivates_at_once(self):
        self.request_link()
        path = self.link_path(self.alice)
        result, error = self.pay_from(path)
        self.assertFalse(error)
        tx = self.transactions(self.alice)
        self.assertEqual(len(tx), 1)
        self.assertEqual(tx.isp_purpose, "reactivate")
        self.assertMoney(tx.amount, 30.0)
        self.assertEqual(tx.landing_route, path)
        self.assertEqual(self.links(self.alice).transaction_id, tx)
        self.provider_says(tx)
        self.assertStatus(self.alice, "active")
        self.assertEqual(len(self.online_payments(self.alice)), 1)
        page = self.url_open(path).text
        self.assertIn("o_isp_link_paid", page)
        self.assertIn("o_isp_link_active", page)

    def test_a_link_pays_only_through_the_providers_its_page_offers(self):
        """An enabled but unpublished test-mode provider of the company, or a
        payment method the provider does not offer, is refused: the link
        stays unused and nothing is written."""
        hidden = self.provider.copy({"company_id": self.company.id})
        hidden.write({"state": "test", "is_published": False})
        hidden.payment_method_ids = [Command.set(self.demo_method.ids)]
        card = self.env.ref("payment.payment_method_card")
        self.request_link()
        path = self.link_path(self.alice)
        for form in ({"provider_id": hidden.id}, {"payment_method_id": card.id}):
            with self.subTest(form=form):
                __, error = self.pay_from(path, **form)
                self.assertIn("not available", error["message"])
        self.assertFalse(self.transactions(self.alice))
        self.assertFalse(self.links(self.alice).used_on)
        __, error = self.pay_from(path)
        self.assertFalse(error)
        self.assertEqual(self.transactions(self.alice).provider_id, self.provider)

    def test_a_blocked_postpaid_customers_link_offers_a_top_up(self):
        """Reactivating pays in advance, which postpaid services cannot: the
        page opens on the top-up and offers no reactivation."""
        self.alice.isp_billing_type = "postpaid"
        self.request_link()
        path = self.link_path(self.alice)
        for query in ("", "?purpose=reactivate"):
            with self.subTest(query=query):
                response = self.url_open(f"{path}{query}")
                self.assertEqual(response.status_code, 200)
                self.assertIn("o_isp_topup_choice", response.text)
                self.assertNotIn("o_isp_link_reactivate", response.text)
                self.assertNotIn("Postpaid services", response.text)

    def test_a_link_pays_once(self):
        self.request_link()
        path = self.link_path(self.alice)
        __, error = self.pay_from(path)
        self.assertFalse(error)
        response = self.url_open(path)
        self.assertEqual(response.status_code, 410)
        self.assertIn("already used", response.text)
        # The form of a page opened before the first payment is refused too.
        __, error = self.json_call(
            f"{path}/transaction/reactivate/1",
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.demo_method.id,
                "flow": "direct",
                "amount": 30.0,
                "access_token": "x",
            },
        )
        self.assertIn("already used", error["message"])
        self.assertEqual(len(self.transactions(self.alice)), 1)

    def test_an_expired_link_is_refused(self):
        self.request_link()
        path = self.link_path(self.alice)
        page = self.url_open(f"{path}?purpose=reactivate").text
        route = page.split('data-transaction-route="')[1].split('"')[0]
        self.links(self.alice).expires_on = fields.Datetime.now() - timedelta(minutes=1)
        response = self.url_open(path)
        self.assertEqual(response.status_code, 410)
        self.assertIn("expired", response.text)
        self.assertNotIn("o_isp_amount_due", response.text)
        __, error = self.json_call(
            route,
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.demo_method.id,
                "flow": "direct",
                "amount": 30.0,
                "access_token": page.split('data-access-token="')[1].split('"')[0],
            },
        )
        self.assertIn("expired", error["message"])
        self.assertFalse(self.transactions(self.alice))
        self.assertFalse(self.links(self.alice).used_on)

    def test_a_forged_token_finds_nothing(self):
        self.request_link()
        for token in (secrets.token_urlsafe(32), "short", "x" * 300):
            with self.subTest(token=token):
                response = self.url_open(f"/isp/pay/{token}")
                self.assertEqual(response.status_code, 404)
                self.assertIn("not valid", response.text)
                self.assertNotIn("A*** W***", response.text)
                __, error = self.json_call(
                    f"/isp/pay/{token}/transaction/reactivate/1",
                    {"flow": "direct", "amount": 30.0},
                )
                self.assertIn("not valid", error["message"])
        self.assertFalse(self.transactions(self.alice))

    def test_a_tampered_amount_is_refused(self):
        self.request_link()
        path = self.link_path(self.alice)
        page = self.url_open(f"{path}?purpose=topup&amount=50").text
        access_token = page.split('data-access-token="')[1].split('"')[0]
        __, error = self.json_call(
            f"{path}/transaction/topup/1",
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.demo_method.id,
                "flow": "direct",
                "amount": 20.0,
                "access_token": access_token,
            },
        )
        self.assertIn("has changed", error["message"])
        self.assertFalse(self.transactions(self.alice))
        self.assertFalse(self.links(self.alice).used_on)

    def test_links_are_rate_limited_per_subscriber_and_per_address(self):
        self.company.write(
            {
                "isp_payment_link_max_requests": 2,
                "isp_payment_link_max_requests_address": 3,
            }
        )
        for __ in range(2):
            self.assertEqual(self.request_link().status_code, 200)
        response = self.request_link()
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many payment links", response.text)
        self.assertEqual(len(self.links(self.alice)), 2)
        self.assertEqual(len(self.link_mails(self.alice)), 2)
        # Another subscriber behind the same address: one more, then none.
        bob = self.lapsed_subscriber("Bob Walled", "bob@example.com")
        self.session.sudo().write({"partner_id": bob.id})
        self.assertEqual(self.request_link().status_code, 200)
        self.assertEqual(self.request_link().status_code, 429)
        self.assertEqual(len(self.links(bob)), 1)

    def test_an_unknown_address_gets_nothing(self):
        self.session.sudo().write({"framed_ip": "100.64.9.9"})
        page = self.url_open("/isp/suspended").text
        self.assertNotIn("o_isp_request_link", page)
        response = self.request_link()
        self.assertEqual(response.status_code, 403)
        self.assertIn("does not belong to a subscriber", response.text)
        self.assertFalse(self.links())
        self.assertFalse(self.link_mails(self.alice))

    def test_no_email_on_file_no_link(self):
        self.alice.email = False
        response = self.request_link()
        self.assertEqual(response.status_code, 400)
        self.assertIn("no e-mail address", response.text)
        self.assertFalse(self.links())

    # === REFILL CARD BY CUSTOMER NUMBER === #

    def make_card(self, code=CARD_CODE, value=25.0):
        batch = self.env["isp.refill.card.batch"].create(
            {
                "name": "WALLED",
                "company_id": self.company.id,
                "currency_id": self.currency.id,
                "value": value,
            }
        )
        return self.env["isp.refill.card"].sudo().create(
            {
                "batch_id": batch.id,
                "number": "WALLED-0001",
                "code_hash": refill_codes.code_hash(
                    self.env, refill_codes.normalize(code)
                ),
            }
        )

    def refill(self, number, code):
        return self.post_form("/isp/suspended/refill", number=number, code=code)

    def attempts(self):
        return self.env["isp.refill.attempt"].sudo().search([], order="id")

    def test_refill_by_customer_number(self):
        card = self.make_card(value=30.0)
        number = self.alice.isp_payment_reference
        # Typed without the prefix, the code in lower case: still found.
        response = self.refill(number.removeprefix("ISP-"), CARD_CODE.lower())
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_isp_refill_done", response.text)
        self.assertIn(number, response.text)
        self.assertNotIn("Alice", response.text)
        self.assertEqual(card.state, "redeemed")
        self.assertEqual(card.redeemed_partner_id, self.alice)
        self.assertTrue(card.payment_id)
        # The card's value paid the lapsed month: the service is back.
        self.assertStatus(self.alice, "active")
        self.assertBalance(self.alice, 0.0)
        self.assertEqual(self.attempts().mapped("result"), ["ok"])

    def refill_error(self, response):
        return re.search(
            r'o_isp_refill_error"[^>]*>(.*?)</div>', response.text, re.S
        ).group(1)

    def test_refill_with_a_wrong_number_or_code(self):
        """An unknown number and a known number with a wrong code get the same
        answer: the page does not tell which customer numbers exist."""
        card = self.make_card()
        unknown = self.refill("ISP-999999-0", CARD_CODE)
        wrong_code = self.refill(self.alice.isp_payment_reference, "AAAA-AAAA-AAAA-AAAA")
        for response in (unknown, wrong_code):
            self.assertEqual(response.status_code, 400)
            self.assertIn(
                "This customer number and code do not match", self.refill_error(response)
            )
        self.assertEqual(self.refill_error(unknown), self.refill_error(wrong_code))
        csrf = re.compile(r'name="csrf_token" value="[^"]*"')
        self.assertEqual(csrf.sub("", unknown.text), csrf.sub("", wrong_code.text))
        self.assertEqual(card.state, "available")
        self.assertBalance(self.alice, 0.0)
        self.assertStatus(self.alice, "blocked")
        self.assertEqual(
            self.attempts().mapped("result"), ["no_customer", "unknown"]
        )

    def redeem_from(self, address, number, code):
        """The suspended page's redemption from another ``address``."""
        Card = self.env["isp.refill.card"].with_user(self.env.ref("base.public_user"))
        return Card._isp_redeem_by_number(number, code, address)

    def test_wrong_codes_from_one_address_do_not_lock_a_customer_out(self):
        """Five wrong codes with Alice's number (the limit of a logged-in
        user) count against the sender's address, not against Alice."""
        self.make_card(value=30.0)
        number = self.alice.isp_payment_reference
        for __ in range(5):
            response = self.refill(number, "AAAA-AAAA-AAAA-AAAA")
            self.assertIn("do not match", response.text)
        payment, error = self.redeem_from("198.51.100.7", number, CARD_CODE)
        self.assertFalse(error)
        self.assertEqual(payment.partner_id, self.alice)
        self.assertMoney(payment.amount, 30.0)

    def test_wrong_refills_are_limited_per_address_and_customer(self):
        # The public page's company counts unknown numbers.
        self.env["res.company"].search([]).write(
            {"isp_refill_max_failures": 2, "isp_refill_max_failures_address": 3}
        )
        self.make_card()
        number = self.alice.isp_payment_reference
        # Wrong codes and wrong numbers count alike against the address.
        self.refill(number, "AAAA-AAAA-AAAA-AAAA")
        self.refill("ISP-999999-0", CARD_CODE)
        self.refill(number, "AAAA-AAAA-AAAA-AAAA")
        for typed in (number, "ISP-999998-2"):
            response = self.refill(typed, CARD_CODE)
            self.assertIn("Too many wrong codes", response.text)
        self.assertEqual(
            self.attempts().mapped("result"), ["unknown", "no_customer", "unknown"]
        )
        # The customer's own ceiling is 4 times the address's: 12 here, the
        # 2 above and 10 more from other addresses.
        for index in range(10):
            __, error = self.redeem_from(
                f"198.51.100.{index}", number, "AAAA-AAAA-AAAA-AAAA"
            )
            self.assertIn("do not match", error)
        __, error = self.redeem_from("203.0.113.1", number, CARD_CODE)
        self.assertIn("Too many wrong codes", error)
        # An unknown number from a fresh address is still only a mismatch.
        __, error = self.redeem_from("203.0.113.2", "ISP-999999-0", CARD_CODE)
        self.assertIn("do not match", error)
        self.assertBalance(self.alice, 0.0)
        self.assertStatus(self.alice, "blocked")


@tagged("post_install", "-at_install")
class TestPaymentLinkConcurrency(BaseCase):
    """Two payments started at once from one link (two browser tabs): only
    one gets it, on committed data and real concurrent transactions."""

    def test_a_link_is_taken_once(self):
        db = get_db_name()
        with sql_db.db_connect(db).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            link = env["isp.payment.link"].create(
                {
                    "partner_id": env.ref("base.partner_admin").id,
                    "company_id": env.ref("base.main_company").id,
                    "token_hash": f"race-{id(self)}",
                    "expires_on": fields.Datetime.now() + timedelta(minutes=10),
                }
            )
            link_id = link.id
            cr.commit()

        def take(env):
            return env["isp.payment.link"].browse(link_id)._isp_take()

        try:
            results = race_on_two_connections(self, take, "payment")
            self.assertEqual(sorted(results), [False, True])
        finally:
            with sql_db.db_connect(db).cursor() as cr:
                cr.execute("DELETE FROM isp_payment_link WHERE id = %s", [link_id])
                cr.commit()
