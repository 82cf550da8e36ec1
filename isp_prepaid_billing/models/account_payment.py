# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, fields, models
from odoo.exceptions import UserError, ValidationError


class AccountPayment(models.Model):
    _inherit = "account.payment"

    isp_receipt_number = fields.Char(
        string="Receipt Number", readonly=True, copy=False, index="btree_not_null"
    )
    isp_proforma_ids = fields.One2many(
        "isp.proforma", "payment_id", string="Paid Proformas", readonly=True
    )

    # What an online payment was made for (set from its payment transaction).
    isp_prepay_periods = fields.Integer(
        string="Periods Paid in Advance",
        readonly=True,
        copy=False,
        help="Periods of the customer's subscriptions this payment charges at once.",
    )
    isp_extend_service = fields.Boolean(
        string="Extends Service",
        readonly=True,
        copy=False,
        help='The payment reactivates a service past its "active to" date: the '
        "date moves to the end of the periods paid.",
    )
    isp_pay_proforma_id = fields.Many2one(
        "isp.proforma", string="Proforma to Pay", readonly=True, copy=False
    )
    isp_service_change_id = fields.Many2one(
        "isp.service.change",
        string="Plan Change to Apply",
        readonly=True,
        copy=False,
        help="The plan change waiting for this payment: applied when the money "
        "is received.",
    )
    isp_purpose_served = fields.Boolean(
        readonly=True,
        copy=False,
        help="The proforma, prepayment, reactivation or plan change this payment "
        "was made for has been handled (once, when the payment was settled).",
    )

    _sql_constraints = [
        (
            "isp_receipt_number_unique",
            "unique(company_id, isp_receipt_number)",
            "A receipt number is used once per company.",
        ),
    ]

    def _get_report_base_filename(self):
        """File name of the receipt the customer downloads from the portal."""
        self.ensure_one()
        return _("Receipt %(number)s", number=self.isp_receipt_number or self.name)

    def action_post(self):
        self._isp_check_payment()
        res = super().action_post()
        self._isp_number_receipts()
        return res

    def _isp_number_receipts(self):
        """Every posted customer receipt gets its number from the company format."""
        Counter = self.env["isp.number.counter"]
        for payment in self.filtered(
            lambda pay: (
                pay.partner_type == "customer"
                and pay.payment_type == "inbound"
                and pay.state in ("in_process", "paid")
                and not pay.isp_receipt_number
            )
        ):
            company = payment.company_id
            payment.isp_receipt_number = Counter._next_number(
                company.isp_receipt_number_format,
                company,
                "receipt",
                {
                    "date": payment.date,
                    "type": payment.journal_id.code,
                    "partner_id": company.id,
                    "customer_id": payment.partner_id.commercial_partner_id.id,
                },
            )

    def _isp_customer_payments(self):
        return self.filtered(
            lambda pay: (
                pay.partner_type == "customer"
                and pay.payment_type == "inbound"
                and pay.partner_id.commercial_partner_id.isp_billing_enabled
            )
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
            if (
                customer.isp_company_id
                and customer.isp_company_id != payment.company_id
            ):
                raise ValidationError(
                    _(
                        "%(customer)s is billed by %(billing)s: record the payment in "
                        "that company, not in %(company)s.",
                        customer=customer.display_name,
                        billing=customer.isp_company_id.name,
                        company=payment.company_id.name,
                    )
                )

    def _isp_serve_purpose(self):
        """What an online or proforma payment was made for, once: pay the
        proforma, invoice the prepayment, charge the periods paid ahead. When the
        purpose can no longer be served (the proforma was paid meanwhile, the
        service cannot be charged), the money stays on the customer's balance and
        staff see why on the payment."""
        for payment in self._isp_customer_payments().filtered(
            lambda pay: not pay.isp_purpose_served and pay.state in ("in_process", "paid")
        ):
            payment.isp_purpose_served = True
            try:
                with self.env.cr.savepoint():
                    payment._isp_pay_proforma()
                    payment._isp_invoice_prepayment()
                    payment._isp_charge_ahead()
                    payment._isp_apply_service_change()
            except UserError as error:
                payment.message_post(
                    body=_(
                        "%(error)s The payment was booked and stays on the customer's "
                        "balance.",
                        error=error.args[0],
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    def _isp_pay_proforma(self):
        """A payment of an open proforma's exact amount issues its tax invoice."""
        self.ensure_one()
        if self.isp_pay_proforma_id:
            self.isp_pay_proforma_id._isp_mark_paid(self)
            return
        if self.isp_service_change_id:
            return  # the money pays a plan change, not a proforma of its amount
        proforma = (
            self.env["isp.proforma"]
            .search(
                [
                    ("partner_id", "=", self.partner_id.commercial_partner_id.id),
                    ("company_id", "=", self.company_id.id),
                    ("state", "=", "open"),
                ],
                order="date, id",
            )
            .filtered(
                lambda pro: (
                    pro.currency_id.compare_amounts(pro.amount_total, self.amount) == 0
                )
            )[:1]
        )
        if proforma:
            proforma._isp_mark_paid(self)

    def _isp_charge_ahead(self):
        """An advance payment or a reactivation charges its periods at once."""
        self.ensure_one()
        if self.isp_prepay_periods:
            self.env["isp.billing.engine"]._charge_ahead(
                self.partner_id.commercial_partner_id,
                self.isp_prepay_periods,
                self.date,
                extend_service=self.isp_extend_service,
            )

    def _isp_apply_service_change(self):
        """A payment made for a plan change applies it, from the payment's day."""
        self.ensure_one()
        if self.isp_service_change_id:
            self.isp_service_change_id._isp_apply_paid(self)

    def _isp_invoice_prepayment(self):
        """Issue Invoice After Payment: a prepaid customer's payment becomes a tax
        invoice for its full amount at once (tax included), paid by the payment."""
        self.ensure_one()
        company = self.company_id
        customer = self.partner_id.commercial_partner_id
        if (
            not company.isp_invoice_after_payment
            or customer.isp_billing_type != "prepaid"
            or self.isp_proforma_ids
        ):
            return
        self.env["isp.billing.engine"]._invoice_prepayment(self)
