# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

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
