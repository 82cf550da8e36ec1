# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from ..models.isp_payment_promise import MAX_PROMISE_DAYS
from ..tools.staff import check_staff


class IspPaymentPromiseGrant(models.TransientModel):
    """Staff grant a blocked customer a promise to pay: the service runs
    again for the days chosen."""

    _name = "isp.payment.promise.grant"
    _description = "Grant a promise to pay"

    partner_id = fields.Many2one("res.partner", required=True, readonly=True)
    days = fields.Integer(
        required=True,
        default=lambda self: self._default_days(),
        help="Days of service from today, today included.",
    )
    date_to = fields.Date(string="Pay By", compute="_compute_date_to")

    @api.model
    def _default_days(self):
        partner = self.env["res.partner"].browse(self.env.context.get("default_partner_id"))
        company = partner.isp_company_id or self.env.company
        return company.isp_promise_days or 7

    @api.depends("days")
    def _compute_date_to(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            wizard.date_to = (
                today + relativedelta(days=wizard.days - 1)
                if 0 < wizard.days <= MAX_PROMISE_DAYS
                else False
            )

    def action_grant(self):
        check_staff(self.env)
        self.ensure_one()
        self.env["isp.payment.promise"].with_context(isp_promise_by_staff=True)._isp_grant(
            self.partner_id, fields.Date.context_today(self), self.days, "staff"
        )
        return {"type": "ir.actions.act_window_close"}
