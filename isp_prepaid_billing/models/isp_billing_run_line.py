# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

RUN_LINE_ACTIONS = [
    ("charge", "Charge / Invoice"),
    ("insufficient", "Insufficient Funds"),
    ("proforma", "Proforma Issued"),
    ("requested", "Payment Requested"),
    ("already", "Already Charged"),
    ("block", "Block"),
    ("deactivate", "Deactivate"),
    ("reactivate", "Reactivate"),
    ("credit_block", "Block Credit"),
    ("credit_unblock", "Restore Credit"),
    ("error", "Error"),
]


class IspBillingRunLine(models.Model):
    _name = "isp.billing.run.line"
    _description = "ISP billing run line"
    _order = "run_id, partner_id, id"

    run_id = fields.Many2one("isp.billing.run", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    currency_id = fields.Many2one(related="run_id.currency_id")
    state = fields.Selection(related="run_id.state")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    action = fields.Selection(RUN_LINE_ACTIONS, required=True)
    period_start = fields.Date()
    period_end = fields.Date()
    amount = fields.Monetary(
        currency_field="currency_id",
        help="The amount of the periods, charged or not (e.g. refused for want of funds).",
    )
    charged_amount = fields.Monetary(
        string="Charged",
        compute="_compute_charged_amount",
        store=True,
        currency_field="currency_id",
        help="What the line charges or invoices: the run's total adds these up.",
    )
    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    message = fields.Char()

    @api.depends("action", "amount")
    def _compute_charged_amount(self):
        for line in self:
            line.charged_amount = line.amount if line.action == "charge" else 0.0
