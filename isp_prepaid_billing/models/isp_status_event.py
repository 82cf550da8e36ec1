# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .res_partner import ISP_STATUSES


class IspStatusEvent(models.Model):
    """One service status change of a customer: the history staff read on the
    customer and the cockpit counts (blocked and reactivated today)."""

    _name = "isp.status.event"
    _description = "ISP service status change"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    date = fields.Date(required=True, index=True)
    status_from = fields.Selection(ISP_STATUSES, string="From", required=True)
    status_to = fields.Selection(ISP_STATUSES, string="To", required=True)
    is_reactivation = fields.Boolean(
        compute="_compute_is_reactivation", store=True, string="Reactivation"
    )
    reason = fields.Char()
    by_staff = fields.Boolean(
        string="By Staff",
        readonly=True,
        help="Set by a person with the customer's buttons, not by the billing rules.",
    )
    is_today = fields.Boolean(
        compute="_compute_is_today",
        search="_search_is_today",
        string="Today",
        help="The change happened today, in the user's time zone.",
    )

    @api.depends("status_from", "status_to")
    def _compute_is_reactivation(self):
        for event in self:
            event.is_reactivation = event.status_to == "active" and event.status_from in (
                "blocked",
                "inactive",
            )

    def _compute_is_today(self):
        today = fields.Date.context_today(self)
        for event in self:
            event.is_today = event.date == today

    def _search_is_today(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(_("Operation not supported"))
        today = fields.Date.context_today(self)
        positive = (operator == "=") == bool(value)
        return [("date", "=" if positive else "!=", today)]
