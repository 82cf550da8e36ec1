# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, api, models
from odoo.exceptions import ValidationError


class ContractLine(models.Model):
    _inherit = "contract.line"

    @api.constrains("price_unit", "quantity", "discount", "specific_price")
    def _check_isp_price(self):
        for line in self.filtered(lambda l: l.contract_id.isp_managed and not l.display_type):
            if line.price_unit < 0 or line.quantity < 0 or not 0 <= line.discount <= 100:
                raise ValidationError(
                    _(
                        "Service %(service)s of %(subscription)s: prices and quantities "
                        "cannot be negative and a discount is between 0 and 100%%.",
                        service=line.name,
                        subscription=line.contract_id.display_name,
                    )
                )
