# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AccountReconcileModel(models.Model):
    _inherit = "account.reconcile.model"

    isp_customer_reference = fields.Boolean(
        string="Customer References Only",
        help="Apply only to statement lines that quote one customer's invoice, "
        "proforma, receipt or payment reference, with that customer as partner. "
        "Counterparts on a receivable account go to the customer's own one.",
    )

    def _is_applicable_for(self, st_line, partner):
        if self.isp_customer_reference and (
            not partner or partner != st_line._isp_reference_customer()
        ):
            return False
        return super()._is_applicable_for(st_line, partner)

    def _get_write_off_move_lines_dict(
        self, residual_balance, partner_id, label=None, note=None
    ):
        lines = super()._get_write_off_move_lines_dict(
            residual_balance, partner_id, label=label, note=note
        )
        if self.isp_customer_reference and partner_id:
            receivable = (
                self.env["res.partner"]
                .browse(partner_id)
                .with_company(self.company_id)
                .property_account_receivable_id
            )
            Account = self.env["account.account"]
            for line in lines:
                if (
                    Account.browse(line["account_id"]).account_type
                    == "asset_receivable"
                ):
                    line["account_id"] = receivable.id
        return lines
