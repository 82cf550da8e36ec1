# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""The ISP cockpit: its report models add up to what the ledger and the
subscriptions say, its dashboard reads only fields that exist, and only ISP
staff of the company see it."""

import base64
import json

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, freeze_time, tagged

from ..models.isp_report_subscription import DAYS_PER_MONTH
from .common import IspBillingCase


@tagged("post_install", "-at_install")
@freeze_time("2026-03-20")
class TestCockpit(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.isp_invoice_on_charge = False

    def total(self, model, field, domain):
        [[amount]] = self.env[model]._read_group(domain, aggregates=[f"{field}:sum"])
        return amount

    def ledger_lines(self, customer, **extra):
        domain = [
            ("partner_id", "=", customer.id),
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
        ]
        return self.env["account.move.line"].search(
            domain + [(key, "=", value) for key, value in extra.items()]
        )

    # === MONEY === #

    def test_balances_receivable_and_money_add_up_to_the_ledger(self):
        debtor = self.make_customer_with_history()  # owes 5
        saver = self.make_subscriber("Sam Saver")
        self.make_subscription(saver, price=30.0, date_start="2026-03-01")
        self.pay(saver, 100.0, date="2026-03-01")
        self.run_engine(saver, "2026-03-01")
        self.end_transaction()
        customers = debtor | saver

        # Balances: the same figure the customer's form shows, split into debt and held.
        for customer in customers:
            self.assertMoney(
                self.total("isp.report.subscriber", "balance", [("partner_id", "=", customer.id)]),
                customer.isp_balance,
            )
        scope = [("partner_id", "in", customers.ids)]
        self.assertMoney(self.total("isp.report.subscriber", "debt", scope), 5.0)
        self.assertMoney(self.total("isp.report.subscriber", "held", scope), 70.0)

        # Receivable by age: the open residuals of the receivable lines, aged on today.
        open_lines = self.ledger_lines(debtor, reconciled=False)
        self.assertMoney(
            self.total("isp.report.receivable", "amount_residual", [("partner_id", "=", debtor.id)]),
            sum(open_lines.mapped("amount_residual")),
        )
        self.assertMoney(
            self.total("isp.report.receivable", "amount_residual", [("partner_id", "=", debtor.id)]),
            -debtor.isp_balance,
        )
        router = self.env["account.move"].search(
            [("partner_id", "=", debtor.id), ("amount_total", "=", 40.0)]
        )
        aged = self.env["isp.report.receivable"].search([("move_id", "=", router.id)])
        self.assertEqual(aged.date_maturity, router.invoice_date_due)
        self.assertEqual(aged.age, "not_due", "due on 20 March")
        self.assertMoney(aged.amount_residual, 5.0, "40 less 15 paid and the 20 left on the balance")
        with freeze_time("2026-04-25"):
            aged.invalidate_recordset()
            self.assertEqual(
                self.env["isp.report.receivable"].search([("move_id", "=", router.id)]).age,
                "31_60",
                "36 days late on 25 April",
            )

        # Money by month: charged 30 + 40 + 25, credited 25, collected 50 + 15.
        this_month = [("partner_id", "=", debtor.id), ("period", "=", "current")]
        self.assertMoney(self.total("isp.report.money", "charged", this_month), 95.0)
        self.assertMoney(self.total("isp.report.money", "credited", this_month), 25.0)
        self.assertMoney(self.total("isp.report.money", "collected", this_month), 65.0)
        self.assertMoney(self.total("isp.report.money", "refunded", this_month), 0.0)
        for customer in customers:
            [[charged, credited, collected, refunded]] = self.env["isp.report.money"]._read_group(
                [("partner_id", "=", customer.id)],
                aggregates=["charged:sum", "credited:sum", "collected:sum", "refunded:sum"],
            )
            self.assertMoney(
                charged - credited - collected + refunded,
                sum(self.ledger_lines(customer).mapped("balance")),
            )

    # === SUBSCRIPTIONS === #

    def monthly_value(self, subscription):
        if subscription.isp_period_unit == "day":
            return subscription.isp_period_price * DAYS_PER_MONTH / subscription.isp_period_length
        return subscription.isp_period_price / subscription.isp_period_length

    def test_mrr_new_and_churned_follow_the_subscriptions(self):
        anna = self.make_subscriber("Anna Monthly", billing_type="recurring")
        monthly = self.make_subscription(anna, price=30.0, date_start="2026-01-01")
        monthly.contract_line_ids = [
            Command.create(
                {"product_id": self.plan.id, "name": "Static IP", "quantity": 1,
                 "price_unit": 10.0, "date_start": "2026-01-01"}
            )
        ]
        pass_buyer = self.make_subscriber("Paul Pass")
        weekly = self.make_subscription(
            pass_buyer, price=7.0, date_start="2026-03-05",
            isp_period_unit="day", isp_period_length=7,
        )
        leaver = self.make_subscriber("Lea Leaver", billing_type="recurring")
        self.make_subscription(leaver, price=20.0, date_start="2026-02-01", date_end="2026-03-10")
        customers = anna | pass_buyer | leaver

        def figures(period):
            domain = [("partner_id", "in", customers.ids), ("period", "=", period)]
            [row] = self.env["isp.report.subscription"]._read_group(
                domain,
                aggregates=["mrr:sum", "subscriber_count:sum", "new_count:sum", "churned_count:sum"],
            )
            return row

        mrr, in_service, new, churned = figures("current")
        self.assertMoney(mrr, self.monthly_value(monthly) + self.monthly_value(weekly))
        self.assertMoney(mrr, 40.0 + 7.0 * 365 / 12 / 7)
        self.assertEqual((in_service, new, churned), (2, 1, 1))

        mrr, in_service, new, churned = figures("previous")
        self.assertMoney(mrr, 40.0 + 20.0)
        self.assertEqual((in_service, new, churned), (2, 1, 0))

        # A plan change from 10 March: this month at the new price, February at the old.
        self.env["isp.service.change"].create(
            {"contract_id": monthly.id, "kind": "plan", "date": "2026-03-10",
             "line_id": monthly.contract_line_ids[0].id, "product_id": self.plan.id,
             "price_unit": 50.0}
        ).action_apply()
        self.end_transaction()
        self.assertMoney(figures("current")[0], 60.0 + 7.0 * 365 / 12 / 7)
        self.assertMoney(figures("previous")[0], 60.0)
        self.assertMoney(
            self.monthly_value(monthly.with_context(tz="UTC")),
            60.0,
            "the subscription's own price agrees",
        )

    # === STATUS === #

    def test_blocked_and_reactivated_today_are_counted(self):
        customer = self.make_subscriber("Bob Blocked", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")  # due on 16 March
        self.sweep(customer, "2026-03-20")
        self.assertStatus(customer, "blocked")
        self.pay(customer, 30.0, date="2026-03-20")
        self.assertStatus(customer, "active")
        today = self.env["isp.status.event"].search(
            [("partner_id", "=", customer.id), ("is_today", "=", True)]
        )
        self.assertEqual(
            sorted(today.mapped("status_to")), ["active", "blocked"], "blocked, then paid"
        )
        self.assertEqual(today.filtered("is_reactivation").status_from, "blocked")
        earlier = self.env["isp.status.event"].search(
            [("partner_id", "=", customer.id), ("is_today", "=", False)]
        )
        self.assertEqual(
            [(e.date.isoformat(), e.status_to) for e in earlier],
            [("2026-03-01", "active")],
            "the first invoice activated the service on 1 March",
        )

    # === THE DASHBOARD === #

    def dashboard_data(self):
        dashboard = self.env.ref("isp_prepaid_billing.isp_cockpit_dashboard")
        return json.loads(base64.b64decode(dashboard.spreadsheet_binary_data))

    def test_every_figure_reads_fields_that_exist(self):
        data = self.dashboard_data()
        for pivot in data["pivots"].values():
            Model = self.env[pivot["model"]]
            measures = [
                f"{m['fieldName']}:sum" if m["fieldName"] != "__count" else "__count"
                for m in pivot["measures"]
            ]
            groupby = [r["fieldName"] for r in pivot["rows"] + pivot["columns"]]
            Model._read_group(pivot["domain"], groupby, measures)
        for listing in data["lists"].values():
            self.env[listing["model"]].search_read(listing["domain"], listing["columns"], limit=1)
        charts = [
            figure["data"] for sheet in data["sheets"] for figure in sheet["figures"]
            if figure["data"]["type"].startswith("odoo_")
        ]
        self.assertTrue(charts)
        for chart in charts:
            meta = chart["metaData"]
            self.env[meta["resModel"]]._read_group(
                chart["searchParams"]["domain"], meta["groupBy"], [f"{meta['measure']}:sum"]
            )

    def test_only_isp_staff_of_the_company_see_the_cockpit(self):
        customer = self.make_subscriber("Carla Company A")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        employee = self.make_user("plain_employee", "base.group_user")
        dashboards = self.env["spreadsheet.dashboard"].with_user(employee).search([])
        self.assertNotIn(self.env.ref("isp_prepaid_billing.isp_cockpit_dashboard"), dashboards)
        for model in (
            "isp.report.subscription", "isp.report.subscriber", "isp.report.receivable",
            "isp.report.money", "isp.status.event",
        ):
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                self.env[model].with_user(employee).search_count([])

        clerk = self.make_user("cockpit_clerk", "isp_prepaid_billing.isp_prepaid_billing_group_user")
        self.assertIn(
            self.env.ref("isp_prepaid_billing.isp_cockpit_dashboard"),
            self.env["spreadsheet.dashboard"].with_user(clerk).search([]),
        )
        self.assertEqual(
            self.env["isp.report.subscriber"].with_user(clerk).search(
                [("partner_id", "=", customer.id)]
            ).partner_id,
            customer,
        )
        other = self.make_user(
            "other_company_clerk",
            "isp_prepaid_billing.isp_prepaid_billing_group_user",
            company=self.setup_other_company(name="Other ISP")["company"],
        )
        for model in ("isp.report.subscription", "isp.report.subscriber"):
            self.assertFalse(
                self.env[model].with_user(other).search([("partner_id", "=", customer.id)]),
                f"{model}: another company's subscriber is not shown",
            )


@tagged("post_install", "-at_install")
class TestCockpitTour(IspBillingCase, HttpCase):
    def test_staff_land_on_the_cockpit_from_the_isp_menu(self):
        customer = self.make_subscriber("Tina Tour", billing_type="recurring")
        subscription = self.make_subscription(customer, price=40.0, date_start="2026-01-01")
        self.assertTrue(subscription.isp_managed)
        self.make_user(
            "cockpit_tour", "isp_prepaid_billing.isp_prepaid_billing_group_user"
        ).partner_id.email = "cockpit_tour@example.com"
        menu = self.env.ref("isp_prepaid_billing.isp_prepaid_billing_menu_root")
        self.start_tour(f"/odoo/action-{menu.action.id}", "isp_cockpit", login="cockpit_tour")

    def test_the_customer_form_opens_the_status_history(self):
        customer = self.make_subscriber("Hanna History", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.sweep(customer, "2026-03-20")
        action = self.env.ref("isp_prepaid_billing.isp_status_event_action")._get_action_dict()
        context = {"search_default_partner_id": customer.id}
        events = self.env[action["res_model"]].with_context(**context).search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(
            [(e.date.isoformat(), e.status_from, e.status_to) for e in events],
            [("2026-03-20", "active", "blocked"), ("2026-03-01", "new", "active")],
        )
        self.assertTrue(events[0].reason, "the rule that blocked is kept")
        arch = customer.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn(f'name="{action["id"]}"', arch, "the form links the history")


@tagged("post_install", "-at_install")
@freeze_time("2026-03-20")
class TestCockpitFilters(IspBillingCase):
    def test_period_filters_as_the_search_bar_builds_them(self):
        customer = self.make_subscriber("Fiona Filter", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-01-01")
        Report = self.env["isp.report.subscription"]
        mine = [("partner_id", "=", customer.id)]
        months = {
            period: Report.search(mine + [("period", "=", period)]).mapped("month")
            for period in ("current", "previous", "earlier")
        }
        self.assertEqual([str(m) for m in months["current"]], ["2026-03-01"])
        self.assertEqual([str(m) for m in months["previous"]], ["2026-02-01"])
        self.assertEqual([str(m) for m in months["earlier"]], ["2026-01-01"])
        self.assertEqual(
            len(Report.search(mine + [("period", "in", ["current", "previous"])])), 2
        )
        self.assertEqual(
            Report.search(mine + [("period", "!=", "current")]).mapped("period"),
            ["previous", "earlier"],
        )
        for bad in ({"a": 1}, "bogus", 3):
            with self.assertRaises(UserError):
                Report.search(mine + [("period", "=", bad)])
        with self.assertRaises(UserError):
            Report.search(mine + [("period", ">", "current")])
