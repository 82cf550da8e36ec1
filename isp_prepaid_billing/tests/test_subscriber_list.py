# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The subscriber list sorts, filters and sums Balance and Paid Until: both are
stored, and whatever moves money (Odoo's Register Payment, a credit note, an
invoice reset to draft or cancelled) leaves the stored values equal to the
receivable, without anyone refreshing them."""

from lxml import etree

from odoo import Command
from odoo.tests import freeze_time, tagged
from odoo.tools import SQL

from .common import IspBillingCase


@tagged("post_install", "-at_install")
@freeze_time("2026-03-10")
class TestSubscriberList(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]

    def recurring_with_invoice(self, name, price):
        customer = self.make_subscriber(name, billing_type="recurring")
        self.make_subscription(customer, price=price, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        invoice = self.isp_invoices(customer)
        self.assertEqual(len(invoice), 1)
        return customer, invoice

    def register_payment(self, invoice, amount):
        """Staff's Register Payment (Odoo's wizard) on the invoice."""
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "amount": amount,
                    "payment_date": "2026-03-05",
                    "journal_id": self.bank_journal.id,
                }
            )
        )
        payments = wizard._create_payments()
        self.end_transaction()
        return payments

    def stored(self, partners, column):
        """What the database holds, as the list reads it when sorting."""
        self.env.flush_all()
        return dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, %s FROM res_partner WHERE id IN %s",
                    SQL.identifier(column),
                    tuple(partners.ids),
                )
            )
        )

    def receivable(self, customer):
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", customer.id),
                ("company_id", "=", self.company.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ]
        )
        return sum(lines.mapped("balance"))

    def assertStoredBalance(self, customer, expected):
        stored = self.stored(customer, "isp_balance")[customer.id]
        self.assertMoney(stored, expected, f"stored balance {stored} != {expected}")
        self.assertMoney(stored, -self.receivable(customer), "balance = -receivable")

    def list_order(self, customers, order):
        return self.Partner.search([("id", "in", customers.ids)], order=order)

    def footer_sum(self, customers):
        [(total,)] = self.Partner._read_group(
            [("id", "in", customers.ids)], aggregates=["isp_balance:sum"]
        )
        return total

    def test_register_payment_wizard_updates_the_stored_balance(self):
        ada, ada_invoice = self.recurring_with_invoice("Ada", 30.0)
        bob, bob_invoice = self.recurring_with_invoice("Bob", 50.0)
        cid, __ = self.recurring_with_invoice("Cid", 10.0)
        customers = ada | bob | cid
        self.assertEqual(self.list_order(customers, "isp_balance, id"), bob | ada | cid)

        self.register_payment(ada_invoice, 30.0)  # paid in full
        self.register_payment(bob_invoice, 20.0)  # partly
        self.assertIn(ada_invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(bob_invoice.payment_state, "partial")
        self.assertStoredBalance(ada, 0.0)
        self.assertStoredBalance(bob, -30.0)
        self.assertStoredBalance(cid, -10.0)
        self.assertEqual(self.list_order(customers, "isp_balance, id"), bob | cid | ada)
        self.assertEqual(
            self.list_order(customers, "isp_balance desc, id"), ada | cid | bob
        )
        self.assertMoney(self.footer_sum(customers), -40.0)
        self.assertEqual(
            self.Partner.search([("id", "in", customers.ids), ("isp_balance", "<", 0)]),
            bob | cid,
        )

    def test_paid_until_is_stored_when_the_invoice_is_paid(self):
        ada, ada_invoice = self.recurring_with_invoice("Ada", 30.0)
        bob, __ = self.recurring_with_invoice("Bob", 30.0)
        customers = ada | bob
        self.assertEqual(
            self.stored(customers, "isp_paid_until"), {ada.id: None, bob.id: None}
        )
        self.register_payment(ada_invoice, 30.0)
        march_end = ada.isp_contract_ids.isp_charged_until
        self.assertEqual(march_end.isoformat(), "2026-03-31")
        self.assertEqual(
            self.stored(customers, "isp_paid_until"), {ada.id: march_end, bob.id: None}
        )
        self.assertEqual(
            self.Partner.search(
                [("id", "in", customers.ids), ("isp_paid_until", ">=", "2026-03-31")]
            ),
            ada,
        )
        self.assertEqual(
            self.list_order(customers, "isp_paid_until desc nulls last"), ada | bob
        )

    def test_a_credit_note_updates_the_stored_balance(self):
        ada, invoice = self.recurring_with_invoice("Ada", 30.0)
        bob, __ = self.recurring_with_invoice("Bob", 20.0)
        customers = ada | bob
        self.assertEqual(self.list_order(customers, "isp_balance, id"), ada | bob)
        credit_note = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": ada.id,
                "company_id": self.company.id,
                "invoice_date": "2026-03-06",
                "reversed_entry_id": invoice.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.plan.id,
                            "name": "Goodwill: 4 days without service",
                            "quantity": 1,
                            "price_unit": 12.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        credit_note.action_post()
        self.end_transaction()
        self.assertStoredBalance(ada, -18.0)
        self.assertStoredBalance(bob, -20.0)
        self.assertEqual(self.list_order(customers, "isp_balance, id"), bob | ada)
        self.assertMoney(self.footer_sum(customers), -38.0)

    def test_reset_to_draft_and_cancel_update_the_stored_balance(self):
        ada, invoice = self.recurring_with_invoice("Ada", 30.0)
        bob, __ = self.recurring_with_invoice("Bob", 20.0)
        customers = ada | bob
        self.assertStoredBalance(ada, -30.0)
        invoice.button_draft()
        self.assertStoredBalance(ada, 0.0)
        self.assertEqual(self.list_order(customers, "isp_balance, id"), bob | ada)
        self.assertMoney(self.footer_sum(customers), -20.0)
        invoice.button_cancel()
        self.assertStoredBalance(ada, 0.0)
        self.assertEqual(
            self.Partner.search([("id", "in", customers.ids), ("isp_balance", "<", 0)]),
            bob,
        )

    def test_a_payment_reset_to_draft_takes_the_money_back(self):
        ada, invoice = self.recurring_with_invoice("Ada", 30.0)
        payment = self.register_payment(invoice, 30.0)
        self.assertStoredBalance(ada, 0.0)
        payment.action_draft()
        self.end_transaction()
        self.assertStoredBalance(ada, -30.0)

    def test_the_upgrade_gives_every_partner_its_stored_values(self):
        ada, invoice = self.recurring_with_invoice("Ada", 30.0)
        self.register_payment(invoice, 40.0)  # 10.00 in credit
        # What the columns hold right after the upgrade created them.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET isp_balance = NULL, isp_paid_until = NULL "
                "WHERE id = %s",
                ada.id,
            )
        )
        self.env.invalidate_all()
        self.env["res.partner"]._isp_recompute_balances()
        self.assertStoredBalance(ada, 10.0)
        self.assertEqual(
            self.stored(ada, "isp_paid_until")[ada.id].isoformat(), "2026-03-31"
        )

    def test_the_list_sums_the_balance_and_filters_on_it(self):
        views = self.Partner.get_views(
            [
                (self.env.ref("isp_prepaid_billing.res_partner_view_list_isp").id, "list"),
                (
                    self.env.ref("isp_prepaid_billing.res_partner_view_search_isp").id,
                    "search",
                ),
            ]
        )["views"]
        columns = etree.fromstring(views["list"]["arch"])
        self.assertTrue(columns.xpath("//field[@name='isp_balance'][@sum]"))
        self.assertTrue(columns.xpath("//field[@name='isp_paid_until']"))
        search = etree.fromstring(views["search"]["arch"])
        for name in ("in_debt", "in_credit", "paid_until"):
            self.assertTrue(search.xpath(f"//filter[@name='{name}']"), name)
