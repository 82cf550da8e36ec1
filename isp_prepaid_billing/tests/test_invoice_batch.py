# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo import Command
from odoo.tests import tagged

from .common import IspBillingCase

BILLING_DAY = date(2026, 4, 1)


@tagged("post_install", "-at_install")
class TestInvoiceBatch(IspBillingCase):
    """Invoices built from their group's first invoice are the invoices Odoo
    itself makes from the same lines: same accounts, amounts, taxes, tax
    grids and due dates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan.taxes_id = [Command.set((cls.tax_sale_a + cls.tax_sale_b).ids)]

    def subscriber(self, name, price=30.0, **values):
        customer = self.make_subscriber(name, billing_type="recurring", **values)
        self.make_subscription(customer, price=price, date_start="2026-04-01")
        return customer

    def lines_of(self, move):
        return sorted(
            (
                line.display_type,
                line.account_id.code,
                self.currency.round(line.balance),
                tuple(sorted(line.tax_ids.mapped("name"))),
                tuple(sorted(line.tax_tag_ids.ids)),
                line.tax_repartition_line_id.id,
                line.partner_id.id,
                line.date_maturity if line.display_type == "payment_term" else None,
                line.name if line.display_type == "product" else None,
                repr(sorted((line.analytic_distribution or {}).items())),
            )
            for line in move.line_ids
        )

    def standard_invoices(self, customers):
        """What Odoo makes, the standard way, from the engine's own values."""
        Engine = self.env["isp.billing.engine"]
        expected = {}
        for plan in Engine._plan(customers, BILLING_DAY):
            reference = self.env["account.move"].create(
                Engine._prepare_move_vals(plan, BILLING_DAY)
            )
            expected[plan.partner] = (
                self.lines_of(reference),
                reference.amount_total,
                max(filter(None, reference.line_ids.mapped("date_maturity"))),
            )
            reference.unlink()
        return expected

    def test_look_alike_invoices_match_the_standard_ones(self):
        ana, ben, cid = (self.subscriber(name) for name in ("Ana", "Ben", "Cid"))
        # Each of these needs other tax or receivable lines, or a payment term.
        dan = self.subscriber("Dan", property_account_position_id=self.fiscal_pos_a.id)
        eve = self.subscriber("Eve", property_payment_term_id=self.pay_terms_b.id)
        fay = self.subscriber("Fay", price=25.0)
        gus = self.subscriber(
            "Gus",
            property_account_receivable_id=self.company_data[
                "default_account_receivable"
            ]
            .copy()
            .id,
        )
        customers = ana | ben | cid | dan | eve | fay | gus
        self.pay(ben, 40.0, "2026-03-20")
        expected = self.standard_invoices(customers)
        ranks = {customer: customer.customer_rank for customer in customers}

        self.run_engine(customers, BILLING_DAY)

        for customer in customers:
            with self.subTest(customer=customer.name):
                invoice = self.isp_invoices(customer)
                self.assertEqual(len(invoice), 1)
                self.assertEqual(invoice.state, "posted")
                lines, total, due = expected[customer]
                self.assertEqual(self.lines_of(invoice), lines)
                self.assertMoney(invoice.amount_total, total)
                self.assertEqual(invoice.invoice_date_due, due)
                self.assertEqual(
                    invoice.invoice_line_ids.contract_line_id,
                    customer.isp_contract_ids.contract_line_ids,
                )
        self.assertEqual(self.isp_invoices(cid).invoice_date_due, date(2026, 4, 15))
        # 30 plus two taxes of 15%; the fiscal position maps them to one.
        self.assertMoney(self.isp_invoices(ana).amount_total, 39.0)
        self.assertMoney(self.isp_invoices(cid).amount_tax, 9.0)
        self.assertMoney(self.isp_invoices(dan).amount_total, 34.5)
        self.assertMoney(self.isp_invoices(fay).amount_total, 32.5)
        terms = self.isp_invoices(eve).line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        self.assertEqual(len(terms), 2, "30% now, 70% at the end of next month")
        # The look-alike invoice is paid from the balance like any other.
        self.assertEqual(self.isp_invoices(ben).payment_state, "paid")
        self.assertBalance(ben, 1.0)
        self.assertBalance(cid, -39.0)
        # Posting numbered each one and its customer follows it.
        invoices = self.env["account.move"].union(
            *(self.isp_invoices(customer) for customer in customers)
        )
        self.assertEqual(len(set(invoices.mapped("name"))), len(customers))
        for invoice in invoices:
            self.assertEqual(invoice.message_partner_ids, invoice.partner_id)
            self.assertTrue(invoice.checked)
        # Each is counted once more as a customer (the "Customers" filter).
        customers.invalidate_recordset(["customer_rank"])
        for customer in customers:
            self.assertEqual(customer.customer_rank, ranks[customer] + 1)

    def test_look_alikes_follow_customer_analytics_and_delivery_address(self):
        """Inputs Odoo reads per customer: analytic distribution models keyed on
        the partner or its tags, and the fiscal position of the delivery address."""
        plan = self.env["account.analytic.plan"].create({"name": "Regions"})
        north, south = (
            self.env["account.analytic.account"].create(
                {"name": name, "plan_id": plan.id, "company_id": self.company.id}
            )
            for name in ("North", "South")
        )
        tag = self.env["res.partner.category"].create({"name": "Southern"})
        ana, ben = (self.subscriber(name) for name in ("Ana", "Ben"))
        ivy = self.subscriber("Ivy")
        jon = self.subscriber("Jon", category_id=[Command.set(tag.ids)])
        Model = self.env["account.analytic.distribution.model"]
        Model.create({"partner_id": ivy.id, "analytic_distribution": {str(north.id): 100}})
        Model.create(
            {"partner_category_id": tag.id, "analytic_distribution": {str(south.id): 100}}
        )
        abroad = self.env.ref("base.be")
        self.fiscal_pos_a.write({"auto_apply": True, "country_id": abroad.id})
        kim = self.subscriber("Kim")
        self.env["res.partner"].create(
            {"name": "Kim's flat", "parent_id": kim.id, "type": "delivery", "country_id": abroad.id}
        )
        customers = ana | ben | ivy | jon | kim
        expected = self.standard_invoices(customers)

        self.run_engine(customers, BILLING_DAY)

        for customer in customers:
            with self.subTest(customer=customer.name):
                self.assertEqual(self.lines_of(self.isp_invoices(customer)), expected[customer][0])
        product_line = self.isp_invoices(ivy).invoice_line_ids
        self.assertEqual(product_line.analytic_distribution, {str(north.id): 100})
        self.assertEqual(
            self.isp_invoices(jon).invoice_line_ids.analytic_distribution, {str(south.id): 100}
        )
        self.assertFalse(self.isp_invoices(ben).invoice_line_ids.analytic_distribution)
        self.assertEqual(self.isp_invoices(kim).fiscal_position_id, self.fiscal_pos_a)
        self.assertMoney(self.isp_invoices(kim).amount_total, 34.5)

    def test_audit_trail_of_engine_invoices_is_odoos(self):
        self.company.check_account_audit_trail = True
        env = self.env["base"].with_context(
            tracking_disable=False, mail_create_nolog=False, mail_notrack=False
        ).env
        customers = env["res.partner"].browse(
            [self.subscriber(name).id for name in ("Lia", "Mo")]
        )
        env["isp.billing.engine"]._execute(customers, BILLING_DAY)
        standard = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customers[0].id,
                "invoice_date": BILLING_DAY,
                "invoice_line_ids": [
                    Command.create({"product_id": self.plan.id, "price_unit": 30.0})
                ],
            }
        )
        standard.action_post()
        self.end_transaction()

        def trail(move):
            messages = self.env["mail.message"].sudo().search(
                [("model", "=", "account.move"), ("res_id", "=", move.id)]
            )
            return {
                "created": any("created" in (m.account_audit_log_preview or "").lower() for m in messages),
                "fields": set(messages.tracking_value_ids.field_id.mapped("name")),
            }

        expected = trail(standard)
        self.assertTrue(expected["created"])
        for customer in customers:
            with self.subTest(customer=customer.name):
                self.assertEqual(trail(self.isp_invoices(customer)), expected)

    def test_the_contracts_own_invoice_values_apply(self):
        """OCA contract's _prepare_invoice: the subscription's payment term,
        fiscal position and salesperson reach the ISP invoice."""
        customer = self.make_subscriber("Nora", billing_type="recurring")
        self.make_subscription(
            customer,
            date_start="2026-04-01",
            payment_term_id=self.pay_terms_b.id,
            fiscal_position_id=self.fiscal_pos_a.id,
            user_id=self.env.user.id,
        )
        self.run_engine(customer, BILLING_DAY)
        invoice = self.isp_invoices(customer)
        self.assertEqual(invoice.invoice_payment_term_id, self.pay_terms_b)
        self.assertEqual(invoice.fiscal_position_id, self.fiscal_pos_a)
        self.assertEqual(invoice.invoice_user_id, self.env.user)
        self.assertEqual(invoice.journal_id, self.company._isp_invoice_journal())
        self.assertMoney(invoice.amount_total, 34.5)
