# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import number_formats

DEFAULT_INVOICE_FORMAT = "{year}{partner_id|2}{next|6}"


class AccountJournal(models.Model):
    _inherit = "account.journal"

    isp_number_format = fields.Char(
        string="ISP Number Format",
        help="Numbers of the invoices posted in this journal (credit notes keep Odoo's "
        "numbering), for example {year}{partner_id|2}{next|6}. Variables: {year}, "
        "{month}, {day}, {partner_id} (company), {customer_id}, {location_id}, "
        "{rand_string}, {rand_number}, {next}; {var|N} pads to N digits. {next} counts "
        "per text before it and restarts every year when the format has {year}.",
    )

    @api.constrains("isp_number_format", "type")
    def _check_isp_number_format(self):
        for journal in self.filtered("isp_number_format"):
            if journal.type != "sale":
                raise ValidationError(
                    self.env._("An ISP number format only applies to a sales journal.")
                )
            try:
                number_formats.parse(journal.isp_number_format)
            except number_formats.NumberFormatError as error:
                raise ValidationError(str(error)) from error

    def _statement_line_import_update_hook(self, st_line_vals, speeddict):
        # An imported transfer quoting a customer's invoice, proforma, receipt
        # or payment reference is that customer's: the line shows them, and
        # what the transfer pays beyond the invoice stays on their balance.
        res = super()._statement_line_import_update_hook(st_line_vals, speeddict)
        if not st_line_vals.get("partner_id"):
            texts = [
                st_line_vals.get(key) for key in ("payment_ref", "ref", "narration")
            ]
            customer = self.env["res.partner"]._isp_customer_from_texts(
                self.company_id, [text for text in texts if isinstance(text, str)]
            )
            if customer:
                st_line_vals["partner_id"] = customer.id
        return res
