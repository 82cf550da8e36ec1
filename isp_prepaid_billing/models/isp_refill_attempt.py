# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from .isp_refill_card import FAILURE_WINDOW


class IspRefillAttempt(models.Model):
    _name = "isp.refill.attempt"
    _description = "Refill card redemption attempt"
    _order = "id desc"

    user_id = fields.Many2one("res.users", readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    ip_address = fields.Char(string="IP Address", readonly=True, index=True)
    card_id = fields.Many2one("isp.refill.card", readonly=True)
    result = fields.Selection(
        [
            ("ok", "Redeemed"),
            ("unknown", "Wrong code"),
            ("used", "Already used"),
            ("disabled", "Disabled card"),
            ("expired", "Expired card"),
        ],
        readonly=True,
        required=True,
    )

    @api.model
    def _isp_log(self, partner, ip_address, card, result):
        return self.create(
            {
                "user_id": self.env.uid,
                "partner_id": partner.id,
                "company_id": (partner.isp_company_id or self.env.company).id,
                "ip_address": ip_address,
                "card_id": card.id,
                "result": result,
            }
        )

    @api.model
    def _isp_limit_keys(self, user, ip_address):
        """The isp.refill.throttle keys the wrong codes of ``user`` at
        ``ip_address`` are counted by."""
        keys = [f"user:{user.id}"]
        if ip_address:
            keys.append(f"ip:{ip_address}")
        return keys

    @api.model
    def _isp_blocked_until(self, user, ip_address, company):
        """When the user or address has used up its wrong codes, the moment the
        oldest of them leaves the window; otherwise False."""
        since = fields.Datetime.now() - FAILURE_WINDOW
        who = [("user_id", "=", user.id)]
        if ip_address:
            who = ["|", ("ip_address", "=", ip_address), *who]
        failures = self.search(
            [*who, ("result", "=", "unknown"), ("create_date", ">=", since)],
            order="create_date desc",
            limit=company.isp_refill_max_failures,
        )
        if len(failures) < company.isp_refill_max_failures:
            return False
        return failures[-1].create_date + FAILURE_WINDOW
