# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The few RADIUS packets Odoo sends itself: Disconnect-Request and
CoA-Request (RFC 5176), encoded and checked by hand (RFC 2865 framing), over UDP."""

import hashlib
import ipaddress
import secrets
import socket
import struct

DISCONNECT_REQUEST = 40
DISCONNECT_ACK = 41
DISCONNECT_NAK = 42
COA_REQUEST = 43
COA_ACK = 44
COA_NAK = 45

USER_NAME = 1
NAS_IP_ADDRESS = 4
FRAMED_IP_ADDRESS = 8
ACCT_SESSION_ID = 44
VENDOR_SPECIFIC = 26
ERROR_CAUSE = 101

MIKROTIK = 14988

# The reply attributes a CoA-Request can carry, by the name FreeRADIUS gives
# them (its dictionary files): name → (vendor or None, type, data type).
REPLY_DICTIONARY = {
    "Framed-IP-Address": (None, 8, "ipaddr"),
    "Framed-IP-Netmask": (None, 9, "ipaddr"),
    "Filter-Id": (None, 11, "string"),
    "Framed-MTU": (None, 12, "integer"),
    "Reply-Message": (None, 18, "string"),
    "Class": (None, 25, "string"),
    "Session-Timeout": (None, 27, "integer"),
    "Idle-Timeout": (None, 28, "integer"),
    "Acct-Interim-Interval": (None, 85, "integer"),
    "Framed-Pool": (None, 88, "string"),
    "Mikrotik-Recv-Limit": (MIKROTIK, 1, "integer"),
    "Mikrotik-Xmit-Limit": (MIKROTIK, 2, "integer"),
    "Mikrotik-Group": (MIKROTIK, 3, "string"),
    "Mikrotik-Rate-Limit": (MIKROTIK, 8, "string"),
    "Mikrotik-Address-List": (MIKROTIK, 19, "string"),
}

HEADER = struct.Struct("!BBH16s")


class RadiusError(Exception):
    """The NAS did not answer, or answered something we cannot trust."""


def _attribute(kind, value):
    if kind in (NAS_IP_ADDRESS, FRAMED_IP_ADDRESS):
        data = ipaddress.IPv4Address(value).packed
    else:
        data = value.encode()
    if len(data) > 253:
        raise ValueError(f"RADIUS attribute {kind} too long")
    return struct.pack("!BB", kind, len(data) + 2) + data


def _encode_value(data_type, value):
    if data_type == "integer":
        try:
            return struct.pack("!I", int(value))
        except struct.error as error:
            raise ValueError(str(error)) from None
    if data_type == "ipaddr":
        return ipaddress.IPv4Address(value).packed
    return str(value).encode()


def encode_reply(reply):
    """rlm_rest's reply JSON (``{"reply:Name": value or {"value": value}}``, as
    ``isp.network.profile._reply_attributes`` builds it) → attribute bytes.
    Raises KeyError naming an attribute this module cannot encode, ValueError
    for a value that does not fit its attribute."""
    encoded = []
    for key, value in reply.items():
        name = key.removeprefix("reply:")
        vendor, kind, data_type = REPLY_DICTIONARY[name]
        if isinstance(value, dict):
            value = value["value"]
        data = _encode_value(data_type, value)
        if vendor:
            data = struct.pack("!IBB", vendor, kind, len(data) + 2) + data
            kind = VENDOR_SPECIFIC
        if len(data) > 253:
            raise ValueError(f"RADIUS attribute {name} too long")
        encoded.append(struct.pack("!BB", kind, len(data) + 2) + data)
    return b"".join(encoded)


def can_encode(reply):
    """Whether every attribute of ``reply`` fits in a CoA-Request."""
    try:
        encode_reply(reply)
    except (KeyError, ValueError):
        return False
    return True


def encode_attributes(attributes):
    """``[(type, value)]`` → bytes; empty values are left out."""
    return b"".join(_attribute(kind, value) for kind, value in attributes if value)


def decode_attributes(data):
    attributes, offset = [], 0
    while offset + 2 <= len(data):
        kind, length = data[offset], data[offset + 1]
        if length < 2 or offset + length > len(data):
            raise RadiusError("malformed attribute")
        attributes.append((kind, data[offset + 2 : offset + length]))
        offset += length
    return attributes


def request_packet(code, identifier, attributes, secret, extra=b""):
    """A CoA/Disconnect request: its authenticator is MD5 over the packet with
    a zero authenticator, followed by the shared secret (RFC 5176 §3.5).
    ``extra``: attributes already encoded (``encode_reply``)."""
    body = encode_attributes(attributes) + extra
    length = HEADER.size + len(body)
    zero = HEADER.pack(code, identifier, length, bytes(16))
    authenticator = hashlib.md5(zero + body + secret.encode()).digest()
    return HEADER.pack(code, identifier, length, authenticator) + body


def check_reply(reply, request, secret):
    """``(code, attributes)`` of a reply that matches ``request`` and is signed
    with ``secret``; RadiusError otherwise."""
    if len(reply) < HEADER.size:
        raise RadiusError("reply too short")
    code, identifier, length, authenticator = HEADER.unpack_from(reply)
    if identifier != request[1] or length > len(reply):
        raise RadiusError("reply does not match the request")
    expected = hashlib.md5(
        reply[:4] + request[4:20] + reply[HEADER.size : length] + secret.encode()
    ).digest()
    if not secrets.compare_digest(expected, authenticator):
        raise RadiusError("reply authenticator is wrong (shared secret?)")
    return code, decode_attributes(reply[HEADER.size : length])


def error_cause(attributes):
    """The Error-Cause number of a NAK's decoded attributes, or None."""
    for kind, data in attributes:
        if kind == ERROR_CAUSE and len(data) == 4:
            return struct.unpack("!I", data)[0]
    return None


def send(host, port, packet, secret, timeout=2.0, tries=2):
    """Send ``packet`` and wait for its reply; retransmits once on timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        for __ in range(tries):
            sock.sendto(packet, (host, port))
            try:
                reply, __ = sock.recvfrom(4096)
            except TimeoutError:
                continue
            return check_reply(reply, packet, secret)
    raise RadiusError(f"no answer from {host}:{port}")
