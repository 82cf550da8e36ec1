# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import models


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    def _retrieve_partner(self):
        # The customer a transfer quotes (invoice, proforma, receipt or payment
        # reference) comes before any guess from the payer's name.
        self.ensure_one()
        if not self.partner_id:
            customer = self._isp_reference_customer()
            if customer:
                return customer
        return super()._retrieve_partner()

    def _isp_reference_customer(self):
        """The one customer this line's texts point to; none when they point to
        no one or to several customers."""
        self.ensure_one()
        return self.env["res.partner"]._isp_customer_from_texts(
            self.company_id, self._get_st_line_strings_for_matching()
        )
