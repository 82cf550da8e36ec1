# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""One-time charges: installation, equipment, late and reconnection fees.

Like Splynx's transactions "To Invoice": a charge either waits for the
customer's next billing-day invoice (``to_invoice``) or is charged at once
against the balance (``from_balance``). Only the billing engine turns them
into accounting documents; this model keeps what is owed and where it went.
"""

import logging

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.staff import check_staff

_logger = logging.getLogger(__name__)

MODES = [
    ("to_invoice", "To Invoice"),
    ("from_balance", "From Balance"),
]
STATES = [
    ("pending", "Pending"),
    ("done", "Billed"),
    ("cancelled", "Cancelled"),
]
ORIGINS = [
    ("staff", "Staff"),
    ("late_fee", "Late Fee"),
    ("reconnection", "Reconnection Fee"),
]
# What a billed or cancelled charge keeps as it was.
FROZEN_FIELDS = {
    "partner_id",
    "company_id",
    "product_id",
    "description",
    "amount",
    "date",
    "mode",
    "move_id",
    "origin",
    "overdue_move_id",
}


class IspOneTimeCharge(models.Model):
    _name = "isp.one.time.charge"
    _description = "ISP one-time charge"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _rec_name = "description"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        tracking=True,
        domain="[('isp_billing_enabled', '=', True)]",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    product_id = fields.Many2one(
        "product.product",
        string="Product",
        required=True,
        check_company=True,
        ondelete="restrict",
        help="Installation, equipment, late fee, reconnection fee...: its taxes "
        "and income account apply.",
    )
    description = fields.Char(required=True, tracking=True)
    amount = fields.Monetary(
        string="Amount (excl. taxes)",
        required=True,
        currency_field="currency_id",
        tracking=True,
    )
    amount_total = fields.Monetary(
        string="Amount (incl. taxes)",
        compute="_compute_amount_total",
        currency_field="currency_id",
    )
    date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        help="A charge to invoice goes on the first billing-day invoice from this day.",
    )
    mode = fields.Selection(
        MODES,
        required=True,
        default="to_invoice",
        tracking=True,
        help="To Invoice: added to the customer's next billing-day invoice (or "
        "invoiced at once with Force Invoice One-time Charges). From Balance: "
        "charged at once against the customer's balance.",
    )
    state = fields.Selection(
        STATES,
        required=True,
        default="pending",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    move_id = fields.Many2one(
        "account.move",
        string="Billed On",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        check_company=True,
    )
    origin = fields.Selection(
        ORIGINS, required=True, default="staff", readonly=True, copy=False
    )
    overdue_move_id = fields.Many2one(
        "account.move",
        string="Overdue Invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        help="The overdue invoice this late fee is for.",
    )

    _sql_constraints = [
        (
            "amount_positive",
            "CHECK(amount > 0)",
            "The amount of a one-time charge must be positive.",
        ),
        (
            "late_fee_once",
            "unique(origin, overdue_move_id)",
            "This overdue invoice already has its late fee.",
        ),
    ]

    # === COMPUTE METHODS === #

    @api.depends("amount", "product_id", "partner_id")
    def _compute_amount_total(self):
        Engine = self.env["isp.billing.engine"]
        tax_cache = {}
        for charge in self:
            if not charge.partner_id or not charge.product_id:
                charge.amount_total = charge.amount
                continue
            charge.amount_total = Engine._amount_with_taxes(
                charge, charge.amount, charge.partner_id, tax_cache
            )

    # === CONSTRAINT METHODS === #

    @api.constrains("amount")
    def _check_amount(self):
        for charge in self:
            charge._isp_check_amount(charge.amount, charge.currency_id)

    @api.model
    def _isp_check_amount(self, amount, currency):
        if currency.compare_amounts(amount or 0.0, 0.0) <= 0:
            raise ValidationError(
                self.env._(
                    "The amount of a one-time charge must be positive, not %(amount)s.",
                    amount=currency.format(amount or 0.0),
                )
            )

    @api.constrains("partner_id", "company_id")
    def _check_customer(self):
        for charge in self:
            customer = charge.partner_id
            if not customer.isp_billing_enabled:
                raise ValidationError(
                    self.env._(
                        "%(customer)s has no ISP billing: enable it before adding "
                        "one-time charges.",
                        customer=customer.display_name,
                    )
                )
            if (customer.isp_company_id or charge.company_id) != charge.company_id:
                raise ValidationError(
                    self.env._(
                        "%(customer)s is billed by %(company)s: add the charge there.",
                        customer=customer.display_name,
                        company=customer.isp_company_id.name,
                    )
                )

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        Partner = self.env["res.partner"]
        for vals in vals_list:
            # Before the database's own check, which would only say "constraint".
            self._isp_check_amount(
                vals.get("amount"),
                self.env["res.company"]
                .browse(vals.get("company_id") or self.env.company.id)
                .currency_id,
            )
            # The balance is the commercial customer's: so are its charges.
            if vals.get("partner_id"):
                customer = Partner.browse(vals["partner_id"]).commercial_partner_id
                vals["partner_id"] = customer.id
                if "company_id" not in vals and customer.isp_company_id:
                    vals["company_id"] = customer.isp_company_id.id
        charges = super().create(vals_list)
        charges._isp_bill_due_at_once()
        return charges

    def write(self, vals):
        if FROZEN_FIELDS & set(vals) and any(c.state != "pending" for c in self):
            raise UserError(
                self.env._(
                    "A billed or cancelled one-time charge cannot be changed: cancel "
                    "its invoice with a credit note and add a new charge instead."
                )
            )
        res = super().write(vals)
        if vals.get("mode") == "from_balance":
            self._isp_bill_due_at_once()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_only_pending(self):
        if any(charge.state == "done" for charge in self):
            raise UserError(
                self.env._("A billed one-time charge cannot be deleted.")
            )

    # === ACTIONS === #

    def action_invoice_now(self):
        """Invoice pending charges at once instead of on the next billing day."""
        check_staff(self.env)
        self.check_access("write")
        pending = self.filtered(lambda c: c.state == "pending")
        if pending:
            self.env["isp.billing.engine"]._apply_one_time(
                pending, fields.Date.context_today(self)
            )
        return True

    def action_cancel(self):
        check_staff(self.env)
        if any(charge.state == "done" for charge in self):
            raise UserError(
                self.env._(
                    "A billed one-time charge cannot be cancelled: issue a credit "
                    "note for its invoice."
                )
            )
        self.filtered(lambda c: c.state == "pending").state = "cancelled"
        return True

    # === BUSINESS METHODS === #

    def _isp_bill_due_at_once(self):
        """From-balance charges, and to-invoice charges when the company forces
        invoicing, are billed the moment they are added."""
        now = self.filtered(
            lambda c: (
                c.state == "pending"
                and (
                    c.mode == "from_balance"
                    or c.company_id.isp_force_invoice_one_time
                )
            )
        )
        if now:
            self.env["isp.billing.engine"]._apply_one_time(
                now, fields.Date.context_today(self)
            )

    @api.model
    def _isp_add_fee(self, customer, origin, product, amount, date, **values):
        """Add a late or reconnection fee of ``amount`` to ``customer``. Returns
        the charge, or nothing when this fee exists already (a rerun, or another
        transaction that added it first)."""
        description = values.pop("description", None) or product.display_name
        try:
            with self.env.cr.savepoint():
                return self.create(
                    {
                        "partner_id": customer.id,
                        "company_id": (customer.isp_company_id or self.env.company).id,
                        "product_id": product.id,
                        "description": description,
                        "amount": amount,
                        "date": date,
                        "origin": origin,
                        **values,
                    }
                )
        except pg_errors.UniqueViolation:
            _logger.info("%s fee of %s exists already", origin, customer.display_name)
            return self.browse()
