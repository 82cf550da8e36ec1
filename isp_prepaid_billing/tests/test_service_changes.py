# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Plan changes, add-ons, pauses and cancellations inside charged periods:
seed 002 "Changing service composition", seed 001 "vacation"."""

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestServiceChanges(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fast_plan = cls.env["product.product"].create(
            {
                "name": "Fibre 300 Mbit/s",
                "type": "service",
                "list_price": 60.0,
                "taxes_id": [Command.clear()],
                "property_account_income_id": cls.company_data["default_account_revenue"].id,
            }
        )

    def subscriber(self, name, billing_type, price=30.0, **values):
        customer = self.make_subscriber(name, billing_type=billing_type, **values)
        subscription = self.make_subscription(customer, price=price, date_start="2026-11-01")
        subscription.contract_line_ids.write(
            {"isp_radius_username": f"{name.lower()}-ppp", "isp_radius_password": "pw"}
        )
        return customer, subscription

    def change(self, subscription, kind, on, **values):
        applied_on = values.pop("applied_on", on)
        change = self.env["isp.service.change"].create(
            {"contract_id": subscription.id, "kind": kind, "date": on, **values}
        )
        with freeze_time(applied_on):
            change.action_apply()
        self.end_transaction()
        return change

    def lines_of(self, move):
        return sorted(
            (line.price_unit, line.name) for line in move.invoice_line_ids or move.line_ids
        )

    # === PLAN CHANGES === #

    def test_upgrade_on_day_11_credits_20_30_of_old_and_charges_20_30_of_new(self):
        customer, subscription = self.subscriber("Ulla", "recurring")
        self.run_engine(customer, "2026-11-01")
        self.pay(customer, 30.0, date(2026, 11, 2))

        change = self.change(
            subscription, "plan", "2026-11-11", product_id=self.fast_plan.id
        )

        invoice = change.move_id
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(
            [line.price_unit for line in invoice.invoice_line_ids.sorted("price_unit")],
            [-20.0, 40.0],
        )
        self.assertIn("11/11/2026", invoice.invoice_line_ids[1].name)
        self.assertMoney(invoice.amount_total, 20.0)
        self.assertMoney(change.amount, 20.0)
        self.assertBalance(customer, -20.0)
        self.assertBalanceIsReceivable(customer)
        old, new = subscription.contract_line_ids.sorted("id")
        self.assertEqual(old.isp_service_to, date(2026, 11, 10))
        self.assertEqual(new.isp_service_from, date(2026, 11, 11))
        self.assertEqual(new.product_id, self.fast_plan)
        # The login moved to the new plan.
        self.assertEqual(new.isp_radius_username, "ulla-ppp")
        self.assertFalse(old.isp_radius_username)
        self.assertIn("Fibre 300", subscription.message_ids[0].body)
        self.assertIn("Fibre 300", customer.message_ids[0].body)

        # The next period is the new plan alone.
        self.run_engine(customer, "2026-12-01")
        december = self.isp_invoices(customer)[-1]
        self.assertEqual(december.invoice_line_ids.product_id, self.fast_plan)
        self.assertMoney(december.amount_total, 60.0)
        self.assertBalanceIsReceivable(customer)

    def test_downgrade_gives_a_credit_note_that_goes_to_the_balance(self):
        customer, subscription = self.subscriber("Dana", "recurring", price=60.0)
        self.run_engine(customer, "2026-11-01")
        self.pay(customer, 60.0, date(2026, 11, 2))

        change = self.change(subscription, "plan", "2026-11-11", product_id=self.plan.id)

        refund = change.move_id
        self.assertEqual(refund.move_type, "out_refund")
        self.assertMoney(refund.amount_total, 20.0)  # 40 unused on 60, 20 used on 30
        self.assertMoney(change.amount, -20.0)
        self.assertEqual(refund.state, "posted")
        self.assertBalance(customer, 20.0)
        self.assertBalanceIsReceivable(customer)

    def test_prepaid_upgrade_is_charged_from_the_balance(self):
        customer, subscription = self.subscriber("Pia", "prepaid")
        self.pay(customer, 100.0, date(2026, 11, 1))
        self.run_engine(customer, "2026-11-01")
        self.assertBalance(customer, 70.0)

        change = self.change(subscription, "plan", "2026-11-11", product_id=self.fast_plan.id)

        self.assertEqual(change.move_id.move_type, "out_invoice")
        self.assertEqual(change.move_id.payment_state, "paid")
        self.assertMoney(change.amount, 20.0)
        self.assertBalance(customer, 50.0)
        self.assertBalanceIsReceivable(customer)
        self.assertStatus(customer, "active")

    def test_prepaid_charge_entries_get_an_adjustment_entry(self):
        self.company.isp_invoice_on_charge = False
        customer, subscription = self.subscriber("Ema", "prepaid", price=60.0)
        self.pay(customer, 100.0, date(2026, 11, 1))
        self.run_engine(customer, "2026-11-01")
        change = self.change(subscription, "plan", "2026-11-11", product_id=self.plan.id)
        self.assertEqual(change.move_id.move_type, "entry")
        self.assertMoney(change.amount, -20.0)
        self.assertBalance(customer, 60.0)
        self.assertBalanceIsReceivable(customer)

    def test_prepaid_upgrade_without_funds_is_refused_and_changes_nothing(self):
        customer, subscription = self.subscriber("Rita", "prepaid")
        self.pay(customer, 30.0, date(2026, 11, 1))
        self.run_engine(customer, "2026-11-01")
        change = self.env["isp.service.change"].create(
            {
                "contract_id": subscription.id,
                "kind": "plan",
                "date": "2026-11-11",
                "product_id": self.fast_plan.id,
            }
        )
        with freeze_time("2026-11-11"), self.assertRefused(UserError, "cannot be charged $\xa020.00"):
            with self.env.cr.savepoint():
                change.action_apply()
        self.env.invalidate_all()
        self.assertEqual(change.state, "draft")
        self.assertEqual(len(subscription.contract_line_ids), 1)
        self.assertFalse(subscription.contract_line_ids.isp_service_to)
        self.assertEqual(subscription.contract_line_ids.isp_radius_username, "rita-ppp")
        self.assertBalance(customer, 0.0)

    def test_credit_limit_customer_is_charged_only_within_the_limit(self):
        customer, subscription = self.subscriber(
            "Cleo", "recurring", isp_credit_mode="limit", isp_credit_limit=40.0
        )
        self.run_engine(customer, "2026-11-01")  # debt 30 of 40
        change = self.env["isp.service.change"].create(
            {
                "contract_id": subscription.id,
                "kind": "plan",
                "date": "2026-11-11",
                "product_id": self.fast_plan.id,
            }
        )
        with freeze_time("2026-11-11"), self.assertRefused(UserError, "cannot be charged $\xa020.00"):
            with self.env.cr.savepoint():
                change.action_apply()
        self.env.invalidate_all()
        self.assertEqual(change.state, "draft")
        self.assertBalance(customer, -30.0)
        # With 15 paid, the debt stays within the limit: 15 + 20 = 35.
        self.pay(customer, 15.0, date(2026, 11, 11))
        with freeze_time("2026-11-11"):
            change.action_apply()
        self.assertEqual(change.state, "done")
        self.assertBalance(customer, -35.0)
        self.assertBalanceIsReceivable(customer)

    def test_postpaid_period_is_split_into_two_lines_in_arrears(self):
        customer, subscription = self.subscriber("Paul", "postpaid")
        change = self.change(subscription, "plan", "2026-11-11", product_id=self.fast_plan.id)
        self.assertFalse(change.move_id)  # nothing was charged for November yet

        self.run_engine(customer, "2026-12-01")

        invoice = self.isp_invoices(customer)
        self.assertEqual(
            [(line.product_id, line.price_unit) for line in invoice.invoice_line_ids],
            [(self.plan, 10.0), (self.fast_plan, 40.0)],
        )
        self.assertIn("11/10/2026", invoice.invoice_line_ids[0].name)
        self.assertIn("11/11/2026", invoice.invoice_line_ids[1].name)
        self.assertMoney(invoice.amount_total, 50.0)

    def test_addon_from_day_16_is_charged_for_the_rest_of_the_period(self):
        customer, subscription = self.subscriber("Alba", "recurring")
        self.run_engine(customer, "2026-11-01")
        tv = self.env["product.product"].create(
            {"name": "IPTV", "type": "service", "list_price": 12.0, "taxes_id": [Command.clear()]}
        )
        change = self.change(subscription, "addon", "2026-11-16", product_id=tv.id)
        self.assertMoney(change.move_id.amount_total, 6.0)  # 15 of 30 days of 12
        self.run_engine(customer, "2026-12-01")
        self.assertMoney(self.isp_invoices(customer)[-1].amount_total, 42.0)

    def test_applying_twice_changes_nothing_more(self):
        customer, subscription = self.subscriber("Ivo", "recurring")
        self.run_engine(customer, "2026-11-01")
        change = self.change(subscription, "plan", "2026-11-11", product_id=self.fast_plan.id)
        moves = self.env["account.move"].search_count([("partner_id", "=", customer.id)])
        with freeze_time("2026-11-12"):
            change.action_apply()
        self.end_transaction()
        self.assertEqual(
            self.env["account.move"].search_count([("partner_id", "=", customer.id)]), moves
        )
        self.assertEqual(len(subscription.contract_line_ids), 2)
        self.assertBalance(customer, -50.0)

    def test_bad_changes_are_refused_with_a_clear_message(self):
        customer, subscription = self.subscriber("Bea", "recurring")
        self.run_engine(customer, "2026-11-01")
        self.run_engine(customer, "2026-12-01")
        Change = self.env["isp.service.change"]
        with freeze_time("2026-12-02"), self.assertRefused(UserError, "last charged period"):
            with self.env.cr.savepoint():
                Change.create(
                    {
                        "contract_id": subscription.id,
                        "kind": "plan",
                        "date": "2026-11-20",
                        "product_id": self.fast_plan.id,
                    }
                )
        self.env.invalidate_all()
        self.assertEqual(len(subscription.contract_line_ids), 1)
        self.assertFalse(Change.search([("contract_id", "=", subscription.id)]))
        other_company = self.env["res.company"].create({"name": "Other ISP"})
        foreign = self.env["product.product"].create(
            {"name": "Foreign plan", "type": "service", "company_id": other_company.id}
        )
        with self.assertRefused(ValidationError, "another company"):
            with self.env.cr.savepoint():
                Change.create(
                    {
                        "contract_id": subscription.id,
                        "kind": "plan",
                        "date": "2026-11-11",
                        "product_id": foreign.id,
                    }
                )
        with self.assertRefused(ValidationError, "cannot be negative"):
            with self.env.cr.savepoint():
                Change.create(
                    {
                        "contract_id": subscription.id,
                        "kind": "addon",
                        "date": "2026-11-11",
                        "product_id": self.fast_plan.id,
                        "price_unit": -5.0,
                    }
                )
        with self.assertRefused(ValidationError, "ends on or after"):
            with self.env.cr.savepoint():
                Change.create(
                    {
                        "contract_id": subscription.id,
                        "kind": "pause",
                        "date": "2026-11-11",
                        "date_to": "2026-11-05",
                    }
                )

    def test_network_keeps_the_old_plan_until_a_dated_change_starts(self):
        slow = self.env["isp.network.profile"].create({"name": "Slow", "rate_limit": "100M/100M"})
        fast = self.env["isp.network.profile"].create({"name": "Fast", "rate_limit": "300M/300M"})
        self.plan.product_tmpl_id.isp_network_profile_id = slow
        self.fast_plan.product_tmpl_id.isp_network_profile_id = fast
        customer, subscription = self.subscriber("Nina", "recurring")
        self.run_engine(customer, "2026-11-01")
        with freeze_time("2026-11-05"):
            self.change(
                subscription, "plan", "2026-11-20", product_id=self.fast_plan.id,
                applied_on="2026-11-05",
            )
        line = self.env["contract.line"]._isp_radius_line(self.company, "nina-ppp")
        __, before = line._isp_radius_decision(date(2026, 11, 19))
        __, after = line._isp_radius_decision(date(2026, 11, 20))
        self.assertIn("100M/100M", str(before))
        self.assertIn("300M/300M", str(after))

    # === CANCELLATION === #

    def test_cancellation_refunds_unused_days_and_the_balance_is_paid_back(self):
        customer, subscription = self.subscriber("Carl", "recurring")
        self.run_engine(customer, "2026-11-01")
        self.pay(customer, 30.0, date(2026, 11, 2))

        change = self.change(subscription, "cancel", "2026-11-20", reason="Moving abroad")

        self.assertEqual(change.move_id.move_type, "out_refund")
        self.assertMoney(change.move_id.amount_total, 10.0)  # 21..30 November
        self.assertBalance(customer, 10.0)
        self.assertEqual(subscription.isp_cancel_date, date(2026, 11, 20))
        self.run_engine(customer, "2026-12-01")
        self.assertEqual(len(self.isp_invoices(customer).filtered(
            lambda m: m.move_type == "out_invoice")), 1)
        line = self.env["contract.line"]._isp_radius_line(self.company, "carl-ppp")
        status, body = line._isp_radius_decision(date(2026, 11, 21))
        self.assertEqual(status, 401)
        self.assertIn("Service ended", str(body))

        action = customer.action_isp_refund_balance()
        form = Form(self.env["account.payment"].with_context(action["context"]))
        refund = form.save()
        self.assertEqual(refund.payment_type, "outbound")
        self.assertMoney(refund.amount, 10.0)
        refund.action_post()
        self.end_transaction()
        self.assertBalance(customer, 0.0)
        self.assertBalanceIsReceivable(customer)
        with self.assertRefused(UserError, "no money on the balance"):
            customer.action_isp_refund_balance()

    def test_cancellation_without_refund_of_unused_time(self):
        self.company.isp_refund_unused = False
        customer, subscription = self.subscriber("Cora", "recurring")
        self.run_engine(customer, "2026-11-01")
        change = self.change(subscription, "cancel", "2026-11-20")
        self.assertFalse(change.move_id)
        self.assertBalance(customer, -30.0)

    def test_cancellation_before_a_pending_plan_starts_ends_both_plans(self):
        # Found by the simulation (seed 2027, S024): cancelling while a dated
        # plan change was pending ended the new plan before it started, a
        # database error.
        customer, subscription = self.subscriber("Ines", "recurring")
        self.run_engine(customer, "2026-11-01")
        first = self.change(
            subscription, "plan", "2026-11-21", product_id=self.fast_plan.id,
            applied_on="2026-11-15",
        )
        self.assertBalance(customer, -40.0)  # November: 20 days at 30 a month, 10 at 60
        self.change(subscription, "cancel", "2026-11-16")
        self.assertEqual(first.line_id.isp_service_to, date(2026, 11, 16))
        self.assertEqual(first.new_line_id.isp_service_to, date(2026, 11, 20))  # never starts
        self.assertMoney(subscription.isp_period_price, 0.0)
        self.assertBalance(customer, -16.0)  # 16 days at 30 a month
        self.assertBalanceIsReceivable(customer)

    # === PAUSE (seed 001 "vacation") === #

    def test_pause_across_a_month_end_is_not_charged_and_resumes_by_itself(self):
        customer, subscription = self.subscriber("Vera", "prepaid")
        self.pay(customer, 100.0, date(2026, 11, 1))
        self.run_engine(customer, "2026-11-01")

        change = self.change(
            subscription, "pause", "2026-11-26", date_to="2026-12-05",
            applied_on="2026-11-20",
        )
        self.assertMoney(change.amount, -5.0)  # 26..30 November of 30 days
        self.assertBalance(customer, 75.0)

        self.run_engine(customer, "2026-12-01")
        december = self.env["isp.charge"].search([("contract_id", "=", subscription.id)])[0]
        self.assertEqual(december.period_start, date(2026, 12, 1))
        self.assertMoney(december.amount, 25.16)  # 26 of 31 days of 30
        self.assertBalance(customer, 49.84)
        self.assertBalanceIsReceivable(customer)
        customer.invalidate_recordset()
        self.assertEqual(customer._isp_service_state(date(2026, 12, 3)), "paused")
        self.assertEqual(customer._isp_service_state(date(2026, 12, 6)), "active")

    def test_overlapping_pauses_are_refused(self):
        customer, subscription = self.subscriber("Olga", "recurring")
        self.change(subscription, "pause", "2026-11-10", date_to="2026-11-15")
        with self.assertRefused(ValidationError, "already paused"):
            with self.env.cr.savepoint():
                self.env["isp.service.change"].create(
                    {
                        "contract_id": subscription.id,
                        "kind": "pause",
                        "date": "2026-11-14",
                        "date_to": "2026-11-20",
                    }
                )

    def test_only_staff_apply_changes(self):
        customer, subscription = self.subscriber("Sid", "recurring")
        user = self.make_user("plain_accountant", "account.group_account_invoice")
        change = self.env["isp.service.change"].create(
            {"contract_id": subscription.id, "kind": "pause", "date": "2026-11-10",
             "date_to": "2026-11-12"}
        )
        with self.assertRaises(AccessError):
            change.with_user(user).action_apply()
        self.assertEqual(change.state, "draft")

    def test_a_replaced_plan_cannot_be_changed_again(self):
        customer, subscription = self.subscriber("Rolf", "recurring")
        self.run_engine(customer, "2026-11-01")
        first = self.change(subscription, "plan", "2026-11-11", product_id=self.fast_plan.id)
        with self.assertRefused(ValidationError, "already replaced"):
            with self.env.cr.savepoint():
                self.env["isp.service.change"].create(
                    {
                        "contract_id": subscription.id,
                        "kind": "plan",
                        "line_id": first.line_id.id,
                        "date": "2026-11-20",
                        "product_id": self.plan.id,
                        "price_unit": 20.0,
                    }
                )
        # The current plan can change again; the replaced one is no longer priced.
        self.assertEqual(subscription._isp_current_lines(), first.new_line_id)
        self.assertMoney(subscription.isp_period_price, 60.0)

    def test_a_change_dated_before_a_pending_plan_starts_is_refused(self):
        # Found by the simulation (seed 2026, size 60, S027): the second change
        # ended the pending plan before it started, a database error.
        customer, subscription = self.subscriber("Ute", "recurring")
        self.run_engine(customer, "2026-11-01")
        first = self.change(
            subscription, "plan", "2026-11-20", product_id=self.fast_plan.id,
            applied_on="2026-11-15",
        )
        with freeze_time("2026-11-16"), self.assertRefused(ValidationError, "starts on"):
            with self.env.cr.savepoint():
                self.env["isp.service.change"].create(
                    {
                        "contract_id": subscription.id,
                        "kind": "plan",
                        "date": "2026-11-16",
                        "product_id": self.plan.id,
                        "price_unit": 20.0,
                    }
                ).action_apply()
        self.assertEqual(first.line_id.isp_service_to, date(2026, 11, 19))
        self.assertEqual(first.new_line_id.isp_service_from, date(2026, 11, 20))
        self.assertFalse(first.new_line_id.isp_service_to)
        self.assertEqual(len(subscription.contract_line_ids), 2)

    def test_an_applied_change_is_history(self):
        customer, subscription = self.subscriber("Hans", "recurring")
        self.run_engine(customer, "2026-11-01")
        change = self.change(subscription, "plan", "2026-11-11", product_id=self.fast_plan.id)
        with self.assertRefused(UserError, "cannot be modified"):
            change.price_unit = 1.0
        with self.assertRefused(UserError, "cannot be deleted"):
            change.unlink()
        self.assertMoney(change.price_unit, 60.0)

    def test_credited_lines_name_the_days_credited(self):
        customer, subscription = self.subscriber("Tina", "recurring")
        self.run_engine(customer, "2026-11-01")
        change = self.change(subscription, "plan", "2026-11-11", product_id=self.fast_plan.id)
        for line in change.move_id.invoice_line_ids:
            self.assertIn("11/11/2026 - 11/30/2026", line.name)
        pause = self.change(subscription, "pause", "2026-11-21", date_to="2026-11-25")
        self.assertIn("11/21/2026 - 11/25/2026", pause.move_id.invoice_line_ids.name)
        self.assertMoney(pause.move_id.amount_total, 10.0)  # 5 of 30 days of 60
