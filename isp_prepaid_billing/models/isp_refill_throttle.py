# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

# Rows unused for this long are forgotten (the counting window is far shorter).
KEEP = timedelta(days=1)


class IspRefillThrottle(models.Model):
    """One row per key the wrong refill codes are counted by (a user, an
    address), and the payment links requested from the suspended page (a
    customer, an address): what makes checking the count and logging an
    attempt (creating a link) one step.

    Each redemption first writes the rows of its keys, in one order. A second
    redemption on a key waits for the first to end; as requests run in
    REPEATABLE READ, it then fails with a serialization error and Odoo replays
    it on a fresh snapshot that holds the first one's attempt. (A lock alone,
    e.g. pg_advisory_xact_lock, would not do: the waiting request would still
    count on the snapshot it took before it waited.)"""

    _name = "isp.refill.throttle"
    _description = "Refill card attempt limiter key"
    _log_access = False

    key = fields.Char(required=True, readonly=True)
    last_attempt = fields.Datetime(required=True, readonly=True)

    _sql_constraints = [
        ("key_unique", "unique(key)", "A limiter key is recorded once."),
    ]

    @api.model
    def _isp_lock(self, keys):
        """Take the rows of ``keys`` until the transaction ends."""
        now = fields.Datetime.now()
        for key in sorted(set(keys)):
            self.env.cr.execute(
                SQL(
                    "INSERT INTO isp_refill_throttle (key, last_attempt) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET last_attempt = EXCLUDED.last_attempt",
                    key,
                    now,
                )
            )

    @api.autovacuum
    def _gc_isp_refill_throttle(self):
        self.env.cr.execute(
            SQL(
                "DELETE FROM isp_refill_throttle WHERE last_attempt < %s",
                fields.Datetime.now() - KEEP,
            )
        )
