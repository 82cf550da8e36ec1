# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import json
import re
from datetime import date
from urllib.parse import quote

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, freeze_time, tagged

from .common import IspPortalCase

HUGE = "99999999999999999999"
# What a subscriber must never see: a server error or the database talking.
LEAKS = ("Internal Server Error", "psycopg2", "SELECT", "syntax for type", "Traceback")


def error_of(page):
    """The error message the portal page shows, if any."""
    found = re.search(r'o_isp_error"[^>]*>([^<]*)<', page)
    return found.group(1).strip() if found else None


@freeze_time("2026-03-21")
@tagged("post_install", "-at_install")
class TestPortalInput(IspPortalCase, HttpCase):
    """Whatever a subscriber (or a script) sends to the /my/isp routes gets a
    clear answer: never a server error, never a database error."""

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
        cls.alice = cls.make_subscriber("Alice Input")
        cls.make_subscription(cls.alice, price=30.0, date_start="2026-03-01")
        cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": cls.alice.id,
                "amount": 30.0,
                "date": date(2026, 3, 1),
                "journal_id": cls.bank_journal.id,
            }
        ).action_post()
        cls.env["isp.billing.engine"]._execute(cls.alice, date(2026, 3, 1))
        cls.make_portal_user(cls.alice, "alice_input")
        cls.bob = cls.make_subscriber("Bob Input", billing_type="recurring")
        cls.make_subscription(cls.bob, price=30.0, date_start="2026-03-01")
        cls.env["isp.billing.engine"]._execute(cls.bob, date(2026, 3, 1))
        cls.bob_proforma = cls.env["isp.proforma"]._isp_create_for(
            cls.bob, date(2026, 3, 20)
        )

    def setUp(self):
        super().setUp()
        self.authenticate("alice_input", "alice_input")

    def assertNoLeak(self, text):
        for leak in LEAKS:
            self.assertNotIn(leak, text)

    def transactions(self):
        return self.env["payment.transaction"].sudo().search_count([])

    def pay_page(self, query):
        response = self.url_open(f"/my/isp/pay?{query}", allow_redirects=False)
        self.assertEqual(response.status_code, 200, query)
        self.assertNoLeak(response.text)
        return response.text

    def transaction(self, route, params):
        response = self.url_open(
            route,
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": 0, "params": params}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        error = response.json().get("error", {}).get("data", {})
        self.assertNoLeak(error.get("message", ""))
        return error

    def test_malformed_payment_page_input_gets_a_message(self):
        cases = [
            ("purpose=topup&amount=inf", "Enter the amount as a number"),
            ("purpose=topup&amount=-inf", "Enter the amount as a number"),
            ("purpose=topup&amount=nan", "Enter the amount as a number"),
            ("purpose=topup&amount=1e400", "Enter the amount as a number"),
            ("purpose=topup&amount=20%00", "Enter the amount as a number"),
            ("purpose=topup&amount=-20", "The smallest top-up is"),
            ("purpose=topup&amount=1e300", "The largest top-up is"),
            ("purpose=topup&amount=10000.01", "The largest top-up is"),
            ("purpose=topup&amount=20&currency_id=abc", "pay in that currency"),
            (f"purpose=topup&amount=20&currency_id={HUGE}", "pay in that currency"),
            ("purpose=prepay&periods=abc", "Choose between 1 and 12 periods"),
            ("purpose=prepay&periods=-1", "Choose between 1 and 12 periods"),
            (f"purpose=prepay&periods={HUGE}", "Choose between 1 and 12 periods"),
            ("purpose=prepay&periods=1.5", "Choose between 1 and 12 periods"),
            ("purpose=proforma&proforma_id=abc", "There is no such proforma to pay"),
            (f"purpose=proforma&proforma_id={HUGE}", "There is no such proforma to pay"),
            ("purpose=proforma&proforma_id=-3", "There is no such proforma to pay"),
        ]
        for query, message in cases:
            with self.subTest(query=query):
                page = self.pay_page(query)
                self.assertIn(message, error_of(page) or "")
                self.assertNotIn("data-transaction-route", page)
        self.assertEqual(self.transactions(), 0)

    def test_the_largest_top_up_is_still_offered(self):
        page = self.pay_page("purpose=topup&amount=10000")
        self.assertIsNone(error_of(page))
        self.assertIn('data-transaction-route="/my/isp/transaction/topup/0/0/', page)
        self.assertIn('max="10000.0"', page)
        page = self.pay_page("purpose=prepay&periods=12")
        self.assertIsNone(error_of(page))

    def test_malformed_transaction_input_is_refused_with_a_message(self):
        route, params = self.offer_of(self.pay_page("purpose=topup&amount=20"))
        offer = route.removeprefix("/my/isp/transaction/topup/0/0")
        cases = [
            {"provider_id": "abc"},
            {"provider_id": HUGE},
            {"provider_id": int(HUGE)},
            {"provider_id": [self.provider.id]},
            {"provider_id": None},
            {"payment_method_id": "abc"},
            {"payment_method_id": int(HUGE)},
            {"flow": "token", "token_id": "abc"},
            {"flow": "token", "token_id": int(HUGE)},
            {"flow": "token", "token_id": {"id": 1}},
            {"flow": "nonsense"},
            {"flow": ["direct"]},
            {"amount": "inf"},
            {"amount": 1e308 * 10},
            {"amount": [20.0]},
            {"amount": {"value": 20}},
            {"amount": True},
            {"currency_id": "abc"},
            {"currency_id": [1]},
            {"access_token": ["x"]},
            {"access_token": None},
            {"is_validation": True},
        ]
        for extra in cases:
            with self.subTest(extra=extra):
                error = self.transaction(route, {**params, **extra})
                self.assertIn(
                    error.get("name"),
                    ("odoo.exceptions.ValidationError", "odoo.exceptions.UserError"),
                    error.get("message"),
                )
        for bad_route in (
            f"/my/isp/transaction/topup/{HUGE}/0{offer}",
            f"/my/isp/transaction/topup/0/{HUGE}{offer}",
            f"/my/isp/transaction/nonsense/0/0{offer}",
            f"/my/isp/transaction/{quote('topup%00')}/0/0{offer}",
        ):
            with self.subTest(route=bad_route):
                error = self.transaction(bad_route, params)
                self.assertEqual(error.get("name"), "odoo.exceptions.ValidationError")
        self.assertEqual(self.transactions(), 0)

    def test_a_missing_or_foreign_proforma_gets_the_same_answer(self):
        missing = self.env["isp.proforma"].sudo().search([], order="id desc", limit=1)
        missing_id = missing.id + 1000
        foreign_id = self.bob_proforma.id
        for query in (
            "purpose=proforma&proforma_id={}",
            "purpose=topup&amount=20&proforma_id={}",
            "purpose=prepay&periods=1&proforma_id={}",
        ):
            with self.subTest(query=query):
                answers = []
                for proforma_id in (missing_id, foreign_id):
                    page = self.pay_page(query.format(proforma_id))
                    route = re.search(r'data-transaction-route="([^"]*)"', page)
                    token = re.search(r'data-access-token="([^"]*)"', page)
                    # Each page has its own single-use token: compare the rest.
                    answers.append(
                        (
                            error_of(page),
                            route and route.group(1).rsplit("/", 2)[0],
                            bool(token),
                        )
                    )
                self.assertEqual(answers[0], answers[1])
        for purpose in ("proforma", "topup"):
            with self.subTest(purpose=purpose):
                answers = [
                    self.transaction(
                        f"/my/isp/transaction/{purpose}/0/{proforma_id}"
                        "/0123456789abcdef0123456789abcdef/4102444800",
                        {"amount": 20.0, "access_token": "x", "flow": "direct"},
                    ).get("message")
                    for proforma_id in (missing_id, foreign_id)
                ]
                self.assertEqual(answers[0], answers[1])

    def test_malformed_reactivation_and_refill_input_gets_a_message(self):
        page = self.url_open("/my/isp/refill").text
        csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        for periods in ("abc", "-1", HUGE, "0"):
            with self.subTest(periods=periods):
                response = self.url_open(
                    "/my/isp/reactivate",
                    data={"periods": periods, "csrf_token": csrf_token},
                    allow_redirects=False,
                )
                self.assertEqual(response.status_code, 200)
                self.assertNoLeak(response.text)
                self.assertIn("Choose between 1 and 12 periods", error_of(response.text))
        for code in ("\x00" * 20, "A" * 5000, "ÀÀÀÀ-ÀÀÀÀ-ÀÀÀÀ-ÀÀÀÀ"):
            with self.subTest(code=code[:20]):
                response = self.url_open(
                    "/my/isp/refill",
                    data={"code": code, "csrf_token": csrf_token},
                    allow_redirects=False,
                )
                self.assertEqual(response.status_code, 200)
                self.assertIn("This code is not valid", error_of(response.text))

    def test_the_top_up_maximum_is_a_company_setting(self):
        self.assertEqual(self.company.isp_topup_maximum, 10000.0)
        settings = self.env["res.config.settings"].create({"isp_topup_maximum": 500.0})
        settings.execute()
        self.assertEqual(self.company.isp_topup_maximum, 500.0)
        self.assertIn("The largest top-up is", error_of(self.pay_page("purpose=topup&amount=501")))
        for values in (
            {"isp_topup_maximum": 4.0},  # below the minimum top-up (5)
            {"isp_topup_maximum": 500.0, "isp_topup_amounts": "10, 600"},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.company.write(values)
