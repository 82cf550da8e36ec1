# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import ipaddress

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class IspRadiusNas(models.Model):
    """A router (Network Access Server) that asks RADIUS about subscribers and
    receives Disconnect-Requests, and CoA-Requests if it supports them, from Odoo."""

    _name = "isp.radius.nas"
    _description = "Network access server"
    _order = "name"

    name = fields.Char(required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    ip_address = fields.Char(
        string="IP Address", required=True, help="NAS-IP-Address the router sends."
    )
    secret = fields.Char(
        string="Shared Secret",
        required=True,
        groups="isp_prepaid_billing.isp_prepaid_billing_group_manager",
        help="Signs the Disconnect-Requests Odoo sends to this router.",
    )
    coa_port = fields.Integer(string="CoA Port", default=3799)
    supports_coa = fields.Boolean(
        string="Supports CoA",
        help="The router applies a new plan to an open session (CoA-Request, "
        "RFC 5176). Otherwise a plan change disconnects the session and the "
        "subscriber reconnects on the new plan.",
    )

    _sql_constraints = [
        (
            "ip_unique",
            "unique(company_id, ip_address)",
            "A router address is used once per company.",
        )
    ]

    @api.constrains("ip_address", "coa_port")
    def _check_address(self):
        for nas in self:
            try:
                ipaddress.IPv4Address(nas.ip_address)
            except ValueError:
                raise ValidationError(
                    _("%(address)s is not an IPv4 address.", address=nas.ip_address)
                ) from None
            if not 1 <= nas.coa_port <= 65535:
                raise ValidationError(_("The CoA port is between 1 and 65535."))
