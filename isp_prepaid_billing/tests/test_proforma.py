# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestProforma(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "isp_proforma_enabled": True,
                "isp_proforma_day": 20,
                "isp_proforma_months": 1,
                "isp_proforma_for": "next",
            }
        )
        cls.Proforma = cls.env["isp.proforma"]

    def recurring_customer(self, name="Rae"):
        customer = self.make_subscriber(name, billing_type="recurring")
        self.make_subscription(customer, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.pay(customer, 30.0, "2026-03-02")  # March is paid
        return customer

    def proformas(self, customer):
        return self.Proforma.search([("partner_id", "=", customer.id)])

    def test_created_on_the_day_for_next_month_without_touching_the_ledger(self):
        customer = self.recurring_customer()
        moves_before = self.env["account.move"].search_count(
            [("partner_id", "=", customer.id)]
        )
        self.Proforma._cron_isp_proforma("2026-03-19")
        self.assertFalse(self.proformas(customer), "not the configured day")

        self.Proforma._cron_isp_proforma("2026-03-20")
        proforma = self.proformas(customer)
        self.assertEqual(len(proforma), 1)
        self.assertEqual(
            (proforma.period_start, proforma.period_end),
            (fields.Date.to_date("2026-04-01"), fields.Date.to_date("2026-04-30")),
        )
        self.assertEqual(
            proforma.line_ids.period_start, fields.Date.to_date("2026-04-01")
        )
        self.assertMoney(proforma.amount_total, 30.0)
        self.assertEqual(proforma.name, "2026000001")
        self.assertEqual(proforma.date_due, fields.Date.to_date("2026-04-03"))
        self.assertBalance(customer, 0.0)
        self.assertEqual(
            self.env["account.move"].search_count([("partner_id", "=", customer.id)]),
            moves_before,
        )
        # Running the job again creates nothing.
        self.Proforma._cron_isp_proforma("2026-03-20")
        self.assertEqual(len(self.proformas(customer)), 1)

    def test_current_month_option(self):
        self.company.write(
            {
                "isp_proforma_for": "current",
                "isp_proforma_day": 1,
                "isp_proforma_months": 2,
            }
        )
        customer = self.make_subscriber("Sol", billing_type="recurring")
        self.make_subscription(customer, date_start="2026-03-01")
        self.Proforma._cron_isp_proforma("2026-03-01")
        proforma = self.proformas(customer)
        self.assertEqual(
            (proforma.period_start, proforma.period_end),
            (fields.Date.to_date("2026-03-01"), fields.Date.to_date("2026-04-30")),
        )
        # Two monthly charges fall in the two months: March and April.
        self.assertEqual(len(proforma.line_ids), 2)
        self.assertMoney(proforma.amount_total, 60.0)

    def test_paying_the_amount_issues_the_tax_invoice(self):
        customer = self.recurring_customer("Tam")
        self.Proforma._cron_isp_proforma("2026-03-20")
        proforma = self.proformas(customer)
        payment = self.pay(customer, 30.0, "2026-03-25")

        self.assertEqual(proforma.state, "paid")
        self.assertEqual(proforma.payment_id, payment)
        invoice = proforma.invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_date, fields.Date.to_date("2026-03-25"))
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(
            invoice.isp_charge_ids.period_start, fields.Date.to_date("2026-04-01")
        )
        self.assertBalance(customer, 0.0)
        # The billing day finds April already invoiced.
        self.run_engine(customer, "2026-04-01")
        self.assertEqual(len(self.isp_invoices(customer)), 2)

    def test_cron_invoiced_first_then_payment_links_that_invoice(self):
        customer = self.recurring_customer("Uma")
        self.Proforma._cron_isp_proforma("2026-03-20")
        proforma = self.proformas(customer)
        self.run_engine(customer, "2026-04-01")
        april = self.isp_invoices(customer)[-1]
        self.pay(customer, 30.0, "2026-04-03")
        self.assertEqual(proforma.state, "paid")
        self.assertEqual(proforma.invoice_id, april)
        self.assertIn(april.payment_state, ("paid", "in_payment"))
        self.assertEqual(len(self.isp_invoices(customer)), 2)

    def test_other_amounts_and_cancelled_proformas_are_not_paid(self):
        customer = self.recurring_customer("Vic")
        self.Proforma._cron_isp_proforma("2026-03-20")
        proforma = self.proformas(customer)
        self.pay(customer, 12.0, "2026-03-22")
        self.assertEqual(proforma.state, "open")
        proforma.action_cancel()
        payment = self.pay(customer, 30.0, "2026-03-23")
        self.assertEqual(proforma.state, "cancel")
        self.assertFalse(proforma.invoice_id)
        wizard = self.env["isp.proforma.link.payment"].create(
            {"proforma_id": proforma.id, "payment_id": payment.id}
        )
        with self.assertRefused(UserError, "cannot be paid"):
            wizard.action_link()

    def test_paying_an_old_proforma_after_a_restart_charges_no_day_twice(self):
        """Found by the simulator (seed 2026, S036): a prepaid customer blocked
        for April restarts from the day of a top-up (9 April - 8 May); paying
        April's proforma afterwards must not charge those days again."""
        customer = self.make_subscriber("Wes", billing_type="prepaid")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.pay(customer, 30.0, "2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.Proforma._cron_isp_proforma("2026-03-20")
        proforma = self.proformas(customer)
        self.assertEqual(str(proforma.line_ids[:1].period_start), "2026-04-01")
        self.run_engine(customer, "2026-04-01")
        self.assertStatus(customer, "blocked", "2026-04-01")
        with freeze_time("2026-04-09"):
            self.pay(customer, 35.0, "2026-04-09")  # not the proforma's amount
        self.assertStatus(customer, "active", "2026-04-09")
        charges = self.env["isp.charge"].search([("partner_id", "=", customer.id)])
        self.assertEqual(
            [str(c.period_start) for c in charges.sorted("period_start")],
            ["2026-03-01", "2026-04-09"],
        )
        with freeze_time("2026-04-12"):
            self.pay(customer, 30.0, "2026-04-12")  # the proforma's amount
        charges = self.env["isp.charge"].search([("partner_id", "=", customer.id)])
        self.assertEqual(
            [str(c.period_start) for c in charges.sorted("period_start")],
            ["2026-03-01", "2026-04-09"],
            "April's days are charged once",
        )
        # 30 + 35 + 30 paid, March and 9 April - 8 May charged: 35 left.
        self.assertBalance(customer, 35.0)
        self.assertBalanceIsReceivable(customer)

    def test_paying_an_old_proforma_after_a_later_restart_charges_no_past_period(self):
        """Found by the year-long simulation (seed 2027, S062): a customer
        blocked for April restarts in May; paying April's proforma afterwards
        charged April, a month without service, and set "charged until" back
        to 30 April."""
        customer = self.make_subscriber("Wim", billing_type="prepaid")
        subscription = self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.pay(customer, 30.0, "2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.Proforma._cron_isp_proforma("2026-03-20")
        self.run_engine(customer, "2026-04-01")
        self.assertStatus(customer, "blocked", "2026-04-01")
        with freeze_time("2026-05-05"):
            self.pay(customer, 35.0, "2026-05-05")
        self.assertStatus(customer, "active", "2026-05-05")
        self.assertEqual(str(subscription.isp_charged_until), "2026-06-04")
        with freeze_time("2026-05-10"):
            self.pay(customer, 30.0, "2026-05-10")  # April's proforma amount
        charges = self.env["isp.charge"].search([("partner_id", "=", customer.id)])
        self.assertEqual(
            [str(c.period_start) for c in charges.sorted("period_start")],
            ["2026-03-01", "2026-05-05"],
            "April, not served, is not charged",
        )
        self.assertEqual(str(subscription.isp_charged_until), "2026-06-04")
        april = self.proformas(customer).filtered(lambda p: p.state == "paid")
        self.assertFalse(april.invoice_id)
        self.assertIn("stays on the balance", " ".join(april.message_ids.mapped("body")))
        # 30 + 35 + 30 paid, March and 5 May - 4 June charged: 35 left.
        self.assertBalance(customer, 35.0)
        self.assertBalanceIsReceivable(customer)

    def test_staff_link_a_payment(self):
        customer = self.recurring_customer("Wes")
        self.Proforma._cron_isp_proforma("2026-03-20")
        proforma = self.proformas(customer)
        payment = self.pay(customer, 50.0, "2026-03-22")  # not the exact amount
        self.assertEqual(proforma.state, "open")
        self.env["isp.proforma.link.payment"].create(
            {"proforma_id": proforma.id, "payment_id": payment.id}
        ).action_link()
        self.assertEqual(proforma.state, "paid")
        self.assertBalance(customer, 20.0)

    def test_pdf_has_period_services_and_amount_in_words(self):
        customer = self.recurring_customer("Xia")
        self.company.isp_payment_instructions = "IBAN XX00 1234"
        self.Proforma._cron_isp_proforma("2026-03-20")
        proforma = self.proformas(customer)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "isp_prepaid_billing.action_report_isp_proforma", proforma.ids
            )[0]
            .decode()
        )
        self.assertIn(proforma.name, html)
        self.assertIn("Thirty", html)
        self.assertIn("Fibre 100 Mbit/s", html)
        self.assertIn("IBAN XX00 1234", html)

    @freeze_time("2026-03-10")
    def test_bad_input(self):
        with self.assertRefused(ValidationError, "between 1 and 28"):
            self.company.isp_proforma_day = 29
        with self.assertRefused(ValidationError, "between 1 and 12"):
            self.company.isp_proforma_months = 13
        idle = self.make_subscriber("Yan", billing_type="recurring")
        with self.assertRefused(UserError, "nothing to put on a proforma"):
            idle.action_isp_create_proforma()
        self.assertFalse(self.proformas(idle))


@tagged("post_install", "-at_install")
class TestTaxInvoiceOnPayment(IspBillingCase):
    """Seed 004: proformas spare non-payers a tax invoice; it comes with the money."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.isp_tax_invoice_on_payment = True

    def requests(self, customer):
        return self.env["isp.proforma"].search([("partner_id", "=", customer.id)])

    def test_billing_day_requests_payment_then_the_payment_brings_the_invoice(self):
        customer = self.make_subscriber("Uli", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        for day in ("2026-03-01", "2026-03-01", "2026-03-02"):
            plans = self.run_engine(customer, day)
        self.assertEqual(plans[0].action, "requested")
        self.assertFalse(self.isp_invoices(customer), "no tax invoice before payment")
        proforma = self.requests(customer)
        self.assertEqual(len(proforma), 1)
        self.assertMoney(proforma.amount_total, 30.0)
        self.assertEqual(str(proforma.date_due), "2026-03-15")
        self.assertEqual(str(proforma.isp_block_date), "2026-03-16")
        self.assertBalance(customer, 0.0)
        self.assertStatus(customer, "active", "2026-03-01")

        self.sweep(customer, "2026-03-15")
        self.assertStatus(customer, "active")
        self.sweep(customer, "2026-03-16")
        self.assertStatus(customer, "blocked", "2026-03-16")
        self.assertIn(proforma.name, customer.isp_status_reason)

        with freeze_time("2026-03-18"):
            self.pay(customer, 10.0, "2026-03-18")
            self.assertStatus(customer, "blocked")  # 10.00 does not pay the proforma
            self.pay(customer, 20.0, "2026-03-18")
        self.assertEqual(proforma.state, "paid")
        invoice = self.isp_invoices(customer)
        self.assertEqual(proforma.invoice_id, invoice)
        self.assertEqual(invoice.invoice_date.isoformat(), "2026-03-18")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertBalance(customer, 0.0)
        self.assertStatus(customer, "active", "2026-03-18")
        self.assertEqual(
            customer.isp_contract_ids.isp_charged_until.isoformat(), "2026-03-31"
        )

    def test_one_request_a_period_for_a_customer_who_cannot_be_blocked(self):
        """Found by the simulator (seed 2026, S015): with unlimited credit the
        request has no blocking day, and every later run asked again (a failed
        proforma and an error on the customer each day)."""
        customer = self.make_subscriber(
            "Ulf", billing_type="recurring", isp_credit_mode="unlimited"
        )
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        plans = self.run_engine(customer, "2026-03-01")
        self.assertEqual(plans[0].action, "proforma")
        proforma = self.requests(customer)
        self.assertFalse(proforma.isp_block_date)
        for day in ("2026-03-02", "2026-03-03"):
            plans = self.run_engine(customer, day)
            self.assertEqual(plans[0].action, "requested")
            self.assertFalse(plans[0].error)
        self.assertEqual(self.requests(customer), proforma)
        self.assertFalse(customer.isp_billing_error)

    def test_a_customer_whose_balance_covers_the_period_is_invoiced_as_usual(self):
        customer = self.make_subscriber("Vik", billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.pay(customer, 50.0, "2026-02-25")
        plans = self.run_engine(customer, "2026-03-01")
        self.assertEqual(plans[0].action, "charge")
        self.assertIn(self.isp_invoices(customer).payment_state, ("paid", "in_payment"))
        self.assertFalse(self.requests(customer))
        self.assertBalance(customer, 20.0)
