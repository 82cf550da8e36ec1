# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import mute_logger

from .common import IspBillingCase, IspPortalCase


class OneTimeCase(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vat = cls.company_data["default_tax_sale"].copy(
            {"name": "ISP VAT 20%", "amount": 20.0}
        )
        cls.installation = cls.make_product("Installation", taxes=cls.vat)
        cls.equipment = cls.make_product("Router")
        cls.late_fee = cls.make_product("Late fee")
        cls.reconnection = cls.make_product("Reconnection fee")

    @classmethod
    def make_product(cls, name, taxes=None, company=None):
        # A product of another company is made by someone working there.
        Product = cls.env["product.product"].sudo() if company else cls.env["product.product"]
        return Product.create(
            {
                "name": name,
                "type": "service",
                "company_id": company.id if company else False,
                "taxes_id": [Command.set(taxes.ids if taxes else [])],
                "property_account_income_id": cls.company_data[
                    "default_account_revenue"
                ].id,
            }
        )

    def add_charge(self, customer, amount, product=None, **values):
        return self.env["isp.one.time.charge"].create(
            {
                "partner_id": customer.id,
                "product_id": (product or self.installation).id,
                "description": (product or self.installation).name,
                "amount": amount,
                **values,
            }
        )

    def charges(self, customer, **domain):
        return self.env["isp.one.time.charge"].search(
            [("partner_id", "=", customer.id)]
            + [(name, "=", value) for name, value in domain.items()]
        )

    def recurring_customer(self, name, price=30.0, **values):
        customer = self.make_subscriber(name, billing_type="recurring", **values)
        self.make_subscription(customer, price=price, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        return customer


@tagged("post_install", "-at_install")
class TestOneTimeCharges(OneTimeCase):
    def test_a_charge_to_invoice_goes_on_the_next_billing_day_invoice(self):
        customer = self.recurring_customer("Olga")
        with freeze_time("2026-03-10"):
            charge = self.add_charge(customer, 50.0)
        self.assertEqual(charge.state, "pending")
        self.assertEqual(len(self.isp_invoices(customer)), 1, "no invoice before the billing day")
        self.assertBalance(customer, -30.0)

        self.run_engine(customer, "2026-04-01")
        self.run_engine(customer, "2026-04-01")  # a rerun adds nothing

        march, april = self.isp_invoices(customer)
        self.assertEqual(len(march.invoice_line_ids), 1)
        line = april.invoice_line_ids.filtered(lambda l: l.product_id == self.installation)
        self.assertEqual(line.name, "Installation")
        self.assertMoney(line.price_subtotal, 50.0)
        self.assertEqual(line.tax_ids, self.vat)
        self.assertMoney(april.amount_tax, 10.0)
        self.assertMoney(april.amount_total, 30.0 + 60.0)
        self.assertEqual((charge.state, charge.move_id), ("done", april))
        self.assertBalance(customer, -120.0)
        self.assertBalanceIsReceivable(customer)

    def test_a_charge_dated_later_waits_for_a_billing_day_after_it(self):
        customer = self.recurring_customer("Pia")
        charge = self.add_charge(customer, 20.0, date=date(2026, 4, 10))
        self.run_engine(customer, "2026-04-01")
        self.assertEqual(charge.state, "pending")
        self.run_engine(customer, "2026-05-01")
        self.assertEqual(charge.move_id, self.isp_invoices(customer)[-1])

    def test_a_credit_limit_customer_charge_waits_rather_than_pass_the_limit(self):
        customer = self.recurring_customer(
            "Lotte", isp_credit_mode="limit", isp_credit_limit=100.0
        )
        charge = self.add_charge(customer, 50.0, product=self.equipment, date=date(2026, 3, 2))
        self.run_engine(customer, "2026-04-01")  # 30 + 30 + 50 would owe 110
        self.assertEqual(charge.state, "pending")
        self.assertMoney(self.isp_invoices(customer)[-1].amount_total, 30.0)
        self.assertBalance(customer, -60.0)

    @freeze_time("2026-03-10")
    def test_force_invoice_option_invoices_at_once(self):
        self.company.isp_force_invoice_one_time = True
        customer = self.recurring_customer("Quentin")
        charge = self.add_charge(customer, 50.0)

        invoice = charge.move_id
        self.assertEqual(charge.state, "done")
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_date, date(2026, 3, 10))
        self.assertMoney(invoice.amount_total, 60.0)
        self.assertEqual(invoice.invoice_date_due, date(2026, 3, 24))
        self.assertBalance(customer, -90.0)
        # The next billing day does not bill it again.
        self.run_engine(customer, "2026-04-01")
        self.assertEqual(len(self.isp_invoices(customer).invoice_line_ids), 3)

    @freeze_time("2026-03-10")
    def test_invoice_now_invoices_once_however_often_pressed(self):
        customer = self.recurring_customer("Rita")
        self.pay(customer, 100.0)  # March paid, 70 left
        charge = self.add_charge(customer, 50.0)
        charge.action_invoice_now()
        charge.action_invoice_now()

        invoices = self.isp_invoices(customer)
        self.assertEqual(len(invoices), 2)
        self.assertEqual(charge.move_id, invoices[-1])
        self.assertEqual(charge.move_id.payment_state, "paid", "paid from the credit")
        self.assertBalance(customer, 10.0)
        self.assertBalanceIsReceivable(customer)

    @freeze_time("2026-03-10")
    def test_a_charge_from_the_balance_is_paid_from_it(self):
        customer = self.make_subscriber("Sven")
        self.pay(customer, 100.0)
        charge = self.add_charge(customer, 50.0, mode="from_balance")

        self.assertEqual(charge.state, "done")
        self.assertIn(charge.move_id.payment_state, ("paid", "in_payment"))
        self.assertMoney(charge.move_id.amount_total, 60.0)
        self.assertBalance(customer, 40.0)
        self.assertBalanceIsReceivable(customer)

    @freeze_time("2026-03-10")
    def test_prepaid_charges_from_the_balance_follow_the_period_charges(self):
        # Periods charged by journal entry: so is a charge from the balance.
        self.company.isp_invoice_on_charge = False
        customer = self.make_subscriber("Tove")
        self.pay(customer, 30.0)
        charge = self.add_charge(customer, 25.0, product=self.equipment, mode="from_balance")
        self.assertEqual(charge.move_id.move_type, "entry")
        self.assertBalance(customer, 5.0)
        self.assertBalanceIsReceivable(customer)
        # A charge to invoice switched to "from balance" is charged there and then.
        later = self.add_charge(customer, 5.0, product=self.equipment)
        self.assertEqual(later.state, "pending")
        later.mode = "from_balance"
        self.assertEqual((later.state, later.move_id.move_type), ("done", "entry"))
        self.assertBalance(customer, 0.0)

    @freeze_time("2026-03-10")
    def test_a_prepaid_customer_without_the_funds_is_refused(self):
        customer = self.make_subscriber("Ugo")
        self.pay(customer, 50.0)
        with self.assertRefused(UserError, "does not cover"):
            self.add_charge(customer, 50.0, mode="from_balance")  # 60 with taxes
        self.assertFalse(self.charges(customer))
        self.assertFalse(self.isp_invoices(customer))
        self.assertBalance(customer, 50.0)

    def test_a_prepaid_customer_gets_a_charge_to_invoice_with_the_next_charge(self):
        self.company.isp_invoice_on_charge = False  # periods are journal entries
        customer = self.make_subscriber("Vera")
        subscription = self.make_subscription(customer, price=30.0, date_start="2026-03-05")
        self.pay(customer, 30.0, date="2026-03-05")
        self.run_engine(customer, "2026-03-05")
        with freeze_time("2026-03-10"):
            charge = self.add_charge(customer, 10.0, product=self.equipment)
        self.assertEqual(charge.state, "pending")
        self.pay(customer, 40.0, date="2026-04-01")

        self.run_engine(customer, "2026-04-05")
        self.run_engine(customer, "2026-04-05")

        self.assertEqual(charge.state, "done")
        invoice = charge.move_id
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(invoice.invoice_line_ids.product_id, self.equipment)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(subscription.isp_charged_until, date(2026, 5, 4))
        self.assertBalance(customer, 0.0)
        self.assertBalanceIsReceivable(customer)

    def test_bad_input_is_refused_and_nothing_written(self):
        customer = self.recurring_customer("Wim")
        no_billing = self.env["res.partner"].create({"name": "Not a subscriber"})
        other_company = self.setup_other_company(name="Other ISP")["company"]
        foreign_product = self.make_product("Foreign router", company=other_company)
        for values, exception, text in (
            ({"amount": 0.0}, ValidationError, "must be positive"),
            ({"amount": -5.0}, ValidationError, "must be positive"),
            ({"partner_id": no_billing.id}, ValidationError, "has no ISP billing"),
            ({"product_id": foreign_product.id}, UserError, "Foreign router"),
        ):
            with self.subTest(values=values), self.assertRefused(exception, text):
                self.env["isp.one.time.charge"].create(
                    {
                        "partner_id": customer.id,
                        "product_id": self.installation.id,
                        "description": "Bad",
                        "amount": 10.0,
                        **values,
                    }
                )
        self.assertFalse(self.env["isp.one.time.charge"].search([("description", "=", "Bad")]))
        self.assertEqual(len(self.isp_invoices(customer)), 1)

    def test_a_billed_charge_cannot_be_changed_or_cancelled(self):
        self.company.isp_force_invoice_one_time = True
        customer = self.recurring_customer("Xena")
        charge = self.add_charge(customer, 50.0)
        with self.assertRefused(UserError, "cannot be changed"):
            charge.amount = 5.0
        with self.assertRefused(UserError, "cannot be cancelled"):
            charge.action_cancel()
        self.assertMoney(charge.amount, 50.0)

    def test_a_cancelled_charge_is_never_invoiced(self):
        customer = self.recurring_customer("Yann")
        charge = self.add_charge(customer, 50.0, date=date(2026, 3, 2))
        charge.action_cancel()
        self.run_engine(customer, "2026-04-01")
        self.assertEqual((charge.state, charge.move_id.id), ("cancelled", False))
        self.assertEqual(len(self.isp_invoices(customer)[-1].invoice_line_ids), 1)


@tagged("post_install", "-at_install")
class TestFees(OneTimeCase):
    def late_fees(self, customer):
        return self.charges(customer, origin="late_fee")

    def test_fixed_late_fee_once_per_overdue_invoice(self):
        self.company.write(
            {
                "isp_late_fee_type": "fixed",
                "isp_late_fee_amount": 5.0,
                "isp_late_fee_product_id": self.late_fee.id,
            }
        )
        customer = self.recurring_customer("Zora")
        march = self.isp_invoices(customer)
        self.sweep(customer, "2026-03-15")
        self.assertFalse(self.late_fees(customer), "not before the block")

        self.sweep(customer, "2026-03-16")
        self.sweep(customer, "2026-03-16")
        self.sweep(customer, "2026-03-17")
        self.assertStatus(customer, "blocked", "2026-03-16")
        fee = self.late_fees(customer)
        self.assertEqual(len(fee), 1)
        self.assertEqual(fee.overdue_move_id, march)
        self.assertMoney(fee.amount, 5.0)
        self.assertEqual((fee.mode, fee.state, fee.date), ("to_invoice", "pending", date(2026, 3, 16)))

        # Unblocked by staff, blocked again for the same invoice: no second fee.
        customer.action_isp_activate()
        self.sweep(customer, "2026-03-18")
        self.assertStatus(customer, "blocked", "2026-03-18")
        self.assertEqual(self.late_fees(customer), fee)

        # The fee goes on the next invoice.
        self.run_engine(customer, "2026-04-01")
        april = self.isp_invoices(customer)[-1]
        self.assertEqual(fee.move_id, april)
        self.assertMoney(april.amount_total, 35.0)

    def test_percentage_late_fee_of_the_overdue_invoice(self):
        self.company.write(
            {
                "isp_late_fee_type": "percent",
                "isp_late_fee_percent": 10.0,
                "isp_late_fee_product_id": self.late_fee.id,
            }
        )
        customer = self.recurring_customer("Anton", price=45.0)
        self.sweep(customer, "2026-03-16")
        self.sweep(customer, "2026-03-16")
        fee = self.late_fees(customer)
        self.assertEqual(len(fee), 1)
        self.assertMoney(fee.amount, 4.5)

    def test_a_late_fee_exists_once_even_when_added_twice(self):
        customer = self.recurring_customer("Berta")
        invoice = self.isp_invoices(customer)
        OneTime = self.env["isp.one.time.charge"]
        args = (customer, "late_fee", self.late_fee, 5.0, date(2026, 3, 16))
        first = OneTime._isp_add_fee(*args, overdue_move_id=invoice.id)
        with mute_logger("odoo.sql_db"):  # the database refuses the second one
            second = OneTime._isp_add_fee(*args, overdue_move_id=invoice.id)
        self.assertTrue(first)
        self.assertFalse(second)
        self.assertEqual(self.charges(customer), first)

    def test_late_fee_settings_are_checked(self):
        for values, text in (
            ({"isp_late_fee_type": "fixed", "isp_late_fee_amount": 0.0}, "above zero"),
            ({"isp_late_fee_type": "percent", "isp_late_fee_percent": 150.0}, "at most 100"),
            ({"isp_reconnection_fee": -1.0}, "cannot be negative"),
            ({"isp_reconnection_fee": 10.0, "isp_reconnection_product_id": False}, "product"),
        ):
            with self.subTest(values=values), self.assertRefused(ValidationError, text):
                self.company.write(
                    {"isp_late_fee_product_id": self.late_fee.id, **values}
                )

    def test_reconnection_fee_on_reactivation_from_the_balance(self):
        self.company.write(
            {"isp_reconnection_fee": 10.0, "isp_reconnection_product_id": self.reconnection.id}
        )
        customer = self.recurring_customer("Carl")
        self.sweep(customer, "2026-03-16")
        self.assertStatus(customer, "blocked")
        self.assertFalse(self.charges(customer))

        with freeze_time("2026-03-20"):
            self.pay(customer, 40.0, date="2026-03-20")

        self.assertStatus(customer, "active", "2026-03-20")
        fee = self.charges(customer, origin="reconnection")
        self.assertEqual((fee.mode, fee.state), ("from_balance", "done"))
        self.assertMoney(fee.move_id.amount_total, 10.0)
        self.assertIn(fee.move_id.payment_state, ("paid", "in_payment"))
        self.assertBalance(customer, 0.0)
        self.assertBalanceIsReceivable(customer)
        # Being active again charges nothing more.
        customer.action_isp_activate()
        self.assertEqual(len(self.charges(customer)), 1)

    def test_prepaid_reconnection_without_funds_is_invoiced_and_reactivates(self):
        self.company.write(
            {"isp_reconnection_fee": 10.0, "isp_reconnection_product_id": self.reconnection.id}
        )
        customer = self.make_subscriber("Dagmar")
        self.make_subscription(customer, price=30.0, date_start="2026-03-05")
        self.pay(customer, 30.0, date="2026-03-05")
        self.run_engine(customer, "2026-03-05")
        self.run_engine(customer, "2026-04-05")
        self.assertStatus(customer, "blocked", "2026-04-05")

        with freeze_time("2026-04-07"):
            self.pay(customer, 30.0, date="2026-04-07")

        self.assertStatus(customer, "active", "2026-04-07")
        fee = self.charges(customer, origin="reconnection")
        self.assertEqual((fee.mode, fee.state), ("to_invoice", "done"))
        self.assertEqual(fee.move_id.payment_state, "not_paid")
        self.assertBalance(customer, -10.0)
        self.assertBalanceIsReceivable(customer)


@freeze_time("2026-03-10")
@tagged("post_install", "-at_install")
class TestOneTimePortal(IspPortalCase, HttpCase):
    def test_a_portal_user_reads_no_one_time_charges(self):
        product = self.env["product.product"].create({"name": "Installation"})
        alice = self.make_subscriber("Alice One", billing_type="recurring")
        bob = self.make_subscriber("Bob One", billing_type="recurring")
        OneTime = self.env["isp.one.time.charge"]
        charges = OneTime.create(
            [
                {"partner_id": p.id, "product_id": product.id, "description": "Setup", "amount": 9.0}
                for p in (alice, bob)
            ]
        )
        self.make_portal_user(alice, "alice_one")
        self.authenticate("alice_one", "alice_one")
        result, error = self.call_kw(
            "isp.one.time.charge", "search_read", [[]], {"fields": ["description"]}
        )
        self.assertFalse(result)
        self.assertEqual(error["name"], "odoo.exceptions.AccessError")
        result, error = self.call_kw(
            "isp.one.time.charge", "read", [charges[1].ids], {"fields": ["amount"]}
        )
        self.assertFalse(result)
        self.assertEqual(error["name"], "odoo.exceptions.AccessError")
