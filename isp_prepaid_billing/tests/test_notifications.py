# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import tagged

from .common import IspBillingCase


@tagged("post_install", "-at_install")
class TestNotifications(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Notification = cls.env["isp.notification"]
        cls.company.write({"isp_reminder_days": 3, "isp_low_balance_days": 3})

    def sent(self, customer, event=None):
        domain = [("partner_id", "=", customer.id), ("state", "=", "sent")]
        if event:
            domain.append(("event", "=", event))
        return self.Notification.search(domain)

    def notify(self, date):
        self.Notification._cron_isp_notify(date)

    def test_each_event_is_sent_once_and_lands_in_the_chatter(self):
        customer = self.make_subscriber(
            "Fay", billing_type="recurring", email="fay@example.com"
        )
        self.make_subscription(customer, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.notify("2026-03-01")
        self.notify("2026-03-01")
        invoice_mail = self.sent(customer, "invoice")
        self.assertEqual(len(invoice_mail), 1)
        invoice = self.isp_invoices(customer)
        self.assertIn(invoice.name, invoice_mail.message_id.subject)
        self.assertEqual(invoice_mail.message_id.model, "res.partner")
        self.assertEqual(invoice_mail.message_id.res_id, customer.id)
        self.assertIn(customer, invoice_mail.message_id.partner_ids)
        self.assertTrue(
            invoice_mail.message_id.attachment_ids, "the invoice is attached"
        )

        # Reminder 3 days before the 15th, then overdue after it: once each.
        self.notify("2026-03-11")
        self.assertFalse(self.sent(customer, "reminder"))
        for day in ("2026-03-12", "2026-03-13", "2026-03-15"):
            self.notify(day)
        self.assertEqual(len(self.sent(customer, "reminder")), 1)
        self.assertFalse(self.sent(customer, "overdue"))
        self.notify("2026-03-16")
        self.notify("2026-03-17")
        self.assertEqual(len(self.sent(customer, "overdue")), 1)

        # Blocked, then paid: reactivated and the payment with its receipt.
        self.sweep(customer, "2026-03-16")
        self.sweep(customer, "2026-03-16")
        payment = self.pay(customer, 30.0, "2026-03-18")
        self.notify("2026-03-18")
        self.notify("2026-03-18")
        self.assertEqual(len(self.sent(customer, "blocked")), 1)
        self.assertEqual(len(self.sent(customer, "reactivated")), 1)
        payment_mail = self.sent(customer, "payment")
        self.assertEqual(len(payment_mail), 1)
        self.assertIn(payment.isp_receipt_number, payment_mail.message_id.subject)
        self.assertTrue(
            payment_mail.message_id.attachment_ids, "the receipt is attached"
        )

    def test_deactivated_and_proforma_events(self):
        customer = self.make_subscriber("Gil", billing_type="recurring")
        self.make_subscription(customer, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.sweep(customer, "2026-03-16")
        self.sweep(customer, "2026-03-26")
        self.assertStatus(customer, "inactive")
        self.company.write({"isp_proforma_enabled": True, "isp_proforma_day": 20})
        other = self.make_subscriber("Hep", billing_type="recurring")
        self.make_subscription(other, date_start="2026-03-01")
        self.env["isp.proforma"]._cron_isp_proforma("2026-03-20")
        self.notify("2026-03-26")
        self.assertEqual(len(self.sent(customer, "deactivated")), 1)
        self.assertEqual(len(self.sent(other, "proforma")), 1)

    def test_prepaid_low_balance_warning(self):
        customer = self.make_subscriber("Ivo")
        self.make_subscription(customer, date_start="2026-03-01")
        self.pay(customer, 40.0, "2026-03-01")
        self.run_engine(customer, "2026-03-01")  # paid until 31 March, 10 left
        self.notify("2026-03-27")
        self.assertFalse(self.sent(customer, "low_balance"))
        self.notify("2026-03-29")
        self.notify("2026-03-30")
        self.assertEqual(len(self.sent(customer, "low_balance")), 1)

    def test_switched_off_per_company_and_per_customer(self):
        quiet = self.make_subscriber(
            "Jo", billing_type="recurring", isp_send_notifications=False
        )
        self.make_subscription(quiet, date_start="2026-03-01")
        self.run_engine(quiet, "2026-03-01")
        self.company.isp_notify_invoice = False
        loud = self.make_subscriber("Kit", billing_type="recurring")
        self.make_subscription(loud, date_start="2026-03-01")
        self.run_engine(loud, "2026-03-01")
        self.notify("2026-03-01")
        self.assertFalse(self.sent(quiet))
        self.assertFalse(self.sent(loud, "invoice"))

    def test_customers_who_cannot_be_blocked_get_no_blocking_threat(self):
        """Seed 002: unlimited post-paid gets a debt notice without a deadline."""
        cases = {
            "blockable": {"isp_credit_mode": None},
            "unlimited": {"isp_credit_mode": "unlimited"},
            "do not block": {"isp_do_not_block": True},
        }
        customers = {}
        for name, values in cases.items():
            customers[name] = self.make_subscriber(
                f"Gil {name}",
                billing_type="postpaid",
                email="gil@example.com",
                **values,
            )
            self.make_subscription(customers[name], date_start="2026-02-01")
            self.run_engine(customers[name], "2026-03-01")
        for day in ("2026-03-13", "2026-03-16"):
            self.notify(day)
        for name, customer in customers.items():
            with self.subTest(name):
                bodies = [
                    str(self.sent(customer, event).message_id.body)
                    for event in ("reminder", "overdue")
                ]
                self.assertEqual(len([b for b in bodies if b != "False"]), 2)
                threatens = any("blocked" in body or "running" in body for body in bodies)
                self.assertEqual(threatens, name == "blockable", bodies)

    def test_no_invoice_mail_for_an_invoice_already_paid_when_sending(self):
        # Prepaid: the balance pays the invoice the moment it is issued.
        prepaid = self.make_subscriber("Pia", email="pia@example.com")
        self.make_subscription(prepaid, price=30.0, date_start="2026-03-01")
        self.pay(prepaid, 30.0, "2026-03-01")
        self.run_engine(prepaid, "2026-03-01")
        self.assertEqual(self.isp_invoices(prepaid).payment_state, "paid")
        # Recurring: paid at the counter before the notification cron ran.
        recurring = self.make_subscriber("Rex", billing_type="recurring", email="rex@example.com")
        self.make_subscription(recurring, price=30.0, date_start="2026-03-01")
        self.run_engine(recurring, "2026-03-01")
        self.pay(recurring, 30.0, "2026-03-01")
        self.notify("2026-03-01")
        for customer in (prepaid, recurring):
            with self.subTest(customer=customer.name):
                self.assertFalse(self.sent(customer, "invoice"))
                self.assertFalse(
                    customer.message_ids.filtered(
                        lambda m, c=customer: self.isp_invoices(c).name in (m.subject or "")
                    ),
                    "no invoice e-mail in the chatter",
                )
                skipped = self.Notification.search(
                    [("partner_id", "=", customer.id), ("event", "=", "invoice")]
                )
                self.assertEqual(skipped.state, "skipped")
                self.assertEqual(len(self.sent(customer, "payment")), 1)

    def test_one_overdue_notice_per_customer_per_day(self):
        customer = self.make_subscriber("Olga", billing_type="recurring", email="olga@example.com")
        self.make_subscription(customer, price=30.0, date_start="2026-01-01")
        self.run_engine(customer, "2026-01-01")
        self.run_engine(customer, "2026-02-01")
        january, february = self.isp_invoices(customer)
        self.assertLess(february.invoice_date_due, date(2026, 2, 20))
        self.notify("2026-02-20")
        self.notify("2026-02-20")
        overdue = self.sent(customer, "overdue")
        self.assertEqual(len(overdue), 1, "two invoices overdue, one e-mail that day")
        self.assertIn(january.name, overdue.message_id.subject)
        self.notify("2026-02-21")
        overdue = self.sent(customer, "overdue")
        self.assertEqual(len(overdue), 2)
        self.assertIn(february.name, overdue[0].message_id.subject)
        self.notify("2026-02-22")
        self.assertEqual(len(self.sent(customer, "overdue")), 2, "each invoice once")
