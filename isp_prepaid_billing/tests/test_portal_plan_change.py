# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""A subscriber changes their plan from the portal (issue 13, seed 002
"Changing service composition"): the plans the company allows, a preview that
writes nothing, the change at once when the balance allows it, else after the
difference is paid online."""

import json
import re
from datetime import date

from odoo import Command
from odoo.tests import HttpCase, freeze_time, tagged

from .common import IspPortalCase

HUGE = "99999999999999999999"


def error_of(page):
    found = re.search(r'o_isp_error"[^>]*>([^<]*)<', page)
    return found.group(1).strip() if found else None


def text_of(page, css_class):
    """The text of the first element with ``css_class`` (its children's too)."""
    found = re.search(
        rf'class="[^"]*\b{css_class}\b[^"]*"[^>]*>(.*?)</(td|strong|span|div)>',
        page,
        re.S,
    )
    if not found:
        return None
    return " ".join(
        re.sub(r"<[^>]*>", " ", found.group(1))
        .replace("&nbsp;", " ")
        .replace("\ufeff", "")
        .split()
    )


@freeze_time("2026-11-11")
@tagged("post_install", "-at_install")
class TestPortalPlanChange(IspPortalCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fast_plan = cls.make_plan("Fibre 300 Mbit/s", 60.0)
        cls.hidden_plan = cls.make_plan("Staff-only plan", 5.0)
        cls.foreign_plan = cls.make_plan(
            "Other company plan",
            60.0,
            company_id=cls.env["res.company"].create({"name": "Other ISP"}).id,
        )
        # The foreign plan is listed by mistake: it is still not offered.
        cls.company.isp_portal_plan_ids = [
            Command.set((cls.plan | cls.fast_plan | cls.foreign_plan).ids)
        ]
        # Pia: prepaid, November charged from her 30, nothing left.
        cls.pia, cls.pia_contract = cls.subscriber("Pia", "prepaid")
        cls.make_portal_user(cls.pia, "pia")
        # Otto: another customer, recurring.
        cls.otto, cls.otto_contract = cls.subscriber("Otto", "recurring")
        cls.make_portal_user(cls.otto, "otto")

    @classmethod
    def make_plan(cls, name, price, **values):
        if "company_id" not in values:
            values["property_account_income_id"] = cls.company_data[
                "default_account_revenue"
            ].id
        return cls.env["product.product"].create(
            {
                "name": name,
                "type": "service",
                "list_price": price,
                "taxes_id": [Command.clear()],
                **values,
            }
        )

    @classmethod
    def subscriber(cls, name, billing_type, **values):
        customer = cls.make_subscriber(name, billing_type=billing_type, **values)
        contract = cls.make_subscription(customer, price=30.0, date_start="2026-11-01")
        contract.contract_line_ids.write(
            {"isp_radius_username": f"{name.lower()}-ppp", "isp_radius_password": "pw"}
        )
        if billing_type == "prepaid":
            cls.env["account.payment"].create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": customer.id,
                    "amount": 30.0,
                    "date": date(2026, 11, 1),
                    "journal_id": cls.bank_journal.id,
                }
            ).action_post()
            cls.env.flush_all()
            cls.env.cr.flush()
        cls.env["isp.billing.engine"]._execute(customer, date(2026, 11, 1))
        return customer, contract

    # === HELPERS === #

    def page(self, url, status=200):
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, status, url)
        self.assertNotIn("Traceback", response.text)
        return response.text

    def csrf(self):
        page = self.page("/my/isp/refill")
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def confirm(self, contract_id, product_id, status=303):
        response = self.url_open(
            f"/my/isp/plan/{contract_id}/confirm",
            data={"product_id": product_id, "csrf_token": self.csrf()},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, status, response.text[:300])
        return response

    def transaction(self, route, params):
        response = self.url_open(
            route,
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": 0, "params": params}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        answer = response.json()
        return answer.get("result"), answer.get("error", {}).get("data", {})

    def snapshot(self):
        """What a refused or previewed change must leave as it was."""
        self.env.invalidate_all()
        Move = self.env["account.move"].sudo()
        return {
            "changes": self.env["isp.service.change"].sudo().search_count([]),
            "lines": self.env["contract.line"]
            .sudo()
            .search(
                [("contract_id", "in", (self.pia_contract | self.otto_contract).ids)]
            )
            .read(["product_id", "isp_service_to", "isp_radius_username"]),
            "moves": Move.search_count([]),
            "messages": self.env["mail.message"].sudo().search_count([]),
            "transactions": self.env["payment.transaction"].sudo().search_count([]),
            "balances": (self.pia.isp_balance, self.otto.isp_balance),
        }

    def plan_change_page(self):
        """Pia confirms Fibre 300 without the money: the payment page."""
        response = self.confirm(self.pia_contract.id, self.fast_plan.id)
        location = response.headers["Location"]
        self.assertIn("/my/isp/pay?purpose=plan_change&change_id=", location)
        change = (
            self.env["isp.service.change"]
            .sudo()
            .search([("contract_id", "=", self.pia_contract.id)])
        )
        self.assertEqual(change.state, "waiting")
        return change, self.page(location)

    # === PAGES === #

    def test_the_plan_page_lists_allowed_plans_and_the_preview_writes_nothing(self):
        self.authenticate("pia", "pia")
        service = self.page("/my/isp")
        self.assertIn(f'href="/my/isp/plan/{self.pia_contract.id}"', service)

        page = self.page(f"/my/isp/plan/{self.pia_contract.id}")
        self.assertIn('data-plan="Fibre 300 Mbit/s"', page)
        self.assertIn("60.00", page)
        self.assertNotIn('data-plan="Fibre 100 Mbit/s"', page, "the current plan")
        self.assertNotIn("Staff-only plan", page)
        self.assertNotIn("Other company plan", page)

        before = self.snapshot()
        for __ in range(2):
            page = self.page(
                f"/my/isp/plan/{self.pia_contract.id}?product_id={self.fast_plan.id}"
            )
        self.assertIsNone(error_of(page))
        self.assertIn("11/11/2026", text_of(page, "o_isp_plan_date"))
        # 20 unused days of 30 at 30 back, 20 days of 60 charged: 20 net, all missing.
        self.assertIn("-20.00", text_of(page, "o_isp_credited"))
        self.assertIn("40.00", text_of(page, "o_isp_charged"))
        self.assertIn("20.00", text_of(page, "o_isp_net"))
        self.assertIn("20.00", text_of(page, "o_isp_plan_to_pay"))
        self.assertIn("Confirm and pay", page)
        self.assertEqual(self.snapshot(), before)

    def test_an_upgrade_the_balance_covers_is_applied_at_once(self):
        self.pay(self.pia, 50.0, date(2026, 11, 11))
        self.authenticate("pia", "pia")
        page = self.page(
            f"/my/isp/plan/{self.pia_contract.id}?product_id={self.fast_plan.id}"
        )
        self.assertIsNone(text_of(page, "o_isp_plan_to_pay"))

        response = self.confirm(self.pia_contract.id, self.fast_plan.id)

        self.assertTrue(response.headers["Location"].endswith("/my/isp"))
        change = self.pia_contract.isp_change_ids
        self.assertEqual(change.state, "done")
        self.assertEqual(change.move_id.state, "posted")
        self.assertMoney(change.amount, 20.0)
        self.assertBalance(self.pia, 30.0)
        self.assertBalanceIsReceivable(self.pia)
        new = self.pia_contract.contract_line_ids.filtered(
            lambda line: line.product_id == self.fast_plan
        )
        self.assertEqual(new.isp_service_from, date(2026, 11, 11))
        self.assertEqual(new.isp_radius_username, "pia-ppp")

    def test_a_recurring_customer_is_charged_at_once_and_the_debt_grows(self):
        self.authenticate("otto", "otto")
        self.assertBalance(self.otto, -30.0)
        self.confirm(self.otto_contract.id, self.fast_plan.id)
        change = self.otto_contract.isp_change_ids
        self.assertEqual(change.state, "done")
        self.assertEqual(change.move_id.move_type, "out_invoice")
        self.assertBalance(self.otto, -50.0)
        self.assertBalanceIsReceivable(self.otto)

    def test_without_funds_the_difference_is_paid_online_then_the_plan_changes(self):
        self.authenticate("pia", "pia")
        change, page = self.plan_change_page()
        self.assertEqual(len(self.pia_contract.contract_line_ids), 1, "not applied yet")
        self.assertIn("20.00", text_of(page, "o_isp_amount_due"))
        route, params = self.offer_of(page)
        self.assertIn(f"/my/isp/transaction/plan_change/0/0/{change.id}/", route)

        result, error = self.transaction(route, params)

        self.assertFalse(error, error)
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .search([("reference", "=", result["reference"])])
        )
        self.assertEqual(tx.isp_purpose, "plan_change")
        self.assertEqual(tx.isp_service_change_id, change)
        self.assertMoney(tx.amount, 20.0)
        # The same page cannot start a second payment.
        __, error = self.transaction(route, params)
        self.assertIn("already started", error.get("message", ""))

        self.provider_says(tx)

        self.assertEqual(change.state, "done")
        self.assertEqual(change.applied_on, date(2026, 11, 11))
        self.assertEqual(tx.payment_id.isp_service_change_id, change)
        self.assertTrue(change.move_id)
        self.assertBalance(self.pia, 0.0)
        self.assertBalanceIsReceivable(self.pia)
        self.assertEqual(
            self.pia_contract.contract_line_ids.filtered("isp_service_from").product_id,
            self.fast_plan,
        )
        # A second notification applies nothing twice.
        self.provider_says(tx)
        self.assertEqual(len(self.pia_contract.contract_line_ids), 2)
        self.assertBalance(self.pia, 0.0)

    def test_money_for_a_change_cancelled_meanwhile_stays_on_the_balance(self):
        self.authenticate("pia", "pia")
        change, page = self.plan_change_page()
        route, params = self.offer_of(page)
        result, __ = self.transaction(route, params)
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .search([("reference", "=", result["reference"])])
        )
        change.action_cancel()

        self.provider_says(tx)

        self.assertEqual(change.state, "cancelled")
        self.assertEqual(len(self.pia_contract.contract_line_ids), 1)
        self.assertBalance(self.pia, 20.0)
        note = str(tx.payment_id.message_ids[0].body)
        self.assertIn("was cancelled", note)
        self.assertIn("stays on the customer's balance", note)

    def test_money_that_no_longer_covers_the_change_stays_on_the_balance(self):
        self.authenticate("pia", "pia")
        change, page = self.plan_change_page()
        route, params = self.offer_of(page)
        result, __ = self.transaction(route, params)
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .search([("reference", "=", result["reference"])])
        )
        # Meanwhile the company asks for 10 to stay on every balance.
        self.company.isp_minimum_balance = 10.0
        self.pia.isp_minimum_balance = 10.0

        self.provider_says(tx)

        self.assertEqual(change.state, "waiting")
        self.assertEqual(len(self.pia_contract.contract_line_ids), 1)
        self.assertBalance(self.pia, 20.0)
        note = str(tx.payment_id.message_ids[0].body)
        self.assertIn("cannot be charged", note)
        self.assertIn("stays on the customer's balance", note)

    def test_a_new_choice_replaces_the_change_waiting_for_payment(self):
        self.authenticate("pia", "pia")
        first, page = self.plan_change_page()
        route, params = self.offer_of(page)
        result, __ = self.transaction(route, params)
        self.pay(self.pia, 50.0, date(2026, 11, 11))

        self.confirm(self.pia_contract.id, self.fast_plan.id)

        self.assertEqual(first.state, "cancelled")
        second = self.pia_contract.isp_change_ids - first
        self.assertEqual(second.state, "done")
        self.assertBalance(self.pia, 30.0)
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .search([("reference", "=", result["reference"])])
        )
        self.provider_says(tx)
        self.assertEqual(len(self.pia_contract.contract_line_ids), 2, "applied once")
        self.assertBalance(self.pia, 50.0)
        self.assertIn("was cancelled", str(tx.payment_id.message_ids[0].body))

    # === REFUSALS === #

    def test_another_customers_contract_is_not_found_and_nothing_is_written(self):
        self.authenticate("pia", "pia")
        before = self.snapshot()
        for contract_id in (self.otto_contract.id, HUGE, "0"):
            with self.subTest(contract_id=contract_id):
                self.page(f"/my/isp/plan/{contract_id}", status=404)
                self.page(
                    f"/my/isp/plan/{contract_id}?product_id={self.fast_plan.id}",
                    status=404,
                )
                self.confirm(contract_id, self.fast_plan.id, status=404)
        self.assertEqual(self.snapshot(), before)

    def test_a_plan_not_offered_is_refused_and_nothing_is_written(self):
        self.authenticate("pia", "pia")
        before = self.snapshot()
        self.assertTrue(self.hidden_plan and self.foreign_plan)
        for product_id in (
            self.hidden_plan.id,
            self.foreign_plan.id,
            self.plan.id,  # her plan already
            "abc",
            HUGE,
        ):
            with self.subTest(product_id=product_id):
                page = self.page(
                    f"/my/isp/plan/{self.pia_contract.id}?product_id={product_id}",
                    status=400,
                )
                self.assertIn("This plan cannot be chosen", error_of(page))
                response = self.confirm(self.pia_contract.id, product_id, status=400)
                self.assertIn("This plan cannot be chosen", error_of(response.text))
        self.assertEqual(self.snapshot(), before)

    def test_a_tampered_payment_is_refused(self):
        self.authenticate("pia", "pia")
        change, page = self.plan_change_page()
        route, params = self.offer_of(page)
        otto_change = self.env["isp.service.change"].create(
            {
                "contract_id": self.otto_contract.id,
                "kind": "plan",
                "date": "2026-11-11",
                "product_id": self.fast_plan.id,
            }
        )
        otto_change.state = "waiting"
        before = self.snapshot()
        forged_routes = [
            route.replace(f"/0/0/{change.id}/", f"/0/0/{otto_change.id}/"),
            route.replace(f"/0/0/{change.id}/", "/0/0/"),
            route.replace(f"/0/0/{change.id}/", f"/0/0/{HUGE}/"),
            route.replace("/plan_change/", "/topup/"),
        ]
        for forged in forged_routes:
            with self.subTest(route=forged):
                __, error = self.transaction(forged, params)
                self.assertIn(
                    error.get("name"),
                    ("odoo.exceptions.ValidationError", "odoo.exceptions.UserError"),
                )
        for amount in (1.0, 0.01, "19.99", 2000.0):
            with self.subTest(amount=amount):
                __, error = self.transaction(route, {**params, "amount": amount})
                self.assertIn("amount to pay has changed", error.get("message", ""))
        # Another customer's waiting change on the payment page.
        page = self.page(f"/my/isp/pay?purpose=plan_change&change_id={otto_change.id}")
        self.assertIn("no plan change waiting", error_of(page))
        self.assertNotIn("data-transaction-route", page)
        self.assertEqual(self.snapshot(), before)
        # The untouched page still pays.
        __, error = self.transaction(route, params)
        self.assertFalse(error, error)
