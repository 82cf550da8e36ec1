# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import logging
import re
import secrets
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import hmac

_logger = logging.getLogger(__name__)

HASH_SCOPE = "isp_prepaid_billing.payment_link"
# Requests are counted over this window for the rate limits.
REQUEST_WINDOW = timedelta(hours=1)
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)


class IspPaymentLink(models.Model):
    """A one-time link to pay for a subscriber's service without logging in,
    sent to the contact on file from the suspended page. Only a keyed hash of
    its token is stored, as for refill card codes."""

    _name = "isp.payment.link"
    _description = "One-time payment link"
    _order = "id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    token_hash = fields.Char(required=True, readonly=True, groups="base.group_system")
    expires_on = fields.Datetime(required=True, readonly=True)
    used_on = fields.Datetime(readonly=True, copy=False)
    ip_address = fields.Char(string="Requested From", readonly=True, index=True)
    sent_by = fields.Selection(
        [("email", "E-mail"), ("email_sms", "E-mail and SMS")],
        readonly=True,
    )
    transaction_id = fields.Many2one(
        "payment.transaction", string="Payment", readonly=True, copy=False
    )
    state = fields.Selection(
        [("valid", "Valid"), ("used", "Used"), ("expired", "Expired")],
        compute="_compute_state",
    )

    _sql_constraints = [
        ("token_hash_unique", "unique(token_hash)", "Two links cannot share a token."),
    ]

    # === COMPUTE METHODS === #

    @api.depends("used_on", "expires_on")
    def _compute_state(self):
        now = fields.Datetime.now()
        for link in self:
            if link.used_on:
                link.state = "used"
            elif link.expires_on <= now:
                link.state = "expired"
            else:
                link.state = "valid"

    # === REQUEST === #

    @api.model
    def _isp_request(self, customer, ip_address):
        """Send ``customer`` a new link, to the e-mail (and mobile) on file.
        Returns ``(link, error)``, error a ``(reason, message)`` pair; only the
        rate-limit keys are written when it is refused.

        The caller must have recognised the customer (their session's
        address): this method reads and writes as superuser."""
        customer = customer.commercial_partner_id.sudo()
        company = customer.isp_company_id or self.env.company
        self.env["isp.refill.throttle"].sudo()._isp_lock(
            self._isp_limit_keys(customer, ip_address)
        )
        if self._isp_too_many(customer, ip_address, company):
            return None, (
                "too_many",
                _("Too many payment links were requested. Try again in an hour."),
            )
        if not customer.email:
            return None, (
                "no_email",
                _("We have no e-mail address for this account: contact us to pay."),
            )
        token = secrets.token_urlsafe(32)
        link = (
            self.sudo()
            .with_company(company)
            .create(
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "token_hash": self._isp_hash(token),
                    "expires_on": fields.Datetime.now()
                    + timedelta(minutes=company.isp_payment_link_lifetime),
                    "ip_address": ip_address,
                }
            )
        )
        link._isp_send(token)
        _logger.info("Payment link %s sent to partner %s", link.id, customer.id)
        return link, None

    @api.model
    def _isp_limit_keys(self, customer, ip_address):
        keys = [f"link-partner:{customer.id}"]
        if ip_address:
            keys.append(f"link-ip:{ip_address}")
        return keys

    @api.model
    def _isp_too_many(self, customer, ip_address, company):
        """Whether the customer, or everyone at the address, has used up the
        links allowed in the window."""
        since = fields.Datetime.now() - REQUEST_WINDOW
        Link = self.sudo().with_context(active_test=False)
        limits = [
            ([("partner_id", "=", customer.id)], company.isp_payment_link_max_requests)
        ]
        if ip_address:
            limits.append(
                (
                    [("ip_address", "=", ip_address)],
                    company.isp_payment_link_max_requests_address,
                )
            )
        return any(
            Link.search_count([*who, ("create_date", ">=", since)], limit=limit)
            >= limit
            for who, limit in limits
        )

    def _isp_url(self, token):
        self.ensure_one()
        return f"{self.company_id.get_base_url()}/isp/pay/{token}"

    def _isp_send(self, token):
        """Send the link to the customer's own e-mail address (and mobile,
        when Odoo's SMS module is installed); never to an address typed on
        the page."""
        self.ensure_one()
        url = self._isp_url(token)
        template = self.env.ref("isp_prepaid_billing.mail_template_isp_payment_link")
        template.sudo().with_context(isp_link_url=url).send_mail(self.id)
        self.sent_by = "email_sms" if self._isp_send_sms(url) else "email"

    def _isp_send_sms(self, url):
        """Queue a text message with the link when the ``sms`` module is
        installed and the customer has a mobile number; whether it was."""
        number = self.partner_id.mobile or self.partner_id.phone
        if "sms.sms" not in self.env or not number:
            return False
        self.env["sms.sms"].sudo().create(
            {
                "partner_id": self.partner_id.id,
                "number": number,
                "body": self.env._(
                    "Pay for your Internet service: %(url)s (valid once, for "
                    "%(minutes)s minutes)",
                    url=url,
                    minutes=self.company_id.isp_payment_link_lifetime,
                ),
            }
        )
        return True

    # === USE === #

    @api.model
    def _isp_hash(self, token):
        """Keyed hash of a token (the database secret is the key)."""
        return hmac(self.env(su=True), HASH_SCOPE, token)

    @api.model
    def _isp_find(self, token):
        """The link of ``token`` (any state), or an empty recordset for
        anything else, as superuser: the token is the access check."""
        Link = self.sudo()
        if not isinstance(token, str) or not TOKEN.fullmatch(token):
            return Link
        return Link.search([("token_hash", "=", self._isp_hash(token))], limit=1)

    def _isp_problem(self):
        """Why the link cannot be used to pay, or None."""
        self.ensure_one()
        if self.state == "used":
            return _(
                "This payment link was already used. If the payment did not go "
                "through, request a new link from the suspended page."
            )
        if self.state == "expired":
            return _(
                "This payment link has expired. Request a new one from the "
                "suspended page."
            )
        return None

    def _isp_take(self):
        """Mark the link used if it still is valid: one conditional UPDATE, so
        of two concurrent payments only one gets the link."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "UPDATE isp_payment_link SET used_on = %s WHERE id = %s "
                "AND used_on IS NULL AND expires_on > %s RETURNING id",
                fields.Datetime.now(),
                self.id,
                fields.Datetime.now(),
            )
        )
        taken = bool(self.env.cr.fetchone())
        self.invalidate_recordset(["used_on", "state"])
        return taken

    @api.autovacuum
    def _gc_isp_payment_link(self):
        """Links unused a week past their expiry tell nothing more."""
        self.sudo().search(
            [
                ("used_on", "=", False),
                ("expires_on", "<", fields.Datetime.now() - timedelta(days=7)),
            ]
        ).unlink()
