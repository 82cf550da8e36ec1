# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.tools import SQL

ISP_PURPOSES = [
    ("topup", "Top-up"),
    ("prepay", "Payment in advance"),
    ("reactivate", "Reactivation"),
    ("proforma", "Proforma"),
]


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    isp_purpose = fields.Selection(ISP_PURPOSES, string="ISP Purpose", readonly=True)
    isp_periods = fields.Integer(string="ISP Periods", readonly=True)
    isp_extend_service = fields.Boolean(readonly=True)
    isp_proforma_id = fields.Many2one(
        "isp.proforma", string="ISP Proforma", readonly=True
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
                **extra_create_values,
            }
        return super()._create_payment(**extra_create_values)
