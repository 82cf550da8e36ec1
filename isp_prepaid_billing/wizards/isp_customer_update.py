# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.isp_billing_settings_mixin import BILLING_TYPES, ISP_SETTING_FIELDS
from ..tools.staff import check_staff

UPDATABLE_FIELDS = ("isp_billing_enabled",) + ISP_SETTING_FIELDS


class IspCustomerUpdate(models.TransientModel):
    """Push the company's current billing settings to existing customers."""

    _name = "isp.customer.update"
    _description = "Update existing ISP customers"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    billing_type = fields.Selection(
        [("all", "All billing types"), *BILLING_TYPES],
        string="Customers with Billing Type",
        required=True,
        default="all",
    )
    field_ids = fields.Many2many(
        "ir.model.fields",
        string="Attributes to Update",
        domain=[("model", "=", "res.partner"), ("name", "in", UPDATABLE_FIELDS)],
        help="Only these attributes are copied from the company settings.",
    )
    billing_enabled = fields.Boolean(
        string="Billing Enabled", help="Value given when 'ISP Billing Enabled' is ticked."
    )
    customer_count = fields.Integer(compute="_compute_customer_count")

    @api.depends("company_id", "billing_type")
    def _compute_customer_count(self):
        for wizard in self:
            wizard.customer_count = self.env["res.partner"].search_count(wizard._customer_domain())

    def _customer_domain(self):
        domain = [
            ("isp_company_id", "=", self.company_id.id),
            ("parent_id", "=", False),
            "|",
            ("isp_billing_enabled", "=", True),
            ("customer_rank", ">", 0),
        ]
        if self.billing_type != "all":
            domain.append(("isp_billing_type", "=", self.billing_type))
        return domain

    def _values_to_push(self):
        values = {}
        for name in self.field_ids.mapped("name"):
            if name == "isp_billing_enabled":
                values[name] = self.billing_enabled
            else:
                value = self.company_id[name]
                values[name] = value.id if isinstance(value, models.BaseModel) else value
        return values

    def action_update(self):
        check_staff(self.env, manager=True)
        self.ensure_one()
        values = self._values_to_push()
        if not values:
            raise UserError(_("Tick at least one attribute to update."))
        customers = self.env["res.partner"].search(self._customer_domain())
        customers.write(values)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("%(count)s customer(s) updated.", count=len(customers)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
