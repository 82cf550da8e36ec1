# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Seed 000, last paragraph: prepaid charges against the balance during the
month, one tax invoice of the services consumed on the first of the next."""

from datetime import date

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestConsumptionInvoice(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vat = cls.company_data["default_tax_sale"].copy({"name": "VAT 20%", "amount": 20.0})
        cls.plan.taxes_id = cls.vat
        cls.fast_plan = cls.env["product.product"].create(
            {
                "name": "Fibre 300 Mbit/s",
                "type": "service",
                "list_price": 60.0,
                "taxes_id": [Command.set(cls.vat.ids)],
                "property_account_income_id": cls.company_data["default_account_revenue"].id,
            }
        )
        cls.consumed = cls.env["account.account"].create(
            {
                "name": "Consumed services to invoice",
                "code": "ISP499",
                "account_type": "liability_current",
                "reconcile": True,
            }
        )
        cls.company.write(
            {
                "isp_invoice_on_charge": False,
                "isp_consumption_invoice": True,
                "isp_consumption_account_id": cls.consumed.id,
            }
        )

    def account_balance(self, account, partner=None):
        domain = [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return sum(self.env["account.move.line"].search(domain).mapped("balance"))

    def test_a_month_with_a_plan_change_is_one_tax_invoice(self):
        customer = self.make_subscriber("Mona", billing_type="prepaid")
        subscription = self.make_subscription(customer, price=30.0, date_start="2026-11-01")
        self.pay(customer, 200.0, date(2026, 11, 1))
        self.run_engine(customer, "2026-11-01")
        self.assertBalance(customer, 164.0)  # 30 + 20% VAT
        change = self.env["isp.service.change"].create(
            {
                "contract_id": subscription.id,
                "kind": "plan",
                "date": "2026-11-11",
                "product_id": self.fast_plan.id,
            }
        )
        with freeze_time("2026-11-11"):
            change.action_apply()
        self.end_transaction()
        self.assertBalance(customer, 140.0)  # 20/30 of (60 - 30), + VAT
        # Nothing is invoiced during the month.
        self.assertFalse(
            self.isp_invoices(customer).filtered(lambda m: m.move_type == "out_invoice")
        )

        Consumption = self.env["isp.consumption.invoice"]
        self.assertEqual(Consumption._cron_isp_consumption_invoice(date(2026, 11, 30)), (0, 0))
        self.assertEqual(Consumption._cron_isp_consumption_invoice(date(2026, 12, 1)), (1, 0))

        invoice = self.isp_invoices(customer).filtered(lambda m: m.move_type == "out_invoice")
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.invoice_date, date(2026, 12, 1))
        self.assertEqual(
            sorted(invoice.invoice_line_ids.mapped("price_unit")), [-20.0, 30.0, 40.0]
        )
        self.assertMoney(invoice.amount_untaxed, 50.0)
        self.assertMoney(invoice.amount_tax, 10.0)
        self.assertMoney(invoice.amount_total, 60.0)
        self.assertEqual(invoice.payment_state, "paid")
        # The balance moved once: the invoice is paid by what the charges took.
        self.assertBalance(customer, 140.0)
        self.assertBalanceIsReceivable(customer)
        self.assertMoney(self.account_balance(self.consumed, customer), 0.0)
        self.assertMoney(
            self.account_balance(self.company_data["default_account_revenue"], customer),
            -50.0,
        )
        # A second run finds nothing more to invoice.
        self.assertEqual(Consumption._cron_isp_consumption_invoice(date(2026, 12, 2)), (0, 0))

    def test_december_charges_wait_for_january(self):
        customer = self.make_subscriber("Nils", billing_type="prepaid")
        self.make_subscription(customer, price=30.0, date_start="2026-11-01")
        self.pay(customer, 200.0, date(2026, 11, 1))
        self.run_engine(customer, "2026-11-01")
        self.run_engine(customer, "2026-12-01")
        self.env["isp.consumption.invoice"]._cron_isp_consumption_invoice(date(2026, 12, 1))
        invoice = self.isp_invoices(customer).filtered(lambda m: m.move_type == "out_invoice")
        self.assertMoney(invoice.amount_total, 36.0)
        self.assertMoney(self.account_balance(self.consumed, customer), -36.0)
        self.assertBalance(customer, 128.0)
        self.assertBalanceIsReceivable(customer)

    def test_the_option_needs_a_reconcilable_account_and_no_other_invoicing(self):
        company = self.company
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            company.isp_invoice_on_charge = True
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.consumed.reconcile = False
            company._check_isp_consumption_invoice()
        self.assertTrue(company.isp_consumption_invoice)
