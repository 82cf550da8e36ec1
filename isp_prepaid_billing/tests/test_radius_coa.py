# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""A plan change reaches the subscriber's open session at once: a CoA-Request
with the new plan's attributes where the router supports CoA (RFC 5176), a
Disconnect-Request otherwise or when the router refuses the CoA."""

import subprocess

from odoo.tests import tagged

from ..tools import radius_packet
from .freeradius import free_port
from .test_radius import NAS_SECRET, REAL_SEND, DisconnectPeer, RadiusCase

MIKROTIK = 14988


def vendor_attributes(packet):
    """``{(vendor, type): value}`` of the Vendor-Specific attributes of a
    received packet (RFC 2865 §5.26: vendor id, vendor type, length, value)."""
    found = {}
    for kind, data in packet["pairs"]:
        if kind == 26:
            vendor, vendor_type, length = (
                int.from_bytes(data[:4]),
                data[4],
                data[5],
            )
            found[(vendor, vendor_type)] = data[6 : 4 + length]
    return found


@tagged("post_install", "-at_install")
class TestRadiusPlanChange(RadiusCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile_300 = cls.env["isp.network.profile"].create(
            {
                "name": "Fibre 300",
                "company_id": cls.company.id,
                "rate_limit": "60M/300M",
                "ip_pool": "fibre300",
                "session_timeout": 3600,
                "address_list": "fibre300",
                "extra_attributes": "Acct-Interim-Interval = 600",
            }
        )
        cls.plan_300 = cls.env["product.product"].create(
            {"name": "Fibre 300 Mbit/s", "type": "service"}
        )
        cls.plan_300.product_tmpl_id.with_company(
            cls.company
        ).isp_network_profile_id = cls.profile_300
        cls.Requests = cls.env["isp.radius.disconnect"]

    def peer(self):
        peer = DisconnectPeer(NAS_SECRET)
        self.addCleanup(peer.stop)
        self.nas.coa_port = peer.port
        return peer

    def change_plan(self, customer, product=None):
        """What the plan change does to the service: a new product."""
        line = customer.isp_contract_ids.contract_line_ids
        line.product_id = product or self.plan_300
        return line

    def commit(self):
        """What the commit of the queued requests does."""
        self.env.flush_all()
        self.env.cr.postcommit.run()
        self.env.invalidate_all()

    def test_the_new_plan_reaches_the_open_session_by_coa(self):
        peer = self.peer()
        self.nas.supports_coa = True
        customer = self.subscriber("up1")
        self.open_session(customer, "up1", "10.70.0.5")
        line = self.change_plan(customer)

        request = self.Requests._isp_queue_plan_change(line, "Plan change")

        self.assertEqual(request.kind, "coa")
        self.assertEqual(request.profile_id, self.profile_300)
        self.assertEqual(request.state, "pending", "sent once the change is committed")
        self.assertFalse(peer.received)
        self.commit()
        self.assertEqual(request.state, "done", request.last_error)
        self.assertEqual(request.attempts, 1)
        self.assertEqual(len(peer.received), 1, "one CoA, no disconnect")
        packet = peer.received[0]
        self.assertEqual(packet["code"], radius_packet.COA_REQUEST)
        self.assertTrue(packet["valid"], "signed with the NAS secret")
        attributes = packet["attributes"]
        self.assertEqual(attributes[radius_packet.USER_NAME], b"up1")
        self.assertEqual(attributes[radius_packet.ACCT_SESSION_ID], b"S-up1")
        self.assertEqual(
            attributes[radius_packet.FRAMED_IP_ADDRESS], bytes([10, 70, 0, 5])
        )
        # The new plan's reply, as authorize would answer it.
        self.assertEqual(
            vendor_attributes(packet),
            {(MIKROTIK, 8): b"60M/300M", (MIKROTIK, 19): b"fibre300"},
        )
        self.assertEqual(attributes[88], b"fibre300")  # Framed-Pool
        self.assertEqual(int.from_bytes(attributes[27]), 3600)  # Session-Timeout
        self.assertEqual(int.from_bytes(attributes[85]), 600)  # Acct-Interim-Interval

    def test_the_coa_reads_as_freeradius_writes_it(self):
        """radclient, FreeRADIUS's client, encodes the same request the same
        way: what a router decodes from Odoo's CoA is the new plan."""
        peer = self.peer()
        self.nas.supports_coa = True
        customer = self.subscriber("enc1")
        self.open_session(customer, "enc1", "10.70.0.12")
        self.Requests._isp_queue_plan_change(self.change_plan(customer), "Plan")
        self.commit()
        attributes = {
            "User-Name": "enc1",
            "Acct-Session-Id": "S-enc1",
            "Framed-IP-Address": "10.70.0.12",
        }
        for name, value in self.profile_300._reply_attributes().items():
            value = value["value"] if isinstance(value, dict) else value
            attributes[name.removeprefix("reply:")] = value
        subprocess.run(
            ["radclient", "-r", "1", "-t", "2", f"127.0.0.1:{peer.port}", "coa"]
            + [NAS_SECRET],
            input="".join(
                f'{name} = "{value}"\n' for name, value in attributes.items()
            ),
            text=True,
            capture_output=True,
            timeout=10,
            check=True,
        )
        ours, theirs = peer.received
        self.assertEqual(theirs["code"], ours["code"])
        self.assertEqual(sorted(ours["pairs"]), sorted(theirs["pairs"]))

    def test_a_refused_coa_falls_back_to_a_disconnect(self):
        peer = self.peer()
        peer.answers[radius_packet.COA_REQUEST] = (
            radius_packet.COA_NAK,
            bytes([radius_packet.ERROR_CAUSE, 6])
            + (405).to_bytes(4),  # Unsupported Service
        )
        self.nas.supports_coa = True
        customer = self.subscriber("nak1")
        self.open_session(customer, "nak1", "10.70.0.6")
        coa = self.Requests._isp_queue_plan_change(
            self.change_plan(customer), "Plan change"
        )
        self.commit()

        self.assertEqual(coa.state, "nak")
        self.assertIn("405", coa.last_error)
        fallback = self.Requests.search([("fallback_of_id", "=", coa.id)])
        self.assertEqual(fallback.kind, "disconnect")
        self.assertEqual(fallback.state, "done", fallback.last_error)
        self.assertEqual(fallback.partner_id, customer)
        self.assertEqual(
            [packet["code"] for packet in peer.received],
            [radius_packet.COA_REQUEST, radius_packet.DISCONNECT_REQUEST],
        )
        disconnect = peer.received[1]
        self.assertEqual(disconnect["attributes"][radius_packet.USER_NAME], b"nak1")
        self.assertEqual(
            disconnect["attributes"][radius_packet.ACCT_SESSION_ID], b"S-nak1"
        )
        self.assertFalse(vendor_attributes(disconnect), "no plan in a disconnect")

    def test_a_router_without_coa_disconnects_the_session(self):
        peer = self.peer()
        self.assertFalse(self.nas.supports_coa, "the default: disconnect only")
        customer = self.subscriber("old1")
        self.open_session(customer, "old1", "10.70.0.7")
        request = self.Requests._isp_queue_plan_change(
            self.change_plan(customer), "Plan change"
        )
        self.commit()
        self.assertEqual(request.kind, "disconnect")
        self.assertEqual(request.state, "done", request.last_error)
        self.assertEqual(
            [packet["code"] for packet in peer.received],
            [radius_packet.DISCONNECT_REQUEST],
        )

    def test_a_plan_a_coa_cannot_carry_disconnects_the_session(self):
        peer = self.peer()
        self.nas.supports_coa = True
        odd = self.env["isp.network.profile"].create(
            {
                "name": "Odd",
                "company_id": self.company.id,
                "rate_limit": "60M/300M",
                "extra_attributes": "Cisco-AVPair = ip:addr-pool=x",
            }
        )
        odd_plan = self.env["product.product"].create(
            {"name": "Odd plan", "type": "service"}
        )
        odd_plan.product_tmpl_id.with_company(self.company).isp_network_profile_id = odd
        customer = self.subscriber("odd1")
        self.open_session(customer, "odd1", "10.70.0.8")
        request = self.Requests._isp_queue_plan_change(
            self.change_plan(customer, odd_plan), "Plan change"
        )
        self.commit()
        self.assertEqual(request.profile_id, odd)
        self.assertEqual(request.kind, "disconnect")
        self.assertEqual(
            [packet["code"] for packet in peer.received],
            [radius_packet.DISCONNECT_REQUEST],
        )

    def test_nothing_is_sent_without_an_open_session_in_service(self):
        peer = self.peer()
        self.nas.supports_coa = True
        offline = self.subscriber("off1")
        gone = self.subscriber("gone2")
        session = self.open_session(gone, "gone2", "10.70.0.9")
        self.env["isp.radius.session"]._isp_record(
            self.company,
            {"unique_id": "u-gone2", "username": "gone2"},
            "stop",
        )
        session.invalidate_recordset()
        self.assertEqual(session.state, "closed")
        # Blocked: the suspended treatment does not depend on the plan; the new
        # plan applies when a payment reactivates and disconnects them.
        blocked = self.subscriber("bl2", "blocked")
        self.open_session(blocked, "bl2", "10.70.0.10")
        lines = (
            self.change_plan(offline)
            | self.change_plan(gone)
            | self.change_plan(blocked)
        )

        requests = self.Requests._isp_queue_plan_change(lines, "Plan change")

        self.assertFalse(requests)
        self.commit()
        self.assertFalse(
            self.Requests.search([("partner_id", "in", (offline | gone | blocked).ids)])
        )
        self.assertFalse(peer.received)

    def test_the_cron_resends_a_failed_coa_once(self):
        self.nas.supports_coa = True
        self.nas.coa_port = free_port()  # the router is not answering yet
        self.patch(radius_packet, "send", self._send_fast)
        customer = self.subscriber("retry1")
        self.open_session(customer, "retry1", "10.70.0.11")
        request = self.Requests._isp_queue_plan_change(
            self.change_plan(customer), "Plan change"
        )
        self.commit()
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.attempts, 1)
        self.assertTrue(request.last_error)

        peer = self.peer()  # the router is back
        Requests = self.Requests.sudo()  # the cron runs as the superuser
        Requests._cron_isp_disconnect()
        Requests._cron_isp_disconnect()

        self.assertEqual(request.state, "done", request.last_error)
        self.assertEqual(request.attempts, 2)
        self.assertEqual(len(peer.received), 1, "one packet for one queued change")
        self.assertEqual(peer.received[0]["code"], radius_packet.COA_REQUEST)

    @staticmethod
    def _send_fast(host, port, packet, secret, timeout=2.0, tries=2):
        # The real UDP exchange, with a short wait so the test stays quick.
        return REAL_SEND(host, port, packet, secret, timeout=0.05, tries=1)

    def test_a_plan_change_applied_by_staff_reaches_the_open_session(self):
        peer = self.peer()
        self.nas.supports_coa = True
        customer = self.subscriber("staff1")
        self.open_session(customer, "staff1", "10.70.0.30")
        change = self.env["isp.service.change"].create(
            {
                "contract_id": customer.isp_contract_ids.id,
                "kind": "plan",
                "date": self.today,
                "product_id": self.plan_300.id,
            }
        )

        change.action_apply()
        self.env.flush_all()
        request = self.Requests.search([("partner_id", "=", customer.id)])
        self.assertEqual(request.kind, "coa")
        self.assertEqual(request.profile_id, self.profile_300)
        self.assertFalse(change.network_date, "the network was told on the day")
        self.commit()
        self.assertEqual(request.state, "done", request.last_error)
        self.assertEqual(peer.received[0]["code"], radius_packet.COA_REQUEST)
