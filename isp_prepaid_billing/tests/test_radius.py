# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import base64
import hashlib
import json
import socket
import threading

from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api, fields, sql_db
from odoo.tests import BaseCase, HttpCase, get_db_name, tagged

from ..tools import radius_packet
from .common import IspPortalCase
from .freeradius import FreeRadius, free_port

API_USER = "radius-test"
API_KEY = "k3y-for-the-radius-api"
NAS_SECRET = "nas-secret"
REAL_SEND = radius_packet.send


class DisconnectPeer:
    """A router's CoA port on loopback: records the Disconnect- and
    CoA-Requests it gets and answers them, signed with the shared secret:
    ACK by default, or what ``answers`` says for a request code
    (``{code: (reply code, attribute bytes)}``)."""

    def __init__(self, secret):
        self.secret = secret
        self.answers = {
            radius_packet.DISCONNECT_REQUEST: (radius_packet.DISCONNECT_ACK, b""),
            radius_packet.COA_REQUEST: (radius_packet.COA_ACK, b""),
        }
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                data, address = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            code, identifier, length = data[0], data[1], int.from_bytes(data[2:4])
            body = data[20:length]
            signed = hashlib.md5(
                data[:4] + bytes(16) + body + self.secret.encode()
            ).digest()
            pairs = radius_packet.decode_attributes(body)
            self.received.append(
                {
                    "code": code,
                    "valid": signed == data[4:20],
                    "attributes": dict(pairs),
                    "pairs": pairs,
                }
            )
            reply_code, reply_attributes = self.answers[code]
            header = bytes([reply_code, identifier]) + (
                20 + len(reply_attributes)
            ).to_bytes(2)
            authenticator = hashlib.md5(
                header + data[4:20] + reply_attributes + self.secret.encode()
            ).digest()
            self.sock.sendto(header + authenticator + reply_attributes, address)

    def stop(self):
        self.stopping.set()
        self.thread.join(2)
        self.sock.close()


@tagged("post_install", "-at_install")
class RadiusCase(IspPortalCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sudo().write(
            {"isp_radius_api_user": API_USER, "isp_radius_api_key": API_KEY}
        )
        cls.nas = cls.env["isp.radius.nas"].create(
            {
                "name": "Loopback router",
                "ip_address": "127.0.0.1",
                "secret": NAS_SECRET,
                "company_id": cls.company.id,
            }
        )
        cls.profile = cls.env["isp.network.profile"].create(
            {
                "name": "Fibre 100",
                "company_id": cls.company.id,
                "rate_limit": "20M/100M",
                "ip_pool": "fibre",
                "session_timeout": 86400,
                "extra_attributes": "Acct-Interim-Interval = 300",
            }
        )
        cls.plan.product_tmpl_id.with_company(cls.company).isp_network_profile_id = (
            cls.profile
        )

    def setUp(self):
        super().setUp()
        self.today = fields.Date.context_today(self.env.user)

    def subscriber(self, login, status="active"):
        """A prepaid subscriber with network login ``login`` (password pw-login):
        active (paid this month), blocked (month lapsed unpaid) or inactive."""
        customer = self.make_subscriber(login.title())
        started = self.today - relativedelta(months=1 if status != "active" else 0)
        subscription = self.make_subscription(customer, price=30.0, date_start=started)
        subscription.contract_line_ids.write(
            {"isp_radius_username": login, "isp_radius_password": f"pw-{login}"}
        )
        self.pay(customer, 30.0, started)
        self.run_engine(customer, started)
        self.run_engine(customer, self.today)
        if status == "inactive":
            customer._isp_set_status("inactive", "test", self.today)
        self.assertStatus(customer, status)
        return customer

    def open_session(self, customer, login, ip):
        return self.env["isp.radius.session"]._isp_record(
            self.company,
            {
                "unique_id": f"u-{login}",
                "line_id": customer.isp_contract_ids.contract_line_ids.id,
                "partner_id": customer.id,
                "username": login,
                "session_id": f"S-{login}",
                "nas_ip": "127.0.0.1",
                "framed_ip": ip,
            },
            "start",
        )

    def post(self, route, body, user=API_USER, key=API_KEY, raw=None):
        token = base64.b64encode(f"{user}:{key}".encode()).decode()
        return self.url_open(
            route,
            data=raw if raw is not None else json.dumps(body),
            headers={
                "Authorization": f"Basic {token}",
                "Content-Type": "application/json",
            },
        )


class TestRadiusWithFreeRadius(RadiusCase):
    """FreeRADIUS started by the test on loopback, asking this Odoo through
    rlm_rest; radclient plays the router."""

    def setUp(self):
        super().setUp()
        self.radius = FreeRadius(self.base_url(), API_USER, API_KEY, NAS_SECRET)
        missing = self.radius.missing()
        self.assertFalse(
            missing, f"{missing} is not installed (scripts/run-tests.sh installs it)"
        )
        self.radius.start()
        self.addCleanup(self.radius.stop)

    def auth(self, login, password, chap=False):
        self.env.flush_all()  # FreeRADIUS reaches the server outside url_open
        password_attribute = "CHAP-Password" if chap else "User-Password"
        return self.radius.radclient(
            "auth",
            {
                "User-Name": f'"{login}"',
                password_attribute: f'"{password}"',
                "NAS-IP-Address": "127.0.0.1",
            },
        )

    def test_authorize_active_blocked_inactive_and_unknown(self):
        self.subscriber("active1")
        self.subscriber("blocked1", "blocked")
        self.subscriber("inactive1", "inactive")

        code, reply = self.auth("active1", "pw-active1")
        self.assertEqual(code, "Access-Accept", self.radius.output())
        self.assertEqual(reply.get("Mikrotik-Rate-Limit"), "20M/100M")
        self.assertEqual(reply.get("Framed-Pool"), "fibre")
        self.assertEqual(reply.get("Session-Timeout"), "86400")
        self.assertEqual(reply.get("Acct-Interim-Interval"), "300")
        self.assertNotIn("Cleartext-Password", reply)

        code, __ = self.auth("active1", "pw-active1", chap=True)
        self.assertEqual(code, "Access-Accept", "CHAP works with the stored password")
        code, __ = self.auth("active1", "wrong")
        self.assertEqual(code, "Access-Reject")

        code, reply = self.auth("blocked1", "pw-blocked1")
        self.assertEqual(code, "Access-Accept")
        self.assertEqual(reply.get("Framed-Pool"), "suspended")
        self.assertEqual(reply.get("Mikrotik-Address-List"), "blocked")
        self.assertNotIn("Mikrotik-Rate-Limit", reply)

        code, reply = self.auth("inactive1", "pw-inactive1")
        self.assertEqual(code, "Access-Reject")
        self.assertEqual(reply.get("Reply-Message"), "Service deactivated.")
        code, reply = self.auth("nobody", "x")
        self.assertEqual(code, "Access-Reject")

        self.company.isp_radius_blocked_mode = "reject"
        code, reply = self.auth("blocked1", "pw-blocked1")
        self.assertEqual(code, "Access-Reject")
        self.assertIn("suspended", reply.get("Reply-Message", ""))

    def test_accounting_is_stored_once(self):
        customer = self.subscriber("acct1")
        base = {
            "User-Name": '"acct1"',
            "NAS-IP-Address": "127.0.0.1",
            "Acct-Session-Id": '"81a00001"',
            "Framed-IP-Address": "10.20.0.9",
        }
        steps = [
            {"Acct-Status-Type": "Start"},
            {
                "Acct-Status-Type": "Interim-Update",
                "Acct-Session-Time": 300,
                "Acct-Input-Octets": 1000,
                "Acct-Output-Octets": 5000,
            },
            # A retransmission of the same interim record.
            {
                "Acct-Status-Type": "Interim-Update",
                "Acct-Session-Time": 300,
                "Acct-Input-Octets": 1000,
                "Acct-Output-Octets": 5000,
            },
        ]
        self.env.flush_all()
        for step in steps:
            code, __ = self.radius.radclient("acct", {**base, **step})
            self.assertEqual(code, "Accounting-Response", self.radius.output())
        Session = self.env["isp.radius.session"]
        session = Session.search([("username", "=", "acct1")])
        self.assertEqual(len(session), 1)
        self.assertEqual(session.state, "open")
        self.assertEqual(session.partner_id, customer)
        self.assertEqual(session.framed_ip, "10.20.0.9")
        self.assertEqual(session.output_bytes, 5000)

        code, __ = self.radius.radclient(
            "acct",
            {
                **base,
                "Acct-Status-Type": "Stop",
                "Acct-Session-Time": 600,
                "Acct-Input-Octets": 4000,
                "Acct-Output-Octets": 9000,
                "Acct-Terminate-Cause": "User-Request",
            },
        )
        self.assertEqual(code, "Accounting-Response")
        session.invalidate_recordset()
        self.assertEqual(Session.search_count([("username", "=", "acct1")]), 1)
        self.assertEqual(session.state, "closed")
        self.assertEqual(
            (session.session_time, session.input_bytes, session.output_bytes),
            (600, 4000, 9000),
        )
        self.assertEqual(session.terminate_cause, "User-Request")
        # A late interim record does not reopen it.
        self.radius.radclient("acct", {**base, **steps[1]})
        session.invalidate_recordset()
        self.assertEqual(session.state, "closed")


class TestRadiusDisconnect(RadiusCase):
    def test_a_payment_that_reactivates_sends_a_disconnect_request(self):
        peer = DisconnectPeer(NAS_SECRET)
        self.addCleanup(peer.stop)
        self.nas.coa_port = peer.port
        customer = self.subscriber("late1", "blocked")
        self.open_session(customer, "late1", "10.66.0.5")

        tx = self.start_online_payment(customer, "topup", amount=30.0)
        self.provider_says(tx)

        self.assertStatus(customer, "active")
        request = self.env["isp.radius.disconnect"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(
            request.state, "pending", "sent only once the payment is committed"
        )
        self.assertFalse(peer.received)
        self.env.cr.postcommit.run()  # what the commit of the request does
        request.invalidate_recordset()
        self.assertEqual(request.state, "done", request.last_error)
        self.assertEqual(len(peer.received), 1)
        packet = peer.received[0]
        self.assertEqual(packet["code"], radius_packet.DISCONNECT_REQUEST)
        self.assertTrue(packet["valid"], "signed with the NAS secret")
        self.assertEqual(packet["attributes"][radius_packet.USER_NAME], b"late1")
        self.assertEqual(
            packet["attributes"][radius_packet.ACCT_SESSION_ID], b"S-late1"
        )

    def test_an_unreachable_router_is_retried_then_given_up(self):
        self.nas.coa_port = free_port()  # nobody listens there
        customer = self.subscriber("gone1")
        self.open_session(customer, "gone1", "10.66.0.6")
        customer._isp_set_status("blocked", "test", self.today)
        request = (
            self.env["isp.radius.disconnect"]
            .sudo()
            .search([("partner_id", "=", customer.id)])
        )
        self.patch(radius_packet, "send", self._send_fast)
        for attempt in range(1, 6):
            request._isp_send()
            self.assertEqual(request.attempts, attempt)
        self.assertEqual(request.state, "failed")
        self.assertTrue(request.last_error)

    @staticmethod
    def _send_fast(host, port, packet, secret, timeout=2.0, tries=2):
        # The real UDP exchange, with a short wait so the test stays quick.
        return REAL_SEND(host, port, packet, secret, timeout=0.05, tries=1)


class TestRadiusEndpoints(RadiusCase):
    """Bad input to the endpoints: a clear status, nothing written, nothing
    leaked. Plain HTTP, no FreeRADIUS needed."""

    def request_body(self, **attributes):
        return {
            name: {"type": "string", "value": [value]}
            for name, value in attributes.items()
        }

    def test_bad_requests_are_refused_and_write_nothing(self):
        self.subscriber("safe1")
        good = self.request_body(
            **{"User-Name": "safe1", "NAS-IP-Address": "127.0.0.1"}
        )
        sessions_before = self.env["isp.radius.session"].search_count([])
        cases = [
            ("wrong key", dict(body=good, key="wrong-key-wrong-key"), 403),
            ("unknown user", dict(body=good, user="someone"), 403),
            ("malformed JSON", dict(body=None, raw="{not json"), 400),
            ("not an object", dict(body=[1, 2]), 400),
            (
                "no User-Name",
                dict(body=self.request_body(**{"NAS-IP-Address": "127.0.0.1"})),
                400,
            ),
            (
                "unknown NAS",
                dict(
                    body=self.request_body(
                        **{"User-Name": "safe1", "NAS-IP-Address": "192.0.2.1"}
                    )
                ),
                403,
            ),
            ("oversize", dict(body=None, raw="x" * (70 * 1024)), 413),
        ]
        for route in ("/isp/radius/authorize", "/isp/radius/accounting"):
            for label, args, status in cases:
                with self.subTest(route=route, case=label):
                    response = self.post(route, **args)
                    self.assertEqual(response.status_code, status)
                    self.assertNotIn("pw-safe1", response.text)
                    self.assertNotIn("Safe1", response.text)
        response = self.post(
            "/isp/radius/accounting",
            self.request_body(
                **{
                    "User-Name": "safe1",
                    "NAS-IP-Address": "127.0.0.1",
                    "Acct-Status-Type": "Start",
                }
            ),
        )
        self.assertEqual(response.status_code, 400, "no Acct-Session-Id")
        self.assertEqual(
            self.env["isp.radius.session"].search_count([]), sessions_before
        )
        # The good request itself works and returns the password only to FreeRADIUS.
        response = self.post("/isp/radius/authorize", good)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json()["control:Cleartext-Password"]["value"], "pw-safe1"
        )

    def test_authorize_reads_on_a_read_only_cursor_accounting_writes_at_once(self):
        """Authorize runs on a read-only cursor (the replica when Odoo has
        one); accounting goes to the primary first, not after a failed write."""
        self.subscriber("ro1")
        seen = {}
        decision = type(self.env["contract.line"])._isp_radius_decision

        def spy(line, date):
            seen["readonly"] = line.env.cr.readonly
            return decision(line, date)

        self.patch(type(self.env["contract.line"]), "_isp_radius_decision", spy)
        body = self.request_body(**{"User-Name": "ro1", "NAS-IP-Address": "127.0.0.1"})
        self.assertEqual(self.post("/isp/radius/authorize", body).status_code, 200)
        self.assertIs(seen["readonly"], True)

        body["Acct-Status-Type"] = {"type": "integer", "value": ["Start"]}
        body["Acct-Session-Id"] = {"type": "string", "value": ["ro-1"]}
        with self.assertNoLogs("odoo.http", "WARNING"):
            response = self.post("/isp/radius/accounting", body)
        self.assertEqual(response.status_code, 204)
        self.assertEqual(
            self.env["isp.radius.session"].search_count([("username", "=", "ro1")]), 1
        )

    def test_address_list_of_blocked_subscribers(self):
        blocked = self.subscriber("bl1", "blocked")
        active = self.subscriber("ok1")
        self.open_session(blocked, "bl1", "10.9.0.7")
        self.open_session(active, "ok1", "10.9.0.8")
        token = base64.b64encode(f"{API_USER}:{API_KEY}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}
        plain = self.url_open("/isp/radius/address-list", headers=headers).text
        self.assertEqual(plain.split(), ["10.9.0.7"])
        script = self.url_open(
            "/isp/radius/address-list?format=mikrotik", headers=headers
        ).text
        self.assertIn('/ip firewall address-list remove [find list="blocked"]', script)
        self.assertIn(
            '/ip firewall address-list add list="blocked" address=10.9.0.7', script
        )
        self.assertNotIn("10.9.0.8", script)
        response = self.url_open("/isp/radius/address-list")
        self.assertEqual(response.status_code, 403)

    def test_walled_garden_recognises_the_connection_without_revealing_it(self):
        customer = self.subscriber("wg1", "blocked")
        page = self.url_open("/isp/suspended").text
        self.assertNotIn("belongs to a subscriber account", page)
        self.open_session(customer, "wg1", "127.0.0.1")
        page = self.url_open("/isp/suspended").text
        self.assertIn("belongs to a subscriber account", page)
        self.assertIn("/web/login?redirect=/my/isp", page)
        for secret in ("Wg1", "wg1", "30.00"):
            self.assertNotIn(secret, page)


@tagged("post_install", "-at_install")
class TestAuthorizeDuringBilling(BaseCase):
    """Authorize only reads committed data: while a billing batch holds its
    customer's rows locked (``_lock_partners``, then writes to the subscription),
    a login on another connection is still answered at once."""

    def test_authorize_answers_while_billing_holds_the_customer(self):
        db = get_db_name()
        tag = f"lock-{id(self)}"
        with sql_db.db_connect(db).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            product = env["product.product"].create({"name": tag, "type": "service"})
            partner = env["res.partner"].create(
                {
                    "name": tag,
                    "isp_billing_enabled": True,
                    "isp_billing_type": "prepaid",
                    "isp_company_id": company.id,
                    "isp_status": "active",
                }
            )
            contract = env["contract.contract"].create(
                {
                    "name": tag,
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "date_start": "2026-01-01",
                    "contract_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": tag,
                                "quantity": 1,
                                "price_unit": 10.0,
                                "isp_radius_username": tag,
                                "isp_radius_password": "pw",
                            }
                        )
                    ],
                }
            )
            ids = {
                "partner": partner.id,
                "contract": contract.id,
                "product": product.id,
            }
            cr.commit()
        locked, release = threading.Event(), threading.Event()

        def billing_batch():
            with sql_db.db_connect(db).cursor() as cr:
                cr.execute(
                    "SELECT id FROM res_partner WHERE id = %s FOR NO KEY UPDATE",
                    [ids["partner"]],
                )
                cr.execute(
                    "UPDATE contract_contract SET isp_charged_until = '2026-01-31' WHERE id = %s",
                    [ids["contract"]],
                )
                locked.set()
                release.wait(20)
                cr.rollback()

        batch = threading.Thread(target=billing_batch)
        batch.start()
        try:
            self.assertTrue(locked.wait(10))
            with sql_db.db_connect(db).cursor() as cr:
                cr.execute(
                    "SET LOCAL statement_timeout = 2000"
                )  # a blocked read fails here
                env = api.Environment(cr, SUPERUSER_ID, {})
                line = env["contract.line"]._isp_radius_line(
                    env.ref("base.main_company"), tag
                )
                status, body = line._isp_radius_decision(fields.Date.today())
            self.assertEqual(status, 200)
            self.assertEqual(body["control:Cleartext-Password"]["value"], "pw")
        finally:
            release.set()
            batch.join(30)
            with sql_db.db_connect(db).cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["contract.contract"].browse(ids["contract"]).unlink()
                env["res.partner"].browse(ids["partner"]).unlink()
                env["product.product"].browse(ids["product"]).unlink()
                cr.commit()
