# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, models
from odoo.exceptions import ValidationError


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def action_post(self):
        self._isp_check_payment()
        res = super().action_post()
        self._isp_settle()
        return res

    def _isp_customer_payments(self):
        return self.filtered(
            lambda pay: pay.partner_type == "customer"
            and pay.payment_type == "inbound"
            and pay.partner_id.commercial_partner_id.isp_billing_enabled
        )

    def _isp_check_payment(self):
        for payment in self._isp_customer_payments():
            customer = payment.partner_id.commercial_partner_id
            if not payment.outstanding_account_id:
                raise ValidationError(
                    _(
                        "Payments of ISP customers must reach their balance at once: set "
                        "an outstanding receipts account on payment method "
                        "%(method)s of journal %(journal)s.",
                        method=payment.payment_method_line_id.name,
                        journal=payment.journal_id.name,
                    )
                )
            if customer.isp_company_id and customer.isp_company_id != payment.company_id:
                raise ValidationError(
                    _(
                        "%(customer)s is billed by %(billing)s: record the payment in "
                        "that company, not in %(company)s.",
                        customer=customer.display_name,
                        billing=customer.isp_company_id.name,
                        company=payment.company_id.name,
                    )
                )

    def _isp_settle(self):
        """Pay open ISP invoices from the payment (an exact match first, then
        oldest first), then let the customer's status react to the money."""
        payments = self._isp_customer_payments().filtered(
            lambda pay: pay.move_id.state == "posted"
        )
        for payment in payments.with_context(isp_settling_payment=True):
            payment._isp_pay_open_invoices()
        for payment in payments:
            payment.partner_id._isp_after_payment(payment.date)

    def _isp_pay_open_invoices(self):
        self.ensure_one()
        payment_lines = self.move_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        if not payment_lines:
            return
        invoices = self.env["account.move"].search(
            [
                ("partner_id", "=", self.partner_id.commercial_partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("isp_is_billing", "=", True),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            order="invoice_date_due, invoice_date, id",
        )
        exact = invoices.filtered(
            lambda inv: inv.currency_id.compare_amounts(inv.amount_residual, self.amount) == 0
        )[:1]
        ordered = exact or invoices
        invoice_lines = ordered.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
            and not line.reconciled
            and line.account_id == payment_lines.account_id
        )
        plan = [payment_lines + line for line in invoice_lines.sorted(
            lambda line: (line.date_maturity or line.date, line.move_id.id)
        )]
        for lines in plan:
            lines = lines.filtered(lambda line: not line.reconciled)
            if len(lines) < 2 or payment_lines.reconciled:
                break
            lines.reconcile()
