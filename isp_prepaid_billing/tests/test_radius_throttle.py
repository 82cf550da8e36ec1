# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The network during a throttle period before the block: the open session
gets the throttle profile by CoA-Request, authorize (REST and SQL mode)
answers with it, payment brings the plan back, day N+1 blocks."""

from dateutil.relativedelta import relativedelta

from odoo.tests import tagged

from ..tools import radius_packet
from .test_radius import NAS_SECRET, DisconnectPeer, RadiusCase
from .test_radius_coa import MIKROTIK, vendor_attributes
from .test_radius_sql import sql_answer


@tagged("post_install", "-at_install")
class TestRadiusThrottle(RadiusCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slow = cls.env["isp.network.profile"].create(
            {
                "name": "Throttled 1M",
                "company_id": cls.company.id,
                "rate_limit": "512k/1M",
            }
        )
        cls.company.write({"isp_throttle_days": 2, "isp_throttle_profile_id": cls.slow.id})

    def setUp(self):
        super().setUp()
        self.peer = DisconnectPeer(NAS_SECRET)
        self.addCleanup(self.peer.stop)
        self.nas.write({"coa_port": self.peer.port, "supports_coa": True})

    def lapsed_subscriber(self, login):
        """A prepaid subscriber online whose month ended yesterday unpaid."""
        customer = self.make_subscriber(login.title())
        started = self.today - relativedelta(months=1)
        subscription = self.make_subscription(customer, price=30.0, date_start=started)
        subscription.contract_line_ids.write(
            {"isp_radius_username": login, "isp_radius_password": f"pw-{login}"}
        )
        self.pay(customer, 30.0, started)
        self.run_engine(customer, started)
        self.open_session(customer, login, "10.80.0.9")
        return customer

    def commit(self):
        """What the commit of the queued requests does."""
        self.env.flush_all()
        self.env.cr.postcommit.run()
        self.env.invalidate_all()

    def authorize(self, login):
        self.env.flush_all()
        body = {
            name: {"type": "string", "value": [value]}
            for name, value in (("User-Name", login), ("NAS-IP-Address", "127.0.0.1"))
        }
        response = self.post("/isp/radius/authorize", body)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def test_throttled_by_coa_then_blocked_on_day_n_plus_one(self):
        customer = self.lapsed_subscriber("thr1")

        self.run_engine(customer, self.today)

        self.assertStatus(customer, "active")
        self.assertEqual(customer.isp_throttled_since, self.today)
        self.commit()
        self.assertEqual(len(self.peer.received), 1, "one CoA, no disconnect")
        packet = self.peer.received[0]
        self.assertEqual(packet["code"], radius_packet.COA_REQUEST)
        self.assertTrue(packet["valid"], "signed with the NAS secret")
        self.assertEqual(packet["attributes"][radius_packet.USER_NAME], b"thr1")
        self.assertEqual(vendor_attributes(packet), {(MIKROTIK, 8): b"512k/1M"})
        request = self.env["isp.radius.disconnect"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual((request.kind, request.state), ("coa", "done"))
        self.assertEqual(request.profile_id, self.slow)
        # Authorize answers the throttle profile, over REST and in SQL mode.
        reply = self.authorize("thr1")
        self.assertEqual(reply["reply:Mikrotik-Rate-Limit"]["value"], "512k/1M")
        self.assertNotIn("reply:Framed-Pool", reply, "not the plan's pool")
        self.assertNotIn("reply:Reply-Message", reply, "not suspended")
        self.assertEqual(
            sql_answer(self.env.cr, "thr1"),
            ("accept", "pw-thr1", {"Mikrotik-Rate-Limit": "512k/1M"}),
        )

        self.run_engine(customer, self.today + relativedelta(days=1))
        self.assertStatus(customer, "active")
        self.run_engine(customer, self.today + relativedelta(days=2))

        self.assertStatus(customer, "blocked")
        self.assertEqual(customer.isp_status_date, self.today + relativedelta(days=2))
        self.assertIn("Throttled since", customer.isp_status_reason)
        self.assertIn("Insufficient funds", customer.isp_status_reason)
        self.commit()
        self.assertEqual(
            [packet["code"] for packet in self.peer.received],
            [radius_packet.COA_REQUEST, radius_packet.DISCONNECT_REQUEST],
        )
        reply = self.authorize("thr1")
        self.assertEqual(reply["reply:Framed-Pool"]["value"], "suspended")
        self.assertNotIn("reply:Mikrotik-Rate-Limit", reply)

    def test_paying_during_the_throttle_brings_the_plan_back_by_coa(self):
        customer = self.lapsed_subscriber("thr2")
        self.run_engine(customer, self.today)
        self.commit()
        self.assertEqual(len(self.peer.received), 1)

        self.pay(customer, 30.0, self.today + relativedelta(days=1))

        customer.invalidate_recordset()
        self.assertFalse(customer.isp_throttled_since)
        self.assertStatus(customer, "active")
        self.assertEqual(customer.isp_paid_until, self.today + relativedelta(months=1, days=-1))
        self.commit()
        self.assertEqual(len(self.peer.received), 2, "the throttle CoA, the plan's CoA")
        back = self.peer.received[1]
        self.assertEqual(back["code"], radius_packet.COA_REQUEST)
        self.assertEqual(
            vendor_attributes(back), {(MIKROTIK, 8): b"20M/100M"}, "the plan's rate"
        )
        self.assertEqual(back["attributes"][88], b"fibre")  # Framed-Pool
        reply = self.authorize("thr2")
        self.assertEqual(reply["reply:Mikrotik-Rate-Limit"]["value"], "20M/100M")
