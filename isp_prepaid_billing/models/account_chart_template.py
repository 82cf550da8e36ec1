# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        # A chart installed after this module (Odoo installs the default chart
        # at the end of the install, and new companies get theirs later) brings
        # the company's ISP invoice journal and bank matching rules with it.
        res = super()._post_load_data(template_code, company, template_data)
        self.env["res.company"]._isp_setup_invoice_journals()
        self.env["res.company"]._isp_setup_reconcile_models()
        return res
