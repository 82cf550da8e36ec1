# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Subscriptions month by month, for the cockpit: recurring revenue (MRR),
subscribers in service, new and churned subscriptions.

A row is one ISP subscription in one calendar month of the last two years. The
subscription is counted as in service, with its monthly price, on the month's
last day (today for the current month), from its service lines in service that
day: plan changes and add-ons by their days in service, pauses at zero.
"""

from odoo import fields, models
from odoo.tools import SQL

from .isp_report_period_mixin import CUSTOMER_DEPENDS, SUBSCRIPTION_DEPENDS

# Months of history the cockpit shows.
HISTORY_MONTHS = 24
# A period of N days is worth (365 / 12) / N periods a month.
DAYS_PER_MONTH = 365.0 / 12.0


class IspReportSubscription(models.Model):
    _name = "isp.report.subscription"
    _inherit = "isp.report.period.mixin"
    _description = "ISP subscriptions by month"
    _period_date_field = "month"
    _auto = False
    _depends = {
        **CUSTOMER_DEPENDS,
        **SUBSCRIPTION_DEPENDS,
        "isp.service.change": ["contract_id", "date", "date_to", "kind", "state"],
        "product.template": ["list_price"],
    }
    _order = "month desc, contract_id"
    _rec_name = "contract_id"

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    contract_id = fields.Many2one("contract.contract", string="Subscription", readonly=True)
    product_id = fields.Many2one("product.product", string="Plan", readonly=True)
    billing_type = fields.Selection(
        selection=lambda self: self.env["res.partner"]._fields["isp_billing_type"].selection,
        readonly=True,
    )
    mrr = fields.Monetary(
        string="MRR",
        readonly=True,
        currency_field="currency_id",
        help="Monthly recurring revenue: the month's price of the services in "
        "service on the month's last day (today for this month). Periods in "
        "days count 365/12 days a month.",
    )
    subscriber_count = fields.Integer(
        string="In Service", readonly=True, help="In service on the month's last day."
    )
    paused_count = fields.Integer(string="Paused", readonly=True)
    new_count = fields.Integer(string="New", readonly=True, help="Started this month.")
    churned_count = fields.Integer(
        string="Churned", readonly=True, help="Ended or cancelled this month."
    )

    @property
    def _table_query(self):
        # No window function and no CTE read twice: a filter on the month (the
        # cockpit reads this month and last month) reaches the month series.
        return SQL(
            """
            WITH months AS (
                SELECT m::date AS month,
                       LEAST((m + interval '1 month - 1 day')::date, %(today)s::date) AS day,
                       (m + interval '1 month - 1 day')::date AS month_end
                  FROM generate_series(
                        date_trunc('month', %(today)s::date) - %(history)s * interval '1 month',
                        date_trunc('month', %(today)s::date),
                        interval '1 month') AS m
            ),
            subscriptions AS (
                SELECT c.id, c.company_id, customer.id AS partner_id,
                       customer.isp_billing_type AS billing_type,
                       c.date_start, c.isp_period_unit, c.isp_period_length,
                       LEAST(c.date_end, c.isp_cancel_date) AS last_day
                  FROM contract_contract c
                  JOIN res_partner p ON p.id = c.partner_id
                  JOIN res_partner customer ON customer.id = p.commercial_partner_id
                 WHERE c.isp_managed AND c.active AND c.date_start IS NOT NULL
            )
            SELECT s.id * 1000 + (EXTRACT(YEAR FROM m.month)::int - 2000) * 12
                       + EXTRACT(MONTH FROM m.month)::int AS id,
                   m.month, s.company_id, company.currency_id, s.partner_id,
                   s.id AS contract_id, lines.product_id, s.billing_type,
                   CASE WHEN state.in_service AND NOT state.paused THEN
                       COALESCE(lines.price, 0) * CASE
                           WHEN s.isp_period_unit = 'day'
                           THEN %(days_per_month)s / GREATEST(s.isp_period_length, 1)
                           ELSE 1 END
                   ELSE 0 END AS mrr,
                   (state.in_service AND NOT state.paused)::int AS subscriber_count,
                   (state.in_service AND state.paused)::int AS paused_count,
                   (s.date_start BETWEEN m.month AND m.month_end)::int AS new_count,
                   COALESCE(s.last_day BETWEEN m.month AND m.month_end, false)::int
                       AS churned_count
              FROM months m
              JOIN subscriptions s ON s.date_start <= m.month_end
               AND (s.last_day IS NULL OR s.last_day >= m.month)
              JOIN res_company company ON company.id = s.company_id
              CROSS JOIN LATERAL (
                    SELECT s.date_start <= m.day
                               AND (s.last_day IS NULL OR s.last_day >= m.day) AS in_service,
                           EXISTS (
                               SELECT 1 FROM isp_service_change pause
                                WHERE pause.contract_id = s.id AND pause.kind = 'pause'
                                  AND pause.state = 'done'
                                  AND m.day BETWEEN pause.date AND pause.date_to
                           ) AS paused
              ) state
              LEFT JOIN LATERAL (
                    SELECT SUM(l.quantity * CASE WHEN l.automatic_price
                                                 THEN COALESCE(tmpl.list_price, 0)
                                                 ELSE COALESCE(l.specific_price, 0) END
                               * (1 - COALESCE(l.discount, 0) / 100.0)) AS price,
                           (array_agg(l.product_id ORDER BY l.sequence, l.id))[1] AS product_id
                      FROM contract_line l
                      LEFT JOIN product_product product ON product.id = l.product_id
                      LEFT JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
                     WHERE l.contract_id = s.id
                       AND l.display_type IS NULL AND NOT COALESCE(l.is_canceled, false)
                       AND (l.isp_service_from IS NULL OR l.isp_service_from <= m.day)
                       AND (l.isp_service_to IS NULL OR l.isp_service_to >= m.day)
              ) lines ON true
            """,
            today=fields.Date.context_today(self),
            history=HISTORY_MONTHS - 1,
            days_per_month=DAYS_PER_MONTH,
        )
