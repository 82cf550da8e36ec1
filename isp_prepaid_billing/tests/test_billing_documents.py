# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import fields
from odoo.tests import freeze_time, tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestPrepaidInvoicingOptions(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vat = cls.env["account.tax"].create(
            {
                "name": "VAT 20%",
                "amount": 20.0,
                "type_tax_use": "sale",
                "company_id": cls.company.id,
            }
        )
        cls.prepaid_account = cls.env["account.account"].create(
            {
                "name": "Prepaid balances",
                "code": "249900",
                "account_type": "liability_current",
            }
        )

    def tax_invoices(self, customer):
        return self.isp_invoices(customer).filtered(
            lambda move: move.move_type == "out_invoice"
        )

    def test_invoice_after_payment_with_its_tax(self):
        self.company.write(
            {
                "isp_invoice_after_payment": True,
                "isp_invoice_after_payment_text": "Internet prepayment",
                "isp_invoice_after_payment_tax_id": self.vat.id,
                "isp_prepaid_account_id": self.prepaid_account.id,
            }
        )
        customer = self.make_subscriber("Ada")
        self.make_subscription(customer, date_start="2026-03-01")
        self.pay(customer, 100.0, "2026-03-01")
        invoice = self.tax_invoices(customer)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.invoice_line_ids.name, "Internet prepayment")
        self.assertMoney(invoice.amount_total, 100.0)
        self.assertMoney(invoice.amount_tax, 16.67)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertBalance(customer, 100.0)

        self.run_engine(customer, "2026-03-01")
        # The charge works with the balance only: no further invoice.
        self.assertEqual(self.tax_invoices(customer), invoice)
        self.assertEqual(
            customer.isp_contract_ids.isp_charge_ids.move_id.move_type, "entry"
        )
        self.assertBalance(customer, 70.0)
        self.assertStatus(customer, "active")

    def _invoice_after_payment_of(self, amount, tax_values):
        tax = self.env["account.tax"].create(
            {
                "name": f"VAT {tax_values}",
                "type_tax_use": "sale",
                "company_id": self.company.id,
                **tax_values,
            }
        )
        self.company.write(
            {
                "isp_invoice_after_payment": True,
                "isp_invoice_after_payment_tax_id": tax.id,
                "isp_prepaid_account_id": self.prepaid_account.id,
            }
        )
        customer = self.make_subscriber(f"Cent {tax_values}")
        self.make_subscription(customer, date_start="2026-03-01")
        self.pay(customer, amount, "2026-03-01")
        return customer, self.tax_invoices(customer)

    def test_invoice_after_payment_equals_the_payment_to_the_cent(self):
        """10.00 at 21%: 8.26 + 1.73 would leave a cent open."""
        for tax_values in (
            {"amount": 21.0},
            {"amount": 21.0, "price_include_override": "tax_included"},
        ):
            with self.subTest(**tax_values):
                customer, invoice = self._invoice_after_payment_of(10.0, tax_values)
                self.assertMoney(invoice.amount_total, 10.0)
                self.assertIn(invoice.payment_state, ("paid", "in_payment"))
                self.assertBalance(customer, 10.0)

    def test_auto_associate_exact_and_other_amounts(self):
        customer = self.make_subscriber("Bo", billing_type="recurring")
        subscription = self.make_subscription(customer, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        subscription.contract_line_ids.price_unit = 45.0
        self.run_engine(customer, "2026-04-01")
        small, big = self.isp_invoices(customer)
        self.assertMoney(big.amount_total, 45.0)
        # Exact amount: that invoice, even though it is not the oldest.
        self.pay(customer, 45.0, "2026-04-02")
        self.assertIn(big.payment_state, ("paid", "in_payment"))
        self.assertEqual(small.payment_state, "not_paid")
        # Another amount goes to the balance and pays from there.
        self.pay(customer, 20.0, "2026-04-03")
        self.assertEqual(small.payment_state, "partial")
        self.assertBalance(customer, -10.0)

    def test_auto_association_switched_off_pays_oldest_first(self):
        self.company.isp_auto_associate_payments = False
        customer = self.make_subscriber("Cy", billing_type="recurring")
        self.make_subscription(customer, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-04-01")
        march, april = self.isp_invoices(customer)
        self.pay(customer, 30.0, "2026-04-02")
        self.assertIn(march.payment_state, ("paid", "in_payment"))
        self.assertEqual(april.payment_state, "not_paid")


@tagged("post_install", "-at_install")
class TestStatementAndCalendar(IspBillingCase):
    def test_statement_matches_the_partner_ledger(self):
        customer = self.make_subscriber("Dot", billing_type="recurring")
        self.make_subscription(customer, date_start="2026-01-01")
        for month in ("2026-01-01", "2026-02-01", "2026-03-01"):
            self.run_engine(customer, month)
        self.pay(customer, 30.0, "2026-01-10")
        self.pay(customer, 40.0, "2026-02-10")
        february = self.isp_invoices(customer)[1]
        refund = february._reverse_moves(
            [
                {
                    "date": fields.Date.to_date("2026-02-20"),
                    "invoice_date": fields.Date.to_date("2026-02-20"),
                }
            ]
        )
        refund.action_post()

        statement = self.env["isp.statement"].create(
            {
                "partner_id": customer.id,
                "date_from": "2026-02-01",
                "date_to": "2026-03-31",
            }
        )
        data = statement._isp_statement_data()
        ledger = self.env["account.move.line"].search(
            [
                ("partner_id", "=", customer.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ]
        )
        before = ledger.filtered(
            lambda line: line.date < fields.Date.to_date("2026-02-01")
        )
        self.assertMoney(data["opening"], sum(before.mapped("balance")))  # 30 - 30 = 0
        self.assertMoney(data["opening"], 0.0)
        kinds = sorted(row["kind"] for row in data["rows"])
        self.assertEqual(kinds, ["Credit Note", "Invoice", "Invoice", "Payment"])
        self.assertMoney(data["closing"], sum(ledger.mapped("balance")))
        self.assertBalance(customer, -data["closing"])
        self.assertMoney(data["closing"], 30.0 * 3 - 70.0 - 30.0)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "isp_prepaid_billing.action_report_isp_statement", statement.ids
            )[0]
            .decode()
        )
        self.assertIn("Opening balance", html)
        self.assertIn(february.name, html)

    @freeze_time("2026-03-15")
    def test_payment_calendar_lists_the_next_twelve_months(self):
        customer = self.make_subscriber(
            "Eli", billing_type="recurring", isp_payment_due_days=10
        )
        self.make_subscription(customer, date_start="2026-03-01")
        self.make_subscription(
            customer, price=10.0, date_start="2026-03-01", date_end="2026-06-30"
        )
        self.run_engine(customer, "2026-03-01")
        action = customer.action_isp_payment_calendar()
        entries = self.env["isp.payment.forecast"].search(action["domain"])
        self.assertEqual(
            entries.filtered(lambda e: e.amount == 30.0).mapped("date"),
            [
                fields.Date.to_date(f"{year}-{month:02d}-01")
                for year, month in [(2026, m) for m in range(4, 13)]
                + [(2027, m) for m in range(1, 4)]
            ],
        )
        # The ten-unit line stops at its end date (April, May, June).
        self.assertEqual(len(entries.filtered(lambda e: e.amount == 10.0)), 3)
        april = entries.filtered(lambda e: e.date == fields.Date.to_date("2026-04-01"))
        self.assertEqual(
            set(april.mapped("date_due")), {fields.Date.to_date("2026-04-10")}
        )
        # Nothing was charged by looking.
        self.assertEqual(len(self.isp_invoices(customer)), 1)
