# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, models

from ..tools.wkhtmltopdf import has_patched_qt


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    @api.model
    def _isp_pdf_without_header(self, report_type):
        """Whether the document being rendered becomes a PDF without the
        layout's header and footer (Debian's wkhtmltopdf, unpatched Qt): our
        documents then name the company that issues them in their body."""
        return report_type == "pdf" and not has_patched_qt()
