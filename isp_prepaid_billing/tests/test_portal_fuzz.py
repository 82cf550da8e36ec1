# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import json
import random
import re
from urllib.parse import quote, urlencode

from odoo.tests import HttpCase, tagged

from .common import IspPortalCase

SEED = 20260321
REQUESTS = 300
TEXT_VALUES = [
    "inf",
    "-inf",
    "nan",
    "NaN",
    "1e400",
    "1e300",
    "-1e300",
    "99999999999999999999",
    "2147483648",
    "-2147483649",
    "-1",
    "0",
    "1",
    "12",
    "13",
    "20",
    "20.005",
    "1.5",
    "abc",
    "\x00",
    "20\x00",
    "' OR 1=1 --",
    "%s",
    "{}",
    "[1]",
    "topup",
    "proforma",
    "ÀÉÎ",
    " ",
    "",
    "A" * 4000,
]
JSON_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    2**70,
    -(2**70),
    1.5,
    1e308,
    [1],
    [],
    {"id": 1},
    {},
    *TEXT_VALUES,
]
PURPOSES = ["topup", "prepay", "reactivate", "proforma", "nonsense", "", "\x00"]
QUERY_KEYS = ["purpose", "amount", "periods", "proforma_id", "currency_id", "code"]
FORM_KEYS = [
    "provider_id",
    "payment_method_id",
    "token_id",
    "amount",
    "currency_id",
    "flow",
    "tokenization_requested",
    "landing_route",
    "is_validation",
    "access_token",
    "unexpected",
]


@tagged("post_install", "-at_install")
class TestPortalFuzz(IspPortalCase, HttpCase):
    """A few hundred random requests (fixed seed) to the portal routes, logged
    in and anonymous: every answer is a page, a redirect or a refusal (never a
    server error), and no money moves."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = cls.make_subscriber("Alice Fuzz")
        cls.make_subscription(cls.alice, price=30.0)
        cls.make_portal_user(cls.alice, "alice_fuzz")

    def value(self, rng):
        return rng.choice(TEXT_VALUES)

    def query(self, rng, keys):
        """Random query parameters; a repeated key sends an array."""
        return [
            (key, self.value(rng))
            for key in rng.sample(keys, rng.randint(0, len(keys)))
            for __ in range(rng.choice((1, 1, 1, 2)))
        ]

    @staticmethod
    def get(path, params=()):
        return "GET", f"{path}?{urlencode(list(params))}", None, None

    def random_request(self, rng, csrf_token):
        """``(method, url, data, headers)`` of one random portal request."""
        some_id = rng.choice(["1", "7", "0", "99999999999999999999", "abc", "-1"])
        kind = rng.randrange(8)
        if kind == 0:
            return self.get("/my/isp", self.query(rng, QUERY_KEYS))
        if kind == 1:
            params = self.query(rng, QUERY_KEYS)
            params.append(("purpose", rng.choice(PURPOSES)))
            return self.get("/my/isp/pay", params)
        if kind == 2:
            # No NUL in the path: Odoo's own 404 fallback answers a path with a NUL
            # that matches no route with a server error (it looks the path up as an
            # attachment URL), whatever the module.
            purpose = quote(rng.choice(PURPOSES[:-1]), safe="")
            path = (
                f"/my/isp/transaction/{purpose}/{some_id}/{rng.choice(['0', '1', some_id])}"
                f"/{rng.choice(['0' * 32, 'x', some_id])}/{rng.choice(['0', '4102444800', some_id])}"
            )
            params = {
                key: rng.choice(JSON_VALUES)
                for key in rng.sample(FORM_KEYS, rng.randint(0, len(FORM_KEYS)))
            }
            body = {"jsonrpc": "2.0", "method": "call", "id": 0, "params": params}
            if rng.random() < 0.1:
                body = rng.choice([[], "x", {"params": []}, {"params": "x"}])
            return "POST", path, json.dumps(body), {"Content-Type": "application/json"}
        if kind in (3, 4):
            route = "/my/isp/reactivate" if kind == 3 else "/my/isp/refill"
            data = dict(self.query(rng, ["periods", "code", "amount"]))
            if rng.random() < 0.8:
                data["csrf_token"] = csrf_token
            return "POST", route, data, None
        if kind == 5:
            return self.get(f"/my/isp/receipt/{some_id}")
        if kind == 6:
            params = [
                ("access_token", self.value(rng)),
                ("report_type", rng.choice(["html", "text", "nonsense", ""])),
                ("download", self.value(rng)),
            ]
            return self.get(f"/my/isp/proforma/{some_id}", params)
        return self.get("/isp/suspended", self.query(rng, QUERY_KEYS))

    def written(self):
        return {
            model: self.env[model].sudo().search_count([])
            for model in ("payment.transaction", "account.payment", "account.move")
        }

    def test_random_portal_requests_get_no_server_error_and_write_nothing(self):
        rng = random.Random(SEED)
        before = self.written()
        self.authenticate("alice_fuzz", "alice_fuzz")
        page = self.url_open("/my/isp/refill").text
        csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        for number in range(REQUESTS):
            if number == REQUESTS // 2:
                self.logout()
            method, url, data, headers = self.random_request(rng, csrf_token)
            response = self.opener.request(
                method,
                self.base_url() + url,
                data=data,
                headers=headers,
                timeout=12,
                allow_redirects=False,
            )
            with self.subTest(number=number, method=method, url=url[:200]):
                self.assertLess(response.status_code, 500, str(data)[:500])
                self.assertNotIn("psycopg2", response.text)
        self.assertEqual(self.written(), before)
