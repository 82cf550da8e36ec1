# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""HTTP endpoints for FreeRADIUS' rlm_rest (plain JSON, not JSON-RPC) and for
routers that enforce blocking with address lists."""

import base64
import hashlib
import ipaddress
import json
import logging

from odoo import fields, http
from odoo.http import request
from odoo.tools import consteq

_logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
# Machine-to-machine routes: no session, no CSRF token, credentials per request.
# Each says whether it writes: a read-only route runs on a read-only cursor,
# on the replica when Odoo has one (db_replica_host); a route that writes on a
# read-only cursor fails there and is run again on the primary.
API_ROUTE = {"type": "http", "auth": "none", "csrf": False, "save_session": False}
# Compared against when the API user is unknown, so timing tells nothing.
_DUMMY_KEY = "x" * 32
# A RADIUS attribute holds at most 253 octets.
MAX_TEXT = 253
MAX_UINT32 = 2**32 - 1


def _digest(secret):
    """Fixed-length bytes to compare keys of any length and alphabet."""
    return hashlib.sha256(secret.encode()).digest()


def _text(value):
    """A string PostgreSQL can store, as long as RADIUS allows."""
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError
    if len(value.encode()) > MAX_TEXT:  # a lone surrogate raises ValueError too
        raise ValueError
    return value


def _ipv4(value):
    ipaddress.IPv4Address(_text(value))
    return value


def _integer(maximum):
    def parse(value):
        # bool is an int to Python, not to JSON
        if type(value) is not int or not 0 <= value <= maximum:
            raise ValueError
        return value

    return parse


def _named(value):
    """An integer attribute with named values: rlm_rest sends the name, or
    the number when the dictionary has no name for it."""
    if isinstance(value, str):
        return _text(value)
    return str(_integer(MAX_UINT32)(value))


def _routeros_string(text):
    """``text`` as a quoted RouterOS script string. The setting only allows
    safe names, but one stored before that check must stay data too: quotes,
    backslashes, ``$`` (variables) and ``?`` are escaped, and every byte
    outside printable ASCII is written as ``\\XX``."""
    escaped = []
    for byte in text.encode():
        char = chr(byte)
        if char in '"\\$?':
            escaped.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            escaped.append(char)
        else:
            escaped.append(f"\\{byte:02X}")
    return '"' + "".join(escaped) + '"'


# The attributes the endpoints read and how each is checked. rlm_rest
# (body = 'json') sends every attribute as {"type": ..., "value": [...]}, one
# list element per instance: text as a JSON string, an integer as a JSON
# number (printed with %u, so 0 to 2**32 - 1), a named integer as its name.
ATTRIBUTES = {
    "User-Name": _text,
    "NAS-IP-Address": _ipv4,
    "Framed-IP-Address": _ipv4,
    "Acct-Status-Type": _named,
    "Acct-Session-Id": _text,
    "Acct-Unique-Session-Id": _text,
    "Acct-Terminate-Cause": _named,
    # The session time column is a PostgreSQL integer: up to 68 years.
    "Acct-Session-Time": _integer(2**31 - 1),
    "Acct-Input-Octets": _integer(MAX_UINT32),
    "Acct-Output-Octets": _integer(MAX_UINT32),
    "Acct-Input-Gigawords": _integer(MAX_UINT32),
    "Acct-Output-Gigawords": _integer(MAX_UINT32),
}


class IspRadiusController(http.Controller):
    # === HELPERS === #

    @staticmethod
    def _reply(status, body=None):
        if body is None:
            return request.make_response("", status=status)
        return request.make_json_response(body, status=status)

    @staticmethod
    def _api_company():
        """The company whose RADIUS API credentials the request carries, or None.

        A well-formed user name costs the same whether a company has it or not:
        one query that also reads the key, then one comparison of two digests
        (of the stored key, or of a dummy one)."""
        header = request.httprequest.headers.get("Authorization", "")
        scheme, __, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, __, key = (
                base64.b64decode(encoded, validate=True).decode().partition(":")
            )
        except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8
            return None
        if not user or "\x00" in user:  # PostgreSQL cannot compare a NUL
            return None
        company = (
            request.env["res.company"]
            .sudo()
            .search_fetch(
                [("isp_radius_api_user", "=", user)], ["isp_radius_api_key"], limit=1
            )
        )
        stored = company.isp_radius_api_key
        matches = consteq(_digest(key), _digest(stored or _DUMMY_KEY))
        return company if matches and stored else None

    def _read_request(self):
        """``(company, attributes, error_response)`` of an rlm_rest call."""
        length = request.httprequest.content_length
        if length is None or length > MAX_BODY:
            return (
                None,
                None,
                self._reply(413, {"error": "body too large or without length"}),
            )
        company = self._api_company()
        if not company:
            _logger.warning(
                "RADIUS API: bad credentials from %s", request.httprequest.remote_addr
            )
            return None, None, self._reply(403, {"error": "authentication failed"})
        try:
            data = json.loads(request.httprequest.get_data())
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return company, None, self._reply(400, {"error": "malformed JSON"})
        if not isinstance(data, dict):
            return company, None, self._reply(400, {"error": "malformed JSON"})
        attributes = {}
        for name, parse in ATTRIBUTES.items():
            if name not in data:
                continue
            entry = data[name]
            values = entry.get("value") if isinstance(entry, dict) else None
            try:
                if not isinstance(values, list) or len(values) != 1:
                    raise ValueError
                attributes[name] = parse(values[0])
            except ValueError:
                return (
                    company,
                    None,
                    self._reply(400, {"error": "malformed attribute", "name": name}),
                )
        nas_ip = attributes.get("NAS-IP-Address")
        nas = (
            request.env["isp.radius.nas"]
            .sudo()
            .search(
                [("company_id", "=", company.id), ("ip_address", "=", nas_ip)], limit=1
            )
            if nas_ip
            else None
        )
        if not nas:
            return company, None, self._reply(403, {"error": "unknown NAS"})
        if not attributes.get("User-Name") and not self._is_nas_event(attributes):
            return company, None, self._reply(400, {"error": "User-Name is missing"})
        return company, attributes, None

    @staticmethod
    def _is_nas_event(attributes):
        return attributes.get("Acct-Status-Type") in ("Accounting-On", "Accounting-Off")

    @staticmethod
    def _line(company, username):
        return request.env["contract.line"]._isp_radius_line(company, username)

    # === ENDPOINTS === #

    @http.route("/isp/radius/authorize", methods=["POST"], readonly=True, **API_ROUTE)
    def radius_authorize(self, **kwargs):
        company, attributes, error = self._read_request()
        if error:
            return error
        line = self._line(company, attributes["User-Name"])
        today = fields.Date.context_today(
            line.with_company(company) if line else company
        )
        status, body = line._isp_radius_decision(today)
        return self._reply(status, body)

    @http.route(
        "/isp/radius/accounting", methods=["POST"], readonly=False, **API_ROUTE
    )
    def radius_accounting(self, **kwargs):
        company, attributes, error = self._read_request()
        if error:
            return error
        Session = request.env["isp.radius.session"].sudo()
        status = str(attributes.get("Acct-Status-Type", ""))
        if self._is_nas_event(attributes):
            Session._isp_close_nas(company, attributes["NAS-IP-Address"])
            return self._reply(204)
        kinds = {
            "Start": "start",
            "Interim-Update": "interim",
            "Alive": "interim",
            "Stop": "stop",
        }
        if status not in kinds or not attributes.get("Acct-Session-Id"):
            return self._reply(
                400, {"error": "Acct-Status-Type or Acct-Session-Id missing"}
            )
        line = self._line(company, attributes["User-Name"])
        unique_id = attributes.get("Acct-Unique-Session-Id") or "/".join(
            str(attributes.get(key))
            for key in ("NAS-IP-Address", "User-Name", "Acct-Session-Id")
        )
        Session._isp_record(
            company,
            {
                "unique_id": unique_id,
                "line_id": line.id or None,
                "partner_id": line.contract_id.partner_id.commercial_partner_id.id
                or None,
                "username": attributes["User-Name"],
                "session_id": attributes["Acct-Session-Id"],
                "nas_ip": attributes["NAS-IP-Address"],
                "framed_ip": attributes.get("Framed-IP-Address"),
                "session_time": attributes.get("Acct-Session-Time", 0),
                "input_bytes": self._octets(attributes, "Input"),
                "output_bytes": self._octets(attributes, "Output"),
                "terminate_cause": attributes.get("Acct-Terminate-Cause"),
            },
            kinds[status],
        )
        return self._reply(204)

    @staticmethod
    def _octets(attributes, direction):
        return attributes.get(f"Acct-{direction}-Octets", 0) + (
            attributes.get(f"Acct-{direction}-Gigawords", 0) << 32
        )

    @http.route(
        "/isp/radius/address-list", methods=["GET"], readonly=True, **API_ROUTE
    )
    def radius_address_list(self, format="plain", **kwargs):
        """Addresses of the open sessions of blocked subscribers, as plain lines
        or as a MikroTik script that replaces the list."""
        company = self._api_company()
        if not company:
            return self._reply(403, {"error": "authentication failed"})
        addresses = (
            request.env["isp.radius.session"].sudo()._isp_blocked_addresses(company)
        )
        if format == "mikrotik":
            name = _routeros_string(company.isp_radius_blocked_list or "blocked")
            lines = [f"/ip firewall address-list remove [find list={name}]"]
            lines += [
                f"/ip firewall address-list add list={name} address={ip}"
                for ip in addresses
            ]
        else:
            lines = addresses
        return request.make_response(
            "\n".join(lines) + "\n",
            headers=[("Content-Type", "text/plain; charset=utf-8")],
        )
