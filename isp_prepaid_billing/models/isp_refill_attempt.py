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
        """When the user has used up their wrong codes, or everyone at the
        address the address's (much higher) allowance, the moment the oldest of
        them leaves the window; otherwise False.

        The user is what the limit is about: many subscribers share an address
        behind carrier-grade NAT, and one of them must not lock out the others.
        Codes are random and carry no card series, so a wrong code names no
        series to count against."""
        since = fields.Datetime.now() - FAILURE_WINDOW
        limits = [([("user_id", "=", user.id)], company.isp_refill_max_failures)]
        if ip_address:
            limits.append(
                (
                    [("ip_address", "=", ip_address)],
                    company.isp_refill_max_failures_address,
                )
            )
        until = False
        for who, limit in limits:
            failures = self.search(
                [*who, ("result", "=", "unknown"), ("create_date", ">=", since)],
                order="create_date desc",
                limit=limit,
            )
            if len(failures) >= limit:
                end = failures[-1].create_date + FAILURE_WINDOW
                until = max(until, end) if until else end
        return until
