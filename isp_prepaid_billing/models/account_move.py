# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import fields, models

REFUND_TYPES = ("out_refund", "in_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    isp_is_billing = fields.Boolean(
        string="ISP Billing Document", readonly=True, copy=False, index=True
    )
    isp_block_date = fields.Date(
        string="Blocking Date",
        readonly=True,
        copy=False,
        help="Day on which the customer is blocked if the balance is then below "
        "the minimum balance.",
    )
    isp_charge_ids = fields.One2many("isp.charge", "move_id", string="Charged Periods")
    isp_proforma_ids = fields.One2many(
        "isp.proforma", "invoice_id", string="Proforma Invoices", readonly=True
    )

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        if self.env.context.get("isp_settling_payment"):
            return res  # the payment reacts itself, as of its own date
        customers = self.filtered("isp_is_billing").partner_id.commercial_partner_id
        customers._isp_reactivate_if_funded(fields.Date.context_today(self))
        return res

    # === NUMBERING: the journal's ISP number format === #

    def _isp_number_format(self):
        self.ensure_one()
        if self.move_type in REFUND_TYPES:
            return False  # credit notes keep the journal's own sequence
        return self.journal_id.isp_number_format

    def _get_next_sequence_format(self):
        template = self._isp_number_format()
        if template:
            # The counter gives the number; skip the search for the last one. The
            # template itself is what a draft shows as its future number.
            return "{isp_number}", {"seq": 0, "isp_number": template}
        return super()._get_next_sequence_format()

    def _locked_increment(self, format_string, format_values):
        template = self._isp_number_format()
        if not template:
            return super()._locked_increment(format_string, format_values)
        return self.env["isp.number.counter"]._next_number(
            template,
            self.company_id,
            f"journal:{self.journal_id.id}",
            {
                "date": self.date,
                "partner_id": self.company_id.id,
                "customer_id": self.commercial_partner_id.id,
            },
        )

    def _sequence_matches_date(self):
        return bool(self._isp_number_format()) or super()._sequence_matches_date()

    def _must_check_constrains_date_sequence(self):
        # Our numbers take {year}/{month} from the move's own date; Odoo's check
        # would misread other digit groups as dates.
        return super()._must_check_constrains_date_sequence() and not self._isp_number_format()
