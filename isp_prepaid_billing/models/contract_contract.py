# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools import billing_periods
from .isp_billing_settings_mixin import PERIOD_UNITS


class ContractContract(models.Model):
    _inherit = "contract.contract"

    isp_managed = fields.Boolean(
        string="ISP Subscription",
        compute="_compute_isp_managed",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        help="Charged and invoiced by the ISP billing engine; OCA contract's own "
        "invoicing never touches it.",
    )
    isp_billing_type = fields.Selection(related="commercial_partner_id.isp_billing_type")
    isp_period_unit = fields.Selection(
        PERIOD_UNITS,
        string="Billing Period Unit",
        compute="_compute_isp_period",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    isp_period_length = fields.Integer(
        string="Billing Period",
        compute="_compute_isp_period",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    isp_charged_until = fields.Date(
        string="Charged Until",
        readonly=True,
        copy=False,
        help="Last day of the last period charged or invoiced.",
    )
    isp_next_charge_date = fields.Date(
        string="Next Charge Date",
        compute="_compute_isp_next_charge_date",
        store=True,
        index=True,
    )
    isp_charge_ids = fields.One2many("isp.charge", "contract_id", string="Charges")
    isp_change_ids = fields.One2many(
        "isp.service.change", "contract_id", string="Service Changes"
    )
    isp_cancel_date = fields.Date(
        string="Cancelled After",
        readonly=True,
        copy=False,
        tracking=True,
        help="Last day of service of a cancelled subscription.",
    )
    isp_period_price = fields.Monetary(
        string="Price per Period",
        compute="_compute_isp_period_price",
        help="Price of one full billing period. Line prices are monthly prices for "
        "periods in months, and prices of the whole period for periods in days.",
        currency_field="currency_id",
    )

    _sql_constraints = [
        (
            "isp_period_length_positive",
            "CHECK(isp_period_length IS NULL OR isp_period_length > 0)",
            "A billing period must last at least one day or month.",
        ),
    ]

    # === COMPUTE METHODS === #

    @api.depends(
        "partner_id", "contract_type", "partner_id.commercial_partner_id.isp_billing_enabled"
    )
    def _compute_isp_managed(self):
        for contract in self:
            # Enabling billing takes the customer's contracts over; disabling it
            # leaves those the engine already charged with the engine (it skips
            # customers without billing), so OCA contract never bills them again.
            contract.isp_managed = contract.contract_type == "sale" and bool(
                contract.partner_id.commercial_partner_id.isp_billing_enabled
                or contract.isp_charged_until
            )

    @api.depends(
        "partner_id",
        "isp_managed",
        "partner_id.commercial_partner_id.isp_billing_type",
        "partner_id.commercial_partner_id.isp_prepaid_period_unit",
        "partner_id.commercial_partner_id.isp_prepaid_period_length",
        "partner_id.commercial_partner_id.isp_recurring_months",
    )
    def _compute_isp_period(self):
        # The customer's settings reach the subscription from its next period:
        # charged periods are isp.charge rows and never change.
        for contract in self:
            partner = contract.partner_id.commercial_partner_id
            if partner.isp_billing_type == "prepaid":
                contract.isp_period_unit = partner.isp_prepaid_period_unit or "month"
                contract.isp_period_length = partner.isp_prepaid_period_length or 1
            elif partner.isp_billing_type == "recurring":
                contract.isp_period_unit = "month"
                contract.isp_period_length = partner.isp_recurring_months or 1
            else:
                contract.isp_period_unit = "month"
                contract.isp_period_length = 1

    @api.depends(
        "isp_managed",
        "active",
        "date_start",
        "date_end",
        "isp_charged_until",
        "contract_line_ids.last_date_invoiced",
        "isp_period_unit",
        "isp_period_length",
        "commercial_partner_id.isp_billing_type",
        "commercial_partner_id.isp_billing_day",
    )
    def _compute_isp_next_charge_date(self):
        for contract in self:
            contract.isp_next_charge_date = contract._isp_next_charge_date()

    @api.depends(
        "contract_line_ids.price_subtotal",
        "contract_line_ids.display_type",
        "isp_period_unit",
        "isp_period_length",
    )
    def _compute_isp_period_price(self):
        for contract in self:
            lines = contract._isp_current_lines()
            price = sum(lines.mapped("price_subtotal"))
            if contract.isp_period_unit == "month":
                price *= contract.isp_period_length or 1
            contract.isp_period_price = contract.currency_id.round(price)

    # === CONSTRAINTS === #

    @api.constrains("isp_period_unit", "isp_period_length", "isp_managed")
    def _check_isp_period(self):
        for contract in self.filtered("isp_managed"):
            if contract.isp_period_length < 1:
                raise ValidationError(
                    _(
                        "Subscription %(name)s: a billing period must last at least "
                        "one day or month.",
                        name=contract.display_name,
                    )
                )
            if (
                contract.isp_period_unit == "day"
                and contract.isp_billing_type != "prepaid"
            ):
                raise ValidationError(
                    _(
                        "Subscription %(name)s: periods in days are only for prepaid "
                        "customers; recurring and postpaid billing follow the billing day.",
                        name=contract.display_name,
                    )
                )
            if contract.isp_period_unit == "month" and contract.isp_period_length > 12:
                raise ValidationError(
                    _(
                        "Subscription %(name)s: a billing period covers 1 to 12 months.",
                        name=contract.display_name,
                    )
                )

    # === CONTRACT HOOKS === #

    @api.model
    def _get_contracts_to_invoice_domain(self, date_ref=None):
        # ISP subscriptions are owned by the ISP billing engine.
        return super()._get_contracts_to_invoice_domain(date_ref) + [
            ("isp_managed", "=", False)
        ]

    def _recurring_create_invoice(self, date_ref=False):
        return super(
            ContractContract, self.filtered(lambda c: not c.isp_managed)
        )._recurring_create_invoice(date_ref)

    # === BUSINESS METHODS === #

    def _isp_note_period_change(self):
        """The customer's settings changed this subscription's billing period."""
        units = dict(self._fields["isp_period_unit"]._description_selection(self.env))
        for contract in self.filtered("isp_managed"):
            contract.message_post(
                body=_(
                    "Billing period from the next period on: %(length)s (%(unit)s), after "
                    "a change of the customer's billing settings; charged periods stay "
                    "as they are.",
                    length=contract.isp_period_length,
                    unit=units.get(contract.isp_period_unit, ""),
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _isp_billable_lines(self):
        self.ensure_one()
        return self.contract_line_ids.filtered(
            lambda line: not line.display_type and not line.is_canceled
        )

    def _isp_current_lines(self):
        """The services billed from now on: not ended, not replaced by a plan
        change (dated today or later)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        lines = self._isp_billable_lines()
        replaced = lines.isp_replaces_line_id
        return lines.filtered(
            lambda line: line not in replaced
            and (not line.isp_service_to or line.isp_service_to >= today)
        )

    def _isp_pauses(self):
        self.ensure_one()
        return self.isp_change_ids.filtered(
            lambda change: change.kind == "pause" and change.state == "done"
        )

    def _isp_days_in_service(self, first, last):
        """Days of ``[first, last]`` the subscription is not paused."""
        self.ensure_one()
        days = billing_periods.days_between(first, last)
        for pause in self._isp_pauses():
            overlap_first = max(first, pause.date)
            overlap_last = min(last, pause.date_to)
            if overlap_first <= overlap_last:
                days -= billing_periods.days_between(overlap_first, overlap_last)
        return days

    def _isp_paused_on(self, date):
        self.ensure_one()
        return any(p.date <= date <= p.date_to for p in self._isp_pauses())

    def _isp_action_change(self, kind):
        self.ensure_one()
        Change = self.env["isp.service.change"]
        context = {"default_contract_id": self.id, "default_kind": kind}
        if kind == "plan":
            current = self._isp_current_lines()
            context["default_line_id"] = (
                current.filtered("isp_radius_username")[:1] or current[:1]
            ).id
        return {
            "type": "ir.actions.act_window",
            "name": dict(Change._fields["kind"]._description_selection(self.env))[kind],
            "res_model": "isp.service.change",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
        }

    def action_isp_change_plan(self):
        return self._isp_action_change("plan")

    def action_isp_add_addon(self):
        return self._isp_action_change("addon")

    def action_isp_pause(self):
        return self._isp_action_change("pause")

    def action_isp_cancel_service(self):
        return self._isp_action_change("cancel")

    def _isp_next_start(self):
        """First day not yet charged."""
        self.ensure_one()
        if self.isp_charged_until:
            return self.isp_charged_until + billing_periods.ONE_DAY
        # A contract taken over from OCA contract's own invoicing goes on from
        # the last day it invoiced.
        invoiced = self._isp_billable_lines().mapped("last_date_invoiced")
        if any(invoiced):
            return max(day for day in invoiced if day) + billing_periods.ONE_DAY
        return self.date_start

    def _isp_next_charge_date(self, next_start=None):
        """Day the period starting ``next_start`` (default: the first uncharged
        day) is charged; False when the subscription has ended by then."""
        self.ensure_one()
        if not (self.isp_managed and self.active and self.date_start):
            return False
        next_start = next_start or self._isp_next_start()
        if self.date_end and next_start > self.date_end:
            return False
        if self.isp_billing_type == "postpaid":
            partner = self.commercial_partner_id
            __, cycle_end = billing_periods.cycle_containing(
                next_start,
                self.date_start,
                partner.isp_billing_day,
                self.isp_period_length or 1,
            )
            return cycle_end + billing_periods.ONE_DAY
        return next_start
