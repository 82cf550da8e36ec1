# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class IspProformaLine(models.Model):
    _name = "isp.proforma.line"
    _description = "Proforma invoice line"
    _order = "proforma_id, period_start, id"

    proforma_id = fields.Many2one(
        "isp.proforma", required=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="proforma_id.currency_id")
    name = fields.Char(string="Description", required=True)
    contract_line_id = fields.Many2one("contract.line", string="Service", required=True)
    product_id = fields.Many2one("product.product")
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    price_unit = fields.Monetary(string="Amount", required=True)
    tax_ids = fields.Many2many("account.tax", string="Taxes")
    price_subtotal = fields.Monetary(compute="_compute_prices", store=True)
    price_total = fields.Monetary(compute="_compute_prices", store=True)

    @api.depends("price_unit", "tax_ids")
    def _compute_prices(self):
        for line in self:
            partner = line.proforma_id.partner_id
            taxes = line.tax_ids.compute_all(
                line.price_unit, line.currency_id, 1.0, line.product_id, partner
            )
            line.price_subtotal = taxes["total_excluded"]
            line.price_total = taxes["total_included"]
