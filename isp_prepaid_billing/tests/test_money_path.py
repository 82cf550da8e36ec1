# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Money arriving through Odoo's own screens settles like our own payments:
the invoice the user chose is the one paid, the rest pays what is still open,
blocked customers come back, and the balance is the receivable."""

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestMoneyPath(IspBillingCase):
    def _recurring_with_invoices(self, name, months=2, **values):
        customer = self.make_subscriber(name, billing_type="recurring", **values)
        self.make_subscription(customer, price=30.0, date_start="2026-01-01")
        for month in range(1, months + 1):
            self.run_engine(customer, f"2026-{month:02d}-01")
        invoices = self.isp_invoices(customer)
        self.assertEqual(len(invoices), months)
        return customer, invoices

    def register_payment(self, invoices, date, **values):
        """Staff's Register Payment on the invoices they selected."""
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(
                {"payment_date": date, "journal_id": self.bank_journal.id, **values}
            )
        )
        payments = wizard._create_payments()
        self.end_transaction()
        return payments

    # === REGISTER PAYMENT === #

    def test_register_payment_pays_the_invoice_staff_chose(self):
        customer, (january, february) = self._recurring_with_invoices("Ada")
        payment = self.register_payment(february, "2026-02-03")
        self.assertEqual(february.payment_state, "paid")
        self.assertEqual(january.payment_state, "not_paid")
        self.assertTrue(payment.isp_receipt_number)
        self.assertBalance(customer, -30.0)
        self.assertBalanceIsReceivable(customer)

    def test_register_payment_on_several_chosen_invoices(self):
        customer, (january, february, march) = self._recurring_with_invoices(
            "Bob", months=3
        )
        payments = self.register_payment(
            february + march, "2026-03-03", group_payment=True
        )
        self.assertEqual(len(payments), 1)
        self.assertMoney(payments.amount, 60.0)
        self.assertEqual(
            (january + february + march).mapped("payment_state"),
            ["not_paid", "paid", "paid"],
        )
        self.assertBalance(customer, -30.0)

    def test_register_payment_larger_than_the_invoice_pays_the_rest_oldest_first(self):
        customer, (january, february, march) = self._recurring_with_invoices(
            "Cid", months=3
        )
        self.register_payment(march, "2026-03-03", amount=70.0)
        self.assertEqual(march.payment_state, "paid")
        self.assertEqual(january.payment_state, "paid")
        self.assertEqual(february.payment_state, "partial")
        self.assertMoney(february.amount_residual, 20.0)
        self.assertBalance(customer, -20.0)

    def test_register_payment_reactivates_a_blocked_customer(self):
        customer, (january,) = self._recurring_with_invoices("Dee", months=1)
        self.sweep(customer, "2026-01-16")
        self.assertStatus(customer, "blocked", "2026-01-16")
        with freeze_time("2026-01-18"):
            self.register_payment(january, "2026-01-18")
        self.assertEqual(january.payment_state, "paid")
        self.assertStatus(customer, "active", "2026-01-18")

    # === OUTSTANDING CREDIT, CREDIT NOTE, STAFF INVOICE === #

    def test_outstanding_credit_added_on_the_invoice_pays_that_invoice(self):
        customer, (january, february) = self._recurring_with_invoices("Eve")
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": 30.0,
                "date": "2026-02-05",
                "journal_id": self.bank_journal.id,
            }
        )
        payment.action_post()
        # Before the transaction ends, staff add the credit on February's form.
        credit = payment.move_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )
        february.js_assign_outstanding_line(credit.id)
        self.end_transaction()
        self.assertEqual(february.payment_state, "paid")
        self.assertEqual(january.payment_state, "not_paid")
        self.assertBalance(customer, -30.0)

    def test_credit_note_settles_and_reactivates(self):
        customer, (january,) = self._recurring_with_invoices("Fay", months=1)
        self.sweep(customer, "2026-01-16")
        self.assertStatus(customer, "blocked")
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=january.ids)
            .create(
                {
                    "reason": "Service outage",
                    "journal_id": january.journal_id.id,
                    "date": "2026-01-20",
                }
            )
        )
        action = reversal.refund_moves()
        credit_note = self.env["account.move"].browse(action["res_id"])
        with freeze_time("2026-01-20"):
            credit_note.action_post()
            self.end_transaction()
        self.assertEqual(january.payment_state, "reversed")
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertBalance(customer, 0.0)
        self.assertStatus(customer, "active", "2026-01-20")

    def test_payment_pays_an_invoice_staff_created(self):
        """Seed 004: a 30.00 one-time invoice, then a 30.00 payment linked to it."""
        self.company.isp_auto_associate_payments = True
        customer = self.make_subscriber("Gus", billing_type="recurring")
        self.make_subscription(customer, price=25.0, date_start="2026-01-01")
        self.run_engine(customer, "2026-01-01")
        installation = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": "2026-01-05",
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Installation", "quantity": 1, "price_unit": 30.0}
                    )
                ],
            }
        )
        installation.action_post()
        self.end_transaction()
        self.pay(customer, 30.0, date="2026-01-06")
        self.assertEqual(installation.payment_state, "paid")
        self.assertEqual(self.isp_invoices(customer).payment_state, "not_paid")
        self.assertBalance(customer, -25.0)

    def test_staff_invoice_is_paid_from_the_balance(self):
        customer = self.make_subscriber("Hal", billing_type="recurring")
        self.pay(customer, 50.0, date="2026-01-02")
        fee = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": "2026-01-05",
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Router", "quantity": 1, "price_unit": 40.0}
                    )
                ],
            }
        )
        fee.action_post()
        self.end_transaction()
        self.assertEqual(fee.payment_state, "paid")
        self.assertBalance(customer, 10.0)

    # === BAD INPUT: ANOTHER CURRENCY, PARTIAL, REVERSED === #

    def test_payment_in_another_currency_pays_at_the_rate_of_its_day(self):
        eur = self.setup_other_currency("EUR")  # 2 EUR for 1 of ours since 2017
        customer, (january,) = self._recurring_with_invoices("Ole", months=1)
        self.sweep(customer, "2026-01-16")
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": 60.0,
                "currency_id": eur.id,
                "date": "2026-01-18",
                "journal_id": self.bank_journal.id,
            }
        )
        with freeze_time("2026-01-18"):
            payment.action_post()
            self.end_transaction()
        self.assertEqual(january.payment_state, "paid")
        self.assertBalance(customer, 0.0)
        self.assertBalanceIsReceivable(customer)
        self.assertStatus(customer, "active", "2026-01-18")

    def test_partial_payment_leaves_the_rest_due_and_the_block(self):
        customer, (january,) = self._recurring_with_invoices("Pia", months=1)
        self.sweep(customer, "2026-01-16")
        with freeze_time("2026-01-18"):
            self.register_payment(january, "2026-01-18", amount=20.0)
        self.assertEqual(january.payment_state, "partial")
        self.assertMoney(january.amount_residual, 10.0)
        self.assertBalance(customer, -10.0)
        self.assertStatus(customer, "blocked", "2026-01-16")

    def test_cancelled_payment_reopens_the_invoice_and_the_next_sweep_blocks(self):
        customer, (january,) = self._recurring_with_invoices("Quy", months=1)
        with freeze_time("2026-01-10"):
            payment = self.register_payment(january, "2026-01-10")
        self.assertEqual(january.payment_state, "paid")
        payment.action_draft()
        payment.action_cancel()
        self.end_transaction()
        self.assertEqual(january.payment_state, "not_paid")
        self.assertBalance(customer, -30.0)
        self.assertTrue(payment.isp_receipt_number, "the receipt number stays used")
        self.sweep(customer, "2026-01-16")
        self.assertStatus(customer, "blocked", "2026-01-16")

    # === BANK STATEMENT (OCA account_reconcile_oca, as accountants reconcile) === #

    def test_bank_statement_line_matched_with_an_invoice(self):
        if "reconcile_data_info" not in self.env["account.bank.statement.line"]._fields:
            self.skipTest("account_reconcile_oca is not installed")
        customer, (january, february) = self._recurring_with_invoices("Ivy")
        self.sweep(customer, "2026-01-16")
        self.assertStatus(customer, "blocked")
        with freeze_time("2026-02-10"):
            st_line = self.env["account.bank.statement.line"].create(
                {
                    "journal_id": self.bank_journal.id,
                    "date": "2026-02-10",
                    "payment_ref": "Ivy transfer",
                    "partner_id": customer.id,
                    "amount": 60.0,
                }
            )
            self.end_transaction()
            self.assertStatus(customer, "blocked")  # still on the suspense account
            receivable = (january + february).line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            )
            st_line.add_multiple_lines([("id", "in", receivable.ids)])
            st_line.reconcile_bank_line()
            self.end_transaction()
        self.assertEqual((january + february).mapped("payment_state"), ["paid", "paid"])
        self.assertBalance(customer, 0.0)
        self.assertStatus(customer, "active", "2026-02-10")

    # === ONLINE PAYMENTS THAT CAN NO LONGER SERVE THEIR PURPOSE === #

    def test_failed_purpose_keeps_the_money_on_the_balance(self):
        """A prepayment whose periods can no longer be charged (billing was
        switched off meanwhile) is still booked, and staff see why."""
        customer = self.make_subscriber("Jo")
        self.make_subscription(customer, price=20.0, date_start="2026-03-01")
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": 40.0,
                "date": "2026-03-01",
                "journal_id": self.bank_journal.id,
                "isp_prepay_periods": 2,
            }
        )
        customer.isp_status = "inactive"
        payment.action_post()
        self.end_transaction()
        self.assertEqual(payment.state, "in_process")
        self.assertTrue(payment.isp_purpose_served)
        self.assertBalance(customer, 40.0)
        self.assertIn("stays on the customer's balance", payment.message_ids[0].body)

    # === DATES AND IMPORTED CUSTOMERS === #

    def test_imported_active_prepaid_without_funds_is_blocked_on_the_charge_date(self):
        customer = self.make_subscriber("Kim")
        customer.sudo().write({"isp_status": "active", "isp_status_date": "2025-12-01"})
        self.make_subscription(customer, price=20.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.assertStatus(customer, "blocked", "2026-03-01")
        self.assertIn("Insufficient funds", customer.isp_status_reason)
        self.assertFalse(
            self.env["isp.charge"].search([("partner_id", "=", customer.id)])
        )

    @freeze_time("2026-01-10")
    def test_future_run_invoices_in_advance_without_blocking_early(self):
        customer, (january,) = self._recurring_with_invoices("Lea", months=1)
        prepaid = self.make_subscriber("Max")
        prepaid.sudo().write({"isp_status": "active"})
        self.make_subscription(prepaid, price=20.0, date_start="2026-02-01")
        run = self.env["isp.billing.run"].create(
            {"date": "2026-02-01", "company_id": self.company.id}
        )
        run.action_confirm()
        self.assertEqual(len(self.isp_invoices(customer)), 2)
        self.assertStatus(customer, "active")
        self.assertStatus(prepaid, "active")
        self.assertNotIn("block", run.line_ids.mapped("action"))


@tagged("post_install", "-at_install")
class TestHashLockedJournal(IspBillingCase):
    def test_hash_locked_journal_bills_across_the_year_end(self):
        journal = self.company_data["default_journal_sale"]
        journal.write(
            {
                "isp_number_format": "{year}{partner_id|2}{next|6}",
                "restrict_mode_hash_table": True,
            }
        )
        customers = self.env["res.partner"]
        for name in ("Nia", "Oto"):
            customer = self.make_subscriber(name, billing_type="recurring")
            self.make_subscription(customer, price=30.0, date_start="2026-11-01")
            customers |= customer
        for day in ("2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01"):
            plans = self.run_engine(customers, day)
            self.assertFalse([plan.error for plan in plans if plan.error], day)
        invoices = self.env["account.move"].search(
            [("partner_id", "in", customers.ids), ("move_type", "=", "out_invoice")],
            order="name",
        )
        self.assertEqual(len(invoices), 8)
        self.assertTrue(all(invoices.mapped("inalterable_hash")))
        company_digits = "%02d" % self.company.id
        self.assertEqual(
            sorted(invoices.mapped("name")),
            [f"2026{company_digits}{n:06d}" for n in range(1, 5)]
            + [f"2027{company_digits}{n:06d}" for n in range(1, 5)],
        )
        results = self.company._check_hash_integrity()["results"]
        statuses = {
            r["journal_name"]: r["status"]
            for r in results
            if journal.name in r["journal_name"]
        }
        self.assertTrue(statuses)
        self.assertEqual(set(statuses.values()), {"verified"}, statuses)
