# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from psycopg2 import IntegrityError

from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestIdempotency(IspBillingCase):
    def test_running_twice_charges_once(self):
        customer = self.make_subscriber("Dee", billing_type="recurring")
        self.make_subscription(customer, date_start="2026-04-01")
        self.run_engine(customer, "2026-04-01")
        self.run_engine(customer, "2026-04-01")
        self.run_engine(customer, "2026-04-10")
        self.assertEqual(len(self.isp_invoices(customer)), 1)
        self.assertBalance(customer, -30.0)

    def test_database_refuses_a_second_charge_of_a_period(self):
        customer = self.make_subscriber("Ed", billing_type="recurring")
        subscription = self.make_subscription(customer, date_start="2026-04-01")
        self.run_engine(customer, "2026-04-01")
        charge = subscription.isp_charge_ids
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                charge.sudo().copy({"move_id": False})
                self.env.flush_all()

    def test_concurrent_run_that_already_charged_is_skipped(self):
        # Another worker charged the period and committed after we planned:
        # the unique index refuses our copy and nothing is invoiced twice.
        customer = self.make_subscriber("Flo", billing_type="recurring")
        subscription = self.make_subscription(customer, date_start="2026-04-01")
        engine = self.env["isp.billing.engine"]
        plan = engine._plan(customer, self._date("2026-04-01"))[0]
        self.run_engine(customer, "2026-04-01")
        with mute_logger("odoo.sql_db"):
            engine._apply_one(plan, self._date("2026-04-01"))
        self.assertEqual(plan.action, "already")
        self.assertFalse(plan.move)
        self.assertEqual(len(self.isp_invoices(customer)), 1)
        self.assertEqual(len(subscription.isp_charge_ids), 1)

    def test_one_failing_customer_does_not_stop_the_others(self):
        good = self.make_subscriber("Gus", billing_type="recurring")
        bad = self.make_subscriber("Hal", billing_type="recurring")
        for customer in (good, bad):
            self.make_subscription(customer, date_start="2026-04-01")
        receivable = bad.property_account_receivable_id.copy({"code": "121999"})
        receivable.deprecated = True
        bad.property_account_receivable_id = receivable

        with mute_logger("odoo.addons.isp_prepaid_billing.models.isp_billing_engine"):
            plans = self.run_engine(good | bad, "2026-04-01")

        self.assertEqual(len(self.isp_invoices(good)), 1)
        self.assertFalse(self.isp_invoices(bad))
        self.assertFalse(bad.isp_contract_ids.isp_charge_ids)
        self.assertTrue(bad.isp_billing_error)
        self.assertEqual([p.partner for p in plans if p.error], [bad])
        run = self.env["isp.billing.run"].create({"date": "2026-04-01", "company_id": self.company.id})
        run._record(plans, [])
        bad_line = run.line_ids.filtered(lambda line: line.partner_id == bad)
        self.assertEqual(bad_line.action, "error")
        self.assertFalse(bad_line.move_id)
        self.assertTrue(run.line_ids.filtered(lambda line: line.partner_id == good).move_id)

    @freeze_time("2026-04-01")
    def test_cron_works_in_batches_and_reruns_safely(self):
        self.company.isp_batch_size = 2
        customers = self.env["res.partner"]
        for index in range(5):
            customer = self.make_subscriber(f"Batch {index}", billing_type="recurring")
            self.make_subscription(customer, date_start="2026-04-01")
            customers |= customer
        Partner = self.env["res.partner"]
        progress = []
        while True:
            done, remaining = Partner._cron_isp_charge()
            progress.append((done, remaining))
            if not done:
                break
        self.assertEqual(progress, [(2, 3), (2, 1), (1, 0), (0, 0)])
        Partner._cron_isp_charge()
        for customer in customers:
            self.assertEqual(len(self.isp_invoices(customer)), 1)
        run = self.env["isp.billing.run"].search([("run_type", "=", "cron")])
        self.assertEqual(len(run), 1)
        self.assertEqual(run.charge_count, 5)

    def _date(self, value):
        from odoo import fields

        return fields.Date.to_date(value)
