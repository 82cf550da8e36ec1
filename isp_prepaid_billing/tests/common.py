# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import json
import threading
from contextlib import contextmanager

from odoo import SUPERUSER_ID, Command, api, fields, sql_db
from odoo.service.model import retrying
from odoo.tests import get_db_name, new_test_user
from odoo.tools import SQL

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


def race_on_two_connections(test, attempt, what):
    """Run ``attempt(env)`` in two transactions on their own database
    connections, the first keeping its transaction open until the second is
    seen waiting for it. Each goes through Odoo's retry on serialization
    failures, as a request would; returns both results, first's first."""
    db = get_db_name()
    results, errors = {}, []
    first_done, release_first = threading.Event(), threading.Event()

    def run(name):
        try:
            with sql_db.db_connect(db).cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})

                def once():
                    value = attempt(env)
                    if name == "first":
                        first_done.set()
                        release_first.wait(10)
                    return value

                results[name] = retrying(once, env)
                cr.commit()
        except Exception as error:  # noqa: BLE001 - surfaced by the assertion
            errors.append(error)

    first = threading.Thread(target=run, args=("first",))
    first.start()
    test.assertTrue(first_done.wait(10), errors)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    second.join(0.5)
    test.assertTrue(second.is_alive(), f"the second {what} must wait for the first")
    release_first.set()
    first.join(10)
    second.join(10)
    test.assertFalse(errors)
    return results["first"], results["second"]


class IspBillingCase(AccountTestInvoicingCommon):
    """Accounting company with a chart, an internet plan and helpers to build
    subscribers, subscriptions and payments the way staff would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        # The test user is an accountant who also manages ISP billing.
        cls.env.user.groups_id |= cls.env.ref(
            "isp_prepaid_billing.isp_prepaid_billing_group_manager"
        )
        cls.currency = cls.company.currency_id
        cls.company.write(
            {
                "isp_billing_day": 1,
                "isp_payment_due_days": 15,
                "isp_blocking_days": 0,
                "isp_deactivation_days": 10,
                "isp_minimum_balance": 0.0,
                "isp_journal_id": cls.company_data["default_journal_sale"].id,
            }
        )
        cls.plan = cls.env["product.product"].create(
            {
                "name": "Fibre 100 Mbit/s",
                "type": "service",
                "list_price": 30.0,
                "taxes_id": [Command.clear()],
                "property_account_income_id": cls.company_data[
                    "default_account_revenue"
                ].id,
            }
        )
        cls.bank_journal = cls.company_data["default_journal_bank"]

    @classmethod
    def make_subscriber(cls, name="Subscriber", billing_type="prepaid", **values):
        values = {
            "name": name,
            "isp_billing_enabled": True,
            "isp_billing_type": billing_type,
            "isp_company_id": cls.company.id,
            **values,
        }
        # None means "leave it to the company default", as a new customer gets it.
        return cls.env["res.partner"].create(
            {key: value for key, value in values.items() if value is not None}
        )

    @classmethod
    def make_subscription(cls, partner, price=30.0, date_start="2026-03-01", **values):
        return cls.env["contract.contract"].create(
            {
                "name": f"Internet {partner.name}",
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "date_start": date_start,
                "contract_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.plan.id,
                            "name": "Fibre 100 Mbit/s",
                            "quantity": 1,
                            "price_unit": price,
                            "date_start": date_start,
                        }
                    )
                ],
                **values,
            }
        )

    def make_customer_with_history(self):
        """Paid 50, a period charged 30, a 40 invoice paid 15, a 25 invoice
        credited in full: the customer owes 5."""
        customer = self.make_subscriber("Paula Prepaid")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.pay(customer, 50.0, date="2026-03-01")
        charge = self.run_engine(customer, "2026-03-01")[0].move
        self.assertEqual(charge.move_type, "entry")
        router = self.init_invoice(
            "out_invoice", customer, "2026-03-05", post=True, amounts=[40.0], taxes=[]
        )
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=router.ids
        ).create(
            {"journal_id": self.bank_journal.id, "amount": 15.0}
        )._create_payments()
        installation = self.init_invoice(
            "out_invoice", customer, "2026-03-06", post=True, amounts=[25.0], taxes=[]
        )
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=installation.ids)
            .create({"reason": "goodwill", "journal_id": installation.journal_id.id})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        credit_note.action_post()
        self.end_transaction()
        self.assertBalance(customer, -5.0)
        return customer

    def make_user(self, login, groups, company=None):
        company = company or self.company
        return new_test_user(
            self.env,
            login=login,
            groups=groups,
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )

    def pay(self, partner, amount, date=None):
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": amount,
                "date": date or fields.Date.context_today(partner),
                "journal_id": self.bank_journal.id,
            }
        )
        payment.action_post()
        self.end_transaction()
        return payment

    def end_transaction(self):
        """What the commit of a request or a cron batch runs first: the
        precommit work, among it the settlement of money received."""
        self.env.flush_all()
        self.env.cr.flush()

    def run_engine(self, partners, date):
        return self.env["isp.billing.engine"]._execute(
            partners, fields.Date.to_date(date)
        )

    def sweep(self, partners, date):
        engine = self.env["isp.billing.engine"]
        date = fields.Date.to_date(date)
        return engine._apply_status(engine._plan_status(partners, date), date)

    def isp_invoices(self, partner):
        return self.env["account.move"].search(
            [("partner_id", "=", partner.id), ("isp_is_billing", "=", True)],
            order="invoice_date, id",
        )

    def assertMoney(self, actual, expected, msg=None):
        self.assertEqual(
            self.currency.compare_amounts(actual, expected),
            0,
            msg or f"{actual} != {expected}",
        )

    def assertStatus(self, partner, status, on_date=None):
        partner.invalidate_recordset()
        self.assertEqual(partner.isp_status, status)
        if on_date:
            self.assertEqual(partner.isp_status_date, fields.Date.to_date(on_date))

    def assertBalanceIsReceivable(self, partner):
        """The balance is what the partner ledger says: minus the receivable."""
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", partner.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ]
        )
        self.assertBalance(partner, -sum(lines.mapped("balance")))

    def assertBalance(self, partner, expected):
        """The balance the subscriber list shows: the stored value, kept in
        step by Odoo's recomputation, never refreshed by hand."""
        self.env.flush_all()
        [(stored,)] = self.env.execute_query(
            SQL("SELECT isp_balance FROM res_partner WHERE id = %s", partner.id)
        )
        self.assertMoney(stored or 0.0, expected, f"stored balance {stored} != {expected}")
        partner.invalidate_recordset(["isp_balance"])
        self.assertMoney(partner.isp_balance, expected)

    @contextmanager
    def assertRefused(self, exception, text):
        """The operation raises ``exception`` mentioning ``text``, and its
        savepoint is rolled back, so nothing it wrote survives."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertIn(text, str(caught.exception))


class IspPortalCase(IspBillingCase):
    """Adds the demo payment provider of the billing company and a subscriber
    who logs in to the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        demo = cls.env.ref("payment.payment_provider_demo").sudo()
        cls.provider = demo.copy({"company_id": cls.company.id})
        cls.provider.write({"state": "test", "is_published": True})
        cls.demo_method = cls.env.ref("payment_demo.payment_method_demo")
        cls.provider.payment_method_ids = [Command.set(cls.demo_method.ids)]

    @classmethod
    def make_portal_user(cls, partner, login):
        return new_test_user(
            cls.env,
            login=login,
            password=login,
            groups="base.group_portal",
            partner_id=partner.id,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def call_kw(self, model, method, args, kwargs=None):
        """Call ``model.method`` over HTTP as the logged-in user, the way the web
        client does. Returns ``(result, error)``; ``error`` is the error's
        ``data`` (``name``, ``message``) or None."""
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 0,
                    "params": {
                        "model": model,
                        "method": method,
                        "args": args,
                        "kwargs": kwargs or {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        answer = response.json()
        if "error" in answer:
            return None, answer["error"]["data"]
        return answer.get("result"), None  # a method returning None answers no result

    def demo_transaction(self, partner, amount, **values):
        """A demo provider transaction of ``partner`` for ``amount``."""
        return (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.demo_method.id,
                    "reference": self.env["payment.transaction"]._compute_reference(
                        "demo"
                    ),
                    "amount": amount,
                    "currency_id": partner.isp_currency_id.id,
                    "partner_id": partner.id,
                    "operation": "online_direct",
                    **values,
                }
            )
        )

    def start_online_payment(self, partner, purpose, date=None, **offer_args):
        """Create the transaction the portal creates for ``purpose``."""
        date = fields.Date.to_date(date) or fields.Date.context_today(partner)
        offer = partner._isp_payment_offer(purpose, date, **offer_args)
        return self.demo_transaction(
            partner,
            offer["amount"],
            isp_purpose=purpose,
            isp_periods=offer["periods"],
            isp_extend_service=offer["extend"],
            isp_proforma_id=offer["proforma"].id if offer["proforma"] else False,
        )

    def provider_says(self, tx, state="done"):
        """The provider's notification, then the post-processing the status
        page (or its cron) runs."""
        self.env["payment.transaction"].sudo()._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": state}
        )
        tx._post_process()
        self.end_transaction()
        return tx

    def offer_of(self, page):
        """The transaction route and form values of a payment page."""
        route = page.split('data-transaction-route="')[1].split('"')[0]
        token = page.split('data-access-token="')[1].split('"')[0]
        return route, {
            "provider_id": self.provider.id,
            "payment_method_id": self.demo_method.id,
            "token_id": None,
            "amount": 20.0,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "/my/isp",
            "is_validation": False,
            "access_token": token,
        }

    def online_payments(self, partner):
        return self.env["account.payment"].search(
            [("partner_id", "=", partner.id), ("payment_transaction_id", "!=", False)]
        )
