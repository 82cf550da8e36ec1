# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import logging
import random

from odoo import _, api, fields, models
from odoo.modules.registry import Registry
from odoo.tools import SQL

from ..tools import radius_packet

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


class IspRadiusDisconnect(models.Model):
    """A request owed to a router for one open session: a Disconnect-Request
    (the subscriber's status changed, the session must end and reconnect under
    the new status) or a CoA-Request (the plan changed, or a throttle period
    before a block began or ended: the router applies the new profile to the
    session). Sent right after the transaction commits; the
    cron retries what failed. A refused CoA falls back to a Disconnect."""

    _name = "isp.radius.disconnect"
    _description = "Router request (Disconnect or CoA)"
    _order = "id desc"

    session_id = fields.Many2one(
        "isp.radius.session", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="session_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="session_id.partner_id", store=True)
    nas_id = fields.Many2one("isp.radius.nas", string="NAS", readonly=True)
    kind = fields.Selection(
        [("disconnect", "Disconnect"), ("coa", "Change of plan (CoA)")],
        default="disconnect",
        required=True,
        readonly=True,
    )
    profile_id = fields.Many2one(
        "isp.network.profile",
        string="New Profile",
        readonly=True,
        help="The network profile a CoA-Request applies to the session.",
    )
    fallback_of_id = fields.Many2one(
        "isp.radius.disconnect",
        string="Instead Of",
        readonly=True,
        ondelete="set null",
        help="The CoA-Request the router refused; this Disconnect replaces it.",
    )
    reason = fields.Char(readonly=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("done", "Done"),
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
        nas_of = self._isp_nas_of(sessions)
        return self._isp_queue(
            [
                {
                    "session_id": session.id,
                    "nas_id": nas_of(session).id,
                    "reason": reason,
                }
                for session in sessions
            ]
        )

    @api.model
    def _isp_queue_plan_change(self, contract_lines, reason):
        """Apply the new plan of ``contract_lines`` (services with a network
        login whose product, hence network profile, changed) to their open
        sessions: a CoA-Request carrying the new profile's reply attributes
        where the router supports CoA, a Disconnect-Request otherwise (the
        subscriber reconnects and authorize answers the new plan). Only
        subscribers in service: a blocked or paused one keeps the suspended
        treatment and gets the new plan when reactivated. Sent once this
        transaction has committed; returns the queued requests, none when no
        session is open."""
        today = fields.Date.context_today(self)
        lines_by_login = {}
        for line in contract_lines.sudo().filtered("isp_radius_username"):
            customer = line.contract_id.partner_id.commercial_partner_id
            status, __ = line._isp_radius_decision(today)
            if status == 200 and customer._isp_service_state(today) == "active":
                lines_by_login[(line.company_id.id, line.isp_radius_username)] = line
        if not lines_by_login:
            return self.browse()
        sessions = (
            self.env["isp.radius.session"]
            .sudo()
            .search(
                [
                    ("company_id", "in", [company for company, __ in lines_by_login]),
                    ("username", "in", [login for __, login in lines_by_login]),
                    ("state", "=", "open"),
                ]
            )
            .filtered(lambda s: (s.company_id.id, s.username) in lines_by_login)
        )
        if not sessions:
            return self.browse()
        nas_of = self._isp_nas_of(sessions)
        values = []
        for session in sessions:
            line = lines_by_login[(session.company_id.id, session.username)]
            profile = (
                line._isp_throttle_profile()
                or line.product_id.product_tmpl_id.with_company(
                    session.company_id
                ).isp_network_profile_id
            )
            nas = nas_of(session)
            coa = (
                nas.supports_coa
                and profile
                and radius_packet.can_encode(profile._reply_attributes())
            )
            values.append(
                {
                    "session_id": session.id,
                    "nas_id": nas.id,
                    "kind": "coa" if coa else "disconnect",
                    "profile_id": profile.id,
                    "reason": reason,
                }
            )
        return self._isp_queue(values)

    @api.model
    def _isp_nas_of(self, sessions):
        """A function giving the router of each of ``sessions`` (maybe none)."""
        nas_by_ip = {
            (nas.company_id.id, nas.ip_address): nas
            for nas in self.env["isp.radius.nas"]
            .sudo()
            .search([("company_id", "in", sessions.company_id.ids)])
        }
        no_nas = self.env["isp.radius.nas"]
        return lambda session: nas_by_ip.get(
            (session.company_id.id, session.nas_ip), no_nas
        )

    @api.model
    def _isp_queue(self, values):
        """Create the requests and send them once this transaction has committed."""
        requests = self.sudo().create(values)
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
            _logger.exception("Sending router requests failed; the cron will retry")

    def _isp_send(self):
        """Send the pending requests; record each outcome. A request the
        after-commit send and the cron reach at once is sent by one of them."""
        if not self:
            return self
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM isp_radius_disconnect WHERE id = ANY(%s) "
                "AND state = 'pending' FOR NO KEY UPDATE SKIP LOCKED",
                self.ids,
            )
        )
        mine = self.browse([row[0] for row in self.env.cr.fetchall()])
        mine.invalidate_recordset()
        for request in mine.filtered(lambda r: r.state == "pending"):
            request._isp_send_one()
        return self

    def _isp_send_one(self):
        """Send this request once and record the outcome: one packet per call.
        A refused CoA (CoA-NAK) queues and sends a Disconnect-Request instead."""
        self.ensure_one()
        nas, session = self.nas_id, self.session_id
        coa = self.kind == "coa"
        values = {"attempts": self.attempts + 1, "sent_on": fields.Datetime.now()}
        if self.env["ir.config_parameter"].sudo().get_param("database.is_neutralized"):
            # A copy of the database (data/neutralize.sql) never reaches a router,
            # even one switched back on there.
            values.update(state="failed", last_error="neutralized database")
            self.write(values)
            return
        if not nas:
            values.update(
                state="failed", last_error=f"no NAS configured for {session.nas_ip}"
            )
            self.write(values)
            return
        try:
            reply = (
                radius_packet.encode_reply(self.profile_id._reply_attributes())
                if coa
                else b""
            )
        except (KeyError, ValueError) as error:
            # The profile changed since it was queued into something a CoA
            # cannot carry: the session reconnects instead.
            values.update(state="failed", last_error=f"cannot be sent as CoA: {error}")
            self.write(values)
            self._isp_fall_back()
            return
        try:
            packet = radius_packet.request_packet(
                radius_packet.COA_REQUEST if coa else radius_packet.DISCONNECT_REQUEST,
                random.randrange(256),
                [
                    (radius_packet.USER_NAME, session.username),
                    (radius_packet.ACCT_SESSION_ID, session.session_id),
                    (radius_packet.FRAMED_IP_ADDRESS, session.framed_ip),
                ],
                nas.secret,
                extra=reply,
            )
            code, attributes = radius_packet.send(
                nas.ip_address, nas.coa_port, packet, nas.secret
            )
        except (OSError, ValueError, radius_packet.RadiusError) as error:
            failed = values["attempts"] >= MAX_ATTEMPTS
            values.update(
                state="failed" if failed else "pending", last_error=str(error)
            )
            code = None
        acknowledged = radius_packet.COA_ACK if coa else radius_packet.DISCONNECT_ACK
        if code == acknowledged:
            values.update(state="done", last_error=False)
        elif code is not None:
            cause = radius_packet.error_cause(attributes)
            values.update(
                state="nak",
                last_error=f"NAS answered code {code}"
                + (f", Error-Cause {cause}" if cause else ""),
            )
        self.write(values)
        _logger.info(
            "%s for session %s to %s: %s",
            "CoA-Request" if coa else "Disconnect-Request",
            session.id,
            nas.name,
            values["state"],
        )
        if coa and code is not None and values["state"] == "nak":
            self._isp_fall_back()

    def _isp_fall_back(self):
        """The router would not apply the new plan: end the session, the
        subscriber reconnects and authorize answers the new plan."""
        self.ensure_one()
        fallback = self.create(
            {
                "session_id": self.session_id.id,
                "nas_id": self.nas_id.id,
                "kind": "disconnect",
                "reason": _("%(reason)s (CoA refused)", reason=self.reason or ""),
                "fallback_of_id": self.id,
            }
        )
        fallback._isp_send_one()
        return fallback

    @api.model
    def _cron_isp_disconnect(self):
        """Retry the requests that could not be sent yet, one packet each."""
        pending = self.search([("state", "=", "pending")], limit=200, order="id")
        for done, request in enumerate(pending, 1):
            request._isp_send_one()
            if self.env.context.get("cron_id"):
                # Under the scheduler only: record what was sent before the next
                # packet, so a crash never sends one twice.
                self.env["ir.cron"]._notify_progress(
                    done=done, remaining=len(pending) - done
                )
                self.env.cr.commit()
        return len(pending)
