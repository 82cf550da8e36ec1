# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools import billing_jobs
from ..tools.staff import check_staff

_logger = logging.getLogger(__name__)

RUN_STATES = [("draft", "Draft"), ("preview", "Previewed"), ("done", "Done")]
# Per job: the partner field that marks a customer as handled for a date, so a
# rerun the same day (or a customer that keeps failing) never spins the cron.
JOB_MARKERS = {"charge": "isp_charge_checked_on", "status": "isp_status_checked_on"}
# Customers whose cut-off a job held for the company's cut-off hour: the job
# takes them again, the same day, once the hour has come.
HOUR_MARKERS = {"charge": "isp_charge_waits_hour", "status": "isp_status_waits_hour"}
JOB_LABELS = {
    "charge": lambda env: env._("charge and invoice"),
    "status": lambda env: env._("block and deactivate"),
}


class IspBillingRun(models.Model):
    """History & Preview: what the engine would do, or did, for a date."""

    _name = "isp.billing.run"
    _description = "ISP billing run"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        help="The day the run is for: periods, due dates and statuses are computed "
        "as on that day.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    run_type = fields.Selection(
        [("manual", "Manual"), ("cron", "Scheduled")],
        default="manual",
        required=True,
        readonly=True,
    )
    state = fields.Selection(
        RUN_STATES, default="draft", required=True, readonly=True, copy=False, tracking=True
    )
    line_ids = fields.One2many("isp.billing.run.line", "run_id", string="Lines")
    charge_count = fields.Integer(compute="_compute_totals", string="Charges")
    block_count = fields.Integer(compute="_compute_totals", string="Blocks")
    error_count = fields.Integer(compute="_compute_totals", string="Errors")
    amount_total = fields.Monetary(compute="_compute_totals", string="Total")

    @api.depends("date", "run_type")
    def _compute_name(self):
        for run in self:
            kind = _("Scheduled run") if run.run_type == "cron" else _("Billing run")
            run.name = f"{kind} {fields.Date.to_string(run.date) if run.date else ''}"

    @api.depends("line_ids.action", "line_ids.charged_amount")
    def _compute_totals(self):
        for run in self:
            charges = run.line_ids.filtered(lambda line: line.action == "charge")
            run.charge_count = len(charges)
            run.block_count = len(run.line_ids.filtered(lambda line: line.action == "block"))
            run.error_count = len(run.line_ids.filtered(lambda line: line.action == "error"))
            run.amount_total = sum(run.line_ids.mapped("charged_amount"))

    # === ACTIONS === #

    def action_preview(self):
        """List what would be charged, invoiced, blocked; write no accounting entry."""
        check_staff(self.env)
        for run in self:
            if run.state == "done":
                raise UserError(_("A confirmed run cannot be previewed again."))
            run = run.with_company(run.company_id)
            engine = run.env["isp.billing.engine"]
            plans = engine._plan(run._due_partners("charge"), run.date)
            decisions = engine._plan_status(run._due_partners("status"), run.date)
            run.line_ids.unlink()
            run._record(plans, decisions)
            run.state = "preview"
        return True

    def action_confirm(self):
        """Execute the run for its date; the lines then show what was done."""
        check_staff(self.env)
        for run in self:
            if run.state == "done":
                raise UserError(_("This billing run was already confirmed."))
            run = run.with_company(run.company_id)
            run.line_ids.unlink()
            # A run for a future day may invoice in advance; statuses change
            # only on their own day (the status cron, or a run for today).
            jobs = ("charge", "status") if not run._is_future() else ("charge",)
            for job in jobs:
                run._run_job(job, run._due_partners(job))
            run.state = "done"
        return True

    # === BUSINESS METHODS === #

    @api.model
    def _due_domain(self, job, company, date):
        domain = [("isp_billing_enabled", "=", True), ("isp_company_id", "=", company.id)]
        if job == "charge":
            return domain + [
                ("isp_status", "!=", "inactive"),
                ("isp_next_charge_date", "<=", date),
            ]
        # Credit-limit customers not in service too: an overdue invoice
        # withdraws the credit their first or next period would be charged on.
        return domain + [
            "|",
            ("isp_status", "in", ("active", "blocked")),
            ("isp_credit_mode", "=", "limit"),
        ]

    def _due_partners(self, job):
        self.ensure_one()
        return self.env["res.partner"].search(
            self._due_domain(job, self.company_id, self.date), order="id"
        )

    def _run_job(self, job, partners):
        """Execute ``job`` for ``partners`` on the run's date and log the outcome."""
        self.ensure_one()
        engine = self.env["isp.billing.engine"]
        if job == "charge":
            plans = engine._execute(
                partners, self.date, change_status=not self._is_future()
            )
            self._record(plans, [])
            handled = self.env["res.partner"].union(*(plan.partner for plan in plans))
        else:
            partners = engine._lock_partners(partners)
            engine._settle_grace(engine._on_grace(partners, self.date), self.date)
            plans = engine._apply_status(engine._plan_status(partners, self.date), self.date)
            self._record([], plans)
            handled = partners
        waiting = self.env["res.partner"].union(
            *(p.partner for p in plans if p.hold and p.hold.rule == "cutoff_hour")
        )
        (handled - waiting).write({JOB_MARKERS[job]: self.date, HOUR_MARKERS[job]: False})
        waiting.write({JOB_MARKERS[job]: self.date, HOUR_MARKERS[job]: True})
        return handled

    def _is_future(self):
        self.ensure_one()
        return self.date > fields.Date.context_today(self)

    def _record(self, plans, decisions):
        self.ensure_one()
        vals = [self._plan_line_vals(plan) for plan in plans if plan.action != "nothing"]
        vals += [
            {
                "run_id": self.id,
                "partner_id": decision.partner.id,
                "action": decision.action,
                "message": decision.reason,
            }
            for decision in decisions
        ]
        return self.env["isp.billing.run.line"].create(vals)

    def _plan_line_vals(self, plan):
        periods = plan.periods
        return {
            "run_id": self.id,
            "partner_id": plan.partner.id,
            "action": "error" if plan.error else plan.action,
            "period_start": min(p.start for p in periods) if periods else False,
            "period_end": max(p.end for p in periods) if periods else False,
            "amount": plan.total,
            "move_id": plan.move.id if plan.move and not plan.error else False,
            "message": plan.error or plan.message or self._describe_periods(periods),
        }

    @api.model
    def _describe_periods(self, periods):
        return "; ".join(
            f"{p.contract.display_name}: {p.start} - {p.end}" for p in periods
        )

    # === CRON === #

    @api.model
    def _cron_batch(self, job, date=None):
        """Process one bounded batch of ``job`` for today and report progress,
        or, with a job runner (queue_job), enqueue the day's batches as jobs.

        ir.cron commits after each call and calls again while work remains, so
        a crash loses at most the current batch, and nothing is charged twice.
        """
        date = fields.Date.to_date(date) or fields.Date.context_today(self)
        if billing_jobs.use_jobs(self.env):
            return self._cron_enqueue(job, date)
        Partner = self.env["res.partner"]
        done = remaining = 0
        for company in self.env["res.company"].search([]):
            domain = self._pending_domain(job, company, date)
            if not done:
                batch = Partner.search(domain, limit=company.isp_batch_size or 200, order="id")
                if batch:
                    run = self.with_company(company)._scheduled_run(company, date)
                    done = len(run._run_job(job, batch))
            remaining += Partner.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        _logger.info("ISP %s cron: %s customers done, %s remaining", job, done, remaining)
        return done, remaining

    @api.model
    def _pending_domain(self, job, company, date):
        """Customers due for ``job`` on ``date`` that no batch handled yet."""
        marker = JOB_MARKERS[job]
        pending = ["|", (marker, "=", False), (marker, "!=", date)]
        if not company._isp_before_cutoff_hour(date):
            pending = ["|", (HOUR_MARKERS[job], "=", True), *pending]
        return self._due_domain(job, company, date) + pending

    @api.model
    def _cron_enqueue(self, job, date):
        """Split the day's pending customers of ``job`` into jobs of one batch
        each on the ``root.isp_billing`` channel, once: while jobs of the day are
        unfinished the cron enqueues nothing; when they are done, customers a
        failed job left behind are enqueued again. Returns (enqueued, 0)."""
        Partner = self.env["res.partner"]
        enqueued = 0
        for company in self.env["res.company"].search([]):
            domain = self._pending_domain(job, company, date)
            if not Partner.search_count(domain, limit=1):
                continue
            run = self.with_company(company)._scheduled_run(company, date)
            prefix = billing_jobs.identity_prefix(job, run)
            if billing_jobs.unfinished(self.env, prefix):
                continue
            ids = Partner.search(domain, order="id").ids
            size = company.isp_batch_size or 200
            for start in range(0, len(ids), size):
                batch = ids[start : start + size]
                run.with_delay(
                    description=_(
                        "%(run)s: %(job)s, customers %(first)s to %(last)s",
                        run=run.name,
                        job=JOB_LABELS[job](self.env),
                        first=batch[0],
                        last=batch[-1],
                    ),
                    identity_key=f"{prefix}{batch[0]}-{batch[-1]}",
                )._isp_job_batch(job, batch)
            enqueued += len(ids)
        self.env["ir.cron"]._notify_progress(done=enqueued, remaining=0)
        _logger.info("ISP %s cron: %s customers enqueued as jobs", job, enqueued)
        return enqueued, 0

    def _isp_job_batch(self, job, partner_ids):
        """One job: ``job`` for the customers ``partner_ids`` still pending on the
        run's date, in the job's one transaction. Running it twice, or with a job
        for overlapping customers, is harmless: handled customers are marked,
        locked rows are skipped and each period's charge is unique. A
        serialization failure rolls the job back and queue_job retries it."""
        self.ensure_one()
        run = self.with_company(self.company_id)
        partners = self.env["res.partner"].search(
            run._pending_domain(job, run.company_id, run.date)
            + [("id", "in", partner_ids)],
            order="id",
        )
        handled = run._run_job(job, partners) if partners else partners
        return _(
            "%(done)s of %(total)s customers handled (%(skipped)s handled before "
            "or by another job)",
            done=len(handled),
            total=len(partner_ids),
            skipped=len(partner_ids) - len(handled),
        )

    @api.model
    def _scheduled_run(self, company, date):
        run = self.search(
            [("run_type", "=", "cron"), ("company_id", "=", company.id), ("date", "=", date)],
            limit=1,
        )
        return run or self.create(
            {"run_type": "cron", "company_id": company.id, "date": date, "state": "done"}
        )
