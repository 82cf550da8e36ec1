# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

# What the ISP reports' views read: flushed before a view is queried.
LEDGER_DEPENDS = {
    "account.move.line": [
        "account_id", "amount_residual", "balance", "company_id", "credit", "date",
        "date_maturity", "debit", "journal_id", "move_id", "parent_state", "partner_id",
        "payment_id", "reconciled", "statement_line_id",
    ],
    "account.account": ["account_type"],
}
CUSTOMER_DEPENDS = {
    "res.partner": [
        "active", "commercial_partner_id", "isp_billing_enabled", "isp_billing_type",
        "isp_company_id", "isp_status",
    ],
    "res.company": ["currency_id", "isp_prepaid_account_id"],
}
SUBSCRIPTION_DEPENDS = {
    "contract.contract": [
        "active", "company_id", "date_end", "date_start", "isp_cancel_date",
        "isp_managed", "isp_period_length", "isp_period_unit", "partner_id",
    ],
    "contract.line": [
        "automatic_price", "contract_id", "discount", "display_type", "is_canceled",
        "isp_service_from", "isp_service_to", "product_id", "quantity", "sequence",
        "specific_price",
    ],
}

REPORT_PERIODS = [
    ("current", "This Month"),
    ("previous", "Last Month"),
    ("earlier", "Earlier"),
]


class IspReportPeriodMixin(models.AbstractModel):
    """``period``: this month, last month or earlier, as of the user's today.

    Searched as a date range on ``_period_date_field``, so a dashboard's
    "this month" filter stays a plain, indexed date condition."""

    _name = "isp.report.period.mixin"
    _description = "ISP report period"
    _period_date_field = "date"

    period = fields.Selection(
        REPORT_PERIODS, compute="_compute_period", search="_search_period"
    )

    @api.model
    def _period_bounds(self):
        this_month = fields.Date.context_today(self).replace(day=1)
        return this_month, this_month - relativedelta(months=1)

    def _compute_period(self):
        this_month, last_month = self._period_bounds()
        for record in self:
            day = record[self._period_date_field]
            if day and day >= this_month:
                record.period = "current"
            elif day and day >= last_month:
                record.period = "previous"
            else:
                record.period = "earlier"

    def _search_period(self, operator, value):
        periods = [value] if isinstance(value, str) else value
        if (
            operator not in ("=", "!=", "in", "not in")
            or not isinstance(periods, (list, tuple))
            or not all(isinstance(p, str) and p in dict(REPORT_PERIODS) for p in periods)
        ):
            raise UserError(_("Operation not supported"))
        this_month, last_month = self._period_bounds()
        field = self._period_date_field
        ranges = {
            "current": [(field, ">=", this_month)],
            "previous": [(field, ">=", last_month), (field, "<", this_month)],
            "earlier": [(field, "<", last_month)],
        }
        domain = expression.OR(
            [ranges[period] for period in periods] or [expression.FALSE_DOMAIN]
        )
        if operator in ("!=", "not in"):
            return ["!"] + expression.normalize_domain(domain)
        return domain
