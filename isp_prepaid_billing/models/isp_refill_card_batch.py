# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models

from ..tools.staff import check_staff


class IspRefillCardBatch(models.Model):
    _name = "isp.refill.card.batch"
    _description = "Refill card batch"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(string="Series", required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    value = fields.Monetary(required=True, readonly=True)
    expiry_date = fields.Date(string="Valid Until", readonly=True, tracking=True)
    reseller_id = fields.Many2one(
        "res.partner", string="Reseller", help="Who sells the cards of this batch."
    )
    card_ids = fields.One2many(
        "isp.refill.card", "batch_id", string="Cards", readonly=True
    )
    card_count = fields.Integer(
        string="Number of Cards", compute="_compute_card_counts"
    )
    available_count = fields.Integer(string="Available", compute="_compute_card_counts")
    redeemed_count = fields.Integer(string="Redeemed", compute="_compute_card_counts")
    redeemed_amount = fields.Monetary(compute="_compute_card_counts")

    _sql_constraints = [
        (
            "name_unique",
            "unique(company_id, name)",
            "A card series is used once per company.",
        )
    ]

    @api.depends("card_ids.state")
    def _compute_card_counts(self):
        rows = self.env["isp.refill.card"]._read_group(
            [("batch_id", "in", self.ids)], ["batch_id", "state"], ["__count"]
        )
        counts = {(batch.id, state): count for batch, state, count in rows}
        for batch in self:
            batch.card_count = sum(
                count
                for (batch_id, __), count in counts.items()
                if batch_id == batch.id
            )
            batch.available_count = counts.get((batch.id, "available"), 0)
            batch.redeemed_count = counts.get((batch.id, "redeemed"), 0)
            batch.redeemed_amount = batch.value * batch.redeemed_count

    def action_disable(self):
        """Disable the batch's unused cards (lost, stolen or withdrawn)."""
        check_staff(self.env, manager=True)
        cards = self.card_ids.filtered(lambda card: card.state == "available")
        cards.action_disable()
        for batch in self:
            batch.message_post(body=_("Unused cards disabled."))
        return True

    def action_view_cards(self):
        check_staff(self.env)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_prepaid_billing.action_isp_refill_card"
        )
        action["domain"] = [("batch_id", "=", self.id)]
        action["context"] = {"default_batch_id": self.id}
        return action
