# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import time

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

ISP_PURPOSES = [
    ("topup", "Top-up"),
    ("prepay", "Payment in advance"),
    ("reactivate", "Reactivation"),
    ("proforma", "Proforma"),
    ("plan_change", "Plan Change"),
]


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    isp_purpose = fields.Selection(ISP_PURPOSES, string="ISP Purpose", readonly=True)
    isp_periods = fields.Integer(string="ISP Periods", readonly=True)
    isp_extend_service = fields.Boolean(readonly=True)
    isp_proforma_id = fields.Many2one(
        "isp.proforma", string="ISP Proforma", readonly=True
    )
    isp_service_change_id = fields.Many2one(
        "isp.service.change",
        string="ISP Plan Change",
        readonly=True,
        help="The plan change waiting for this payment.",
    )
    isp_offer_nonce = fields.Char(
        readonly=True,
        copy=False,
        help="The single-use token of the payment page this transaction came from.",
    )

    def init(self):
        # One transaction per payment page: a second browser session (or a
        # replay) with the same page token cannot make the customer pay twice.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS payment_transaction_isp_offer_nonce "
                "ON payment_transaction (isp_offer_nonce) WHERE isp_offer_nonce IS NOT NULL"
            )
        )

    @api.model
    def _isp_check_offer(self, nonce, expires):
        """Refuse a payment page that expired or already made a transaction."""
        if not nonce or expires < time.time():
            raise ValidationError(
                _("This payment page has expired: reload it to pay.")
            )
        if self.sudo().search_count([("isp_offer_nonce", "=", nonce)], limit=1):
            raise ValidationError(
                _(
                    "A payment was already started from this page: reload the page "
                    "to pay again."
                )
            )

    def _post_process(self):
        # The status poll and the post-processing cron may handle the same
        # transaction at once: the row lock makes the second one wait, then fail
        # to serialise and retry, when it finds the payment already made.
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM payment_transaction WHERE id = ANY(%s) FOR NO KEY UPDATE",
                    self.ids,
                )
            )
        return super()._post_process()

    def _create_payment(self, **extra_create_values):
        if self.isp_purpose:
            extra_create_values = {
                "isp_prepay_periods": self.isp_periods,
                "isp_extend_service": self.isp_extend_service,
                "isp_pay_proforma_id": self.isp_purpose == "proforma"
                and self.isp_proforma_id.id,
                "isp_service_change_id": self.isp_purpose == "plan_change"
                and self.isp_service_change_id.id,
                **extra_create_values,
            }
        return super()._create_payment(**extra_create_values)
