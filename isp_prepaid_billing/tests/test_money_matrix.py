# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Every way money arrives x every billing type x active or blocked: the same
outcome. The invoice paid, balance = -receivable, the status the rules give,
and one receipt number for each payment received."""

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import IspPortalCase

INVOICE_WAYS = (
    "register",
    "outstanding",
    "statement",
    "online",
    "refill",
    "credit_note",
)
PREPAID_WAYS = ("payment", "online", "refill")


@tagged("post_install", "-at_install")
@freeze_time("2026-02-20")
class TestMoneyMatrix(IspPortalCase):
    def customer_owing(self, billing_type, blocked):
        """A customer with one open 30.00 document (an invoice, or for prepaid
        an uncovered period), blocked or not."""
        name = f"{billing_type} {'blocked' if blocked else 'active'} {self.env['res.partner'].search_count([])}"
        customer = self.make_subscriber(name, billing_type=billing_type)
        start = "2026-01-01" if billing_type == "postpaid" else "2026-02-01"
        self.make_subscription(customer, price=30.0, date_start=start)
        if billing_type == "prepaid":
            customer.sudo().isp_status = "active"
            self.run_engine(customer, "2026-02-01")  # no funds: blocked
            if not blocked:
                customer.sudo().write({"isp_status": "active"})
            return customer, self.env["account.move"]
        self.run_engine(customer, "2026-02-01")
        invoice = self.isp_invoices(customer)
        self.assertEqual(len(invoice), 1)
        if blocked:
            self.sweep(customer, "2026-02-16")
        self.assertStatus(customer, "blocked" if blocked else "active")
        return customer, invoice

    def bring_money(self, way, customer, invoice):
        """30.00 arrives ``way``; returns the payments received."""
        Payment = self.env["account.payment"]
        before = Payment.search([("partner_id", "=", customer.id)])
        if way == "register":
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"journal_id": self.bank_journal.id})._create_payments()
        elif way in ("outstanding", "payment"):
            payment = Payment.create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": customer.id,
                    "amount": 30.0,
                    "journal_id": self.bank_journal.id,
                }
            )
            payment.action_post()
            if way == "outstanding":
                invoice.js_assign_outstanding_line(
                    payment.move_id.line_ids.filtered(
                        lambda line: line.account_type == "asset_receivable"
                    ).id
                )
        elif way == "statement":
            line = self.env["account.bank.statement.line"].create(
                {
                    "journal_id": self.bank_journal.id,
                    "payment_ref": customer.name,
                    "partner_id": customer.id,
                    "amount": 30.0,
                }
            )
            line.add_multiple_lines(
                [
                    (
                        "id",
                        "in",
                        invoice.line_ids.filtered(
                            lambda l: l.account_type == "asset_receivable"
                        ).ids,
                    )
                ]
            )
            line.reconcile_bank_line()
        elif way == "online":
            values = {"invoice_ids": [Command.set(invoice.ids)]} if invoice else {}
            tx = self.demo_transaction(customer, 30.0, **values)
            self.provider_says(tx)
        elif way == "refill":
            wizard = self.env["isp.refill.card.generate"].create(
                {
                    "name": f"M{customer.id}",
                    "count": 1,
                    "value": 30.0,
                    "company_id": self.company.id,
                }
            )
            wizard.action_generate()
            __, error = self.env["isp.refill.card"]._isp_redeem(
                wizard._cards()[0][1], customer, "192.0.2.99"
            )
            self.assertFalse(error)
        elif way == "credit_note":
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"reason": "goodwill", "journal_id": invoice.journal_id.id})
            )
            credit_note = self.env["account.move"].browse(
                reversal.refund_moves()["res_id"]
            )
            credit_note.action_post()
        self.end_transaction()
        return Payment.search([("partner_id", "=", customer.id)]) - before

    def test_invoiced_customers(self):
        if "reconcile_data_info" not in self.env["account.bank.statement.line"]._fields:
            self.skipTest("account_reconcile_oca is not installed")
        for billing_type in ("recurring", "postpaid"):
            for blocked in (False, True):
                for way in INVOICE_WAYS:
                    with self.subTest(
                        billing_type=billing_type, blocked=blocked, way=way
                    ):
                        customer, invoice = self.customer_owing(billing_type, blocked)
                        payments = self.bring_money(way, customer, invoice)
                        self.assertIn(
                            invoice.payment_state, ("paid", "in_payment", "reversed")
                        )
                        self.assertBalance(customer, 0.0)
                        self.assertBalanceIsReceivable(customer)
                        self.assertStatus(customer, "active")
                        expected_payments = (
                            0 if way in ("statement", "credit_note") else 1
                        )
                        self.assertEqual(len(payments), expected_payments)
                        self.assertTrue(all(payments.mapped("isp_receipt_number")))

    def test_prepaid_customers(self):
        for blocked in (False, True):
            for way in PREPAID_WAYS:
                with self.subTest(blocked=blocked, way=way):
                    customer, __ = self.customer_owing("prepaid", blocked)
                    self.assertStatus(customer, "blocked" if blocked else "active")
                    payments = self.bring_money(way, customer, self.env["account.move"])
                    self.assertBalanceIsReceivable(customer)
                    if blocked:
                        # The money charges the period at once and reactivates.
                        self.assertStatus(customer, "active")
                        self.assertBalance(customer, 0.0)
                        self.assertEqual(
                            customer.isp_contract_ids.isp_charged_until.isoformat(),
                            "2026-03-19",
                        )
                    else:
                        self.assertBalance(customer, 30.0)
                    self.assertEqual(len(payments), 1)
                    self.assertTrue(all(payments.mapped("isp_receipt_number")))
