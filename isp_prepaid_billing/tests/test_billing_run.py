# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestBillingRun(IspBillingCase):
    @freeze_time("2026-03-25")
    def test_preview_april_on_25_march_then_confirm(self):
        recurring = self.make_subscriber("Uma", billing_type="recurring")
        self.make_subscription(recurring, price=30.0, date_start="2026-03-01")
        self.run_engine(recurring, "2026-03-01")
        prepaid = self.make_subscriber("Vic")
        self.make_subscription(prepaid, price=20.0, date_start="2026-03-01")
        self.pay(prepaid, 10.0, date="2026-03-01")
        moves_before = self.env["account.move"].search_count([])

        run = self.env["isp.billing.run"].create({"date": "2026-04-01", "company_id": self.company.id})
        run.action_preview()

        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
        line = run.line_ids.filtered(lambda l: l.partner_id == recurring and l.action == "charge")
        # March is unpaid since its due date: the same run would also block Uma.
        self.assertIn("block", run.line_ids.filtered(lambda l: l.partner_id == recurring).mapped("action"))
        self.assertEqual((line.period_start, line.period_end), (date(2026, 4, 1), date(2026, 4, 30)))
        self.assertMoney(line.amount, 30.0)
        prepaid_line = run.line_ids.filtered(lambda l: l.partner_id == prepaid)
        self.assertEqual(prepaid_line.action, "insufficient")
        self.assertEqual(run.state, "preview")

        run.action_confirm()

        self.assertEqual(run.state, "done")
        april = self.isp_invoices(recurring)[-1]
        self.assertEqual(april.invoice_date, date(2026, 4, 1))
        self.assertEqual(
            run.line_ids.filtered(lambda l: l.partner_id == recurring and l.action == "charge").move_id,
            april,
        )
        # Confirmed on 25 March: April is invoiced in advance, but Uma is
        # blocked only on 1 April, by that day's status run.
        self.assertStatus(recurring, "active")
        self.assertNotIn("block", run.line_ids.mapped("action"))
        self.sweep(recurring, "2026-04-01")
        self.assertStatus(recurring, "blocked", "2026-04-01")
        self.assertFalse(self.isp_invoices(prepaid))
        with self.assertRaises(UserError):
            run.action_confirm()

    @freeze_time("2026-04-16")
    def test_preview_lists_blocking(self):
        customer = self.make_subscriber("Walt", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-04-01")
        self.run_engine(customer, "2026-04-01")
        run = self.env["isp.billing.run"].create({"date": "2026-04-16", "company_id": self.company.id})
        run.action_preview()
        self.assertEqual(run.line_ids.mapped("action"), ["block"])
        self.assertStatus(customer, "active")
        run.action_confirm()
        self.assertStatus(customer, "blocked", "2026-04-16")
        self.assertEqual(run.block_count, 1)

    @freeze_time("2026-04-01")
    def test_header_total_is_the_sum_of_the_charged_lines(self):
        recurring = self.make_subscriber("Xena", billing_type="recurring")
        self.make_subscription(recurring, price=30.0, date_start="2026-04-01")
        broke = self.make_subscriber("Yann")  # prepaid, no money: refused
        self.make_subscription(broke, price=20.0, date_start="2026-04-01")
        run = self.env["isp.billing.run"].create({"date": "2026-04-01", "company_id": self.company.id})
        form = self.env["isp.billing.run"].get_views([(False, "form")])["views"]["form"]["arch"]
        summed = etree.fromstring(form).xpath("//field[@name='line_ids']//field[@sum]")
        self.assertEqual(len(summed), 1, "one column has a total under the lines")
        column = summed[0].get("name")

        for action in (run.action_preview, run.action_confirm):
            action()
            with self.subTest(state=run.state):
                refused = run.line_ids.filtered(lambda l: l.partner_id == broke)
                self.assertEqual(refused.action, "insufficient")
                self.assertMoney(refused.amount, 20.0)  # what it would have cost
                self.assertMoney(run.amount_total, 30.0)
                self.assertMoney(sum(run.line_ids.mapped(column)), run.amount_total)
