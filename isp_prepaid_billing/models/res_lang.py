# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import models

from ..tools import radius_sql


class ResLang(models.Model):
    _inherit = "res.lang"

    def write(self, vals):
        result = super().write(vals)
        if "active" in vals:
            # FreeRADIUS' SQL mode answers in the subscriber's language.
            self.env["isp.radius.session"]._isp_refresh_sql_messages()
        return result
