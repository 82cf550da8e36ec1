# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import logging
import math
import re
import secrets
import time
from datetime import timedelta

from werkzeug.exceptions import NotFound

from odoo import _, fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import float_round

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.controllers.portal import PaymentPortal

from ..models.isp_billing_engine import MAX_PERIODS_AHEAD
from ..tools import client_address

_logger = logging.getLogger(__name__)

PURPOSES = ("topup", "prepay", "reactivate", "proforma", "plan_change")
DOCUMENTS_SHOWN = 10
# How long a payment page may be used to start its one transaction (seconds).
OFFER_LIFETIME = 3600
FLOWS = ("redirect", "direct", "token")
# PostgreSQL's "integer": no record id is larger.
MAX_ID = 2**31 - 1
INTEGER = re.compile(r"\s*[+-]?[0-9]{1,19}\s*", re.ASCII)


class IspPortal(PaymentPortal):
    """The subscriber's self-care pages under /my/isp and the public
    "service suspended" landing page."""

    # === HELPERS === #

    @staticmethod
    def _isp_customer():
        """The billed customer the logged-in user acts for, or None. The user's
        own commercial partner is theirs to read: the sudo reads nothing else."""
        user = request.env.user
        if user._is_public():
            return None
        customer = user.partner_id.commercial_partner_id.sudo()
        return customer if customer.isp_billing_enabled else None

    @staticmethod
    def _isp_int(value, minimum=0, maximum=MAX_ID):
        """Request input (query text or any JSON value) as an integer from
        ``minimum`` to ``maximum``; None when it is anything else."""
        if isinstance(value, str) and INTEGER.fullmatch(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        return value if minimum <= value <= maximum else None

    @staticmethod
    def _isp_client_address():
        """The visitor's address: forwarded addresses count only from the
        trusted proxies of the settings (see tools/client_address.py)."""
        setting = (
            request.env["ir.config_parameter"]
            .sudo()
            .get_param(client_address.TRUSTED_PROXIES_PARAM, "")
        )
        try:
            trusted = client_address.parse_networks(setting)
        except ValueError as error:
            _logger.warning("Ignoring the trusted proxies: %s is no address", error)
            trusted = []
        return client_address.client_address(request.httprequest, trusted)

    @staticmethod
    def _isp_today(customer):
        return fields.Date.context_today(customer)

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "isp_service_count" in counters:
            customer = self._isp_customer()
            values["isp_service_count"] = (
                len(customer.isp_contract_ids.filtered("active")) if customer else 0
            )
        return values

    # === SERVICE PAGE === #

    @http.route("/my/isp", type="http", auth="user", website=True)
    def portal_isp_service(self, **kwargs):
        customer = self._isp_customer()
        if not customer:
            return request.redirect("/my")
        return request.render(
            "isp_prepaid_billing.portal_isp_service",
            self._isp_service_values(customer, payment=kwargs.get("payment")),
        )

    def _isp_service_values(self, customer, error=None, payment=None):
        today = self._isp_today(customer)
        state = customer._isp_service_state(today)
        change_day, change_text = customer._isp_next_change(today)
        next_charge, __, next_amount = customer._isp_next_charge()
        # Invoices and proformas are read as the user: the record rules decide.
        invoices = request.env["account.move"].search(
            [
                ("partner_id", "child_of", customer.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
            ],
            order="invoice_date desc, id desc",
            limit=DOCUMENTS_SHOWN,
        )
        proformas = request.env["isp.proforma"].search(
            [("partner_id", "=", customer.id), ("state", "in", ("open", "paid"))],
            order="date desc, id desc",
            limit=DOCUMENTS_SHOWN,
        )
        # A charge day already past only waits for money: no date to show.
        charge_on_topup = bool(next_charge and next_charge < today)
        if charge_on_topup or state == "inactive":
            next_charge = False
        return {
            **self._prepare_portal_layout_values(),
            "page_name": "isp_service",
            "customer": customer,
            "currency": customer.isp_currency_id,
            "state": state,
            "state_label": self._isp_state_label(state),
            "explanation": customer._isp_portal_explanation(today),
            "change_day": change_day,
            "change_text": change_text,
            "contracts": customer.isp_contract_ids.filtered("active"),
            "plan_contracts": self._isp_plan_contracts(customer, today).filtered(
                lambda contract: self._isp_portal_plans(contract, today)
            ),
            "next_charge": next_charge,
            "next_amount": next_amount,
            "charge_on_topup": charge_on_topup
            and state == "blocked"
            and customer.isp_billing_type == "prepaid",
            "invoices": invoices,
            "proformas": proformas,
            "covered_proformas": self._isp_covered_proformas(customer),
            "receipts": self._isp_receipts(customer),
            "paid_tx": self._isp_landed_transaction(payment),
            "promise_offer": state == "blocked"
            and self._isp_promise_offer(customer, today),
            "error": error,
        }

    @staticmethod
    def _isp_covered_proformas(customer):
        """The customer's open proformas the balance already covers, oldest
        first: the subscriber is not asked to pay them again."""
        currency = customer.isp_currency_id
        remaining = customer.isp_balance
        keep = max(customer.isp_minimum_balance, 0.0)
        covered = request.env["isp.proforma"].sudo()
        open_proformas = covered.search(
            [("partner_id", "=", customer.id), ("state", "=", "open")],
            order="date, id",
        )
        for proforma in open_proformas:
            if currency.compare_amounts(remaining - proforma.amount_total, keep) < 0:
                break
            remaining -= proforma.amount_total
            covered |= proforma
        return covered

    @staticmethod
    def _isp_landed_transaction(payment):
        """The logged-in user's latest service payment, when the payment page
        lands here (``payment=done``) and the provider confirmed it within the
        last hour; else None. Nothing of the URL but the flag is used."""
        if payment != "done":
            return None
        tx_sudo = (
            request.env["payment.transaction"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", request.env.user.partner_id.id),
                    ("isp_purpose", "!=", False),
                ],
                order="id desc",
                limit=1,
            )
        )
        recent = fields.Datetime.now() - timedelta(seconds=OFFER_LIFETIME)
        if (
            tx_sudo.state != "done"
            or not tx_sudo.last_state_change
            or tx_sudo.last_state_change < recent
        ):
            return None
        return tx_sudo

    @staticmethod
    def _isp_state_label(state):
        return {
            "new": _("Not started"),
            "active": _("Active"),
            "blocked": _("Blocked"),
            "inactive": _("Inactive"),
            "paused": _("Paused"),
        }.get(state, state)

    @staticmethod
    def _isp_receipts(customer, limit=DOCUMENTS_SHOWN):
        # Portal users have no access to payments: only the customer's own
        # numbered receipts are read, as superuser.
        return (
            request.env["account.payment"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", customer.id),
                    ("isp_receipt_number", "!=", False),
                    ("state", "in", ("in_process", "paid")),
                ],
                order="date desc, id desc",
                limit=limit,
            )
        )

    @http.route(
        "/my/isp/receipt/<int:payment_id>", type="http", auth="user", website=True
    )
    def portal_isp_receipt(self, payment_id, **kwargs):
        customer = self._isp_customer()
        if self._isp_int(payment_id) is None:
            raise NotFound()
        payment = request.env["account.payment"].sudo().browse(payment_id).exists()
        if (
            not customer
            or not payment
            or payment not in self._isp_receipts(customer, limit=None)
        ):
            raise NotFound()
        return self._show_report(
            model=payment,
            report_type="pdf",
            report_ref="isp_prepaid_billing.action_report_isp_receipt",
            download=True,
        )

    @http.route(
        "/my/isp/proforma/<int:proforma_id>", type="http", auth="public", website=True
    )
    def portal_isp_proforma(
        self, proforma_id, access_token=None, report_type=None, **kwargs
    ):
        if self._isp_int(proforma_id) is None:
            return request.redirect("/my")
        try:
            proforma = self._document_check_access(
                "isp.proforma", proforma_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=proforma,
                report_type=report_type,
                report_ref="isp_prepaid_billing.action_report_isp_proforma",
                download=kwargs.get("download") == "true",
            )
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "isp_proforma",
            "proforma": proforma,
            "access_token": access_token,
            "can_pay": False,
            "covered": False,
        }
        customer = self._isp_customer()
        if proforma.state == "open" and customer == proforma.partner_id:
            values["covered"] = proforma in self._isp_covered_proformas(customer)
            values["can_pay"] = not values["covered"]
        return request.render("isp_prepaid_billing.portal_isp_proforma", values)

    # === ONLINE PAYMENT === #

    @http.route("/my/isp/pay", type="http", auth="user", website=True)
    def portal_isp_pay(
        self,
        purpose="topup",
        amount=None,
        periods=None,
        proforma_id=None,
        currency_id=None,
        change_id=None,
        **kwargs,
    ):
        customer = self._isp_customer()
        if not customer or purpose not in PURPOSES:
            return request.redirect("/my")
        today = self._isp_today(customer)
        company = customer.isp_company_id or request.env.company
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "isp_pay",
            "customer": customer,
            "currency": customer.isp_currency_id,
            "purpose": purpose,
            "state": customer._isp_service_state(today),
            "periods": self._isp_int(periods, 1, MAX_PERIODS_AHEAD) or 1,
            "period_choices": range(1, MAX_PERIODS_AHEAD + 1),
            "topup_choices": company._isp_topup_choices(),
            "topup_minimum": company.isp_topup_minimum,
            "topup_maximum": company.isp_topup_maximum,
            "requested_amount": amount,
            "offer": None,
            "error": None,
        }
        needs_amount = purpose == "topup" and amount is None
        if not needs_amount:
            try:
                self._isp_check_currency(customer, currency_id)
                offer = self._isp_offer(
                    customer, purpose, amount, periods, proforma_id, change_id
                )
            except UserError as error:
                values["error"] = error.args[0]
            else:
                values["offer"] = offer
                if not customer.isp_currency_id.is_zero(offer["amount"]):
                    values.update(
                        self._isp_payment_form_values(customer, purpose, offer)
                    )
        return request.render("isp_prepaid_billing.portal_isp_pay", values)

    def _isp_offer(
        self, customer, purpose, amount, periods, proforma_id, change_id=None
    ):
        """The checked offer for the request's input; UserError on bad input."""
        offer = customer._isp_payment_offer(
            purpose,
            self._isp_today(customer),
            amount=self._isp_amount(amount),
            periods=self._isp_periods(purpose, periods),
            proforma=self._isp_own_proforma(customer, proforma_id),
            change=self._isp_own_change(customer, change_id),
        )
        if purpose == "topup":
            company = customer.isp_company_id or request.env.company
            company._isp_check_topup_maximum(offer["amount"])
        return offer

    def _isp_own_proforma(self, customer, proforma_id):
        """The customer's proforma ``proforma_id``, else None: another
        customer's proforma and one that does not exist get the same answer."""
        proforma_id = self._isp_int(proforma_id, 1)
        proforma = request.env["isp.proforma"].sudo().browse(proforma_id).exists()
        return proforma if proforma and proforma.partner_id == customer else None

    def _isp_own_change(self, customer, change_id):
        """The customer's service change ``change_id``, else None: another
        customer's change and one that does not exist get the same answer."""
        change_id = self._isp_int(change_id, 1)
        change = request.env["isp.service.change"].sudo().browse(change_id).exists()
        return change if change and change.partner_id == customer else None

    def _isp_periods(self, purpose, periods):
        """How many periods to pay for ``purpose``: 1 when not given, and only
        prepayment and reactivation use it."""
        if purpose not in ("prepay", "reactivate") or periods in (None, ""):
            return 1
        count = self._isp_int(periods, 1, MAX_PERIODS_AHEAD)
        if count is None:
            raise UserError(
                _(
                    "Choose between 1 and %(max)s periods to pay in advance.",
                    max=MAX_PERIODS_AHEAD,
                )
            )
        return count

    @staticmethod
    def _isp_amount(amount):
        """The amount typed (text) or sent (JSON number), or None when not
        given; UserError for anything that is not a finite number."""
        if amount is None:
            return None
        value = None
        if isinstance(amount, str) and len(amount) <= 64:
            try:
                value = float(amount)
            except ValueError:
                value = None
        elif isinstance(amount, (int, float)) and not isinstance(amount, bool):
            try:
                value = float(amount)
            except OverflowError:
                value = None
        if value is None or not math.isfinite(value):
            raise UserError(_("Enter the amount as a number, e.g. 25.00."))
        return float_round(value, precision_digits=6)

    def _isp_check_currency(self, customer, currency_id):
        currency = customer.isp_currency_id
        if currency_id and self._isp_int(currency_id, 1) != currency.id:
            raise UserError(
                _(
                    "Your service is billed in %(currency)s: pay in that currency.",
                    currency=currency.name,
                )
            )

    @staticmethod
    def _isp_route_ids(offer):
        return (
            offer["periods"] or 0,
            offer["proforma"].id if offer["proforma"] else 0,
            offer["change"].id if offer["change"] else 0,
        )

    def _isp_payment_form_values(self, customer, purpose, offer):
        company = customer.isp_company_id or request.env.company
        currency = customer.isp_currency_id
        partner = request.env.user.partner_id
        periods, proforma_id, change_id = self._isp_route_ids(offer)
        # A plan change's page names the change it pays for.
        ids = f"{periods}/{proforma_id}" + (f"/{change_id}" if change_id else "")
        nonce, expires = secrets.token_hex(16), int(time.time()) + OFFER_LIFETIME
        providers = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                company.id, partner.id, offer["amount"], currency_id=currency.id
            )
        )
        methods = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers.ids, partner.id, currency_id=currency.id
            )
        )
        tokens = (
            request.env["payment.token"]
            .sudo()
            ._get_available_tokens(providers.ids, partner.id)
        )
        return {
            "amount": offer["amount"],
            "partner_id": partner.id,
            "providers_sudo": providers,
            "payment_methods_sudo": methods,
            "tokens_sudo": tokens,
            "show_tokenize_input_mapping": self._compute_show_tokenize_input_mapping(
                providers
            ),
            # A page makes one transaction, within OFFER_LIFETIME: a second
            # browser session or a replay cannot make the customer pay twice.
            "transaction_route": f"/my/isp/transaction/{purpose}/{ids}/{nonce}/{expires}",
            "landing_route": "/my/isp?payment=done",
            "access_token": payment_utils.generate_access_token(
                *self._isp_signed_values(
                    customer,
                    offer,
                    purpose,
                    periods,
                    proforma_id,
                    nonce,
                    expires,
                    change_id,
                )
            ),
        }

    @staticmethod
    def _isp_signed_values(
        customer, offer, purpose, periods, proforma_id, nonce, expires, change_id=0
    ):
        """What a payment page's access token signs: who pays how much for
        what, and the page's single-use nonce and expiry."""
        return (
            customer.id,
            offer["amount"],
            customer.isp_currency_id.id,
            purpose,
            periods,
            proforma_id,
            nonce,
            expires,
            change_id,
        )

    @http.route(
        [
            "/my/isp/transaction/<string:purpose>/<int:periods>/<int:proforma_id>"
            "/<string:nonce>/<int:expires>",
            "/my/isp/transaction/<string:purpose>/<int:periods>/<int:proforma_id>"
            "/<int:change_id>/<string:nonce>/<int:expires>",
        ],
        type="json",
        auth="user",
    )
    def portal_isp_transaction(
        self,
        purpose,
        periods,
        proforma_id,
        nonce,
        expires,
        change_id=0,
        access_token=None,
        **kwargs,
    ):
        customer = self._isp_customer()
        if not customer or purpose not in PURPOSES:
            raise ValidationError(
                _("There is no Internet service to pay for on this account.")
            )
        if any(
            self._isp_int(value) is None for value in (periods, proforma_id, change_id)
        ):
            raise ValidationError(
                _("This payment request is not valid: reload the page.")
            )
        self._isp_check_currency(customer, kwargs.pop("currency_id", None))
        self._validate_transaction_kwargs(kwargs)
        self._isp_check_transaction_kwargs(kwargs)
        amount = kwargs.pop("amount", None)
        offer = self._isp_offer(
            customer, purpose, amount, periods, proforma_id, change_id
        )
        currency = customer.isp_currency_id
        if not payment_utils.check_access_token(
            access_token if isinstance(access_token, str) else "",
            *self._isp_signed_values(
                customer,
                offer,
                purpose,
                periods,
                proforma_id,
                nonce,
                expires,
                change_id,
            ),
        ) or (
            # The page of a plan change says what it costs: another amount is
            # a page out of date, or a forged request.
            purpose == "plan_change"
            and currency.compare_amounts(
                self._isp_amount(amount) or 0.0, offer["amount"]
            )
        ):
            raise ValidationError(
                _("The amount to pay has changed since the page was shown: reload it.")
            )
        request.env["payment.transaction"]._isp_check_offer(nonce, expires)
        self._isp_payment_provider(
            kwargs,
            customer.isp_company_id or request.env.company,
            request.env.user.partner_id,
            offer["amount"],
            currency,
        )
        kwargs["landing_route"] = "/my/isp?payment=done"
        tx = self._create_transaction(
            amount=offer["amount"],
            currency_id=currency.id,
            partner_id=request.env.user.partner_id.id,
            custom_create_values={
                "isp_purpose": purpose,
                "isp_periods": offer["periods"],
                "isp_extend_service": offer["extend"],
                "isp_proforma_id": offer["proforma"].id if offer["proforma"] else False,
                "isp_service_change_id": (
                    offer["change"].id if offer["change"] else False
                ),
                "isp_offer_nonce": nonce,
            },
            **kwargs,
        )
        return tx._get_processing_values()

    def _isp_check_transaction_kwargs(self, kwargs):
        """Parse the payment form's values in place: record ids as integers (or
        None), the flow one of Odoo's; no validation operation, which would let
        the provider set the amount. ValidationError otherwise."""
        if kwargs.get("flow") not in FLOWS or kwargs.get("is_validation"):
            raise ValidationError(
                _("This payment request is not valid: reload the page.")
            )
        for key in ("provider_id", "payment_method_id", "token_id"):
            value = kwargs.get(key)
            if value in (None, False, ""):
                kwargs[key] = None
                continue
            kwargs[key] = self._isp_int(value, 1)
            if kwargs[key] is None:
                raise ValidationError(_("This payment method is not available."))
        kwargs["tokenization_requested"] = bool(kwargs.get("tokenization_requested"))
        kwargs["is_validation"] = False

    @staticmethod
    def _isp_payment_provider(kwargs, company, partner, amount, currency):
        """The provider the payment form chose (through its token, or with a
        payment method), if the payment form of ``partner`` could offer it:
        one of Odoo's compatible providers of ``company`` for ``amount`` in
        ``currency`` (published, unless the visitor is staff), and a payment
        method (or a token of ``partner``) compatible with it.
        ValidationError otherwise."""
        env = request.env
        providers = (
            env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                company.id, partner.id, amount, currency_id=currency.id
            )
        )
        if kwargs["flow"] == "token":
            token = (
                env["payment.token"]
                .sudo()
                ._get_available_tokens(providers.ids, partner.id)
                .filtered(lambda token: token.id == kwargs["token_id"])
            )
            provider = token.provider_id
        else:
            provider = providers.filtered(lambda p: p.id == kwargs["provider_id"])
            methods = (
                env["payment.method"]
                .sudo()
                ._get_compatible_payment_methods(
                    provider.ids, partner.id, currency_id=currency.id
                )
                if provider
                else env["payment.method"]
            )
            if kwargs["payment_method_id"] not in methods.ids:
                provider = provider.browse()
        if not provider:
            raise ValidationError(_("This payment method is not available."))
        return provider

    @http.route(
        "/my/isp/reactivate", type="http", auth="user", methods=["POST"], website=True
    )
    def portal_isp_reactivate(self, periods=None, **kwargs):
        """Reactivation the balance already pays for: nothing to pay online."""
        customer = self._isp_customer()
        if not customer:
            return request.redirect("/my")
        today = self._isp_today(customer)
        try:
            offer = self._isp_offer(customer, "reactivate", None, periods, None)
            if not customer.isp_currency_id.is_zero(offer["amount"]):
                raise UserError(
                    _("Your balance does not cover these periods: pay online.")
                )
            request.env["isp.billing.engine"].sudo()._charge_ahead(
                customer, offer["periods"], today, extend_service=offer["extend"]
            )
            customer._isp_after_payment(today)
        except UserError as error:
            values = self._isp_service_values(customer, error=error.args[0])
            return request.render("isp_prepaid_billing.portal_isp_service", values)
        return request.redirect("/my/isp")

    # === PROMISE TO PAY === #

    @http.route(
        "/my/isp/promise",
        type="http",
        auth="user",
        methods=["GET", "POST"],
        website=True,
    )
    def portal_isp_promise(self, **kwargs):
        """A blocked subscriber promises to pay: GET shows what is promised
        until when, POST (the confirmation) reconnects the service."""
        customer = self._isp_customer()
        if not customer:
            return request.redirect("/my")
        today = self._isp_today(customer)
        if not self._isp_promise_for_self(customer, kwargs):
            values = self._isp_service_values(
                customer, error=_("You can only promise to pay for your own service.")
            )
            return request.render(
                "isp_prepaid_billing.portal_isp_service", values, status=403
            )
        Promise = request.env["isp.payment.promise"]
        try:
            offer = Promise._isp_portal_offer(customer, today)
            if request.httprequest.method == "POST":
                with request.env.cr.savepoint():
                    Promise._isp_grant(customer, today, offer["days"], "portal")
                return request.redirect("/my/isp")
        except UserError as error:
            values = self._isp_service_values(customer, error=error.args[0])
            return request.render(
                "isp_prepaid_billing.portal_isp_service", values, status=400
            )
        return request.render(
            "isp_prepaid_billing.portal_isp_promise",
            {
                **self._prepare_portal_layout_values(),
                "page_name": "isp_promise",
                "customer": customer,
                "offer": offer,
            },
        )

    def _isp_promise_for_self(self, customer, kwargs):
        """A promise names no other customer and no other customer's service."""
        for key in ("partner_id", "customer_id"):
            if key in kwargs and self._isp_int(kwargs[key], 1) != customer.id:
                return False
        if "contract_id" in kwargs:
            contract_id = self._isp_int(kwargs["contract_id"], 1)
            return contract_id in customer.isp_contract_ids.ids
        return True

    @staticmethod
    def _isp_promise_offer(customer, today):
        """The promise the service page offers, or None."""
        try:
            return request.env["isp.payment.promise"]._isp_portal_offer(
                customer, today
            )
        except UserError:
            return None

    # === PLAN CHANGE === #

    @staticmethod
    def _isp_plan_contracts(customer, today):
        """The customer's running subscriptions, whose plan the subscriber may
        change: read through the customer's own subscriptions only."""
        return customer.isp_contract_ids.filtered(
            lambda contract: contract.active
            and not contract.isp_cancel_date
            and (not contract.date_end or contract.date_end >= today)
            and request.env["isp.service.change"]._isp_plan_line(contract, today)
        )

    def _isp_own_plan_contract(self, customer, contract_id, today):
        """The customer's running subscription ``contract_id``: not found for
        any other id, whoever's it is."""
        contract_id = self._isp_int(contract_id, 1)
        contract_sudo = self._isp_plan_contracts(customer, today).filtered(
            lambda contract: contract.id == contract_id
        )
        if not contract_id or not contract_sudo:
            raise NotFound()
        return contract_sudo

    @staticmethod
    def _isp_portal_plans(contract_sudo, today):
        """The plans the company lets subscribers choose, the current one aside."""
        company = contract_sudo.company_id
        current = request.env["isp.service.change"]._isp_plan_line(contract_sudo, today)
        return company.isp_portal_plan_ids.filtered(
            lambda product: product.active
            and product.sale_ok
            and (not product.company_id or product.company_id == company)
            and product != current.product_id
        )

    def _isp_plan_values(self, customer, contract_sudo, today, product_id=None):
        """The plan page's values, with the preview of ``product_id`` when it is
        one of the plans offered; UserError (kept in ``error``) otherwise."""
        plans = self._isp_portal_plans(contract_sudo, today)
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "isp_plan",
            "customer": customer,
            "currency": customer.isp_currency_id,
            "isp_contract": contract_sudo,
            "current_line": request.env["isp.service.change"]._isp_plan_line(
                contract_sudo, today
            ),
            "plans": plans,
            "product": None,
            "preview": None,
            "error": None,
        }
        if product_id in (None, ""):
            return values
        product = self._isp_portal_plan(plans, product_id)
        values["product"] = product
        try:
            values["preview"] = request.env["isp.service.change"]._isp_preview_new(
                self._isp_plan_change_vals(contract_sudo, product, today)
            )
        except UserError as error:
            values["error"] = error.args[0]
        return values

    def _isp_portal_plan(self, plans, product_id):
        product_id = self._isp_int(product_id, 1)
        product = plans.filtered(lambda plan: plan.id == product_id)
        if not product_id or not product:
            raise UserError(_("This plan cannot be chosen: pick one of the list."))
        return product

    @staticmethod
    def _isp_plan_change_vals(contract_sudo, product, today):
        return {
            "contract_id": contract_sudo.id,
            "kind": "plan",
            "line_id": request.env["isp.service.change"]
            ._isp_plan_line(contract_sudo, today)
            .id,
            "product_id": product.id,
            "date": today,
            "reason": _("Chosen in the customer portal"),
        }

    def _isp_render_plan(self, customer, contract_sudo, today, product_id=None):
        try:
            values = self._isp_plan_values(customer, contract_sudo, today, product_id)
        except UserError as error:
            values = self._isp_plan_values(customer, contract_sudo, today)
            values["error"] = error.args[0]
            return request.render(
                "isp_prepaid_billing.portal_isp_plan", values, status=400
            )
        return request.render("isp_prepaid_billing.portal_isp_plan", values)

    @http.route(
        "/my/isp/plan/<int:contract_id>", type="http", auth="user", website=True
    )
    def portal_isp_plan(self, contract_id, product_id=None, **kwargs):
        """The plans a subscriber may switch to and, for the chosen one, what
        the change costs: nothing is written."""
        customer = self._isp_customer()
        if not customer:
            return request.redirect("/my")
        today = self._isp_today(customer)
        contract_sudo = self._isp_own_plan_contract(customer, contract_id, today)
        return self._isp_render_plan(customer, contract_sudo, today, product_id)

    @http.route(
        "/my/isp/plan/<int:contract_id>/confirm",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_isp_plan_confirm(self, contract_id, product_id=None, **kwargs):
        """Change the plan from today: at once when the balance (or the
        customer's credit) allows it, else once the difference is paid online."""
        customer = self._isp_customer()
        if not customer:
            return request.redirect("/my")
        today = self._isp_today(customer)
        contract_sudo = self._isp_own_plan_contract(customer, contract_id, today)
        try:
            product = self._isp_portal_plan(
                self._isp_portal_plans(contract_sudo, today), product_id
            )
        except UserError:
            return self._isp_render_plan(customer, contract_sudo, today, product_id)
        Change = request.env["isp.service.change"].sudo()
        try:
            with request.env.cr.savepoint():
                # The subscriber's last choice replaces a change still waiting
                # for its payment: money arriving for that one stays on the
                # balance.
                Change.search(
                    [("contract_id", "=", contract_sudo.id), ("state", "=", "waiting")]
                ).action_cancel()
                change_sudo = Change.create(
                    self._isp_plan_change_vals(contract_sudo, product, today)
                )
                if change_sudo._isp_preview()["to_pay"]:
                    change_sudo.state = "waiting"
                else:
                    change_sudo._isp_apply(today)
        except UserError as error:
            values = self._isp_plan_values(customer, contract_sudo, today)
            values["error"] = error.args[0]
            return request.render("isp_prepaid_billing.portal_isp_plan", values)
        if change_sudo.state == "waiting":
            return request.redirect(
                f"/my/isp/pay?purpose=plan_change&change_id={change_sudo.id}"
            )
        return request.redirect("/my/isp")

    # === REFILL CARDS === #

    @http.route(
        "/my/isp/refill",
        type="http",
        auth="user",
        methods=["GET", "POST"],
        website=True,
    )
    def portal_isp_refill(self, code=None, **kwargs):
        customer = self._isp_customer()
        if not customer:
            return request.redirect("/my")
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "isp_refill",
            "customer": customer,
            "payment": None,
            "error": None,
        }
        if request.httprequest.method == "POST":
            payment, error = request.env["isp.refill.card"]._isp_redeem(
                code, customer, self._isp_client_address()
            )
            values.update(payment=payment, error=error)
            if payment:
                customer.invalidate_recordset()
        return request.render("isp_prepaid_billing.portal_isp_refill", values)

    # === PUBLIC LANDING PAGE === #

    @http.route(
        "/isp/suspended", type="http", auth="public", website=True, sitemap=False
    )
    def isp_suspended(self, **kwargs):
        """Where the network sends a suspended subscriber's web traffic. It shows
        nothing of any account: only how to log in and pay."""
        # Recognising the connection (an open session on the visitor's address)
        # only changes the wording: the page never shows account data.
        session = (
            request.env["isp.radius.session"]
            .sudo()
            ._isp_open_for_address(self._isp_client_address())
        )
        return request.render(
            "isp_prepaid_billing.isp_suspended_page",
            {
                "company": (session.company_id or request.env.company).sudo(),
                "recognised": bool(session),
                "login_url": "/web/login?redirect=/my/isp",
            },
        )
