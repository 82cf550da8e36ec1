# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from .isp_refill_card import FAILURE_WINDOW

# The results that count towards the rate limit: guesses.
FAILURES = ("unknown", "no_customer")

# On the public suspended page everyone is the public user: wrong codes are
# counted per address (the company's address limit, high for carrier-grade
# NAT) and, for a known customer number, per customer with this many times
# the address limit (default 4 x 50 = 200 in 15 minutes). One address can then
# not lock a customer out, yet guessing a customer's code stays bounded.
PUBLIC_CUSTOMER_FACTOR = 4


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
            ("no_customer", "Unknown customer number"),
        ],
        readonly=True,
        required=True,
    )

    @api.model
    def _isp_log(self, partner, ip_address, card, result):
        return self.create(
            {
                "user_id": self.env.uid,
                "partner_id": partner.id or False,
                "company_id": (partner.isp_company_id or self.env.company).id,
                "ip_address": ip_address,
                "card_id": card.id,
                "result": result,
            }
        )

    @api.model
    def _isp_counted_as(self, user, partner):
        """``(key, domain)`` of whom the wrong codes are counted against: the
        user; on the public suspended page, where everyone is the public user,
        the customer whose number was typed; None for neither."""
        if not user._is_public():
            return f"user:{user.id}", [("user_id", "=", user.id)]
        if partner:
            return f"partner:{partner.id}", [
                ("user_id", "=", user.id),
                ("partner_id", "=", partner.id),
            ]
        return None

    @api.model
    def _isp_limit_keys(self, user, ip_address, partner=None):
        """The isp.refill.throttle keys the wrong codes of ``user`` (or, for
        the public user, of ``partner``) at ``ip_address`` are counted by."""
        counted_as = self._isp_counted_as(user, partner)
        keys = [counted_as[0]] if counted_as else []
        if ip_address:
            keys.append(f"ip:{ip_address}")
        return keys

    @api.model
    def _isp_blocked_until(self, user, ip_address, company, partner=None):
        """When the user has used up their wrong codes, or everyone at the
        address the address's (much higher) allowance, or (public user only)
        everyone typing the customer's number PUBLIC_CUSTOMER_FACTOR times the
        address's allowance, the moment the oldest of them leaves the window;
        otherwise False.

        The user is what the limit is about: many subscribers share an address
        behind carrier-grade NAT, and one of them must not lock out the others.
        Codes are random and carry no card series, so a wrong code names no
        series to count against."""
        since = fields.Datetime.now() - FAILURE_WINDOW
        counted_as = self._isp_counted_as(user, partner)
        limits = []
        if counted_as:
            limit = company.isp_refill_max_failures
            if user._is_public():
                limit = company.isp_refill_max_failures_address * PUBLIC_CUSTOMER_FACTOR
            limits.append((counted_as[1], limit))
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
                [*who, ("result", "in", FAILURES), ("create_date", ">=", since)],
                order="create_date desc",
                limit=limit,
            )
            if len(failures) >= limit:
                end = failures[-1].create_date + FAILURE_WINDOW
                until = max(until, end) if until else end
        return until
