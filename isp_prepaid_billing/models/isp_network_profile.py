# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class IspNetworkProfile(models.Model):
    """What the router gets for a plan's subscribers: speed, address pool,
    session length and any other RADIUS reply attribute."""

    _name = "isp.network.profile"
    _description = "Network profile"
    _order = "name"

    name = fields.Char(required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    rate_limit = fields.Char(
        help='MikroTik rate limit sent as Mikrotik-Rate-Limit, e.g. "20M/100M" (upload/download).'
    )
    ip_pool = fields.Char(string="IP Pool", help="Sent as Framed-Pool.")
    session_timeout = fields.Integer(
        help="Seconds before the router ends the session (Session-Timeout); 0 = none."
    )
    address_list = fields.Char(
        help="Sent as Mikrotik-Address-List for active subscribers."
    )
    blocked_mode = fields.Selection(
        [
            ("company", "Company default"),
            ("pool", "Accept into the suspended pool"),
            ("reject", "Reject"),
        ],
        string="When Blocked",
        default="company",
        required=True,
        help="What the router does with this plan's blocked subscribers: the "
        "company's choice (ISP settings), connect them into the suspended pool "
        "(walled garden), or refuse the connection.",
    )
    extra_attributes = fields.Text(
        help='More reply attributes, one per line: "Attribute = value", e.g. '
        '"Acct-Interim-Interval = 300".'
    )

    @api.constrains("extra_attributes", "session_timeout")
    def _check_attributes(self):
        for profile in self:
            if profile.session_timeout < 0:
                raise ValidationError(_("The session timeout cannot be negative."))
            profile._reply_extra()

    def _reply_extra(self):
        """``{attribute: value}`` of the extra lines, checked."""
        self.ensure_one()
        attributes = {}
        for number, line in enumerate((self.extra_attributes or "").splitlines(), 1):
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            name, value = name.strip(), value.strip()
            if not sep or not name or not value or not name.replace("-", "").isalnum():
                raise ValidationError(
                    _(
                        "Line %(line)s of the extra attributes of %(profile)s is not "
                        '"Attribute = value".',
                        line=number,
                        profile=self.name,
                    )
                )
            attributes[name] = value
        return attributes

    def _reply_attributes(self):
        """The RADIUS reply of an active subscriber on this profile, in rlm_rest's
        JSON format. Values are literal: expansion (do_xlat) is switched off."""
        self.ensure_one()
        reply = {}
        for attribute, value in (
            ("Mikrotik-Rate-Limit", self.rate_limit),
            ("Framed-Pool", self.ip_pool),
            ("Mikrotik-Address-List", self.address_list),
        ):
            if value:
                reply[f"reply:{attribute}"] = {"value": value, "do_xlat": False}
        if self.session_timeout:
            reply["reply:Session-Timeout"] = self.session_timeout
        for attribute, value in self._reply_extra().items():
            reply[f"reply:{attribute}"] = {"value": value, "do_xlat": False}
        return reply

    def _isp_blocked_mode(self, company):
        """``pool`` or ``reject``: the profile's choice for blocked subscribers,
        else (no profile, or "company default") the company's."""
        if self and self.blocked_mode != "company":
            return self.blocked_mode
        return company.isp_radius_blocked_mode
