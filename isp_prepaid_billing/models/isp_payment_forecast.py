# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models


class IspPaymentForecast(models.TransientModel):
    """A customer's payment calendar: the coming charges, as the billing engine
    would make them, shown as a list, a calendar and a graph."""

    _name = "isp.payment.forecast"
    _description = "ISP payment calendar entry"
    _order = "date, id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(string="Charge Date", readonly=True)
    date_due = fields.Date(string="Pay By", readonly=True)
    contract_id = fields.Many2one(
        "contract.contract", string="Subscription", readonly=True
    )
    period_start = fields.Date(readonly=True)
    period_end = fields.Date(readonly=True)
    amount = fields.Monetary(readonly=True)

    @api.model
    def _isp_build(self, partner, date_from, months=12):
        Engine = self.env["isp.billing.engine"]
        date_to = date_from + relativedelta(months=months, days=-1)
        vals = []
        for on, period in Engine._forecast(partner, date_from, date_to):
            due, __ = Engine._due_dates(partner.commercial_partner_id, on)
            vals.append(
                {
                    "partner_id": partner.commercial_partner_id.id,
                    "currency_id": partner.isp_currency_id.id,
                    "date": on,
                    "date_due": due,
                    "contract_id": period.contract.id,
                    "period_start": period.start,
                    "period_end": period.end,
                    "amount": Engine._periods_total(partner, [period]),
                }
            )
        return self.create(vals)
