# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import SQL


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    isp_running_balance = fields.Monetary(
        string="Running Balance",
        compute="_compute_isp_running_balance",
        currency_field="company_currency_id",
        groups="isp_prepaid_billing.isp_prepaid_billing_group_user",
        help="The customer's ISP balance right after this item, in date order "
        "(positive: credit in favour of the customer). Zero for items that do "
        "not count towards the balance.",
    )

    def _compute_isp_running_balance(self):
        # One window over the items that make the balance of the customers
        # concerned (res.partner._isp_balance_domain), in ledger order.
        self.isp_running_balance = 0.0
        lines = self.filtered("id")
        if not lines:
            return
        Line = self.sudo()
        query = Line._where_calc(
            self.env["res.partner"]._isp_balance_domain(
                lines.partner_id, lines.company_id
            )
        )
        table = query.table
        running = SQL(
            "-SUM(%s) OVER (PARTITION BY %s, %s ORDER BY %s, %s, %s "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
            SQL.identifier(table, "balance"),
            SQL.identifier(table, "partner_id"),
            SQL.identifier(table, "company_id"),
            SQL.identifier(table, "date"),
            SQL.identifier(table, "move_name"),
            SQL.identifier(table, "id"),
        )
        balances = dict(
            self.env.execute_query(query.select(SQL.identifier(table, "id"), running))
        )
        for line in lines:
            line.isp_running_balance = balances.get(line.id, 0.0)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        # A receivable line added to an entry already posted is money booked
        # on the customer's account too: a bank statement line matched in
        # place (account_reconcile_oca's "edit" mode) books a customer credit
        # so, without posting or reconciling anything.
        added = lines.filtered(
            lambda line: line.parent_state == "posted"
            and line.account_type == "asset_receivable"
        )
        if added:
            self.env["isp.settlement"]._queue(
                added.partner_id, date=max(added.mapped("date"))
            )
        return lines

    def _reconcile_plan(self, reconciliation_plan):
        res = super()._reconcile_plan(reconciliation_plan)
        # Every matching of a customer's receivable (Register Payment, an
        # outstanding credit added on the invoice, a bank statement line, the
        # partner ledger) is settled once the transaction ends.
        lines = self.browse()
        for plan in reconciliation_plan:
            lines |= self._isp_flatten_plan(plan)
        receivable = lines.filtered(
            lambda line: line.account_type == "asset_receivable"
        )
        if receivable:
            self.env["isp.settlement"]._queue(receivable.partner_id)
        return res

    def _isp_flatten_plan(self, plan):
        if isinstance(plan, models.BaseModel):
            return plan
        lines = self.browse()
        for item in plan:
            lines |= self._isp_flatten_plan(item)
        return lines
