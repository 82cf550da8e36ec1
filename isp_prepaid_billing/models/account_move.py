# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from psycopg2 import errors as pg_errors

from odoo import fields, models
from odoo.tools import SQL

from ..tools import number_formats

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
    isp_may_block = fields.Boolean(
        compute="_compute_isp_may_block",
        help="Leaving this invoice unpaid can block the customer's service; "
        "reminders only warn of a block when it can happen.",
    )
    isp_charge_ids = fields.One2many("isp.charge", "move_id", string="Charged Periods")
    isp_proforma_ids = fields.One2many(
        "isp.proforma", "invoice_id", string="Proforma Invoices", readonly=True
    )

    def _compute_isp_may_block(self):
        for move in self:
            customer = move.commercial_partner_id
            move.isp_may_block = bool(
                move.isp_block_date
                and not customer.isp_do_not_block
                and customer.isp_credit_mode != "unlimited"
            )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # Money in (payments, credit notes, refill cards) and documents staff
        # post outside the engine are settled once the transaction ends.
        receivable = posted.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )
        if receivable:
            self.env["isp.settlement"]._queue(
                receivable.partner_id,
                payments=posted.origin_payment_id,
                date=max(posted.mapped("date")),
            )
        return posted

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
        if number_formats.has_random_part(template):
            # A random part makes each number unique on its own: the unique
            # index cannot hold the counter, a counter row does.
            return self.env["isp.number.counter"]._next_number(
                template,
                self.company_id,
                f"journal:{self.journal_id.id}",
                self._isp_number_values(),
            )
        return self._isp_locked_number(template)

    def _isp_locked_number(self, template):
        """The next number of the journal's ISP format, gap-free as Odoo's own
        sequences are: one more than the last number of its counter scope
        (``sequence_prefix``), held by the unique index on posted names. A
        posting in another transaction that took the same number makes this one
        wait for it, then take the next; no row is updated by both, so billing
        jobs running side by side never fail on a serialization error (a
        counter row did: the later of two jobs was rolled back and retried).
        Further numbers of the transaction follow from a cache, as in Odoo."""
        values = self._isp_number_values()
        scope = number_formats.counter_scope(template, values)
        cache = self._get_sequence_cache()
        key = ("isp_number", self.journal_id.id, scope)
        if key in cache:
            cache[key] += 1
            return number_formats.render(template, dict(values, next=cache[key]))
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "SELECT max(sequence_number) FROM account_move "
                "WHERE journal_id = %s AND sequence_prefix = %s",
                self.journal_id.id,
                scope,
            )
        )
        value = self.env.cr.fetchone()[0] or 0
        with self.env.cr.savepoint(flush=False) as savepoint:
            while True:
                value += 1
                number = number_formats.render(template, dict(values, next=value))
                try:
                    self.env.cr.execute(
                        SQL(
                            "UPDATE account_move SET name = %s WHERE id = %s",
                            number,
                            self.id,
                        ),
                        log_exceptions=False,
                    )
                except pg_errors.UniqueViolation:
                    savepoint.rollback()
                    continue
                cache[key] = value
                return number

    def _isp_number_values(self):
        return {
            "date": self.date,
            "partner_id": self.company_id.id,
            "customer_id": self.commercial_partner_id.id,
        }

    def _compute_split_sequence(self):
        # Odoo reads the last digits of a number as its sequence number and the
        # rest as the chain (sequence prefix) that hash-locked journals check for
        # gaps. "{year}{partner_id|2}{next|6}" is all digits: each new year would
        # look like a jump. Our numbers split into the counter they came from
        # ({year} and the text before {next}) and the value {next} took there.
        ours = self.browse()
        for move in self.filtered(lambda m: m.name and m.name != "/"):
            template = move._isp_number_format()
            if not template:
                continue
            values = move._isp_number_values()
            value = number_formats.next_value(template, values, move.name)
            if value is None:
                continue  # numbered before the journal took this format
            move.sequence_prefix = number_formats.counter_scope(template, values)
            move.sequence_number = value
            ours |= move
        return super(AccountMove, self - ours)._compute_split_sequence()

    def _sequence_matches_date(self):
        return bool(self._isp_number_format()) or super()._sequence_matches_date()

    def _must_check_constrains_date_sequence(self):
        # Our numbers take {year}/{month} from the move's own date; Odoo's check
        # would misread other digit groups as dates.
        return super()._must_check_constrains_date_sequence() and not self._isp_number_format()
