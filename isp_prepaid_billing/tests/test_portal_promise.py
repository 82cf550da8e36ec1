# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""A blocked subscriber promises to pay from /my/isp, over HTTP."""

import re
from urllib.parse import urlparse
from datetime import date

from odoo.tests import HttpCase, freeze_time, tagged

from .common import IspPortalCase


def error_of(page):
    found = re.search(r'o_isp_error"[^>]*>([^<]*)<', page)
    return found.group(1).strip() if found else None


@freeze_time("2026-04-17")
@tagged("post_install", "-at_install")
class TestPortalPromise(IspPortalCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"isp_promise_days": 5, "isp_promise_gap_days": 30})
        cls.alice = cls.blocked_customer("Alice Promise")
        cls.bob = cls.blocked_customer("Bob Promise")
        cls.carol = cls.make_subscriber("Carol Active", billing_type="recurring")
        cls.make_subscription(cls.carol, price=100.0, date_start="2026-04-01")
        cls.make_portal_user(cls.alice, "alice_promise")
        cls.make_portal_user(cls.carol, "carol_promise")

    @classmethod
    def blocked_customer(cls, name):
        customer = cls.make_subscriber(name, billing_type="recurring")
        cls.make_subscription(customer, price=100.0, date_start="2026-04-01")
        engine = cls.env["isp.billing.engine"]
        engine._execute(customer, date(2026, 4, 1))
        engine._apply_status(engine._plan_status(customer, date(2026, 4, 16)), date(2026, 4, 16))
        assert customer.isp_status == "blocked"
        return customer

    def page(self, url, status=200):
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, status, url)
        self.assertNotIn("Traceback", response.text)
        return response.text

    def csrf(self):
        page = self.page("/my/isp/refill")
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def promise(self, status=303, **data):
        response = self.url_open(
            "/my/isp/promise",
            data={"csrf_token": self.csrf(), **data},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, status, response.text[:300])
        self.assertNotIn("Traceback", response.text)
        return response

    def snapshot(self):
        self.env.invalidate_all()
        promises = self.env["isp.payment.promise"].search([])
        return (
            [(p.partner_id.id, p.state) for p in promises],
            [(c.id, c.isp_status) for c in self.alice | self.bob | self.carol],
        )

    def test_the_subscriber_promises_from_the_portal_and_is_reconnected(self):
        self.authenticate("alice_promise", "alice_promise")
        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.alice.id), ("isp_is_billing", "=", True)]
        )
        page = self.page("/my/isp")
        self.assertIn('href="/my/isp/promise"', page)
        terms = self.page("/my/isp/promise")
        self.assertIn(invoice.name, terms)
        self.assertIn("04/21/2026", terms)
        self.assertFalse(self.alice.isp_promise_ids, "showing the terms writes nothing")

        response = self.promise()

        self.assertEqual(urlparse(response.headers["Location"]).path, "/my/isp")
        promise = self.alice.isp_promise_ids
        self.assertEqual(promise.state, "active")
        self.assertEqual(promise.source, "portal")
        self.assertEqual(promise.user_id.login, "alice_promise")
        self.assertEqual(promise.move_id, invoice)
        self.assertEqual(promise.date_to, date(2026, 4, 21))
        self.assertStatus(self.alice, "active", "2026-04-17")
        page = self.page("/my/isp")
        self.assertIn(
            "You promised to pay by 04/21/2026; your service runs until then.", page
        )
        self.assertNotIn('href="/my/isp/promise"', page)

        before = self.snapshot()
        response = self.promise(status=400)
        self.assertIn("not blocked", error_of(response.text))
        self.assertEqual(self.snapshot(), before)

    def test_a_second_promise_for_the_same_invoice_is_refused(self):
        self.env["isp.payment.promise"]._isp_grant(
            self.alice, date(2026, 4, 16), 1, "staff"
        )
        self.alice._isp_set_status("blocked", "lapsed", date(2026, 4, 17))
        self.authenticate("alice_promise", "alice_promise")
        self.assertNotIn('href="/my/isp/promise"', self.page("/my/isp"))
        before = self.snapshot()

        response = self.promise(status=400)

        self.assertIn("was already made on 04/16/2026", error_of(response.text))
        self.assertEqual(self.snapshot(), before)

    def test_a_promise_for_another_customer_is_refused(self):
        self.authenticate("alice_promise", "alice_promise")
        before = self.snapshot()
        for data in (
            {"partner_id": self.bob.id},
            {"customer_id": str(self.bob.id)},
            {"contract_id": self.bob.isp_contract_ids.id},
            {"partner_id": "abc"},
        ):
            with self.subTest(data=data):
                response = self.promise(status=403, **data)
                self.assertIn("your own service", error_of(response.text))
        self.assertEqual(self.snapshot(), before)

    def test_another_customers_portal_user_cannot_promise_for_them(self):
        self.authenticate("carol_promise", "carol_promise")
        before = self.snapshot()
        response = self.promise(status=403, partner_id=self.alice.id)
        self.assertIn("your own service", error_of(response.text))
        response = self.promise(status=400)
        self.assertIn("not blocked", error_of(response.text))
        self.assertEqual(self.snapshot(), before)
        self.assertStatus(self.alice, "blocked")

    def test_a_promise_without_the_csrf_token_is_refused(self):
        self.authenticate("alice_promise", "alice_promise")
        before = self.snapshot()
        response = self.url_open(
            "/my/isp/promise", data={"x": "1"}, allow_redirects=False
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.snapshot(), before)

    def test_no_promise_when_the_company_offers_none(self):
        self.company.isp_promise_days = 0
        self.authenticate("alice_promise", "alice_promise")
        self.assertNotIn('href="/my/isp/promise"', self.page("/my/isp"))
        response = self.promise(status=400)
        self.assertIn("not offered", error_of(response.text))
        self.assertFalse(self.alice.isp_promise_ids)
