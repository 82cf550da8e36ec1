# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import io
import shutil
from datetime import date

from odoo.tests import HttpCase, tagged
from odoo.tools.pdf import PdfFileReader

from ..tools.wkhtmltopdf import has_patched_qt
from .common import IspBillingCase


def words(text):
    return " ".join(text.split())


@tagged("post_install", "-at_install")
class TestReportPdf(IspBillingCase, HttpCase):
    """Our documents printed by the wkhtmltopdf that is installed, with the
    report styles and fonts it loads from the server (an HttpCase: the server
    answers on web.base.url). With Debian's build (unpatched Qt) the layout's
    header is lost, so the company that issues them must be in the body, and
    the text must stay text."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "name": "Skyline Fibre Ltd",
                "street": "12 Harbour Road",
                "zip": "4020",
                "city": "Portsmouth",
                "email": "billing@skyline.example",
                "isp_proforma_enabled": True,
                "isp_proforma_day": 20,
                "isp_proforma_for": "next",
            }
        )
        cls.customer = cls.make_subscriber(
            "Hana Holm",
            billing_type="recurring",
            street="3 Elm Street",
            city="Southsea",
        )

    def pdf_text(self, report, records):
        if not shutil.which("wkhtmltopdf"):
            self.skipTest("wkhtmltopdf is not installed")
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, records.ids)
        )
        self.assertEqual(kind, "pdf")
        reader = PdfFileReader(io.BytesIO(pdf))
        return words(" ".join(page.extract_text() for page in reader.pages))

    def assertIssuerIn(self, text):
        for part in ("Skyline Fibre Ltd", "12 Harbour Road", "4020", "Portsmouth"):
            self.assertIn(part, text)
        # The customer's address is there too, as always.
        self.assertIn("Hana Holm", text)
        self.assertIn("3 Elm Street", text)

    def test_proforma_names_the_company_and_its_address(self):
        self.make_subscription(self.customer, price=30.0, date_start="2026-03-01")
        self.run_engine(self.customer, "2026-03-01")
        proforma = self.env["isp.proforma"]._isp_create_for(
            self.customer, date(2026, 3, 20)
        )
        self.assertTrue(proforma)
        text = self.pdf_text("isp_prepaid_billing.action_report_isp_proforma", proforma)
        self.assertIn(proforma.name, text)
        self.assertIn("Amount in words", text)
        self.assertIssuerIn(text)

    def test_receipt_names_the_company_and_its_address(self):
        payment = self.pay(self.customer, 30.0, date="2026-03-02")
        text = self.pdf_text("isp_prepaid_billing.action_report_isp_receipt", payment)
        self.assertIn(payment.isp_receipt_number, text)
        self.assertIn("Received with thanks", text)
        self.assertIssuerIn(text)

    def test_statement_names_the_company_and_its_address(self):
        self.pay(self.customer, 30.0, date="2026-03-02")
        statement = self.env["isp.statement"].create(
            {
                "partner_id": self.customer.id,
                "date_from": "2026-03-01",
                "date_to": "2026-03-31",
            }
        )
        text = self.pdf_text(
            "isp_prepaid_billing.action_report_isp_statement", statement
        )
        self.assertIn("Statement of Account", text)
        self.assertIn("Closing balance", text)
        self.assertIssuerIn(text)

    def test_refill_card_sheet_names_the_company_on_each_card(self):
        wizard = self.env["isp.refill.card.generate"].create(
            {"name": "R26", "count": 2, "value": 20.0, "company_id": self.company.id}
        )
        wizard.action_generate()
        text = self.pdf_text(
            "isp_prepaid_billing.action_report_isp_refill_cards", wizard
        )
        self.assertEqual(text.count("Skyline Fibre Ltd"), 2)
        for __, code in wizard._cards():
            self.assertIn(code, text)

    def test_html_preview_keeps_the_company_in_the_header_only(self):
        """The block is for PDFs without a header: the HTML preview (and a
        PDF from the patched build) has the layout's header."""
        payment = self.pay(self.customer, 30.0, date="2026-03-02")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "isp_prepaid_billing.action_report_isp_receipt", payment.ids
            )[0]
            .decode()
        )
        self.assertNotIn("isp-issuer", html)
        self.assertEqual(
            self.env["ir.actions.report"]._isp_pdf_without_header("pdf"),
            not has_patched_qt(),
        )
