# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ContractLine(models.Model):
    _inherit = "contract.line"

    # Network credentials of the service (PPPoE / hotspot login).
    isp_radius_username = fields.Char(
        string="Network Username", copy=False, index="btree_not_null"
    )
    isp_radius_password = fields.Char(
        string="Network Password",
        copy=False,
        groups="isp_prepaid_billing.isp_prepaid_billing_group_user",
        help="Kept readable because PAP and CHAP need the password itself.",
    )
    isp_radius_disabled = fields.Boolean(
        string="Network Access Disabled",
        help="Refuse this login whatever the billing status (e.g. abuse, moved out).",
    )

    # Service changes: when this line is in service. Kept apart from OCA
    # contract's own line dates, which drive its invoicing and the
    # subscription's "active to" date.
    isp_service_from = fields.Date(
        string="In Service From",
        copy=False,
        help="First day this plan or add-on is billed (a plan change or an add-on "
        "ordered mid-period). Empty: from the start of the subscription.",
    )
    isp_service_to = fields.Date(
        string="In Service To",
        copy=False,
        help="Last day this plan or add-on is billed (it was replaced or ended). "
        "Empty: until the subscription ends.",
    )
    isp_replaces_line_id = fields.Many2one(
        "contract.line",
        string="Replaces",
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The plan this one replaced; it still applies on the network until "
        "this one starts.",
    )

    _sql_constraints = [
        (
            "isp_service_dates",
            "CHECK(isp_service_to IS NULL OR isp_service_from IS NULL "
            "OR isp_service_to >= isp_service_from - 1)",
            "A service line cannot end before the day before it starts.",
        ),
        (
            "isp_radius_username_unique",
            "unique(company_id, isp_radius_username)",
            "A network username is used once per company.",
        )
    ]

    @api.constrains("price_unit", "quantity", "discount", "specific_price")
    def _check_isp_price(self):
        for line in self.filtered(
            lambda l: l.contract_id.isp_managed and not l.display_type
        ):
            if (
                line.price_unit < 0
                or line.quantity < 0
                or not 0 <= line.discount <= 100
            ):
                raise ValidationError(
                    _(
                        "Service %(service)s of %(subscription)s: prices and quantities "
                        "cannot be negative and a discount is between 0 and 100%%.",
                        service=line.name,
                        subscription=line.contract_id.display_name,
                    )
                )

    def _isp_span(self, start, end):
        """``(first, last)`` days of ``[start, end]`` this line is in service,
        or None when it is not in service then."""
        self.ensure_one()
        first = max(start, self.isp_service_from or start)
        last = min(end, self.isp_service_to) if self.isp_service_to else end
        return (first, last) if first <= last else None

    def _isp_in_effect(self, date):
        """The line whose plan applies on ``date``: a plan ordered for a later
        day leaves the one it replaces in effect until then."""
        self.ensure_one()
        line = self
        while line.isp_replaces_line_id and line.isp_service_from and line.isp_service_from > date:
            line = line.isp_replaces_line_id
        return line

    # === RADIUS AUTHORIZE === #

    @api.model
    def _isp_radius_line(self, company, username):
        """The service logging in as ``username``, with just the columns the
        decision reads loaded: authorize runs for every login, and full partner,
        contract and product rows cost more than the decision itself."""
        line = self.sudo().search_fetch(
            [("company_id", "=", company.id), ("isp_radius_username", "=", username)],
            [
                "contract_id",
                "product_id",
                "is_canceled",
                "isp_radius_password",
                "isp_radius_disabled",
                "isp_service_from",
                "isp_replaces_line_id",
            ],
            limit=1,
        )
        if not line:
            return line
        contract = line.contract_id
        contract.fetch(
            ["active", "company_id", "partner_id", "date_end", "isp_managed", "isp_cancel_date"]
        )
        contract.partner_id.fetch(["commercial_partner_id"])
        customer = contract.partner_id.commercial_partner_id
        customer.fetch(["isp_billing_enabled", "isp_status", "isp_contract_ids"])
        customer.isp_contract_ids.fetch(["active", "isp_managed", "date_end"])
        line.product_id.fetch(["product_tmpl_id"])
        line.product_id.product_tmpl_id.with_company(company).fetch(
            ["isp_network_profile_id"]
        )
        return line

    def _isp_radius_decision(self, date):
        """``(status, body)`` answered to FreeRADIUS for this login on ``date``:
        200 with the password and the plan's attributes (active), 200 into the
        suspended pool (blocked or paused, unless the plan's network profile,
        or else the company, rejects them), or 401 with a Reply-Message
        (rejected). Reads only."""
        if not self:
            return 401, self._isp_radius_reject(_("Unknown user."))
        self.ensure_one()
        contract = self.contract_id
        customer = contract.partner_id.commercial_partner_id
        company = contract.company_id
        if self.isp_radius_disabled or not contract.active or self.is_canceled:
            return 401, self._isp_radius_reject(_("Access disabled."))
        if contract.isp_cancel_date and contract.isp_cancel_date < date:
            return 401, self._isp_radius_reject(_("Service ended."))
        if not customer.isp_billing_enabled:
            return 401, self._isp_radius_reject(
                _("No Internet service on this account.")
            )
        state = customer._isp_service_state(date)
        if state == "inactive":
            return 401, self._isp_radius_reject(_("Service deactivated."))
        if state == "new":
            return 401, self._isp_radius_reject(_("Service not started yet."))
        body = {
            "control:Cleartext-Password": {
                "value": self.sudo().isp_radius_password or "",
                "do_xlat": False,
            }
        }
        profile = self.sudo()._isp_in_effect(date).product_id.product_tmpl_id.with_company(
            company
        ).isp_network_profile_id
        if state in ("blocked", "paused"):
            if profile._isp_blocked_mode(company) == "reject":
                return 401, self._isp_radius_reject(
                    _("Service suspended: please pay to reconnect.")
                )
            body.update(self._isp_radius_suspended(company))
            return 200, body
        profile = self.sudo()._isp_throttle_profile() or profile
        body.update(profile._reply_attributes() if profile else {})
        return 200, body

    def _isp_throttle_profile(self):
        """The throttle profile replacing the plan's while the customer's
        service is throttled before a block; empty otherwise."""
        self.ensure_one()
        return self.contract_id.partner_id.commercial_partner_id.isp_throttle_profile_id

    @api.model
    def _isp_radius_reject(self, message):
        return {"reply:Reply-Message": {"value": message, "do_xlat": False}}

    @api.model
    def _isp_radius_suspended(self, company):
        body = {
            "reply:Reply-Message": {
                "value": _("Service suspended: please pay to reconnect."),
                "do_xlat": False,
            }
        }
        if company.isp_radius_suspended_pool:
            body["reply:Framed-Pool"] = {
                "value": company.isp_radius_suspended_pool,
                "do_xlat": False,
            }
        if company.isp_radius_blocked_list:
            body["reply:Mikrotik-Address-List"] = {
                "value": company.isp_radius_blocked_list,
                "do_xlat": False,
            }
        return body
