# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The walled garden: the "service suspended" page, the one-time payment
link it sends to the subscriber's e-mail, and refill cards by customer
number. Nothing here needs a password, so nothing here shows account data
beyond what paying needs."""

from odoo import _, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from odoo.addons.payment import utils as payment_utils

from .portal import MAX_PERIODS_AHEAD, IspPortal

# What a payment link pays for.
LINK_PURPOSES = ("reactivate", "topup")


class IspSuspendedPortal(IspPortal):
    # === SUSPENDED PAGE === #

    def _isp_recognised(self):
        """``(session, customer)``: the open session on the visitor's address
        and its billed customer; customer is None when there is none."""
        session = (
            request.env["isp.radius.session"]
            .sudo()
            ._isp_open_for_address(self._isp_client_address())
        )
        customer = session.partner_id.commercial_partner_id
        return session, (customer if customer.isp_billing_enabled else None)

    def _isp_render_suspended(self, status=200, **values):
        session, customer = self._isp_recognised()
        return request.render(
            "isp_prepaid_billing.isp_suspended_page",
            {
                "company": (session.company_id or request.env.company).sudo(),
                "recognised": bool(session),
                "can_request_link": bool(customer),
                "login_url": "/web/login?redirect=/my/isp",
                "link_sent": False,
                "link_error": None,
                "refill_payment": None,
                "refill_error": None,
                **values,
            },
            status=status,
        )

    @http.route()
    def isp_suspended(self, **kwargs):
        """Where the network sends a suspended subscriber's web traffic. A
        recognised connection (an open session on the visitor's address) may
        have a payment link sent to the account's e-mail; the page itself never
        shows account data."""
        return self._isp_render_suspended()

    @http.route(
        "/isp/suspended/link",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def isp_suspended_link(self, **kwargs):
        """Send a one-time payment link to the e-mail on file of the customer
        the visitor's address belongs to: nothing typed decides who."""
        __, customer = self._isp_recognised()
        if not customer:
            return self._isp_render_suspended(
                status=403,
                link_error=_(
                    "This connection does not belong to a subscriber we know: log "
                    "in to your account to pay."
                ),
            )
        __, error = request.env["isp.payment.link"]._isp_request(
            customer, self._isp_client_address()
        )
        if error:
            reason, message = error
            status = 429 if reason == "too_many" else 400
            return self._isp_render_suspended(status=status, link_error=message)
        return self._isp_render_suspended(link_sent=True)

    @http.route(
        "/isp/suspended/refill",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def isp_suspended_refill(self, number=None, code=None, **kwargs):
        """Redeem a refill card for a customer number, for subscribers without
        a portal login; the result names no account data."""
        payment, error = request.env["isp.refill.card"]._isp_redeem_by_number(
            number if isinstance(number, str) else None,
            code if isinstance(code, str) else None,
            self._isp_client_address(),
        )
        if error:
            return self._isp_render_suspended(status=400, refill_error=error)
        return self._isp_render_suspended(refill_payment=payment.sudo())

    # === PAYMENT LINK === #

    @staticmethod
    def _isp_masked_name(name):
        """``"J*** D***"`` for "Jane Doe": enough to tell it is one's own
        account, too little to learn whose it is."""
        return " ".join(f"{word[0]}***" for word in (name or "").split())

    def _isp_render_link(self, values, status=200):
        return request.render(
            "isp_prepaid_billing.isp_payment_link_page",
            {
                "problem": None,
                "paid_tx": None,
                "offer": None,
                "error": None,
                **values,
            },
            status=status,
        )

    @http.route(
        "/isp/pay/<string:token>",
        type="http",
        auth="public",
        website=True,
        sitemap=False,
    )
    def isp_payment_link(self, token, purpose=None, amount=None, periods=None, **kw):
        """The page of a payment link: the amount to reactivate, or top-up
        choices, and the payment form; no balance, no name but a masked one."""
        link = request.env["isp.payment.link"]._isp_find(token)
        if not link:
            return self._isp_render_link(
                {"problem": _("This payment link is not valid.")}, status=404
            )
        problem = link._isp_problem()
        if problem:
            paid_tx = link.transaction_id.filtered(lambda tx: tx.state == "done")
            if paid_tx:
                return self._isp_render_link(self._isp_link_paid_values(link, paid_tx))
            return self._isp_render_link({"problem": problem}, status=410)
        values = self._isp_link_values(link, token, purpose, amount, periods)
        return self._isp_render_link(values, status=400 if values["error"] else 200)

    def _isp_link_paid_values(self, link, paid_tx):
        customer = link.partner_id
        state = customer._isp_service_state(self._isp_today(customer))
        return {
            "paid_tx": paid_tx,
            "currency": paid_tx.currency_id,
            "active": state == "active",
        }

    def _isp_link_values(self, link, token, purpose, amount, periods):
        customer = link.partner_id.with_company(link.company_id)
        today = self._isp_today(customer)
        # Reactivating pays periods in advance, which a postpaid service
        # cannot: a blocked postpaid customer tops up (pays what is due).
        postpaid = customer.isp_billing_type == "postpaid"
        can_reactivate = customer._isp_service_state(today) == "blocked" and not postpaid
        if purpose not in LINK_PURPOSES or (purpose == "reactivate" and postpaid):
            purpose = "reactivate" if can_reactivate else "topup"
        values = {
            "token": token,
            "masked_name": self._isp_masked_name(customer.name),
            "currency": customer.isp_currency_id,
            "purpose": purpose,
            "can_reactivate": can_reactivate,
            "periods": self._isp_int(periods, 1, MAX_PERIODS_AHEAD) or 1,
            "period_choices": range(1, MAX_PERIODS_AHEAD + 1),
            "topup_choices": link.company_id._isp_topup_choices(),
            "error": None,
        }
        if purpose == "topup" and amount is None:
            return values
        try:
            offer = self._isp_offer(customer, purpose, amount, periods, None)
        except UserError as error:
            values["error"] = error.args[0]
            return values
        values["offer"] = offer
        if not customer.isp_currency_id.is_zero(offer["amount"]):
            values.update(self._isp_link_form_values(link, token, purpose, offer))
        return values

    def _isp_link_form_values(self, link, token, purpose, offer):
        """The values of ``payment.form`` for the link's customer: no saved
        payment method is offered or saved, as the visitor is not logged in."""
        customer = link.partner_id
        currency = customer.isp_currency_id
        providers = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                link.company_id.id,
                customer.id,
                offer["amount"],
                currency_id=currency.id,
            )
        )
        methods = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers.ids, customer.id, currency_id=currency.id
            )
        )
        periods = offer["periods"] or 0
        return {
            "amount": offer["amount"],
            "partner_id": customer.id,
            "providers_sudo": providers,
            "payment_methods_sudo": methods,
            "tokens_sudo": request.env["payment.token"].sudo().browse(),
            "show_tokenize_input_mapping": dict.fromkeys(providers.ids, False),
            "transaction_route": f"/isp/pay/{token}/transaction/{purpose}/{periods}",
            "landing_route": f"/isp/pay/{token}",
            "access_token": payment_utils.generate_access_token(
                *self._isp_link_signed_values(link, offer, purpose, periods)
            ),
        }

    @staticmethod
    def _isp_link_signed_values(link, offer, purpose, periods):
        """What a link page's access token signs: the link, and how much its
        customer pays for what."""
        customer = link.partner_id
        return (
            link.id,
            customer.id,
            offer["amount"],
            customer.isp_currency_id.id,
            purpose,
            periods,
        )

    @http.route(
        "/isp/pay/<string:token>/transaction/<string:purpose>/<int:periods>",
        type="json",
        auth="public",
    )
    def isp_payment_link_transaction(
        self, token, purpose, periods, access_token=None, **kwargs
    ):
        """Start the one payment of a link: the link is used from now on."""
        link = request.env["isp.payment.link"]._isp_find(token)
        if not link or purpose not in LINK_PURPOSES:
            raise ValidationError(_("This payment link is not valid."))
        problem = link._isp_problem()
        if problem:
            raise ValidationError(problem)
        if self._isp_int(periods) is None:
            raise ValidationError(
                _("This payment request is not valid: reload the page.")
            )
        customer = link.partner_id.with_company(link.company_id)
        kwargs.pop("currency_id", None)
        self._validate_transaction_kwargs(kwargs)
        self._isp_check_transaction_kwargs(kwargs)
        if kwargs["flow"] == "token":
            raise ValidationError(_("This payment method is not available."))
        offer = self._isp_offer(
            customer, purpose, kwargs.pop("amount", None), periods or None, None
        )
        if not payment_utils.check_access_token(
            access_token if isinstance(access_token, str) else "",
            *self._isp_link_signed_values(link, offer, purpose, periods),
        ):
            raise ValidationError(
                _("The amount to pay has changed since the page was shown: reload it.")
            )
        self._isp_payment_provider(
            kwargs,
            link.company_id,
            customer,
            offer["amount"],
            customer.isp_currency_id,
        )
        if not link._isp_take():
            raise ValidationError(
                link._isp_problem() or _("This payment link is not valid.")
            )
        kwargs["landing_route"] = f"/isp/pay/{token}"
        tx = self._create_transaction(
            amount=offer["amount"],
            currency_id=customer.isp_currency_id.id,
            partner_id=customer.id,
            custom_create_values={
                "isp_purpose": purpose,
                "isp_periods": offer["periods"],
                "isp_extend_service": offer["extend"],
                "isp_offer_nonce": f"link-{link.id}",
            },
            **kwargs,
        )
        link.transaction_id = tx
        return tx._get_processing_values()
