# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import logging
import random

from odoo import api, fields, models
from odoo.modules.registry import Registry

from ..tools import radius_packet

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


class IspRadiusDisconnect(models.Model):
    """A Disconnect-Request owed to a router: the subscriber's status changed,
    so the open session must end and reconnect under the new status. Sent right
    after the transaction commits; the cron retries what failed."""

    _name = "isp.radius.disconnect"
    _description = "Disconnect request"
    _order = "id desc"

    session_id = fields.Many2one(
        "isp.radius.session", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="session_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="session_id.partner_id", store=True)
    nas_id = fields.Many2one("isp.radius.nas", string="NAS", readonly=True)
    reason = fields.Char(readonly=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("done", "Disconnected"),
            ("nak", "Refused by NAS"),
            ("failed", "Failed"),
        ],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    last_error = fields.Char(readonly=True)
    sent_on = fields.Datetime(readonly=True)

    @api.model
    def _isp_queue_for(self, partners, reason):
        """Queue a disconnect for every open session of ``partners`` and send
        them once this transaction has committed."""
        sessions = (
            self.env["isp.radius.session"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.commercial_partner_id.ids),
                    ("state", "=", "open"),
                ]
            )
        )
        if not sessions:
            return self.browse()
        nas_by_ip = {
            (nas.company_id.id, nas.ip_address): nas
            for nas in self.env["isp.radius.nas"]
            .sudo()
            .search([("company_id", "in", sessions.company_id.ids)])
        }
        requests = self.sudo().create(
            [
                {
                    "session_id": session.id,
                    "nas_id": nas_by_ip.get(
                        (session.company_id.id, session.nas_ip),
                        self.env["isp.radius.nas"],
                    ).id,
                    "reason": reason,
                }
                for session in sessions
            ]
        )
        ids, dbname = requests.ids, self.env.cr.dbname
        self.env.cr.postcommit.add(lambda: self._isp_send_after_commit(dbname, ids))
        return requests

    @api.model
    def _isp_send_after_commit(self, dbname, ids):
        try:
            with Registry(dbname).cursor() as cr:
                env = api.Environment(cr, self.env.uid, self.env.context)
                env[self._name].sudo().browse(ids).exists()._isp_send()
        except Exception:  # the cron retries; a failure must not break the commit
            _logger.exception("Sending disconnect requests failed; the cron will retry")

    def _isp_send(self):
        """Send the pending requests; record each outcome."""
        for request in self.filtered(lambda r: r.state == "pending"):
            request._isp_send_one()
        return self

    def _isp_send_one(self):
        self.ensure_one()
        nas, session = self.nas_id, self.session_id
        values = {"attempts": self.attempts + 1, "sent_on": fields.Datetime.now()}
        if not nas:
            values.update(
                state="failed", last_error=f"no NAS configured for {session.nas_ip}"
            )
            self.write(values)
            return
        packet = radius_packet.request_packet(
            radius_packet.DISCONNECT_REQUEST,
            random.randrange(256),
            [
                (radius_packet.USER_NAME, session.username),
                (radius_packet.ACCT_SESSION_ID, session.session_id),
                (radius_packet.FRAMED_IP_ADDRESS, session.framed_ip),
            ],
            nas.secret,
        )
        try:
            code, __ = radius_packet.send(
                nas.ip_address, nas.coa_port, packet, nas.secret
            )
        except (OSError, radius_packet.RadiusError) as error:
            failed = values["attempts"] >= MAX_ATTEMPTS
            values.update(
                state="failed" if failed else "pending", last_error=str(error)
            )
        else:
            if code == radius_packet.DISCONNECT_ACK:
                values.update(state="done", last_error=False)
            else:
                values.update(state="nak", last_error=f"NAS answered code {code}")
        self.write(values)
        _logger.info(
            "Disconnect-Request for session %s to %s: %s",
            session.id,
            nas.name,
            values["state"],
        )

    @api.model
    def _cron_isp_disconnect(self):
        """Retry the requests that could not be sent yet."""
        pending = self.search([("state", "=", "pending")], limit=200, order="id")
        for request in pending:
            request._isp_send_one()
            self.env.cr.commit()
        return len(pending)
