# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""A copy of the real database, neutralized by Odoo (``odoo neutralize``, or a
duplicate or restore with neutralization), runs each installed module's
``data/neutralize.sql``. Ours: the copy sends no RADIUS request to a router, no
notification to a subscriber, and serves no payment still at a provider."""

from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged

from .test_radius import NAS_SECRET, DisconnectPeer, RadiusCase

NEUTRALIZED = "neutralized database"


@tagged("post_install", "-at_install")
class TestNeutralizedCopy(RadiusCase):
    def neutralize(self):
        """What Odoo runs on a copy for this module, here in the test's transaction."""
        self.env.flush_all()
        for query in get_neutralization_queries(["isp_prepaid_billing"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.env.registry.clear_cache()  # ir.config_parameter values are cached

    def router(self):
        """The loopback router, answering on a port of this test."""
        peer = DisconnectPeer(NAS_SECRET)
        self.addCleanup(peer.stop)
        self.nas.write({"coa_port": peer.port, "supports_coa": True})
        return peer

    def requests_of(self, customer):
        return self.env["isp.radius.disconnect"].search(
            [("partner_id", "=", customer.id)], order="id"
        )

    def notice_of(self, customer, event):
        return self.env["isp.notification"].search(
            [("partner_id", "=", customer.id), ("event", "=", event)]
        )

    def test_a_neutralized_copy_leaves_routers_subscribers_and_providers_alone(self):
        customer = self.subscriber("nell1")
        self.open_session(customer, "nell1", "10.90.0.5")
        customer._isp_set_status("blocked", "test", self.today)
        request = self.requests_of(customer)
        notice = self.notice_of(customer, "blocked")
        self.assertEqual((request.state, notice.state), ("pending", "pending"))
        waiting = self.start_online_payment(customer, "reactivate")
        self.assertEqual(waiting.state, "draft")

        self.neutralize()

        self.assertFalse(self.nas.active)
        self.assertFalse(self.nas.supports_coa)
        self.assertNotEqual(self.nas.sudo().secret, NAS_SECRET)
        self.assertEqual((request.state, request.last_error), ("failed", NEUTRALIZED))
        self.assertEqual((notice.state, notice.error), ("failed", NEUTRALIZED))
        self.assertFalse(self.company.sudo().isp_radius_api_user)
        self.assertFalse(self.company.sudo().isp_radius_api_key)
        self.assertEqual(waiting.state, "cancel")
        for cron in (
            "ir_cron_isp_disconnect",
            "ir_cron_isp_notify",
            "ir_cron_isp_service_change",
        ):
            self.assertFalse(self.env.ref(f"isp_prepaid_billing.{cron}").active, cron)
        self.assertTrue(
            self.env["ir.config_parameter"].get_param("database.is_neutralized")
        )

    def test_the_crons_send_nothing_even_with_the_router_switched_back_on(self):
        peer = self.router()
        customer = self.subscriber("nell2")
        self.open_session(customer, "nell2", "10.90.0.6")
        # The real database: blocking sends a Disconnect-Request and the e-mail.
        customer._isp_set_status("blocked", "test", self.today)
        self.env.cr.postcommit.run()  # what the commit does
        self.env["isp.notification"]._cron_isp_notify()
        self.env.invalidate_all()
        self.assertEqual(self.requests_of(customer).state, "done")
        self.assertEqual(len(peer.received), 1)
        self.assertEqual(self.notice_of(customer, "blocked").state, "sent")

        self.neutralize()
        # Someone testing on the copy switches the router back on with its real
        # secret and the crons back on; the subscriber pays and a plan is changed.
        self.nas.sudo().write(
            {"active": True, "secret": NAS_SECRET, "supports_coa": True}
        )
        for cron in ("ir_cron_isp_disconnect", "ir_cron_isp_notify"):
            self.env.ref(f"isp_prepaid_billing.{cron}").active = True
        customer._isp_set_status("active", "paid", self.today)
        session = self.env["isp.radius.session"].search([("username", "=", "nell2")])
        self.env["isp.radius.disconnect"]._isp_queue(
            [
                {
                    "session_id": session.id,
                    "nas_id": self.nas.id,
                    "kind": "coa",
                    "profile_id": self.profile.id,
                }
            ]
        )
        self.env.cr.postcommit.run()
        self.env["isp.radius.disconnect"]._cron_isp_disconnect()
        self.env["isp.notification"]._cron_isp_notify()
        self.env.invalidate_all()

        requests = self.requests_of(customer)[1:]
        self.assertEqual(sorted(requests.mapped("kind")), ["coa", "disconnect"])
        self.assertEqual(set(requests.mapped("state")), {"failed"})
        self.assertEqual(set(requests.mapped("last_error")), {NEUTRALIZED})
        self.assertEqual(len(peer.received), 1, "nothing more reached the router")
        reactivated = self.notice_of(customer, "reactivated")
        self.assertEqual(
            (reactivated.state, reactivated.error), ("failed", NEUTRALIZED)
        )
        self.assertFalse(reactivated.message_id)
