# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import ipaddress

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import radius_sql


class IspRadiusSession(models.Model):
    """A subscriber's connection, from the router's accounting records."""

    _name = "isp.radius.session"
    _description = "Network session"
    _order = "start_time desc, id desc"
    _rec_name = "username"

    unique_id = fields.Char(required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    contract_line_id = fields.Many2one(
        "contract.line", string="Service", readonly=True, index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, index=True
    )
    username = fields.Char(readonly=True)
    session_id = fields.Char(string="Acct-Session-Id", readonly=True)
    nas_ip = fields.Char(string="NAS", readonly=True)
    framed_ip = fields.Char(string="IP Address", readonly=True, index=True)
    start_time = fields.Datetime(readonly=True)
    last_update = fields.Datetime(readonly=True)
    stop_time = fields.Datetime(readonly=True)
    session_time = fields.Integer(string="Duration (s)", readonly=True)
    input_bytes = fields.Float(string="Upload (bytes)", readonly=True, digits=(20, 0))
    output_bytes = fields.Float(
        string="Download (bytes)", readonly=True, digits=(20, 0)
    )
    terminate_cause = fields.Char(readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")],
        default="open",
        readonly=True,
        index=True,
    )

    _sql_constraints = [
        (
            "unique_id_unique",
            "unique(company_id, unique_id)",
            "A session is recorded once.",
        )
    ]

    @api.model
    def _isp_record(self, company, values, status):
        """Insert or update the session in one statement, so a retransmitted or
        out-of-order record never duplicates it; a Stop closes it for good."""
        now = fields.Datetime.now()
        closing = status == "stop"
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO isp_radius_session (
                    unique_id, company_id, contract_line_id, partner_id, username,
                    session_id, nas_ip, framed_ip, start_time, last_update, stop_time,
                    session_time, input_bytes, output_bytes, terminate_cause, state,
                    create_uid, create_date, write_uid, write_date)
                VALUES (%(unique_id)s, %(company)s, %(line)s, %(partner)s, %(username)s,
                    %(session_id)s, %(nas_ip)s, %(framed_ip)s, %(start)s, %(now)s, %(stop)s,
                    %(session_time)s, %(input)s, %(output)s, %(cause)s, %(state)s,
                    %(uid)s, %(now)s, %(uid)s, %(now)s)
                ON CONFLICT (company_id, unique_id) DO UPDATE SET
                    framed_ip = COALESCE(EXCLUDED.framed_ip, isp_radius_session.framed_ip),
                    last_update = EXCLUDED.last_update,
                    session_time = GREATEST(EXCLUDED.session_time, isp_radius_session.session_time),
                    input_bytes = GREATEST(EXCLUDED.input_bytes, isp_radius_session.input_bytes),
                    output_bytes = GREATEST(EXCLUDED.output_bytes, isp_radius_session.output_bytes),
                    stop_time = COALESCE(isp_radius_session.stop_time, EXCLUDED.stop_time),
                    terminate_cause = COALESCE(
                        isp_radius_session.terminate_cause, EXCLUDED.terminate_cause),
                    state = CASE WHEN isp_radius_session.state = 'closed' THEN 'closed'
                                 ELSE EXCLUDED.state END,
                    write_date = EXCLUDED.write_date
                RETURNING id
                """,
                unique_id=values["unique_id"],
                company=company.id,
                line=values.get("line_id"),
                partner=values.get("partner_id"),
                username=values.get("username"),
                session_id=values.get("session_id"),
                nas_ip=values.get("nas_ip"),
                framed_ip=values.get("framed_ip"),
                start=now,
                now=now,
                stop=now if closing else None,
                session_time=values.get("session_time") or 0,
                input=values.get("input_bytes") or 0,
                output=values.get("output_bytes") or 0,
                cause=values.get("terminate_cause") if closing else None,
                state="closed" if closing else "open",
                uid=self.env.uid,
            )
        )
        return self.browse(self.env.cr.fetchone()[0])

    @api.model
    def _isp_close_nas(self, company, nas_ip):
        """Accounting-On/Off: the router restarted, none of its sessions survive."""
        sessions = self.search(
            [
                ("company_id", "=", company.id),
                ("nas_ip", "=", nas_ip),
                ("state", "=", "open"),
            ]
        )
        sessions.write(
            {
                "state": "closed",
                "stop_time": fields.Datetime.now(),
                "terminate_cause": "NAS-Reboot",
            }
        )
        return sessions

    @api.model
    def _isp_blocked_addresses(self, company):
        """IPv4 addresses of open sessions whose subscriber is blocked or paused."""
        today = fields.Date.context_today(self)
        sessions = self.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "open"),
                ("framed_ip", "!=", False),
                ("partner_id.isp_status", "in", ("blocked", "active")),
            ]
        )
        addresses = set()
        for session in sessions:
            if session.partner_id._isp_service_state(today) not in (
                "blocked",
                "paused",
            ):
                continue
            try:
                addresses.add(str(ipaddress.IPv4Address(session.framed_ip)))
            except ValueError:
                continue
        return sorted(addresses, key=ipaddress.IPv4Address)

    @api.model
    def _isp_open_for_address(self, address):
        """The open session using ``address``, if any (walled garden)."""
        if not address:
            return self.browse()
        return self.search(
            [("framed_ip", "=", address), ("state", "=", "open")], limit=1
        )

    # === FREERADIUS SQL MODE === #

    @api.model
    def _isp_refresh_sql_schema(self):
        """Build the views FreeRADIUS reads and the radacct table it writes
        (tools/radius_sql.py); run on install and update of the module."""
        radius_sql.refresh(self.env)

    @api.model
    def _isp_refresh_sql_messages(self):
        self.env.cr.execute(
            "SELECT to_regclass(%s)", [f"{radius_sql.SCHEMA}.isp_message"]
        )
        if self.env.cr.fetchone()[0]:
            radius_sql.refresh_messages(self.env)
