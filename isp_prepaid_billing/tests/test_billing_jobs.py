# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Billing on queue_job: the crons' batches as jobs of the ``root.isp_billing``
channel, each in its own transaction, as a job runner performs them."""

from unittest.mock import patch

from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.jobrunner.runner import Database
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import IspBillingCase

BILLING_DAY = "2026-04-01"


class WorkerKilled(BaseException):
    """What a SIGKILL does to a job: not an ``Exception`` any handler of the
    engine could catch and carry on after."""


@tagged("post_install", "-at_install")
@freeze_time(BILLING_DAY)
class TestBillingJobs(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.isp_batch_size = 2
        cls.Partner = cls.env["res.partner"].with_context(isp_billing_jobs=True)
        cls.Run = cls.env["isp.billing.run"]

    def make_customers(self, count, prefix="Job"):
        customers = self.env["res.partner"]
        for index in range(count):
            customer = self.make_subscriber(f"{prefix} {index}", billing_type="recurring")
            self.make_subscription(customer, date_start=BILLING_DAY)
            customers |= customer
        return customers

    def scheduled_run(self):
        return self.Run.search([("run_type", "=", "cron"), ("company_id", "=", self.company.id)])

    def enqueued(self):
        return self.env["queue.job"].sudo().search(
            [("method_name", "=", "_isp_job_batch")], order="id"
        )

    def assertInvoicedOnce(self, customers):
        for customer in customers:
            invoices = self.isp_invoices(customer)
            self.assertEqual(len(invoices), 1, customer.name)
            self.assertMoney(invoices.amount_total, 30.0)
            self.assertEqual(len(customer.isp_contract_ids.isp_charge_ids), 1, customer.name)

    def perform(self, queue_job):
        """Perform a stored job as the job runner's HTTP worker does, less the
        commits a test cannot make: started, locked, performed, done."""
        job = Job.load(self.env, queue_job.uuid)
        job.set_started()
        job.store()
        self.env.flush_all()  # the controller commits here
        self.assertTrue(job.lock())
        RunJobController._try_perform_job(self.env, job)
        return job

    def test_charge_cron_enqueues_one_job_per_batch_and_jobs_bill_the_day(self):
        customers = self.make_customers(4)
        short = self.make_subscriber(
            "Short of funds", billing_type="prepaid", isp_status="active"
        )
        self.make_subscription(short, date_start=BILLING_DAY)
        customers |= short
        with trap_jobs() as trap:
            self.assertEqual(self.Partner._cron_isp_charge(), (5, 0))
            # Nothing is billed by the cron itself: three jobs of two customers.
            self.assertFalse(self.isp_invoices(customers[0]))
            run = self.scheduled_run()
            trap.assert_jobs_count(3, only=run._isp_job_batch)
            for batch in (customers[:2], customers[2:4], customers[4:]):
                trap.assert_enqueued_job(
                    run._isp_job_batch,
                    args=("charge", batch.ids),
                    properties={
                        "description": (
                            f"{run.name}: charge and invoice, customers "
                            f"{batch[0].id} to {batch[-1].id}"
                        ),
                        "identity_key": (
                            f"isp_billing:charge:isp.billing.run:{run.id}:"
                            f"{batch[0].id}-{batch[-1].id}"
                        ),
                    },
                )
            trap.perform_enqueued_jobs()
        self.assertInvoicedOnce(customers[:4])
        self.assertStatus(short, "blocked")
        self.assertEqual(run.charge_count, 4)
        self.assertIn(
            "is not enough to charge",
            run.line_ids.filtered(lambda line: line.partner_id == short).message,
        )
        # Every due customer was handled: the cron has nothing left to enqueue.
        self.assertEqual(self.Partner._cron_isp_charge(), (0, 0))

    def test_jobs_run_on_their_channel_once_and_report_errors_on_the_run(self):
        good = self.make_customers(3)
        bad = self.make_customers(1, prefix="Bad")
        receivable = bad.property_account_receivable_id.copy({"code": "121999"})
        receivable.deprecated = True
        bad.property_account_receivable_id = receivable

        self.Partner._cron_isp_charge()
        jobs = self.enqueued()
        self.assertEqual(len(jobs), 2)
        self.assertEqual(set(jobs.mapped("channel")), {"root.isp_billing"})
        # The hourly cron again while the jobs wait: nothing enqueued twice.
        self.Partner._cron_isp_charge()
        self.assertEqual(self.enqueued(), jobs)

        with mute_logger("odoo.addons.isp_prepaid_billing.models.isp_billing_engine"):
            for queue_job in jobs:
                self.perform(queue_job)
        self.assertEqual(set(jobs.mapped("state")), {"done"})
        self.assertInvoicedOnce(good)
        self.assertFalse(self.isp_invoices(bad))
        run = self.scheduled_run()
        self.assertEqual(run.charge_count, 3)
        self.assertEqual(run.error_count, 1)
        self.assertEqual(run.line_ids.filtered(lambda l: l.action == "error").partner_id, bad)
        self.assertTrue(bad.isp_billing_error)

    def test_two_jobs_for_overlapping_customers_charge_each_period_once(self):
        first, second, third, fourth = self.make_customers(4)
        run = self.Run.with_company(self.company)._scheduled_run(
            self.company, self._date(BILLING_DAY)
        )
        # Two cron rounds, or two nodes, cut the day differently.
        run.with_delay()._isp_job_batch("charge", (first | second | third).ids)
        run.with_delay()._isp_job_batch("charge", (second | third | fourth).ids)
        results = [self.perform(queue_job).result for queue_job in self.enqueued()]

        self.assertInvoicedOnce(first | second | third | fourth)
        self.assertEqual(run.charge_count, 4)
        self.assertEqual(
            results[1],
            "1 of 3 customers handled (2 handled before or by another job)",
        )
        # And the same job twice (a retry after its commit was lost).
        self.perform(run.with_delay()._isp_job_batch("charge", first.ids).db_record())
        self.assertInvoicedOnce(first)
        self.assertEqual(run.charge_count, 4)

    def test_job_killed_mid_batch_loses_nothing(self):
        customers = self.make_customers(4)
        self.Partner._cron_isp_charge()
        killed, other = self.enqueued()
        engine_class = type(self.env["isp.billing.engine"])

        # The worker dies after posting and reconciling its invoices, before
        # the job's commit: PostgreSQL drops its transaction (here: its
        # savepoint) and with it the lock on the job.
        job = Job.load(self.env, killed.uuid)
        job.set_started()
        job.store()
        with (
            self.assertRaises(WorkerKilled),
            patch.object(engine_class, "_queue_invoice_notices", side_effect=WorkerKilled),
            self.env.cr.savepoint(),
        ):
            self.assertTrue(job.lock())
            job.perform()
        self.env.invalidate_all()
        self.assertEqual(killed.state, "started")
        for customer in customers:
            self.assertFalse(self.isp_invoices(customer))
            self.assertFalse(customer.isp_contract_ids.isp_charge_ids)
        self.assertFalse(self.scheduled_run().line_ids)

        # The job runner's sweep finds the started job unlocked: dead. It is
        # queued again, then performed by another worker.
        self.env.cr.execute(
            "UPDATE queue_job SET date_enqueued = now() at time zone 'utc' "
            "- interval '1 minute' WHERE id = %s",
            [killed.id],
        )
        self.env.cr.execute(Database._query_requeue_dead_jobs(None))
        self.assertEqual(self.env.cr.fetchall(), [(killed.uuid,)])
        killed.invalidate_recordset()
        self.assertEqual(killed.state, "pending")
        self.perform(killed)
        self.perform(other)

        self.assertInvoicedOnce(customers)
        run = self.scheduled_run()
        self.assertEqual(run.charge_count, 4)
        self.assertEqual(len(run.line_ids), 4)
        for customer in customers:
            self.assertBalance(customer, -30.0)

    def test_proforma_and_notification_crons_enqueue_their_batches(self):
        self.company.write(
            {
                "isp_proforma_enabled": True,
                "isp_proforma_day": 20,
                "isp_proforma_months": 1,
                "isp_proforma_for": "next",
            }
        )
        customers = self.env["res.partner"]
        for index in range(3):
            customer = self.make_subscriber(
                f"Mail {index}", billing_type="recurring", email=f"m{index}@example.com"
            )
            self.make_subscription(customer, date_start=BILLING_DAY)
            customers |= customer
        self.run_engine(customers, BILLING_DAY)  # April's invoices, unpaid
        Proforma = self.env["isp.proforma"].with_context(isp_billing_jobs=True)
        Notification = self.env["isp.notification"].with_context(isp_billing_jobs=True)

        with trap_jobs() as trap:
            Proforma._cron_isp_proforma("2026-04-20")
            trap.assert_jobs_count(2, only=Proforma._isp_job_proforma)
            self.assertFalse(Proforma.search([("partner_id", "in", customers.ids)]))
            trap.perform_enqueued_jobs()
        proformas = Proforma.search([("partner_id", "in", customers.ids)])
        self.assertEqual(proformas.partner_id, customers)
        self.assertEqual(set(proformas.mapped("period_start")), {self._date("2026-05-01")})

        invoice_mails = Notification.search(
            [("partner_id", "in", customers.ids), ("event", "=", "invoice")]
        )
        self.assertEqual(set(invoice_mails.mapped("state")), {"pending"})
        with trap_jobs() as trap:
            Notification._cron_isp_notify(self._date("2026-04-20"))
            self.assertEqual(trap.jobs_count(only=Notification._isp_job_send), 1)
            trap.perform_enqueued_jobs()
        self.assertEqual(set(invoice_mails.mapped("state")), {"sent"})
        for customer in customers:
            self.assertEqual(
                len(Notification.search(
                    [("partner_id", "=", customer.id), ("event", "=", "invoice")]
                )),
                1,
            )

    def test_without_a_job_runner_the_cron_bills_in_committed_batches(self):
        customers = self.make_customers(3)
        Partner = self.env["res.partner"]  # queue_job not loaded server-wide
        progress = []
        while True:
            progress.append(Partner._cron_isp_charge())
            if not progress[-1][0]:
                break
        self.assertEqual(progress, [(2, 1), (1, 0), (0, 0)])
        self.assertFalse(self.env["queue.job"].sudo().search([]))
        self.assertInvoicedOnce(customers)

    def _date(self, value):
        from odoo import fields

        return fields.Date.to_date(value)
