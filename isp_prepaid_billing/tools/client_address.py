# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The address a web request comes from, when Odoo may run behind proxies.

In proxy mode Odoo takes the client's address from X-Forwarded-For whenever a
request carries X-Forwarded-Host, whoever sends it. Only the proxies set in
the ISP settings are believed; anyone else gets their connection's address."""

import ipaddress

TRUSTED_PROXIES_PARAM = "isp_prepaid_billing.trusted_proxies"


def parse_networks(text):
    """The networks of ``text``: addresses or CIDR ranges separated by commas
    or spaces. Raises ValueError with the first entry that is neither."""
    networks = []
    for entry in (text or "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(entry) from None
    return networks


def _address(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(httprequest, trusted_networks):
    """The client's address of ``httprequest``: the forwarded one when the
    connection comes from one of ``trusted_networks``, else the connection's."""
    original = httprequest.environ.get("werkzeug.proxy_fix.orig", {})
    peer = original.get("REMOTE_ADDR")
    if peer is None:
        # Odoo applied no forwarded header: remote_addr is the connection's.
        return httprequest.remote_addr
    peer_address = _address(peer)
    trusted = peer_address and any(
        peer_address in network for network in trusted_networks
    )
    if trusted and _address(httprequest.remote_addr):
        return httprequest.remote_addr
    return peer
