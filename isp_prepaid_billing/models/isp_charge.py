# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from fractions import Fraction

from odoo import api, fields, models

from ..tools import billing_periods
from .isp_billing_settings_mixin import BILLING_TYPES


class IspCharge(models.Model):
    """One charged (or invoiced) period of one subscription.

    The unique (subscription, period start) index is what makes a rerun or a
    concurrent run of the engine unable to charge the same period twice.
    """

    _name = "isp.charge"
    _description = "ISP subscription charge"
    _order = "period_start desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "contract.contract",
        string="Subscription",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one("res.currency", required=True)
    billing_type = fields.Selection(BILLING_TYPES, required=True)
    date = fields.Date(string="Charged On", required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    amount = fields.Monetary(
        string="Amount (excl. taxes)", required=True, currency_field="currency_id"
    )
    factor = fields.Float(
        string="Periods Charged",
        digits=(16, 8),
        help="How many full periods the charge covered (a partial first or last "
        "period counts its share); service changes credit and charge against it.",
    )
    move_id = fields.Many2one(
        "account.move",
        string="Accounting Entry",
        index="btree_not_null",
        ondelete="restrict",
        check_company=True,
    )
    payment_state = fields.Selection(related="move_id.payment_state")
    is_paid = fields.Boolean(
        compute="_compute_is_paid",
        search="_search_is_paid",
        help="Prepaid charges are paid by construction (they are only made when the "
        "balance allows it); invoiced periods are paid once their invoice is.",
    )

    _sql_constraints = [
        (
            "period_unique",
            "unique(contract_id, period_start)",
            "This period of the subscription was already charged.",
        ),
        (
            "period_valid",
            "CHECK(period_end >= period_start)",
            "A charged period cannot end before it starts.",
        ),
        ("amount_positive", "CHECK(amount >= 0)", "A charge cannot be negative."),
    ]

    @api.depends("billing_type", "move_id.payment_state")
    def _compute_is_paid(self):
        for charge in self:
            charge.is_paid = charge.billing_type == "prepaid" or charge.payment_state in (
                "paid",
                "in_payment",
            )

    def _search_is_paid(self, operator, value):
        paid = [
            "|",
            ("billing_type", "=", "prepaid"),
            ("move_id.payment_state", "in", ("paid", "in_payment")),
        ]
        if (operator == "=") == bool(value):
            return paid
        return ["!", *paid]

    def _isp_factor(self):
        """The exact share of a full period this charge was priced at."""
        self.ensure_one()
        if self.factor:
            return Fraction(self.factor).limit_denominator(10**6)
        # Charges made before the factor was stored: as the engine prices them.
        contract = self.contract_id
        if self.billing_type == "prepaid":
            unit, length = contract.isp_period_unit, contract.isp_period_length
            full_end = billing_periods.add_period(self.period_start, unit, length)
            factor = Fraction(
                billing_periods.days_between(self.period_start, self.period_end),
                billing_periods.days_between(self.period_start, full_end),
            )
            return factor * length if unit == "month" else factor
        return billing_periods.months_covered(
            self.period_start,
            self.period_end,
            contract.commercial_partner_id.isp_billing_day,
        )
