# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools.staff import check_staff


class IspStatement(models.TransientModel):
    """Customer statement for a date range, read from the customer's receivable
    ledger: the figures are the partner ledger's."""

    _name = "isp.statement"
    _description = "ISP customer statement"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for statement in self:
            if statement.date_from > statement.date_to:
                raise UserError(_("The statement must start before it ends."))

    def _ledger_domain(self):
        self.ensure_one()
        return [
            ("partner_id", "=", self.partner_id.commercial_partner_id.id),
            ("company_id", "=", self.company_id.id),
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
        ]

    def _isp_statement_data(self):
        """Opening balance, one row per receivable entry with a running balance,
        and the closing balance; amounts are owed by the customer when positive."""
        self.ensure_one()
        Line = self.env["account.move.line"]
        opening = sum(
            Line.search(self._ledger_domain() + [("date", "<", self.date_from)]).mapped(
                "balance"
            )
        )
        lines = Line.search(
            self._ledger_domain()
            + [("date", ">=", self.date_from), ("date", "<=", self.date_to)],
            order="date, move_name, id",
        )
        rows, running = [], opening
        for line in lines:
            running += line.balance
            rows.append(
                {
                    "date": line.date,
                    "document": line.move_id.name,
                    "kind": self._kind(line),
                    "label": line.name or line.move_id.ref or "",
                    "debit": line.debit,
                    "credit": line.credit,
                    "balance": running,
                }
            )
        currency = self.company_id.currency_id
        return {
            "opening": currency.round(opening),
            "rows": rows,
            "closing": currency.round(running),
            "currency": currency,
        }

    @api.model
    def _kind(self, line):
        move = line.move_id
        if move.origin_payment_id or move.statement_line_id:
            return _("Payment")
        return {
            "out_invoice": _("Invoice"),
            "out_refund": _("Credit Note"),
        }.get(move.move_type, _("Payment") if line.credit else _("Entry"))

    def action_print(self):
        check_staff(self.env)
        return self.env.ref(
            "isp_prepaid_billing.action_report_isp_statement"
        ).report_action(self)
