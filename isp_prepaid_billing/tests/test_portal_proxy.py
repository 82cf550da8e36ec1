# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import re
from urllib.parse import urlparse

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import config

from .common import IspPortalCase

SUBSCRIBER_ADDRESS = "100.64.7.7"
RECOGNISED = "o_isp_recognised"


@tagged("post_install", "-at_install")
class TestPortalBehindProxy(IspPortalCase, HttpCase):
    """Odoo in proxy mode takes the client's address from X-Forwarded-For,
    which anyone can send: only the configured proxies are believed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = cls.make_subscriber("Alice Proxy")
        contract = cls.make_subscription(cls.alice)
        cls.env["isp.radius.session"]._isp_record(
            cls.company,
            {
                "unique_id": "proxy-alice",
                "line_id": contract.contract_line_ids.id,
                "partner_id": cls.alice.id,
                "username": "alice-proxy",
                "framed_ip": SUBSCRIBER_ADDRESS,
            },
            "start",
        )
        cls.mallory = cls.make_subscriber("Mallory Proxy")
        cls.make_portal_user(cls.mallory, "mallory_proxy")

    def setUp(self):
        super().setUp()
        proxy_mode = config["proxy_mode"]
        config["proxy_mode"] = True
        self.addCleanup(config.__setitem__, "proxy_mode", proxy_mode)

    def forwarded_for(self, address):
        return {
            "X-Forwarded-For": address,
            "X-Forwarded-Host": urlparse(self.base_url()).netloc,
        }

    def trust_proxies(self, value):
        self.env["ir.config_parameter"].sudo().set_param(
            "isp_prepaid_billing.trusted_proxies", value
        )

    def test_a_spoofed_address_learns_nothing_on_the_suspended_page(self):
        # The test client connects straight to Odoo, from 127.0.0.1, and claims
        # to be a proxy forwarding the subscriber's address.
        headers = self.forwarded_for(SUBSCRIBER_ADDRESS)
        response = self.url_open("/isp/suspended", headers=headers)
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(RECOGNISED, response.text)
        self.trust_proxies("10.0.0.0/8, 192.0.2.1")
        response = self.url_open("/isp/suspended", headers=headers)
        self.assertNotIn(RECOGNISED, response.text)

    def test_a_configured_proxy_is_believed(self):
        self.trust_proxies("192.0.2.1, 127.0.0.0/8")
        headers = self.forwarded_for(SUBSCRIBER_ADDRESS)
        response = self.url_open("/isp/suspended", headers=headers)
        self.assertIn(RECOGNISED, response.text)
        response = self.url_open("/isp/suspended", headers=self.forwarded_for("100.64.7.8"))
        self.assertNotIn(RECOGNISED, response.text)

    def test_without_forwarding_the_connection_address_counts(self):
        self.env["isp.radius.session"].sudo().search(
            [("unique_id", "=", "proxy-alice")]
        ).framed_ip = "127.0.0.1"
        config["proxy_mode"] = False
        response = self.url_open("/isp/suspended")
        self.assertIn(RECOGNISED, response.text)
        self.assertIn(
            RECOGNISED,
            self.url_open("/isp/suspended", headers=self.forwarded_for("10.1.1.1")).text,
        )

    def test_wrong_refill_codes_count_against_the_real_address(self):
        self.authenticate("mallory_proxy", "mallory_proxy")
        page = self.url_open("/my/isp/refill").text
        csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = self.url_open(
            "/my/isp/refill",
            data={"code": "AAAA-AAAA-AAAA-AAAA", "csrf_token": csrf_token},
            headers=self.forwarded_for(SUBSCRIBER_ADDRESS),
        )
        self.assertIn("This code is not valid", response.text)
        attempt = self.env["isp.refill.attempt"].search(
            [("partner_id", "=", self.mallory.id)]
        )
        self.assertEqual(attempt.ip_address, "127.0.0.1")

    def test_trusted_proxies_must_be_addresses(self):
        with self.assertRaisesRegex(ValidationError, "proxy.example.com is not an IP"):
            self.env["res.config.settings"].create(
                {"isp_trusted_proxies": "127.0.0.1, proxy.example.com"}
            )
        settings = self.env["res.config.settings"].create(
            {"isp_trusted_proxies": "127.0.0.1, 10.0.0.0/8, ::1"}
        )
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].get_param(
                "isp_prepaid_billing.trusted_proxies"
            ),
            "127.0.0.1, 10.0.0.0/8, ::1",
        )
