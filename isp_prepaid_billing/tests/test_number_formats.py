# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
from datetime import date

from odoo import sql_db
from odoo.exceptions import ValidationError
from odoo.tests import BaseCase, get_db_name, tagged

from ..tools import number_formats
from .common import IspBillingCase, race_on_two_connections

MARCH = date(2026, 3, 5)


@tagged("post_install", "-at_install")
class TestNumberTemplates(BaseCase):
    def render(self, template, **values):
        return number_formats.render(template, {"date": MARCH, **values})

    def test_every_variable_and_padding(self):
        values = {"partner_id": 1, "customer_id": 42, "type": "7", "next": 3}
        self.assertEqual(
            self.render("{year}{partner_id|2}{next|6}", **values), "202601000003"
        )
        self.assertEqual(
            self.render("{year}-{type|2}-{next|5}", **values), "2026-07-00003"
        )
        self.assertEqual(
            self.render("{year}/{month}/{day}/{next}", **values), "2026/03/05/3"
        )
        self.assertEqual(
            self.render("C{customer_id|5}-{next|3}", **values), "C00042-003"
        )
        self.assertEqual(self.render("L{location_id}-{next|2}", **values), "L-03")
        number = self.render("{rand_string}-{rand_number}-{next}", **values)
        letters, digits, counter = number.split("-")
        self.assertEqual((len(letters), len(digits), counter), (6, 6, "3"))
        self.assertTrue(digits.isdigit())
        # Padding fills, it never cuts a longer value.
        self.assertEqual(self.render("{next|2}", next=1234), "1234")

    def test_counter_scope_resets_yearly_only_with_year(self):
        scope = number_formats.counter_scope
        fmt = "{year}{next|6}"
        self.assertNotEqual(
            scope(fmt, {"date": date(2026, 12, 31)}),
            scope(fmt, {"date": date(2027, 1, 1)}),
        )
        self.assertEqual(
            scope("INV{next|6}", {"date": date(2026, 12, 31)}),
            scope("INV{next|6}", {"date": date(2027, 1, 1)}),
        )
        # {year} after {next} still restarts the count every year.
        self.assertNotEqual(
            scope("{next|4}/{year}", {"date": date(2026, 5, 1)}),
            scope("{next|4}/{year}", {"date": date(2027, 5, 1)}),
        )
        # Random parts never split a counter; the text before {next} does.
        self.assertEqual(
            scope("{rand_string}{next|4}", {"date": MARCH}),
            scope("{rand_string}{next|4}", {"date": MARCH}),
        )
        self.assertNotEqual(
            scope("{partner_id|2}{next|4}", {"date": MARCH, "partner_id": 1}),
            scope("{partner_id|2}{next|4}", {"date": MARCH, "partner_id": 2}),
        )

    def test_bad_templates_are_refused(self):
        for template, text in [
            ("{year}{foo}{next}", "Unknown variable {foo}"),
            ("{year{next}", "Unbalanced brace"),
            ("{year}}{next}", "Unbalanced brace"),
            ("{year}-{month}", "must contain {next} exactly once"),
            ("{next}-{next}", "must contain {next} exactly once"),
            ("{next|4}{customer_id}", "{customer_id} follows {next}"),
            ("{customer_id}{next}", "directly follows {customer_id}"),
            ("", "empty"),
        ]:
            with (
                self.subTest(template=template),
                self.assertRaises(number_formats.NumberFormatError) as caught,
            ):
                number_formats.parse(template)
            self.assertIn(text, str(caught.exception))


@tagged("post_install", "-at_install")
class TestDocumentNumbers(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journal = cls.company_data["default_journal_sale"]
        cls.journal.isp_number_format = "{year}{partner_id|2}{next|6}"

    def test_invoices_take_the_journal_format_at_posting(self):
        customer = self.make_subscriber("Nia", billing_type="recurring")
        self.make_subscription(customer, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        self.run_engine(customer, "2026-04-01")
        self.run_engine(customer, "2026-05-01")
        prefix = "2026%02d" % self.company.id
        names = self.isp_invoices(customer).mapped("name")
        self.assertEqual(
            names, [f"{prefix}000001", f"{prefix}000002", f"{prefix}000003"]
        )

    def test_yearly_reset_and_credit_notes_keep_odoo_numbering(self):
        customer = self.make_subscriber("Oto", billing_type="recurring")
        self.make_subscription(customer, date_start="2026-12-01")
        self.run_engine(customer, "2026-12-01")
        self.run_engine(customer, "2027-01-01")
        december, january = self.isp_invoices(customer)
        self.assertTrue(
            december.name.startswith("2026") and december.name.endswith("000001")
        )
        self.assertTrue(
            january.name.startswith("2027") and january.name.endswith("000001")
        )
        refund = january._reverse_moves()
        refund.action_post()
        self.assertTrue(refund.name.startswith("R"), refund.name)

    def test_a_draft_does_not_consume_a_number(self):
        customer = self.make_subscriber("Pia", billing_type="recurring")
        self.make_subscription(customer, date_start="2026-03-01")
        draft = self.init_invoice(
            "out_invoice", partner=customer, invoice_date="2026-03-02", amounts=[10]
        )
        self.assertEqual(draft.journal_id, self.journal)
        self.run_engine(customer, "2026-03-01")
        self.assertTrue(self.isp_invoices(customer).name.endswith("000001"))
        draft.action_post()
        self.assertTrue(draft.name.endswith("000002"))

    def test_unusable_format_is_refused_when_saved(self):
        with self.assertRefused(ValidationError, "must contain {next} exactly once"):
            self.journal.isp_number_format = "{year}{partner_id|2}"
        with self.assertRefused(ValidationError, "Unknown variable {colour}"):
            self.company.isp_receipt_number_format = "{colour}{next}"
        with self.assertRefused(ValidationError, "{rand_string} follows {next}"):
            self.company.isp_proforma_number_format = "{next|4}{rand_string}"
        self.assertEqual(self.journal.isp_number_format, "{year}{partner_id|2}{next|6}")

    def test_receipts_are_numbered_per_payment_journal(self):
        customer = self.make_subscriber("Quin")
        first = self.pay(customer, 10.0, "2026-03-02")
        second = self.pay(customer, 20.0, "2026-03-03")
        code = self.bank_journal.code
        self.assertEqual(first.isp_receipt_number, f"2026-{code}-00001")
        self.assertEqual(second.isp_receipt_number, f"2026-{code}-00002")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "isp_prepaid_billing.action_report_isp_receipt", first.ids
            )[0]
            .decode()
        )
        self.assertIn(f"2026-{code}-00001", html)
        self.assertIn("Ten", html)  # amount in words

    def test_two_concurrent_postings_get_different_numbers(self):
        """Two real transactions take numbers from the same counter at once. The
        second waits on the first's row lock; once the first commits, it fails
        with a serialization error and Odoo's request retry gives it the next
        number: never the same number twice."""
        scope = f"test-concurrency-{id(self)}"

        def take(env):
            # The test's company is not committed: use the installed one.
            company = env.ref("base.main_company")
            return env["isp.number.counter"]._take(company, "test", scope)

        results = race_on_two_connections(self, take, "posting")
        self.assertEqual(sorted(results), [1, 2])
        with sql_db.db_connect(get_db_name()).cursor() as cr:
            cr.execute("DELETE FROM isp_number_counter WHERE scope = %s", [scope])
