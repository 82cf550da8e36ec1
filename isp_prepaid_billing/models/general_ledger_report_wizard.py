# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, models


class GeneralLedgerReportWizard(models.TransientModel):
    """OCA's general ledger, opened as a customer's partner ledger: the
    subscriber form asks (context ``isp_partner_ledger``) for the customer's
    receivable account only, where OCA's partner filter would add every
    receivable and payable account."""

    _inherit = "general.ledger.report.wizard"

    @api.onchange("partner_ids")
    def onchange_partner_ids(self):
        result = super().onchange_partner_ids()
        if self.env.context.get("isp_partner_ledger") and self.partner_ids:
            self.payable_accounts_only = False
            self._isp_receivable_accounts()
        return result

    @api.onchange("receivable_accounts_only", "payable_accounts_only")
    def onchange_type_accounts_only(self):
        result = super().onchange_type_accounts_only()
        if self.env.context.get("isp_partner_ledger") and self.partner_ids:
            self._isp_receivable_accounts()
        return result

    def _isp_receivable_accounts(self):
        if self.receivable_accounts_only and not self.payable_accounts_only:
            company = self.company_id or self.env.company
            self.account_ids = self.partner_ids.with_company(
                company
            ).property_account_receivable_id
