# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    isp_network_profile_id = fields.Many2one(
        "isp.network.profile",
        string="Network Profile",
        company_dependent=True,
        help="Speed, pool and other RADIUS attributes of this plan's subscribers.",
    )
