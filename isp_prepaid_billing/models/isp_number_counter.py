# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import number_formats


class IspNumberCounter(models.Model):
    """The ``{next}`` counters of document number formats, one row per scope.

    A value is taken with one ``INSERT ... ON CONFLICT DO UPDATE``: the row stays
    locked until the transaction ends, so two concurrent postings get different
    numbers, and a rolled-back posting gives its number back (no gap).
    """

    _name = "isp.number.counter"
    _description = "ISP document number counter"
    _rec_name = "scope"

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    kind = fields.Char(
        required=True, help="Which documents: invoice journal, receipts, proformas."
    )
    scope = fields.Char(
        required=True, help="Format, text before {next} and reset period."
    )
    value = fields.Integer(string="Last Value", readonly=True)

    _sql_constraints = [
        (
            "scope_unique",
            "unique(company_id, kind, scope)",
            "A counter scope exists only once.",
        ),
    ]

    @api.model
    def _take(self, company, kind, scope):
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO isp_number_counter
                       (company_id, kind, scope, value, create_uid, write_uid,
                        create_date, write_date)
                VALUES (%(company)s, %(kind)s, %(scope)s, 1, %(uid)s, %(uid)s,
                        now() at time zone 'UTC', now() at time zone 'UTC')
                ON CONFLICT (company_id, kind, scope)
                DO UPDATE SET value = isp_number_counter.value + 1,
                              write_uid = EXCLUDED.write_uid,
                              write_date = EXCLUDED.write_date
                RETURNING value
                """,
                company=company.id,
                kind=kind,
                scope=scope,
                uid=self.env.uid,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _next_number(self, template, company, kind, values):
        """Render ``template`` for a document of ``company`` with ``values``
        (``date`` and the variables), drawing ``{next}`` from its counter."""
        scope = number_formats.counter_scope(template, values)
        values = dict(values, next=self._take(company, kind, scope))
        return number_formats.render(template, values)
