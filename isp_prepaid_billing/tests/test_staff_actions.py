# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import HttpCase, freeze_time, new_test_user, tagged

from .common import IspPortalCase

STAFF = "ISP billing staff"
MANAGERS = "ISP billing managers"
PARTNER_ACTIONS = (
    "action_isp_charge_and_invoice",
    "action_isp_block",
    "action_isp_activate",
    "action_isp_deactivate",
    "action_isp_view_charges",
    "action_isp_create_proforma",
    "action_isp_payment_calendar",
    "action_isp_statement",
    "action_isp_view_one_time_charges",
    "action_isp_register_payment",
    "action_isp_view_invoices",
    "action_isp_view_payments",
)


@freeze_time("2026-04-02")
@tagged("post_install", "-at_install")
class TestStaffActions(IspPortalCase, HttpCase):
    """The buttons of the back office, called directly through the JSON-RPC API
    by users who are not ISP billing staff: refused before anything happens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.isp_proforma_enabled = True
        cls.alice = cls.make_subscriber("Alice Staff")
        cls.bob = cls.make_subscriber("Bob Staff")
        for customer in (cls.alice, cls.bob):
            cls.make_subscription(customer, price=20.0, date_start="2026-03-01")
            cls.env["isp.billing.engine"]._execute(customer, date(2026, 3, 1))
            cls.env["isp.proforma"]._isp_create_for(customer, date(2026, 4, 2))
        cls.make_portal_user(cls.alice, "alice_staff")
        new_test_user(
            cls.env,
            login="clerk",
            password="clerk",
            groups="base.group_user",
            company_id=cls.company.id,
        )
        new_test_user(
            cls.env,
            login="isp_user",
            password="isp_user",
            groups="base.group_user,base.group_partner_manager,"
            "isp_prepaid_billing.isp_prepaid_billing_group_user",
            company_id=cls.company.id,
        )

    def staff_records(self):
        """``(model, method, ids, level)`` of every staff action, on records staff
        would press the button on."""
        Proforma = self.env["isp.proforma"]
        proformas = Proforma.search([("partner_id", "in", (self.alice + self.bob).ids)])
        wizard = self.env["isp.refill.card.generate"].create(
            {"name": "S26", "count": 1, "value": 10.0, "company_id": self.company.id}
        )
        wizard.action_generate()
        card = wizard.batch_id.card_ids
        run = self.env["isp.billing.run"].create({"date": date(2026, 4, 2)})
        statement = self.env["isp.statement"].create(
            {
                "partner_id": self.bob.id,
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 4, 2),
            }
        )
        update = self.env["isp.customer.update"].create({})
        link = self.env["isp.proforma.link.payment"].create(
            {
                "proforma_id": proformas[0].id,
                "payment_id": self.pay(self.alice, 20.0).id,
            }
        )
        settings = self.env["res.config.settings"].create({})
        one_time = self.env["isp.one.time.charge"].create(
            {
                "partner_id": self.bob.id,
                "product_id": self.env["product.product"].create({"name": "Setup"}).id,
                "description": "Setup",
                "amount": 5.0,
            }
        )
        customers = (self.alice + self.bob).ids
        return [
            *[("res.partner", name, customers, STAFF) for name in PARTNER_ACTIONS],
            *[
                ("isp.proforma", name, proformas.ids, STAFF)
                for name in (
                    "action_link_payment",
                    "action_cancel",
                    "action_send",
                    "action_print",
                )
            ],
            ("isp.billing.run", "action_preview", run.ids, STAFF),
            ("isp.billing.run", "action_confirm", run.ids, STAFF),
            ("isp.refill.card.batch", "action_view_cards", wizard.batch_id.ids, STAFF),
            ("isp.refill.card.batch", "action_disable", wizard.batch_id.ids, MANAGERS),
            ("isp.refill.card", "action_disable", card.ids, MANAGERS),
            ("isp.refill.card.generate", "action_generate", wizard.ids, MANAGERS),
            ("isp.refill.card.generate", "action_print", wizard.ids, MANAGERS),
            ("isp.refill.card.generate", "action_done", wizard.ids, MANAGERS),
            ("isp.statement", "action_print", statement.ids, STAFF),
            ("isp.customer.update", "action_update", update.ids, MANAGERS),
            ("isp.proforma.link.payment", "action_link", link.ids, STAFF),
            ("res.config.settings", "action_isp_update_customers", settings.ids, MANAGERS),
            ("isp.one.time.charge", "action_invoice_now", one_time.ids, STAFF),
            ("isp.one.time.charge", "action_cancel", one_time.ids, STAFF),
        ]

    def state_of_things(self):
        customers = self.alice + self.bob
        customers.invalidate_recordset()
        return {
            "status": customers.mapped("isp_status"),
            "moves": self.env["account.move"].search_count([]),
            "proformas": self.env["isp.proforma"].search([]).mapped("state"),
            "notifications": self.env["isp.notification"].search_count([]),
            "cards": self.env["isp.refill.card"].search([]).mapped("state"),
            "one_time": self.env["isp.one.time.charge"].search([]).mapped("state"),
        }

    def assertAllRefused(self, login, levels):
        self.authenticate(login, login)
        actions = self.staff_records()
        before = self.state_of_things()
        for model, method, ids, level in actions:
            if level not in levels:
                continue
            for record_ids in [ids[:1], ids[1:]] if len(ids) > 1 else [ids]:
                with self.subTest(model=model, method=method, ids=record_ids):
                    result, error = self.call_kw(model, method, [record_ids])
                    self.assertFalse(result)
                    self.assertEqual(error["name"], "odoo.exceptions.AccessError")
                    self.assertIn(level, error["message"])
        self.assertEqual(self.state_of_things(), before, "nothing changed")

    def test_a_portal_user_cannot_run_staff_actions_even_on_their_own_records(self):
        self.assertAllRefused("alice_staff", (STAFF, MANAGERS))

    def test_an_employee_outside_isp_billing_cannot_run_them_either(self):
        self.assertAllRefused("clerk", (STAFF, MANAGERS))

    def test_manager_actions_are_refused_to_isp_billing_users(self):
        self.assertAllRefused("isp_user", (MANAGERS,))

    def test_isp_billing_staff_still_can(self):
        self.authenticate("isp_user", "isp_user")
        result, error = self.call_kw("res.partner", "action_isp_block", [self.alice.ids])
        self.assertFalse(error)
        self.assertStatus(self.alice, "blocked")
        result, error = self.call_kw(
            "res.partner", "action_isp_view_charges", [self.alice.ids]
        )
        self.assertFalse(error)
        self.assertEqual(result["res_model"], "isp.charge")
