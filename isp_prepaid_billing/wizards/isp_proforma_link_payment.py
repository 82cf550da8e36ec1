# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import fields, models

from ..tools.staff import check_staff


class IspProformaLinkPayment(models.TransientModel):
    _name = "isp.proforma.link.payment"
    _description = "Link a payment to a proforma invoice"

    proforma_id = fields.Many2one("isp.proforma", required=True, readonly=True)
    partner_id = fields.Many2one(related="proforma_id.partner_id")
    payment_id = fields.Many2one(
        "account.payment",
        required=True,
        domain="[('partner_id', 'child_of', partner_id), ('payment_type', '=', 'inbound'),"
        " ('state', 'in', ('in_process', 'paid')), ('isp_proforma_ids', '=', False)]",
    )

    def action_link(self):
        check_staff(self.env)
        self.ensure_one()
        self.proforma_id._isp_mark_paid(self.payment_id)
        return {"type": "ir.actions.act_window_close"}
