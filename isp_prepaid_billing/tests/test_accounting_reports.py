# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The accountants' standard reports are OCA's (account_financial_report):
opened from ISP Billing, they agree with the balance ISP Billing shows."""

import io
import zipfile

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, freeze_time, tagged
from odoo.tools.safe_eval import safe_eval

from .common import IspBillingCase


@tagged("post_install", "-at_install")
@freeze_time("2026-03-20")
class TestAccountingReports(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # prepaid periods are posted as journal entries, not invoices
        cls.company.isp_invoice_on_charge = False

    def partner_ledger(self, customer):
        """The Partner Ledger as the subscriber form's button opens it."""
        action = customer.action_isp_partner_ledger()
        wizard = Form(
            self.env[action["res_model"]].with_context(**action["context"]),
            view=action["view_id"][0],
        ).save()
        return wizard, self.ledger_values(wizard)

    def ledger_values(self, wizard):
        data = wizard._prepare_report_data()
        values = wizard.env[
            "report.account_financial_report.general_ledger"
        ]._get_report_values(wizard.ids, data)
        return data, values["general_ledger"]

    def aged_balance(self, customer, company=None, env=None):
        env = env or self.env
        wizard = env["aged.partner.balance.report.wizard"].create(
            {
                "company_id": (company or self.company).id,
                "receivable_accounts_only": True,
                "partner_ids": [fields.Command.set(customer.ids)],
            }
        )
        wizard.onchange_type_accounts_only()
        data = wizard._prepare_report_data()
        data["date_at"] = fields.Date.to_string(data["date_at"])  # as the web client sends it
        values = env[
            "report.account_financial_report.aged_partner_balance"
        ]._get_report_values(wizard.ids, data)
        return values["aged_partner_balance"]

    def test_partner_ledger_and_aged_balance_agree_with_the_balance(self):
        customer = self.make_customer_with_history()
        other = self.make_subscriber("Quentin Owing", billing_type="postpaid")
        self.init_invoice("out_invoice", other, "2026-03-02", post=True, amounts=[10.0], taxes=[])

        wizard, (data, ledger) = self.partner_ledger(customer)
        receivable = customer.with_company(self.company).property_account_receivable_id
        self.assertEqual(wizard.partner_ids, customer)
        self.assertEqual(wizard.account_ids, receivable)
        rows = [
            partner
            for account in ledger
            for partner in account["list_grouped"] or []
        ]
        self.assertEqual([row["id"] for row in rows], customer.ids)
        self.assertMoney(rows[0]["fin_bal"]["balance"], -customer.isp_balance)
        self.assertMoney(rows[0]["fin_bal"]["balance"], 5.0)

        aged = self.aged_balance(customer)
        self.assertMoney(sum(account["residual"] for account in aged), -customer.isp_balance)

        # the accountant's spreadsheet names the customer
        content, content_type = (
            self.env["ir.actions.report"]
            .with_context(active_model=wizard._name, active_id=wizard.id, active_ids=wizard.ids)
            ._render_xlsx(
                "account_financial_report.action_report_general_ledger_xlsx", wizard.ids, data
            )
        )
        self.assertEqual(content_type, "xlsx")
        with zipfile.ZipFile(io.BytesIO(content)) as sheet:
            text = "".join(
                sheet.read(name).decode() for name in sheet.namelist() if name.endswith(".xml")
            )
        self.assertIn("Paula Prepaid", text)

    def test_staff_of_another_company_gets_nothing(self):
        customer = self.make_customer_with_history()
        other_company = self.setup_other_company(name="Other ISP")["company"]
        accountant = self.make_user(
            "other_accountant",
            "base.group_user,account.group_account_manager",
            company=other_company,
        )
        env = self.env(user=accountant)
        # our customer's button is refused
        with self.assertRaises(AccessError):
            customer.with_env(env).action_isp_partner_ledger()
        # their Partner Ledger, asked for our customer: nothing
        action = env["ir.actions.act_window"]._for_xml_id(
            "isp_prepaid_billing.isp_partner_ledger_action"
        )
        with Form(
            env[action["res_model"]].with_context(**safe_eval(action["context"])),
            view=action["view_id"][0],
        ) as form:
            form.date_from = "2026-01-01"
            form.partner_ids.add(customer.with_env(env))
        __, ledger = self.ledger_values(form.record)
        self.assertFalse([account for account in ledger if account["list_grouped"]])
        # their aged balance: nothing of our customer; asked for our company: refused
        self.assertFalse(self.aged_balance(customer, company=other_company, env=env))
        with self.assertRaises(AccessError):
            self.aged_balance(customer, env=env)
