# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The monthly tax invoice of the prepaid services a customer consumed.

With the company's option, prepaid charges (and service change adjustments)
are entries that move money from the customer's balance to the consumed
services account, taxes included. On the first day of a month, each customer
with charges of earlier months waiting there gets one tax invoice listing them;
an entry moves the money back from the consumed services account to the
receivable, where it pays the invoice. The balance does not move twice, the
income and the tax are recognised once, on the invoice.
"""

import logging

from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.tools import format_date

_logger = logging.getLogger(__name__)


class IspConsumptionInvoice(models.AbstractModel):
    _name = "isp.consumption.invoice"
    _description = "ISP monthly invoice of consumed prepaid services"

    @api.model
    def _waiting_lines(self, company, date, partners=None):
        """Charges of months before ``date``'s month not invoiced yet."""
        domain = [
            ("company_id", "=", company.id),
            ("account_id", "=", company.isp_consumption_account_id.id),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("partner_id", "!=", False),
            ("date", "<", date.replace(day=1)),
        ]
        if partners is not None:
            domain.append(("partner_id", "in", partners.ids))
        return self.env["account.move.line"].search(domain, order="date, id")

    @api.model
    def _cron_isp_consumption_invoice(self, date=None, batch_size=None):
        """Invoice one bounded batch of customers per company; ir.cron commits
        after each call and calls again while customers remain."""
        date = fields.Date.to_date(date) or fields.Date.context_today(self)
        done = remaining = 0
        for company in self.env["res.company"].search([("isp_consumption_invoice", "=", True)]):
            lines = self._waiting_lines(company, date)
            customers = lines.partner_id
            batch = customers[: batch_size or company.isp_batch_size or 200]
            for customer in batch:
                self._invoice_customer_safely(customer, lines.filtered(
                    lambda line, customer=customer: line.partner_id == customer
                ), date)
            done += len(batch)
            remaining += len(customers) - len(batch)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done, remaining

    @api.model
    def _invoice_customer_safely(self, customer, lines, date):
        try:
            with self.env.cr.savepoint():
                return self._invoice_customer(customer, lines, date)
        except Exception as exc:  # noqa: BLE001 - recorded on the customer, others go on
            _logger.exception("Consumption invoice failed for %s", customer.display_name)
            customer.isp_billing_error = str(exc)
        return self.env["account.move"]

    @api.model
    def _invoice_customer(self, customer, lines, date):
        company = lines.company_id
        currency = company.currency_id
        total = currency.round(-sum(lines.mapped("balance")))
        if currency.is_zero(total):
            self._settle(customer, lines, self.env["account.move"], date)
            return self.env["account.move"]
        refund = total < 0
        sign = -1 if refund else 1
        month_end = date.replace(day=1) - relativedelta(days=1)
        invoice_lines = [self._invoice_line_vals(customer, line, sign) for line in lines]
        Batch = self.env["isp.invoice.batch"]
        invoice = Batch._create(
            [
                {
                    "move_type": "out_refund" if refund else "out_invoice",
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "journal_id": company._isp_invoice_journal().id,
                    "currency_id": currency.id,
                    "date": date,
                    "invoice_date": date,
                    "isp_is_billing": True,
                    "invoice_origin": _(
                        "Services consumed until %(date)s",
                        date=format_date(self.env, month_end, lang_code=customer.lang),
                    ),
                    "invoice_line_ids": [Command.create(vals) for vals in invoice_lines],
                }
            ]
        )
        gap = currency.round(abs(total) - invoice.amount_total)
        if not currency.is_zero(gap):
            # Per-line tax rounding may differ by a cent from what was charged.
            invoice.invoice_line_ids = [
                Command.create(
                    {
                        "name": _("Tax rounding"),
                        "quantity": 1.0,
                        "price_unit": gap,
                        "account_id": invoice.invoice_line_ids[0].account_id.id,
                        "tax_ids": [Command.clear()],
                    }
                )
            ]
        Batch._post(invoice)
        self._settle(customer, lines, invoice, date)
        return invoice

    @api.model
    def _invoice_line_vals(self, customer, line, sign):
        """The invoice line of a consumed charge: its net price for the taxes of
        its product, so that the line taxes included is what was charged."""
        company = line.company_id
        product = line.product_id
        taxes = product.taxes_id.filtered(lambda t: t.company_id == company)
        fiscal_position = customer.with_company(company).property_account_position_id
        if fiscal_position:
            taxes = fiscal_position.map_tax(taxes)
        amount = -line.balance * sign
        price = amount
        if taxes and not all(taxes.mapped("price_include")):
            details = taxes._get_tax_details(
                amount,
                1.0,
                precision_rounding=line.currency_id.rounding,
                special_mode="total_included",
            )
            price = line.currency_id.round(details["total_excluded"])
        return {
            "product_id": product.id,
            "name": line.name,
            "quantity": 1.0,
            "price_unit": price,
            "tax_ids": [Command.set(taxes.ids)],
            "account_id": product.product_tmpl_id.get_product_accounts(
                fiscal_position
            )["income"].id,
        }

    @api.model
    def _settle(self, customer, lines, invoice, date):
        """Move what the charges took from the balance to the receivable, where
        it pays the invoice, and close the consumed services account."""
        company = lines.company_id
        total = -sum(lines.mapped("balance"))
        receivable = customer.with_company(company).property_account_receivable_id
        transfer = self.env["account.move"].create(
            {
                "move_type": "entry",
                "company_id": company.id,
                "journal_id": company._isp_invoice_journal().id,
                "date": date,
                "ref": invoice.name or _("Consumed services"),
                "isp_is_billing": True,
                "line_ids": [
                    Command.create(
                        {
                            "name": line.name,
                            "account_id": line.account_id.id,
                            "partner_id": customer.id,
                            "balance": -line.balance,
                        }
                    )
                    for line in lines
                ]
                + [
                    Command.create(
                        {
                            "name": _("Consumed services paid from the balance"),
                            "account_id": receivable.id,
                            "partner_id": customer.id,
                            "balance": -total,
                        }
                    )
                ],
            }
        )
        transfer.with_context(isp_engine=True).action_post()
        consumed = transfer.line_ids.filtered(lambda l: l.account_id == lines.account_id)
        (lines + consumed).with_context(isp_engine=True).reconcile()
        to_pay = (invoice.line_ids + transfer.line_ids).filtered(
            lambda l: l.account_id == receivable and not l.reconciled
        )
        if invoice and len(to_pay) > 1:
            to_pay.with_context(isp_engine=True).reconcile()
