# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import payment_reference, refill_codes
from ..tools.staff import check_staff

_logger = logging.getLogger(__name__)

# Wrong codes are counted over this window for the rate limit.
FAILURE_WINDOW = timedelta(minutes=15)


class IspRefillCard(models.Model):
    _name = "isp.refill.card"
    _description = "Refill card"
    _order = "batch_id desc, number"
    _rec_name = "number"

    batch_id = fields.Many2one(
        "isp.refill.card.batch",
        required=True,
        readonly=True,
        ondelete="restrict",
        index=True,
    )
    company_id = fields.Many2one(related="batch_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="batch_id.currency_id")
    value = fields.Monetary(related="batch_id.value", store=True)
    expiry_date = fields.Date(related="batch_id.expiry_date")
    number = fields.Char(
        string="Serial Number",
        required=True,
        readonly=True,
        help="Printed on the card; not secret.",
    )
    code_hash = fields.Char(required=True, readonly=True, groups="base.group_system")
    state = fields.Selection(
        [
            ("available", "Available"),
            ("redeemed", "Redeemed"),
            ("disabled", "Disabled"),
        ],
        default="available",
        required=True,
        readonly=True,
        index=True,
    )
    redeemed_partner_id = fields.Many2one(
        "res.partner", string="Redeemed By", readonly=True
    )
    redeemed_on = fields.Datetime(readonly=True)
    payment_id = fields.Many2one("account.payment", readonly=True)

    _sql_constraints = [
        (
            "code_hash_unique",
            "unique(code_hash)",
            "Two refill cards cannot share a code.",
        ),
        (
            "number_unique",
            "unique(batch_id, number)",
            "A serial number is used once per batch.",
        ),
    ]

    def action_disable(self):
        check_staff(self.env, manager=True)
        used = self.filtered(lambda card: card.state == "redeemed")
        if used:
            raise UserError(
                _(
                    "Card %(number)s was already redeemed: it cannot be disabled.",
                    number=used[0].number,
                )
            )
        self.write({"state": "disabled"})
        return True

    # === REDEMPTION === #

    @api.model
    def _isp_redeem(self, code, partner, ip_address):
        """Redeem ``code`` for ``partner``: the card's value becomes a posted
        payment on the customer's balance. Returns ``(payment, error)``; every
        attempt is logged, and wrong codes count towards the rate limit.

        The caller must have checked that the current user acts for ``partner``:
        this method reads cards and posts the payment as superuser."""
        partner = partner.commercial_partner_id
        return self._isp_redeem_for(
            code, partner, partner.isp_company_id or self.env.company, ip_address
        )

    @api.model
    def _isp_redeem_for(self, code, partner, company, ip_address, mismatch=None):
        """``_isp_redeem`` for ``partner`` (a commercial partner, or empty for
        a customer number that names nobody). With ``mismatch``, the public
        page's message for a wrong number or code: an unknown number and a
        wrong code of a known one get that same message, and count alike."""
        Attempt = self.env["isp.refill.attempt"].sudo()
        # Counting the wrong codes and logging this attempt are one step: the
        # limiter keys stay taken until this transaction ends.
        self.env["isp.refill.throttle"].sudo()._isp_lock(
            Attempt._isp_limit_keys(self.env.user, ip_address, partner)
        )
        blocked_until = Attempt._isp_blocked_until(
            self.env.user, ip_address, company, partner
        )
        if blocked_until:
            return None, self._isp_blocked_message(blocked_until)
        normalized = refill_codes.normalize(code)
        card = self.sudo().browse()
        if normalized:
            card = self.sudo().search(
                [("code_hash", "=", refill_codes.code_hash(self.env, normalized))],
                limit=1,
            )
        error = self._isp_redeem_error(card, company)
        # A card that is used, disabled or expired says so whatever the number:
        # it tells nothing about the number.
        wrong_code = error and error[0] == "unknown"
        if mismatch and (wrong_code or (not partner and not error)):
            error = ("unknown" if partner else "no_customer", mismatch)
        if error:
            Attempt._isp_log(partner, ip_address, card, error[0])
            _logger.warning(
                "Refill card refused (%s) for partner %s from %s",
                error[0],
                partner.id,
                ip_address,
            )
            return None, error[1]
        if not card._isp_take(partner):
            Attempt._isp_log(partner, ip_address, card, "used")
            return None, _("This card has already been used.")
        payment = card._isp_create_payment(partner)
        Attempt._isp_log(partner, ip_address, card, "ok")
        return payment, None

    @api.model
    def _isp_blocked_message(self, blocked_until):
        return _(
            "Too many wrong codes. Try again after %(time)s.",
            time=fields.Datetime.context_timestamp(self, blocked_until).strftime(
                "%H:%M"
            ),
        )

    @api.model
    def _isp_redeem_by_number(self, number, code, ip_address):
        """Redeem ``code`` for the customer whose number (payment reference)
        is ``number``: the suspended page's redemption, for subscribers who
        do not log in. Returns ``(payment, error)`` as ``_isp_redeem``.

        An unknown number and a wrong code get the same answer and both count
        towards the address's limit, so the page does not tell which numbers
        exist; a known customer's wrong codes also count towards the
        customer's own, much higher, limit (see ``isp.refill.attempt``)."""
        customer = self._isp_customer_of_number(number)
        return self._isp_redeem_for(
            code,
            customer,
            customer.isp_company_id or self.env.company,
            ip_address,
            mismatch=_(
                "This customer number and code do not match. Check the number on "
                "your invoice and the code on your card, and try again."
            ),
        )

    @api.model
    def _isp_customer_of_number(self, number):
        """The billed customer whose payment reference ``number`` is, typed
        with or without the ISP prefix and separators; else an empty record."""
        text = (number or "").strip()[:64] if isinstance(number, str) else ""
        references = payment_reference.references_in(text) or (
            payment_reference.references_in(f"{payment_reference.PREFIX}-{text}")
            if text
            else []
        )
        Partner = self.env["res.partner"].sudo()
        if len(references) != 1:
            return Partner
        return Partner.search(
            [
                ("isp_payment_reference", "=", references[0]),
                ("isp_billing_enabled", "=", True),
            ],
            limit=1,
        )

    @api.model
    def _isp_redeem_error(self, card, company):
        """``(reason, message)`` when ``card`` cannot be redeemed, else None."""
        if not card or card.company_id != company:
            return "unknown", _("This code is not valid. Check it and try again.")
        if card.state == "redeemed":
            return "used", _("This card has already been used.")
        if card.state == "disabled":
            return "disabled", _("This card has been disabled. Contact the seller.")
        today = fields.Date.context_today(self)
        if card.expiry_date and card.expiry_date < today:
            return "expired", _(
                "This card expired on %(date)s.",
                date=fields.Date.to_string(card.expiry_date),
            )
        return None

    def _isp_take(self, partner):
        """Mark the card redeemed if it still is available: one conditional
        UPDATE, so of two concurrent redemptions only one gets the row."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "UPDATE isp_refill_card SET state = 'redeemed', redeemed_partner_id = %s, "
                "redeemed_on = now() at time zone 'UTC' WHERE id = %s AND state = 'available' "
                "RETURNING id",
                partner.id,
                self.id,
            )
        )
        taken = bool(self.env.cr.fetchone())
        self.invalidate_recordset(["state", "redeemed_partner_id", "redeemed_on"])
        return taken

    def _isp_create_payment(self, partner):
        self.ensure_one()
        company = self.company_id
        journal = company._isp_refill_journal()
        if not journal:
            raise UserError(
                _(
                    "No journal receives refill card payments: set one in the ISP settings."
                )
            )
        payment = (
            self.env["account.payment"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": self.value,
                    "currency_id": self.currency_id.id,
                    "journal_id": journal.id,
                    "company_id": company.id,
                    "date": fields.Date.context_today(self),
                    "memo": _("Refill card %(number)s", number=self.number),
                }
            )
        )
        payment.action_post()
        self.sudo().payment_id = payment
        return payment
