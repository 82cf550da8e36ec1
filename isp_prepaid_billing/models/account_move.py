# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    isp_is_billing = fields.Boolean(
        string="ISP Billing Document", readonly=True, copy=False, index=True
    )
    isp_block_date = fields.Date(
        string="Blocking Date",
        readonly=True,
        copy=False,
        help="Day on which the customer is blocked if the balance is then below "
        "the minimum balance.",
    )
    isp_charge_ids = fields.One2many("isp.charge", "move_id", string="Charged Periods")

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        if self.env.context.get("isp_settling_payment"):
            return res  # the payment reacts itself, as of its own date
        customers = self.filtered("isp_is_billing").partner_id.commercial_partner_id
        customers._isp_reactivate_if_funded(fields.Date.context_today(self))
        return res
