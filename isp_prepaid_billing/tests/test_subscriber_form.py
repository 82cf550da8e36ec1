# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, freeze_time, tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestSubscriberForm(IspBillingCase):
    """What staff see on the subscriber form and list (issue 14)."""

    def arch(self, model, view_type="form", view=None):
        view_id = self.env.ref(view).id if view else False
        views = self.env[model].get_views([(view_id, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    def test_the_form_opens_on_the_billing_tab_with_its_smart_buttons(self):
        arch = self.arch("res.partner", view="base.view_partner_form")
        pages = arch.xpath("//notebook/page")
        self.assertEqual(pages[0].get("name"), "isp_billing", "the billing tab comes first")
        self.assertEqual(
            [page.get("name") for page in pages if page.get("autofocus")],
            ["isp_billing"],
            "the form opens on the billing tab, not on the contacts",
        )
        self.assertIn("not isp_billing_enabled", pages[0].get("invisible"))
        buttons = [
            button.get("name")
            for button in arch.xpath("//div[@name='button_box']/button")
        ]
        for name in (
            "action_isp_statement",
            "action_isp_view_invoices",
            "action_isp_view_payments",
            "action_isp_view_charges",
        ):
            self.assertIn(name, buttons)
        self.assertTrue(arch.xpath("//button[@name='action_isp_register_payment']"))

    @freeze_time("2026-03-05")
    def test_register_payment_opens_odoo_payment_form_and_pays_the_invoice(self):
        cash = self.company_data["default_journal_cash"]
        customer = self.make_subscriber(
            "Rita", billing_type="recurring", isp_payment_journal_id=cash.id
        )
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        invoice = self.isp_invoices(customer)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertBalance(customer, -30.0)

        action = customer.action_isp_register_payment()
        self.assertEqual(action["res_model"], "account.payment")
        context = action["context"]
        self.assertEqual(context["default_payment_type"], "inbound")
        self.assertEqual(context["default_partner_type"], "customer")
        self.assertEqual(context["default_partner_id"], customer.id)
        self.assertEqual(context["default_journal_id"], cash.id)
        self.assertMoney(context["default_amount"], 30.0)

        with Form(self.env["account.payment"].with_context(context)) as form:
            self.assertEqual(form.partner_id, customer)
            self.assertEqual(form.journal_id, cash)
            self.assertMoney(form.amount, 30.0)
        payment = form.record
        payment.action_post()
        self.end_transaction()

        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertBalance(customer, 0.0)
        customer.invalidate_recordset()
        self.assertEqual(customer.isp_invoice_count, 1)
        self.assertEqual(customer.isp_payment_count, 1)
        self.assertEqual(customer.isp_charge_count, 1)

    def test_a_customer_in_credit_owes_nothing_on_the_payment_form(self):
        customer = self.make_subscriber("Sam")
        self.pay(customer, 25.0, "2026-03-01")
        action = customer.action_isp_register_payment()
        self.assertEqual(action["context"]["default_amount"], 0.0)
        self.assertEqual(
            action["context"]["default_journal_id"],
            self.env["account.journal"].search(
                [("company_id", "=", self.company.id), ("type", "in", ("bank", "cash"))],
                limit=1,
            ).id,
        )

    def test_credit_limit_customer_is_not_told_of_a_minimum_of_zero(self):
        customer = self.make_subscriber(
            "Otis", billing_type="recurring", isp_credit_mode="limit", isp_credit_limit=100.0
        )
        self.make_subscription(customer, price=40.0, date_start="2026-01-01")
        self.run_engine(customer, "2026-01-01")
        self.sweep(customer, "2026-01-17")
        self.assertStatus(customer, "blocked", "2026-01-17")
        reason = customer.isp_status_reason
        self.assertNotIn("minimum", reason)
        self.assertIn("credit limit", reason)
        self.assertIn(self.currency.format(100.0), reason)

    def test_prepaid_credit_limit_customer_refused_for_the_overdue_invoice(self):
        customer = self.make_subscriber(
            "Olav", isp_credit_mode="limit", isp_credit_limit=100.0
        )
        self.make_subscription(customer, price=40.0, date_start="2026-01-01")
        self.run_engine(customer, "2026-01-01")
        self.sweep(customer, "2026-01-17")
        self.assertTrue(customer.isp_credit_blocked)
        plans = self.run_engine(customer, "2026-02-01")
        self.assertEqual(plans[0].action, "insufficient")
        self.assertStatus(customer, "blocked", "2026-02-01")
        for text in (plans[0].message, customer.isp_status_reason):
            self.assertNotIn("minimum", text)
            self.assertIn("credit limit", text)
            self.assertIn("overdue", text)

    @freeze_time("2026-04-10")
    def test_past_next_charge_date_of_a_blocked_customer_shows_as_overdue(self):
        blocked = self.make_subscriber("Nina")
        paid = self.make_subscriber("Nils")
        for customer, money in ((blocked, 20.0), (paid, 40.0)):
            self.make_subscription(customer, price=20.0, date_start="2026-03-01")
            self.pay(customer, money, "2026-03-01")
            self.run_engine(customer, "2026-03-01")
            self.run_engine(customer, "2026-04-01")
        self.assertStatus(blocked, "blocked", "2026-04-01")  # April refused
        self.assertStatus(paid, "active")
        (blocked | paid).invalidate_recordset()
        self.assertTrue(blocked.isp_next_charge_overdue)
        self.assertFalse(paid.isp_next_charge_overdue)
        arch = self.arch("res.partner", "list", "isp_prepaid_billing.res_partner_view_list_isp")
        column = arch.xpath("//field[@name='isp_next_charge_date']")[0]
        self.assertIn("isp_next_charge_overdue", column.get("decoration-muted"))

    def test_invoice_second_date_is_labelled_blocked_on(self):
        arch = self.arch("account.move")
        field = arch.xpath("//field[@name='isp_block_date']")[0]
        self.assertEqual(field.get("string"), "Blocked on")
        self.assertEqual(field.getprevious().get("name"), "isp_is_billing")

    @freeze_time("2026-03-20")
    def test_subscriber_list_filters(self):
        # Ada: invoice due on the 16th, unpaid: in debt and overdue.
        ada = self.make_subscriber("Ada", billing_type="recurring")
        self.make_subscription(ada, price=30.0, date_start="2026-03-01")
        self.run_engine(ada, "2026-03-01")
        # Ben: prepaid, paid for March, not for April (charged on 1 April).
        ben = self.make_subscriber("Ben")
        self.make_subscription(ben, price=20.0, date_start="2026-03-01")
        self.pay(ben, 20.0, "2026-03-01")
        self.run_engine(ben, "2026-03-01")
        self.assertStatus(ben, "active")
        # Cid: prepaid with money for April too.
        cid = self.make_subscriber("Cid")
        self.make_subscription(cid, price=20.0, date_start="2026-03-01")
        self.pay(cid, 60.0, "2026-03-01")
        self.run_engine(cid, "2026-03-01")
        customers = ada | ben | cid

        def filtered(name):
            arch = self.arch("res.partner", "search", "isp_prepaid_billing.res_partner_view_search_isp")
            domain = eval(arch.xpath(f"//filter[@name='{name}']")[0].get("domain"))  # noqa: S307
            return self.env["res.partner"].search([("id", "in", customers.ids), *domain])

        self.assertEqual(filtered("in_debt"), ada)
        self.assertEqual(filtered("overdue"), ada)
        self.assertFalse(filtered("blocking_soon"), "April 1st is 12 days away")
        with freeze_time("2026-03-26"):
            self.assertEqual(filtered("blocking_soon"), ben)

    # === RECENT TRANSACTIONS AND ADD SERVICE (issue 14) === #

    @freeze_time("2026-03-20")
    def test_recent_transactions_show_a_running_balance(self):
        customer = self.make_subscriber("Lena", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        invoice = self.isp_invoices(customer)
        payment = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "amount": 20.0,
                    "payment_date": "2026-03-05",
                    "journal_id": self.bank_journal.id,
                }
            )
            ._create_payments()
        )
        credit_note = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": customer.id,
                "invoice_date": "2026-03-10",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.plan.id,
                            "quantity": 1,
                            "price_unit": 4.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        credit_note.action_post()
        self.end_transaction()
        customer.invalidate_recordset()

        # Oldest first, as in a ledger: the last balance is the customer's.
        lines = customer.isp_ledger_line_ids
        self.assertEqual(lines.move_id, invoice | payment.move_id | credit_note)
        self.assertEqual(
            [line.move_id for line in lines], [invoice, payment.move_id, credit_note]
        )
        self.assertEqual(
            [line.date.isoformat() for line in lines],
            ["2026-03-01", "2026-03-05", "2026-03-10"],
        )
        for line, debit, credit, running in zip(
            lines, (30.0, 0.0, 0.0), (0.0, 20.0, 4.0), (-30.0, -10.0, -6.0), strict=True
        ):
            self.assertMoney(line.debit, debit)
            self.assertMoney(line.credit, credit)
            self.assertMoney(line.isp_running_balance, running)
        self.assertMoney(lines[-1].isp_running_balance, customer.isp_balance)
        self.assertBalance(customer, -6.0)

        # Only the last items are shown; their balances still count the older ones.
        recent = customer.with_context(isp_ledger_lines=2).isp_ledger_line_ids
        self.assertEqual(recent.move_id, payment.move_id | credit_note)
        self.assertEqual(
            [round(line.isp_running_balance, 2) for line in recent], [-10.0, -6.0]
        )
        # "All transactions": Odoo's Journal Items list, on the same items.
        action = customer.action_isp_view_transactions()
        self.assertEqual(action["res_model"], "account.move.line")
        self.assertEqual(self.env["account.move.line"].search(action["domain"]), lines)

    def test_recent_transactions_are_on_the_billing_tab(self):
        arch = self.arch("res.partner", view="base.view_partner_form")
        page = arch.xpath("//page[@name='isp_billing']")[0]
        columns = [
            field.get("name")
            for field in page.xpath(".//field[@name='isp_ledger_line_ids']/list/field")
        ]
        for name in ("date", "move_name", "name", "debit", "credit", "isp_running_balance"):
            self.assertIn(name, columns)
        self.assertEqual(
            page.xpath(".//field[@name='isp_ledger_line_ids']")[0].get("readonly"), "1"
        )
        self.assertTrue(page.xpath(".//button[@name='action_isp_view_transactions']"))
        self.assertTrue(page.xpath(".//button[@name='action_isp_add_service']"))

    @freeze_time("2026-03-20")
    def test_add_service_opens_the_subscription_form_of_the_customer(self):
        clerk = self.make_user(
            "isp_service_clerk",
            "base.group_user,isp_prepaid_billing.isp_prepaid_billing_group_user",
        )
        customer = self.make_subscriber(
            "Mia", isp_prepaid_period_unit="day", isp_prepaid_period_length=7
        )
        action = customer.with_user(clerk).action_isp_add_service()
        self.assertEqual(action["res_model"], "contract.contract")
        self.assertEqual(action["views"], [(False, "form")])
        self.assertFalse(action.get("res_id"))
        Contract = self.env["contract.contract"].with_user(clerk)
        with Form(Contract.with_context(action["context"])) as form:
            self.assertEqual(form.partner_id, customer)
            self.assertEqual(form.company_id, self.company)
            self.assertEqual(form.contract_type, "sale")
            self.assertTrue(form.isp_managed)
            self.assertEqual(form.isp_period_unit, "day")
            self.assertEqual(form.isp_period_length, 7)
            self.assertIn("Mia", form.name)
        contract = form.record
        self.assertEqual(customer.isp_contract_ids, contract)
        self.assertEqual(contract.journal_id, self.company._isp_invoice_journal())

    def test_add_service_is_refused_outside_isp_staff(self):
        user = self.make_user("plain_internal", "base.group_user,base.group_partner_manager")
        customer = self.make_subscriber("Noa")
        for action in ("action_isp_add_service", "action_isp_view_transactions"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(customer.with_user(user), action)()


@tagged("post_install", "-at_install")
class TestSubscriberFormTour(IspBillingCase, HttpCase):
    def test_form_opens_on_billing_and_prefills_the_payment(self):
        self.make_user(
            "isp_clerk",
            "base.group_user,base.group_partner_manager,"
            "isp_prepaid_billing.isp_prepaid_billing_group_user",
        )
        cash = self.company_data["default_journal_cash"]
        customer = self.make_subscriber(
            "Tour Customer", billing_type="recurring", isp_payment_journal_id=cash.id
        )
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.start_tour(f"/odoo/res.partner/{customer.id}", "isp_subscriber_form", login="isp_clerk")
        payment = self.env["account.payment"].search([("partner_id", "=", customer.id)])
        self.assertEqual(payment.state, "draft")
        self.assertEqual(payment.journal_id, cash)
        self.assertMoney(payment.amount, 30.0)
        self.assertEqual(payment.payment_type, "inbound")
