# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Proforma invoices: requests for payment that touch neither the balance nor the
ledger. Paying one issues the real tax invoice for the periods it lists."""

import logging

from dateutil.relativedelta import relativedelta
from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..tools import billing_jobs
from ..tools.staff import check_staff

_logger = logging.getLogger(__name__)


class IspProforma(models.Model):
    _name = "isp.proforma"
    _description = "Proforma invoice"
    _inherit = ["portal.mixin", "mail.thread"]
    _order = "date desc, id desc"

    name = fields.Char(string="Number", readonly=True, copy=False, default="/")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    date = fields.Date(string="Issued On", required=True, readonly=True)
    date_due = fields.Date(string="Pay By", readonly=True)
    isp_block_date = fields.Date(
        string="Blocking Date",
        readonly=True,
        copy=False,
        help="Issued by the billing day instead of a tax invoice: the customer is "
        "blocked on this day while it is unpaid.",
    )
    period_start = fields.Date(required=True, readonly=True)
    period_end = fields.Date(required=True, readonly=True)
    state = fields.Selection(
        [
            ("open", "Awaiting Payment"),
            ("paid", "Paid"),
            ("cancel", "Cancelled"),
            ("superseded", "Superseded"),
        ],
        default="open",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    line_ids = fields.One2many(
        "isp.proforma.line", "proforma_id", string="Services", readonly=True
    )
    amount_untaxed = fields.Monetary(compute="_compute_amounts", store=True)
    amount_tax = fields.Monetary(string="Taxes", compute="_compute_amounts", store=True)
    amount_total = fields.Monetary(
        string="Total", compute="_compute_amounts", store=True
    )
    invoice_id = fields.Many2one(
        "account.move", string="Tax Invoice", readonly=True, copy=False
    )
    payment_id = fields.Many2one(
        "account.payment", string="Payment", readonly=True, copy=False
    )

    def init(self):
        # One live proforma per customer and period: a re-run creates nothing.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS isp_proforma_period_unique "
                "ON isp_proforma (partner_id, company_id, period_start) "
                "WHERE state IN ('open', 'paid')"
            )
        )

    @api.depends("line_ids.price_subtotal", "line_ids.price_total")
    def _compute_amounts(self):
        for proforma in self:
            proforma.amount_untaxed = sum(proforma.line_ids.mapped("price_subtotal"))
            proforma.amount_total = sum(proforma.line_ids.mapped("price_total"))
            proforma.amount_tax = proforma.amount_total - proforma.amount_untaxed

    def _compute_access_url(self):
        super()._compute_access_url()
        for proforma in self:
            proforma.access_url = f"/my/isp/proforma/{proforma.id}"

    def _get_report_base_filename(self):
        return _("Proforma %(number)s", number=self.name)

    def _amount_in_words(self):
        self.ensure_one()
        return self.currency_id.with_context(
            lang=self.partner_id.lang or "en_US"
        ).amount_to_text(self.amount_total)

    # === GENERATION === #

    @api.model
    def _isp_period_for(self, company, date):
        """The period the company's proformas issued on ``date`` cover."""
        start = date.replace(day=1)
        if company.isp_proforma_for == "next":
            start += relativedelta(months=1)
        end = (
            start
            + relativedelta(months=company.isp_proforma_months)
            - relativedelta(days=1)
        )
        return start, end

    @api.model
    def _isp_create_for(self, partners, date, raise_if_empty=False):
        """Create and return the proformas of ``partners`` for the period their
        company covers on ``date``; customers with one already get nothing."""
        proformas = self.browse()
        Engine = self.env["isp.billing.engine"]
        for partner in partners.commercial_partner_id:
            company = partner.isp_company_id or self.env.company
            start, end = self._isp_period_for(company, date)
            if self.search_count(
                [
                    ("partner_id", "=", partner.id),
                    ("company_id", "=", company.id),
                    ("period_start", "=", start),
                    ("state", "in", ("open", "paid")),
                ]
            ):
                continue
            forecast = [period for __, period in Engine._forecast(partner, start, end)]
            if not forecast or partner.isp_billing_type == "postpaid":
                if raise_if_empty:
                    raise UserError(
                        _(
                            "%(customer)s has no prepaid or recurring service to charge "
                            "from %(start)s to %(end)s: there is nothing to put on a proforma.",
                            customer=partner.display_name,
                            start=fields.Date.to_string(start),
                            end=fields.Date.to_string(end),
                        )
                    )
                continue
            proformas |= self._isp_create_one(
                partner, company, date, start, end, forecast
            )
        return proformas

    @api.model
    def _isp_create_one(self, partner, company, date, start, end, periods):
        Engine = self.env["isp.billing.engine"]
        due, __ = Engine._due_dates(partner, date)
        lines = []
        for period in periods:
            for contract_line, amount in period.lines:
                description = Engine._prepare_invoice_line_vals(
                    period, contract_line, amount
                )
                taxes = Engine._line_taxes(contract_line, partner)
                lines.append(
                    fields.Command.create(
                        {
                            "name": description["name"],
                            "contract_line_id": contract_line.id,
                            "product_id": contract_line.product_id.id,
                            "period_start": period.start,
                            "period_end": period.end,
                            "price_unit": amount,
                            "tax_ids": [fields.Command.set(taxes.ids)],
                        }
                    )
                )
        proforma = self.create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "currency_id": company.currency_id.id,
                "date": date,
                "date_due": due,
                "period_start": start,
                "period_end": end,
                "line_ids": lines,
            }
        )
        proforma.name = self.env["isp.number.counter"]._next_number(
            company.isp_proforma_number_format,
            company,
            "proforma",
            {"date": date, "partner_id": company.id, "customer_id": partner.id},
        )
        self.env["isp.notification"]._isp_queue(
            "proforma", partner, proforma, f"proforma:{proforma.id}"
        )
        return proforma

    @api.model
    def _isp_request_payment(self, plan, date):
        """The billing day's proforma for ``plan`` (Tax Invoice on Payment): the
        periods the tax invoice will cover once the customer pays."""
        partner = plan.partner
        company = partner.isp_company_id or self.env.company
        proforma = self._isp_create_one(
            partner,
            company,
            date,
            min(period.start for period in plan.periods),
            max(period.end for period in plan.periods),
            plan.periods,
        )
        proforma.isp_block_date = self.env["isp.billing.engine"]._due_dates(
            partner, date
        )[1]
        return proforma

    @api.model
    def _isp_open_requests(self, partners, overdue_on=None):
        """Unpaid proformas the billing day issued instead of a tax invoice,
        oldest first; with ``overdue_on``, those past their blocking day then."""
        domain = [
            ("partner_id", "in", partners.ids),
            ("state", "=", "open"),
            ("isp_block_date", "!=", False),
        ]
        if overdue_on:
            domain.append(("isp_block_date", "<=", overdue_on))
        return self.search(domain, order="date, id")

    @api.model
    def _cron_isp_proforma(self, date=None):
        """On each company's proforma day, create and send the proformas of the
        customers who will be charged in the period; committed per batch, or
        one job per batch with a job runner (queue_job)."""
        date = fields.Date.to_date(date) or fields.Date.context_today(self)
        companies = self.env["res.company"].search(
            [("isp_proforma_enabled", "=", True), ("isp_proforma_day", "=", date.day)]
        )
        jobs = billing_jobs.use_jobs(self.env)
        for company in companies:
            partners = self._isp_proforma_pending(company, date)
            batch_size = company.isp_batch_size or 200
            if jobs:
                self._isp_enqueue_proformas(company, date, partners, batch_size)
                continue
            for index in range(0, len(partners), batch_size):
                batch = partners[index : index + batch_size]
                try:
                    with self.env.cr.savepoint():
                        self.with_company(company)._isp_create_for(batch, date)
                except pg_errors.UniqueViolation:
                    _logger.info(
                        "Proformas of this batch were created by another worker"
                    )
                self._isp_commit_progress(index + len(batch), len(partners))

    @api.model
    def _isp_proforma_pending(self, company, date, partner_ids=None):
        """Customers of ``company`` still without a proforma for the period the
        proforma day of ``date`` covers."""
        start, __ = self._isp_period_for(company, date)
        done = self.search(
            [
                ("company_id", "=", company.id),
                ("period_start", "=", start),
                ("state", "in", ("open", "paid")),
            ]
        ).partner_id
        domain = [
            ("isp_billing_enabled", "=", True),
            ("isp_company_id", "=", company.id),
            ("isp_status", "!=", "inactive"),
            ("isp_billing_type", "in", ("prepaid", "recurring")),
            ("id", "not in", done.ids),
        ]
        if partner_ids is not None:
            domain.append(("id", "in", partner_ids))
        return self.env["res.partner"].search(domain, order="id")

    @api.model
    def _isp_enqueue_proformas(self, company, date, partners, batch_size):
        prefix = f"isp_billing:proforma:res.company:{company.id}:{date}:"
        if not partners or billing_jobs.unfinished(self.env, prefix):
            return
        for index in range(0, len(partners), batch_size):
            batch = partners[index : index + batch_size]
            self.with_delay(
                description=_(
                    "Proformas of %(company)s for %(date)s, customers %(first)s to %(last)s",
                    company=company.name,
                    date=fields.Date.to_string(date),
                    first=batch[0].id,
                    last=batch[-1].id,
                ),
                identity_key=f"{prefix}{batch[0].id}-{batch[-1].id}",
            )._isp_job_proforma(company.id, fields.Date.to_string(date), batch.ids)
        self.env["ir.cron"]._notify_progress(done=len(partners), remaining=0)

    @api.model
    def _isp_job_proforma(self, company_id, date, partner_ids):
        """One job: the proformas of the customers ``partner_ids`` still without
        one. A proforma another job created meanwhile retries the job, which
        then skips that customer."""
        company = self.env["res.company"].browse(company_id)
        date = fields.Date.to_date(date)
        partners = self._isp_proforma_pending(company, date, partner_ids)
        try:
            with self.env.cr.savepoint():
                proformas = self.with_company(company)._isp_create_for(partners, date)
        except pg_errors.UniqueViolation as error:
            raise RetryableJobError(
                _("Proformas of this batch were created by another job"), seconds=5
            ) from error
        return _("%(count)s proformas created", count=len(proformas))

    def _isp_commit_progress(self, done, total):
        cron = self.env.context.get("cron_id") and self.env["ir.cron"]
        if cron:
            cron._notify_progress(done=done, remaining=total - done)
            self.env.cr.commit()

    # === PAYMENT === #

    def _isp_check_payable(self):
        for proforma in self:
            if proforma.state != "open":
                raise UserError(
                    _(
                        "Proforma %(number)s is %(state)s: it cannot be paid.",
                        number=proforma.name,
                        state=dict(
                            self._fields["state"]._description_selection(self.env)
                        )[proforma.state],
                    )
                )

    def _isp_pay_from_balance(self):
        """Issue the tax invoice of a requested proforma the customer's balance
        now covers; it is paid from that balance."""
        self.ensure_one()
        self._isp_check_payable()
        invoice = self._isp_issue_invoice(fields.Date.context_today(self))
        self.write({"state": "paid", "invoice_id": invoice.id})
        self.message_post(
            body=_(
                "Paid from the balance: tax invoice %(invoice)s issued.",
                invoice=invoice.name or "",
            )
        )
        return invoice

    def _isp_mark_paid(self, payment):
        """Issue the tax invoice of the proforma's periods, paid from ``payment``."""
        self.ensure_one()
        self._isp_check_payable()
        if payment.partner_id.commercial_partner_id != self.partner_id:
            raise UserError(_("This payment belongs to another customer."))
        available = -sum(
            payment.move_id.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            ).mapped("amount_residual")
        )
        if payment.currency_id.compare_amounts(available, self.amount_total) < 0:
            raise UserError(
                _(
                    "Payment %(payment)s has %(amount)s left: not enough for proforma "
                    "%(number)s (%(total)s).",
                    payment=payment.name,
                    amount=payment.currency_id.format(available),
                    number=self.name,
                    total=self.currency_id.format(self.amount_total),
                )
            )
        invoice = self._isp_issue_invoice(payment.date)
        self.write(
            {"state": "paid", "payment_id": payment.id, "invoice_id": invoice.id}
        )
        if invoice:
            body = _(
                "Paid by %(payment)s: tax invoice %(invoice)s issued.",
                payment=payment.name,
                invoice=invoice.name or "",
            )
        else:
            body = _(
                "Paid by %(payment)s: its periods were charged otherwise or are past, "
                "so the money stays on the balance.",
                payment=payment.name,
            )
        self.message_post(body=body)
        return invoice

    def _isp_issue_invoice(self, date):
        """The tax invoice of the proforma's periods, made by the engine; when
        a billing run already charged them, the invoice it issued."""
        return self.env["isp.billing.engine"]._charge_proforma(self, date)

    def action_link_payment(self):
        check_staff(self.env)
        self._isp_check_payable()
        return {
            "type": "ir.actions.act_window",
            "res_model": "isp.proforma.link.payment",
            "view_mode": "form",
            "target": "new",
            "context": {"default_proforma_id": self.id},
        }

    def action_cancel(self):
        check_staff(self.env)
        self._isp_check_payable()
        self.state = "cancel"

    def action_send(self):
        check_staff(self.env)
        for proforma in self:
            self.env["isp.notification"]._isp_queue(
                "proforma",
                proforma.partner_id,
                proforma,
                f"proforma:{proforma.id}",
                force=True,
            )._isp_send()

    def action_print(self):
        check_staff(self.env)
        return self.env.ref(
            "isp_prepaid_billing.action_report_isp_proforma"
        ).report_action(self)
