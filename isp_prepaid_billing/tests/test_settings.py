# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import IspBillingCase

ISP_USER_GROUPS = "base.group_user,isp_prepaid_billing.isp_prepaid_billing_group_user"


@tagged("post_install", "-at_install")
class TestSettingsAndAccess(IspBillingCase):
    def test_bad_settings_are_refused(self):
        for values in (
            {"isp_billing_day": 29},
            {"isp_billing_day": 0},
            {"isp_payment_due_days": 29},
            {"isp_blocking_days": 100},
            {"isp_recurring_months": 13},
            {"isp_prepaid_period_length": 0},
        ):
            with self.subTest(values=values):
                with self.assertRaises(ValidationError):
                    self.company.write(values)
                with self.assertRaises(ValidationError):
                    self.make_subscriber("Bad", **values)
        self.company.invalidate_recordset()
        self.assertEqual(self.company.isp_billing_day, 1)

    def test_negative_price_and_zero_period_refused(self):
        customer = self.make_subscriber("Xena")
        with self.assertRefused(ValidationError, "negative"):
            self.make_subscription(customer, price=-5.0)
        subscription = self.make_subscription(customer)
        with self.assertRaises(ValidationError):
            subscription.isp_period_length = 0
        recurring = self.make_subscriber("Yuri", billing_type="recurring")
        with self.assertRefused(ValidationError, "only for prepaid"):
            self.make_subscription(recurring, isp_period_unit="day", isp_period_length=7)

    def test_new_customers_take_company_defaults(self):
        self.company.write({"isp_billing_day": 12, "isp_minimum_balance": -20.0,
                            "isp_billing_type": "postpaid"})
        customer = self.env["res.partner"].create({"name": "Zoe", "isp_billing_enabled": True})
        self.assertEqual(customer.isp_billing_day, 12)
        self.assertMoney(customer.isp_minimum_balance, -20.0)
        self.assertEqual(customer.isp_billing_type, "postpaid")
        self.assertEqual(customer.isp_status, "new")

    def test_update_existing_customers_pushes_only_ticked_attributes(self):
        recurring = self.make_subscriber("R1", billing_type="recurring", isp_minimum_balance=7.0)
        prepaid = self.make_subscriber("P1", billing_type="prepaid")
        self.company.write({"isp_billing_day": 10, "isp_minimum_balance": 99.0})
        day_field = self.env["ir.model.fields"]._get("res.partner", "isp_billing_day")
        wizard = self.env["isp.customer.update"].create(
            {"billing_type": "recurring", "field_ids": [Command.set(day_field.ids)]}
        )
        wizard.action_update()
        self.assertEqual(recurring.isp_billing_day, 10)
        self.assertMoney(recurring.isp_minimum_balance, 7.0)
        self.assertEqual(prepaid.isp_billing_day, 1)

    def test_contract_cron_never_invoices_isp_subscriptions(self):
        customer = self.make_subscriber("Abe", billing_type="recurring")
        isp_subscription = self.make_subscription(customer, date_start="2026-01-01")
        other = self.env["res.partner"].create({"name": "Regular customer"})
        regular = self.make_subscription(other, date_start="2026-01-01")
        self.assertTrue(isp_subscription.isp_managed)
        self.assertFalse(regular.isp_managed)

        self.env["contract.contract"].cron_recurring_create_invoice(date(2026, 2, 1))
        isp_subscription.recurring_create_invoice()

        self.assertFalse(isp_subscription._get_related_invoices())
        self.assertTrue(regular._get_related_invoices())

    def test_settings_changes_reach_existing_subscriptions_from_the_next_period(self):
        customer = self.make_subscriber(
            "Dora", isp_prepaid_period_unit="day", isp_prepaid_period_length=30
        )
        subscription = self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.pay(customer, 30.0, date="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        charge = subscription.isp_charge_ids
        self.assertEqual((charge.period_start, charge.period_end), (date(2026, 3, 1), date(2026, 3, 30)))

        customer.write({"isp_billing_type": "recurring", "isp_recurring_months": 1})
        self.end_transaction()
        self.assertEqual(
            (subscription.isp_period_unit, subscription.isp_period_length), ("month", 1)
        )
        self.assertIn("from the next period on: 1 (Months)", str(subscription.message_ids[0].body))
        self.run_engine(customer, "2026-04-01")
        april = self.isp_invoices(customer)[-1]
        self.assertEqual(
            april.isp_charge_ids.mapped(lambda c: (c.period_start, c.period_end)),
            [(date(2026, 3, 31), date(2026, 4, 30))],
        )
        # The March period charged by days is what it was.
        self.assertEqual((charge.period_start, charge.period_end), (date(2026, 3, 1), date(2026, 3, 30)))

    def test_enabling_billing_takes_over_existing_contracts_where_they_stand(self):
        customer = self.env["res.partner"].create({"name": "Ezra", "customer_rank": 1})
        contract = self.make_subscription(customer, date_start="2026-03-01")
        self.assertFalse(contract.isp_managed)
        contract.recurring_create_invoice()  # OCA contract invoices March
        self.assertEqual(contract.contract_line_ids.last_date_invoiced, date(2026, 3, 31))
        enabled = self.env["ir.model.fields"]._get("res.partner", "isp_billing_enabled")
        wizard = self.env["isp.customer.update"].create(
            {"field_ids": [Command.set(enabled.ids)], "billing_enabled": True}
        )
        wizard.action_update()
        self.assertTrue(customer.isp_billing_enabled)
        self.assertTrue(contract.isp_managed)
        self.assertEqual(contract.isp_next_charge_date, date(2026, 4, 1))

    def test_billing_user_operates_but_cannot_change_settings(self):
        user = self.make_user("isp_clerk", ISP_USER_GROUPS)
        customer = self.make_subscriber("Bea")
        self.make_subscription(customer, date_start="2026-03-01")
        self.pay(customer, 30.0, date="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        charge = self.env["isp.charge"].search([("partner_id", "=", customer.id)])
        self.assertMoney(charge.with_user(user).amount, 30.0)
        with self.assertRaises(AccessError):
            charge.with_user(user).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self.env["isp.customer.update"].with_user(user).create({})
        with self.assertRaises(AccessError):
            self.company.with_user(user).write({"isp_billing_day": 5})

    def test_charges_of_another_company_are_invisible(self):
        customer = self.make_subscriber("Cid")
        self.make_subscription(customer, date_start="2026-03-01")
        self.pay(customer, 30.0, date="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        other = self.setup_other_company()["company"]
        user = self.make_user("isp_other", ISP_USER_GROUPS, other)
        self.assertFalse(self.env["isp.charge"].with_user(user).search([]))

    def test_only_billing_staff_change_customer_billing_settings(self):
        customer = self.make_subscriber("Dina")
        clerk = self.make_user("sales_clerk", "base.group_user,base.group_partner_manager")
        customer.with_user(clerk).write({"phone": "+1 555 0100"})  # ordinary edits work
        with self.assertRefused(AccessError, "billing staff"):
            customer.with_user(clerk).write({"isp_minimum_balance": -500.0})
        self.assertMoney(customer.isp_minimum_balance, 0.0)

    def test_a_company_gets_its_isp_invoice_journal_with_its_chart(self):
        company = self.setup_other_company()["company"]
        journal = company.isp_journal_id
        self.assertEqual(journal.type, "sale")
        self.assertEqual(journal.company_id, company)
        self.assertTrue(journal.isp_number_format)
        self.assertEqual(company._isp_invoice_journal(), journal)
