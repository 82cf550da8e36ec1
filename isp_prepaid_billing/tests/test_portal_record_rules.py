# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import HttpCase, freeze_time, tagged

from .common import IspPortalCase

# What a portal user may read of each model this module adds or extends, as a
# domain on the customer: None means nothing at all (no access right).
PORTAL_READABLE = {
    "res.partner": lambda customer: [("id", "=", customer.id)],
    "contract.contract": lambda customer: [("partner_id", "=", customer.id)],
    "contract.line": lambda customer: [("contract_id.partner_id", "=", customer.id)],
    "contract.modification": lambda customer: [
        ("contract_id.partner_id", "=", customer.id)
    ],
    "isp.charge": lambda customer: [("partner_id", "=", customer.id)],
    "isp.service.change": lambda customer: [("partner_id", "=", customer.id)],
    "isp.proforma": lambda customer: [("partner_id", "=", customer.id)],
    "isp.payment.promise": lambda customer: [("partner_id", "=", customer.id)],
    "isp.proforma.line": lambda customer: [
        ("proforma_id.partner_id", "=", customer.id)
    ],
    "account.move": lambda customer: [
        ("partner_id", "=", customer.id),
        ("move_type", "=", "out_invoice"),
    ],
}
# Models a portal user has no business reading: refused outright.
STAFF_ONLY = {
    "account.payment": lambda customer: [("partner_id", "=", customer.id)],
    "payment.transaction": lambda customer: [("partner_id", "=", customer.id)],
    "isp.billing.run": lambda customer: [("line_ids.partner_id", "=", customer.id)],
    "isp.billing.run.line": lambda customer: [("partner_id", "=", customer.id)],
    "isp.refill.card.batch": lambda customer: [("reseller_id", "=", customer.id)],
    "isp.refill.card": lambda customer: [("batch_id.reseller_id", "=", customer.id)],
    "isp.refill.attempt": lambda customer: [("partner_id", "=", customer.id)],
    "isp.payment.link": lambda customer: [("partner_id", "=", customer.id)],
    "isp.radius.nas": lambda customer: [("name", "=", customer.name)],
    "isp.radius.session": lambda customer: [("partner_id", "=", customer.id)],
    "isp.radius.disconnect": lambda customer: [("partner_id", "=", customer.id)],
    "isp.network.profile": lambda customer: [("name", "=", customer.name)],
    "isp.notification": lambda customer: [("partner_id", "=", customer.id)],
    "isp.number.counter": lambda customer: [],
    "isp.payment.forecast": lambda customer: [("partner_id", "=", customer.id)],
    "isp.statement": lambda customer: [("partner_id", "=", customer.id)],
    "isp.one.time.charge": lambda customer: [("partner_id", "=", customer.id)],
    "isp.status.event": lambda customer: [("partner_id", "=", customer.id)],
    "isp.report.subscription": lambda customer: [("partner_id", "=", customer.id)],
    "isp.report.subscriber": lambda customer: [("partner_id", "=", customer.id)],
    "isp.report.receivable": lambda customer: [("partner_id", "=", customer.id)],
    "isp.report.money": lambda customer: [("partner_id", "=", customer.id)],
}


@freeze_time("2026-03-21")
@tagged("post_install", "-at_install")
class TestPortalRecordRules(IspPortalCase, HttpCase):
    """What another customer's portal user reads through the JSON-RPC API the
    web client uses (``/web/dataset/call_kw``), model by model."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "isp_proforma_enabled": True,
                "isp_proforma_day": 20,
                "isp_proforma_for": "next",
            }
        )
        cls.alice = cls.customer_with_everything("Alice Rules", "10.9.0.1")
        cls.bob = cls.customer_with_everything("Bob Rules", "10.9.0.2")
        cls.make_portal_user(cls.alice, "alice_rules")

    @classmethod
    def customer_with_everything(cls, name, address):
        """A customer with a record in every model of the module."""
        env = cls.env
        customer = cls.make_subscriber(name, billing_type="recurring")
        contract = cls.make_subscription(customer, price=30.0, date_start="2026-03-01")
        slug = name.split()[0].lower()
        contract.contract_line_ids.write(
            {
                "isp_radius_username": f"{slug}-ppp",
                "isp_radius_password": f"{slug}-secret",
            }
        )
        env["isp.billing.engine"]._execute(customer, date(2026, 3, 1))
        payment = env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": 30.0,
                "date": date(2026, 3, 2),
                "journal_id": cls.bank_journal.id,
            }
        )
        payment.action_post()
        env["isp.proforma"]._isp_create_for(customer, date(2026, 3, 20))
        env["isp.service.change"].create(
            {
                "contract_id": contract.id,
                "kind": "pause",
                "date": date(2026, 5, 1),
                "date_to": date(2026, 5, 10),
            }
        )
        env["isp.notification"]._isp_queue(
            "payment", customer, payment, f"rules:{customer.id}"
        )
        run = env["isp.billing.run"].create({"date": date(2026, 3, 21)})
        env["isp.billing.run.line"].create(
            {"run_id": run.id, "partner_id": customer.id, "action": "block"}
        )
        env["isp.refill.card.batch"].sudo().create(
            {
                "name": name,
                "company_id": cls.company.id,
                "currency_id": cls.currency.id,
                "value": 10.0,
                "reseller_id": customer.id,
                "card_ids": [
                    (0, 0, {"number": f"{slug}-1", "code_hash": f"rules-{slug}"})
                ],
            }
        )
        env["isp.refill.card"]._isp_redeem("AAAA-AAAA-AAAA-AAAA", customer, address)
        env["isp.payment.link"].sudo().create(
            {
                "partner_id": customer.id,
                "company_id": cls.company.id,
                "token_hash": f"rules-{slug}",
                "expires_on": "2026-03-21 12:00:00",
                "ip_address": address,
            }
        )
        env["isp.radius.nas"].create(
            {"name": name, "ip_address": address, "secret": "s3cret"}
        )
        session = env["isp.radius.session"]._isp_record(
            cls.company,
            {
                "unique_id": f"rules-{slug}",
                "line_id": contract.contract_line_ids.id,
                "partner_id": customer.id,
                "username": f"{slug}-ppp",
                "framed_ip": address,
            },
            "start",
        )
        env["isp.radius.disconnect"].sudo().create({"session_id": session.id})
        env["isp.network.profile"].create({"name": name, "rate_limit": "10M/10M"})
        env["isp.payment.forecast"]._isp_build(customer, date(2026, 3, 21))
        env["isp.statement"].create(
            {
                "partner_id": customer.id,
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 3, 21),
            }
        )
        env["isp.one.time.charge"].create(
            {
                "partner_id": customer.id,
                "product_id": contract.contract_line_ids.product_id.id,
                "description": "Installation",
                "amount": 25.0,
            }
        )
        customer._isp_set_status("blocked", "rules")
        env["isp.payment.promise"].create(
            {
                "partner_id": customer.id,
                "company_id": cls.company.id,
                "date_from": date(2026, 3, 10),
                "date_to": date(2026, 3, 14),
                "source": "staff",
                "reference": "Balance",
                "state": "broken",
            }
        )
        cls.init_invoice("out_invoice", customer, "2026-03-05", post=True, amounts=[12.0])
        return customer

    def records(self, model, domain):
        return self.env[model].sudo().with_context(active_test=False).search(domain)

    def test_a_portal_user_reads_only_their_own_customers_records(self):
        self.authenticate("alice_rules", "alice_rules")
        for model, domain in PORTAL_READABLE.items():
            with self.subTest(model=model):
                own = self.records(model, domain(self.alice))
                foreign = self.records(model, domain(self.bob))
                self.assertTrue(own and foreign, "the test needs records of both")
                result, error = self.call_kw(
                    model, "search_read", [[]], {"fields": ["display_name"]}
                )
                self.assertFalse(error)
                found = {row["id"] for row in result}
                self.assertFalse(found & set(foreign.ids), "another customer's records")
                self.assertLessEqual(set(own.ids), found, "the customer's own records")
                __, error = self.call_kw(
                    model, "read", [foreign.ids], {"fields": ["display_name"]}
                )
                self.assertEqual(error and error["name"], "odoo.exceptions.AccessError")

    def test_a_portal_user_reads_none_of_the_staff_records(self):
        self.demo_transaction(self.bob, 30.0)
        self.authenticate("alice_rules", "alice_rules")
        for model, domain in STAFF_ONLY.items():
            with self.subTest(model=model):
                self.assertTrue(self.records(model, domain(self.bob)))
                result, error = self.call_kw(
                    model, "search_read", [[]], {"fields": ["display_name"]}
                )
                self.assertFalse(result)
                self.assertEqual(error["name"], "odoo.exceptions.AccessError")

    def test_a_portal_user_reads_none_of_the_staff_ledger_fields(self):
        """The subscriber form's transactions with their running balance are
        staff fields, even on the portal user's own customer."""
        items = self.records(
            "account.move.line",
            [
                ("partner_id", "=", self.alice.id),
                ("account_type", "=", "asset_receivable"),
            ],
        )
        self.assertTrue(items)
        self.authenticate("alice_rules", "alice_rules")
        for model, ids, field in (
            ("res.partner", self.alice.ids, "isp_ledger_line_ids"),
            ("res.partner", self.alice.ids, "isp_move_line_ids"),
            ("res.partner", self.alice.ids, "isp_charge_ids"),
            ("account.move.line", items.ids, "isp_running_balance"),
        ):
            with self.subTest(model=model, field=field):
                __, error = self.call_kw(model, "read", [ids], {"fields": [field]})
                self.assertEqual(error and error["name"], "odoo.exceptions.AccessError")

    def test_network_logins_of_other_customers_stay_hidden(self):
        self.authenticate("alice_rules", "alice_rules")
        result, error = self.call_kw(
            "contract.line",
            "search_read",
            [[]],
            {"fields": ["isp_radius_username", "price_unit", "name"]},
        )
        self.assertFalse(error)
        self.assertEqual([row["isp_radius_username"] for row in result], ["alice-ppp"])
        # Even her own password is staff data (the router reads it, not the portal).
        __, error = self.call_kw(
            "contract.line", "search_read", [[]], {"fields": ["isp_radius_password"]}
        )
        self.assertEqual(error["name"], "odoo.exceptions.AccessError")
        result, __ = self.call_kw(
            "contract.line",
            "search_read",
            [[("isp_radius_username", "=", "bob-ppp")]],
            {"fields": ["id"]},
        )
        self.assertEqual(result, [])

    def test_a_contract_handed_over_to_another_customer_is_theirs_only(self):
        contract = self.records("contract.contract", [("partner_id", "=", self.alice.id)])
        contract.partner_id = self.bob  # Alice stays a follower
        self.assertIn(self.alice, contract.message_partner_ids)
        self.authenticate("alice_rules", "alice_rules")
        for model, ids in (
            ("contract.contract", contract.ids),
            ("contract.line", contract.contract_line_ids.ids),
        ):
            with self.subTest(model=model):
                result, __ = self.call_kw(
                    model, "search_read", [[("id", "in", ids)]], {"fields": ["id"]}
                )
                self.assertEqual(result, [])

    def test_the_portal_still_shows_the_customers_own_services(self):
        self.authenticate("alice_rules", "alice_rules")
        page = self.url_open("/my/isp").text
        self.assertIn("Fibre 100 Mbit/s", page)
        self.assertNotIn("Bob Rules", page)
        page = self.url_open("/my/contracts").text
        self.assertIn("Internet Alice Rules", page)
        self.assertNotIn("Internet Bob Rules", page)
