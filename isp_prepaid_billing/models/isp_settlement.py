# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The one place where money arriving is settled.

Money reaches a subscriber's receivable in many ways: a payment registered on
chosen invoices, an outstanding credit added on the invoice form, a bank
statement line matched with an invoice, a credit note, an online payment, a
refill card. Each of them posts a move or reconciles lines; both queue the
customer here. The settlement runs once, when the transaction is about to be
committed, so it sees what Odoo itself reconciled (the invoice the user chose)
and only then pays what is still open, serves the purpose of online payments,
and lets the customer's status react. A failure in it is recorded on the
customer and never undoes the money that was posted.
"""

import logging

from odoo import _, api, fields, models

_logger = logging.getLogger(__name__)

QUEUE_KEY = "isp.settlement"
# What the settlement keeps of the context it was queued from.
SETTLEMENT_CONTEXT_KEYS = ("lang", "tz", "allowed_company_ids")


class IspSettlement(models.AbstractModel):
    _name = "isp.settlement"
    _description = "ISP settlement of money received"

    @api.model
    def _queue(self, customers, payments=None, date=None):
        """Settle ``customers`` (and serve the purpose of ``payments``) before
        the current transaction commits."""
        if self.env.context.get("isp_engine") or self.env.context.get("isp_settling"):
            return  # the engine settles its own documents; settling queues nothing
        customers = customers.commercial_partner_id.filtered("isp_billing_enabled")
        if not customers:
            return
        precommit = self.env.cr.precommit
        queue = precommit.data.get(QUEUE_KEY)
        if queue is None:
            queue = precommit.data[QUEUE_KEY] = {"customers": {}, "payments": set()}
            precommit.add(self._run_queue)
        date = date or fields.Date.context_today(self)
        for customer in customers:
            queue["customers"][customer.id] = max(
                queue["customers"].get(customer.id, date), date
            )
        queue["payments"].update((payments or self.env["account.payment"]).ids)

    @api.model
    def _run_queue(self):
        queue = self.env.cr.precommit.data.pop(QUEUE_KEY, None)
        if not queue:
            return
        # Whoever posted or reconciled the money was allowed to; what follows
        # from it (charges, invoices, statuses) is the engine's business. It
        # runs with the context of whoever queued first: flags meant for that
        # caller's own writes (account_reconcile_oca adds lines to a posted
        # entry with skip_invoice_sync) must not reach the invoices made here.
        context = {
            key: value
            for key, value in self.env.context.items()
            if key in SETTLEMENT_CONTEXT_KEYS
        }
        settlement = self.sudo().with_context(context, isp_settling=True)
        payments = settlement.env["account.payment"].browse(sorted(queue["payments"]))
        for customer_id, date in queue["customers"].items():
            customer = settlement.env["res.partner"].browse(customer_id)
            settlement._settle_safely(customer, payments, date)
        self.env.flush_all()

    @api.model
    def _settle_safely(self, customer, payments, date):
        try:
            with self.env.cr.savepoint():
                self._settle(customer, payments, date)
        except Exception as error:  # noqa: BLE001 - the money stays booked
            _logger.exception("Settlement failed for %s", customer.display_name)
            message = _(
                "Money was received but could not be settled: %(error)s",
                error=error,
            )
            customer.isp_billing_error = message
            customer.message_post(body=message, subtype_xmlid="mail.mt_note")

    @api.model
    def _settle(self, customer, payments, date):
        mine = payments.filtered(
            lambda pay: pay.partner_id.commercial_partner_id == customer
        )
        for payment in mine.sorted(lambda pay: (pay.date, pay.id)):
            payment._isp_serve_purpose()
        self._pay_open_documents(customer)
        self._pay_requested_proformas(customer)
        customer._isp_after_payment(date)
        self.env["isp.notification"]._isp_queue_many(
            [
                ("payment", payment.partner_id, payment, f"payment:{payment.id}")
                for payment in mine._isp_customer_payments()
            ]
        )

    @api.model
    def _pay_open_documents(self, customer):
        """Pay the customer's open invoices and charges from the credit on their
        receivable: an invoice of the credit's exact amount first (when the
        company associates payments automatically), then the oldest first."""
        company = customer.isp_company_id or self.env.company
        Line = self.env["account.move.line"]
        common = [
            ("partner_id", "=", customer.id),
            ("company_id", "=", company.id),
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
        ]
        credits = Line.search(common + [("amount_residual", "<", 0)], order="date, id")
        if not credits:
            return
        debits = Line.search(
            common
            + [
                ("amount_residual", ">", 0),
                "|",
                ("move_id.move_type", "=", "out_invoice"),
                ("move_id.isp_is_billing", "=", True),
            ],
        ).sorted(lambda line: (line.date_maturity or line.date, line.move_id.id))
        if company.isp_auto_associate_payments:
            self._pay_exact_amounts(credits, debits)
        for debit in debits:
            available = credits.filtered(
                lambda line, debit=debit: (
                    not line.reconciled and line.account_id == debit.account_id
                )
            )
            if not available:
                break
            if not debit.reconciled:
                (available + debit).reconcile()

    @api.model
    def _pay_requested_proformas(self, customer):
        """Tax Invoice on Payment: the proformas the balance now covers, oldest
        first, get their tax invoice, paid from the balance."""
        for proforma in self.env["isp.proforma"]._isp_open_requests(customer):
            if (
                proforma.currency_id.compare_amounts(
                    customer.isp_balance, proforma.amount_total
                )
                < 0
            ):
                break
            proforma._isp_pay_from_balance()

    @api.model
    def _pay_exact_amounts(self, credits, debits):
        for credit in credits:
            match = debits.filtered(
                lambda line, credit=credit: (
                    not line.reconciled
                    and line.account_id == credit.account_id
                    and line.company_currency_id.compare_amounts(
                        line.amount_residual, -credit.amount_residual
                    )
                    == 0
                )
            )[:1]
            if match:
                (credit + match).reconcile()
