# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import re
from urllib.parse import urlparse

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from ..tools import refill_codes
from .common import IspPortalCase

# The code the redeem tour types (see static/tests/tours/isp_portal_tours.js).
TOUR_CARD_CODE = "7V3K-9QWX-2MHP-4RTZ"


@tagged("post_install", "-at_install", "is_tour")
class TestPortalTours(IspPortalCase, HttpCase):
    """A subscriber in a real browser (headless Chromium) against the real
    server: the pages, the demo payment provider's form, the status page and
    the post-processing that posts the payment. Dates are relative to today,
    since the browser's clock cannot be frozen."""

    def setUp(self):
        super().setUp()
        self.today = fields.Date.context_today(self.env.user)
        self.company.write({"isp_topup_amounts": "20, 50"})

    def lapsed_subscriber(self, login):
        """A prepaid subscriber whose month ran out today without money: blocked."""
        customer = self.make_subscriber(login.title(), email=f"{login}@example.com")
        started = self.today - relativedelta(months=1)
        self.make_subscription(customer, price=30.0, date_start=started)
        self.pay(customer, 30.0, started)
        self.run_engine(customer, started)
        self.run_engine(customer, self.today)
        self.assertStatus(customer, "blocked")
        self.make_portal_user(customer, login)
        return customer

    def test_top_up_reactivates_a_blocked_subscriber(self):
        customer = self.lapsed_subscriber("tina")
        self.start_tour("/my/isp", "isp_portal_topup", login="tina")
        self.assertStatus(customer, "active")
        self.assertBalance(customer, 20.0)
        self.assertEqual(len(self.online_payments(customer)), 1)

    def test_reactivate_two_periods(self):
        customer = self.lapsed_subscriber("rita")
        self.start_tour("/my/isp", "isp_portal_reactivate", login="rita")
        self.assertStatus(customer, "active")
        self.assertBalance(customer, 0.0)
        expected_end = self.today + relativedelta(months=2) - relativedelta(days=1)
        self.assertEqual(customer.isp_paid_until, expected_end)

    def test_upgrade_the_plan_and_pay_the_difference(self):
        """A prepaid subscriber without the money for a faster plan pays the
        difference online; the plan changes from today."""
        fast_plan = self.env["product.product"].create(
            {
                "name": "Fibre 300 Mbit/s",
                "type": "service",
                "list_price": 60.0,
                "taxes_id": [Command.clear()],
            }
        )
        self.company.isp_portal_plan_ids = [Command.set(fast_plan.ids)]
        customer = self.make_subscriber("Uma", email="uma@example.com")
        started = self.today - relativedelta(days=10)
        subscription = self.make_subscription(customer, price=30.0, date_start=started)
        self.pay(customer, 30.0, started)
        self.run_engine(customer, started)
        self.assertBalance(customer, 0.0)
        self.make_portal_user(customer, "uma")

        self.start_tour("/my/isp", "isp_portal_plan_change", login="uma")

        change = subscription.isp_change_ids
        self.assertEqual(change.state, "done")
        self.assertEqual(change.date, self.today)
        new = subscription.contract_line_ids.filtered(
            lambda line: line.product_id == fast_plan
        )
        self.assertEqual(new.isp_service_from, self.today)
        self.assertEqual(new.price_unit, 60.0)
        old = subscription.contract_line_ids - new
        self.assertEqual(old.isp_service_to, self.today - relativedelta(days=1))
        self.assertEqual(change.move_id.state, "posted")
        self.assertGreater(change.amount, 0.0)
        payment = self.online_payments(customer)
        self.assertEqual(payment.isp_service_change_id, change)
        self.assertMoney(payment.amount, change.amount)
        self.assertBalance(customer, 0.0)
        self.assertBalanceIsReceivable(customer)

    def test_redeem_a_refill_card(self):
        customer = self.make_subscriber("Rex")
        self.make_subscription(customer, price=30.0, date_start=self.today)
        self.pay(customer, 30.0, self.today)
        self.run_engine(customer, self.today)
        self.make_portal_user(customer, "rex")
        batch = self.env["isp.refill.card.batch"].create(
            {
                "name": "TOUR",
                "company_id": self.company.id,
                "currency_id": self.currency.id,
                "value": 25.0,
            }
        )
        self.env["isp.refill.card"].sudo().create(
            {
                "batch_id": batch.id,
                "number": "TOUR-0001",
                "code_hash": refill_codes.code_hash(
                    self.env, refill_codes.normalize(TOUR_CARD_CODE)
                ),
            }
        )
        self.start_tour("/my/isp", "isp_portal_refill", login="rex")
        self.assertBalance(customer, 25.0)
        attempts = self.env["isp.refill.attempt"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(sorted(attempts.mapped("result")), ["ok", "unknown"])
        self.assertTrue(all(attempts.mapped("ip_address")))

    def test_pay_from_the_suspended_page_through_the_emailed_link(self):
        """No login: the connection's address names the subscriber, the link
        goes to their e-mail, and paying through it reactivates at once."""
        customer = self.make_subscriber("Tom Walled", email="tom@example.com")
        started = self.today - relativedelta(months=1)
        contract = self.make_subscription(customer, price=30.0, date_start=started)
        self.pay(customer, 30.0, started)
        self.run_engine(customer, started)
        self.run_engine(customer, self.today)
        self.assertStatus(customer, "blocked")
        # The browser connects from loopback: the session's address.
        self.env["isp.radius.session"]._isp_record(
            self.company,
            {
                "unique_id": "tour-tom",
                "line_id": contract.contract_line_ids.id,
                "partner_id": customer.id,
                "username": "tom-ppp",
                "framed_ip": "127.0.0.1",
            },
            "start",
        )
        self.start_tour("/isp/suspended", "isp_suspended_request_link")
        link = self.env["isp.payment.link"].sudo().search(
            [("partner_id", "=", customer.id)]
        )
        mail = self.env["mail.mail"].sudo().search(
            [("model", "=", "isp.payment.link"), ("res_id", "=", link.id)]
        )
        self.assertEqual(mail.recipient_ids, customer)
        url = re.search(r'href="([^"]*/isp/pay/[^"]+)"', mail.body_html).group(1)
        self.start_tour(urlparse(url).path, "isp_suspended_link_pay")
        self.env.invalidate_all()
        self.assertStatus(customer, "active")
        self.assertBalance(customer, 0.0)
        self.assertEqual(
            customer.isp_paid_until, self.today + relativedelta(months=1, days=-1)
        )
        self.assertEqual(
            self.online_payments(customer).payment_transaction_id, link.transaction_id
        )
