# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""A bank statement file imported the way accountants do (OCA's import wizard,
OFX): each transfer quoting an invoice, a proforma, a receipt or a customer's
payment reference lands on that customer's balance without a click, and goes
through the one money path; anything else waits for a person."""

import base64
from xml.sax.saxutils import escape

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from ..tools.payment_reference import check_digit, payment_reference
from .common import IspBillingCase

BANK_ACCOUNT = "987654321"


def ofx_file(currency, transactions, account=BANK_ACCOUNT):
    """An OFX 2 bank statement: ``transactions`` are (id, amount, payer, memo)."""
    entries = "".join(f"""
          <STMTTRN>
            <TRNTYPE>CREDIT</TRNTYPE>
            <DTPOSTED>20260318</DTPOSTED>
            <TRNAMT>{amount:.2f}</TRNAMT>
            <FITID>{fitid}</FITID>
            <NAME>{escape(payer)}</NAME>
            <MEMO>{escape(memo)}</MEMO>
          </STMTTRN>""" for fitid, amount, payer, memo in transactions)
    total = sum(amount for __, amount, __, __ in transactions)
    return f"""<?xml version="1.0" encoding="ASCII"?>
<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX>
  <SIGNONMSGSRSV1><SONRS>
    <STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
    <DTSERVER>20260318120000</DTSERVER><LANGUAGE>ENG</LANGUAGE>
  </SONRS></SIGNONMSGSRSV1>
  <BANKMSGSRSV1><STMTTRNRS>
    <TRNUID>0</TRNUID>
    <STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
    <STMTRS>
      <CURDEF>{currency}</CURDEF>
      <BANKACCTFROM>
        <BANKID>000000123</BANKID><ACCTID>{account}</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE>
      </BANKACCTFROM>
      <BANKTRANLIST>
        <DTSTART>20260301</DTSTART><DTEND>20260318</DTEND>{entries}
      </BANKTRANLIST>
      <LEDGERBAL><BALAMT>{total:.2f}</BALAMT><DTASOF>20260318</DTASOF></LEDGERBAL>
    </STMTRS>
  </STMTTRNRS></BANKMSGSRSV1>
</OFX>
""".encode()


@tagged("post_install", "-at_install")
@freeze_time("2026-03-18")
class TestBankStatement(IspBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank_journal.bank_account_id = cls.env["res.partner.bank"].create(
            {
                "acc_number": BANK_ACCOUNT,
                "partner_id": cls.company.partner_id.id,
                "company_id": cls.company.id,
            }
        )
        cls.Line = cls.env["account.bank.statement.line"]

    # === helpers === #

    def import_file(self, data, name="statement.ofx"):
        # _test_account_reconcile_oca: let account_reconcile_oca reconcile the
        # new lines as it does outside tests.
        wizard = (
            self.env["account.statement.import"]
            .with_context(_test_account_reconcile_oca=True)
            .create(
                {
                    "statement_filename": name,
                    "statement_file": base64.b64encode(data),
                }
            )
        )
        wizard.import_file_button()
        self.end_transaction()

    def invoiced_customer(self, name, blocked=False):
        """A recurring customer with an open 30.00 invoice for March."""
        customer = self.make_subscriber(name, billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        if blocked:
            self.sweep(customer, "2026-03-17")
            self.assertStatus(customer, "blocked")
        invoice = self.isp_invoices(customer)
        self.assertEqual(len(invoice), 1)
        return customer, invoice

    def proforma_customer(self, name, blocked=False):
        """A recurring customer asked to pay a 30.00 proforma (Tax Invoice on
        Payment) on the billing day."""
        customer = self.make_subscriber(name, billing_type="recurring")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.run_engine(customer, "2026-03-01")
        if blocked:
            self.sweep(customer, "2026-03-16")
            self.assertStatus(customer, "blocked")
        proforma = self.env["isp.proforma"].search([("partner_id", "=", customer.id)])
        self.assertEqual(len(proforma), 1)
        self.assertFalse(self.isp_invoices(customer))
        return customer, proforma

    def blocked_prepaid_customer(self, name):
        customer = self.make_subscriber(name, billing_type="prepaid")
        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        customer.sudo().isp_status = "active"
        self.run_engine(customer, "2026-03-01")  # no funds: blocked
        self.assertStatus(customer, "blocked")
        return customer

    def refill_receipt(self, customer, value):
        wizard = self.env["isp.refill.card.generate"].create(
            {"name": "BANK", "count": 1, "value": value, "company_id": self.company.id}
        )
        wizard.action_generate()
        __, error = self.env["isp.refill.card"]._isp_redeem(
            wizard._cards()[0][1], customer, "192.0.2.50"
        )
        self.assertFalse(error)
        self.end_transaction()
        payment = (
            self.env["isp.refill.card"]
            .search([("number", "=", wizard._cards()[0][0])])
            .payment_id
        )
        self.assertTrue(payment.isp_receipt_number)
        return payment.isp_receipt_number

    def lines(self, fitid_prefix):
        return self.Line.search([("unique_import_id", "like", f"%-{fitid_prefix}%")])

    # === tests === #

    def test_fifty_transfers_match_their_customers_and_settle(self):
        other_company = self.setup_other_company()["company"]
        stranger = self.env["res.partner"].create(
            {
                "name": "Other Company Subscriber",
                "isp_billing_enabled": True,
                "isp_billing_type": "prepaid",
                "isp_company_id": other_company.id,
            }
        )
        self.assertTrue(stranger.isp_payment_reference)

        # expected: fitid -> (customer, balance, status)
        transactions, expected = [], {}

        # 12 transfers quoting an invoice number; two customers are blocked,
        # one pays 50.00 on its 30.00 invoice.
        invoices = {}
        for index in range(12):
            customer, invoice = self.invoiced_customer(
                f"Inv Holder {index:02d}", blocked=index < 2
            )
            amount = 50.0 if index == 2 else 30.0
            fitid = f"INV{index:02d}"
            invoices[fitid] = invoice
            transactions.append(
                (fitid, amount, "Remitter", f"Invoice {invoice.name} March")
            )
            expected[fitid] = (customer, amount - 30.0, "active")

        # 15 transfers quoting a customer's payment reference: ten new
        # prepaid customers top up, three pay their open invoice, two blocked
        # prepaid customers get their service back. One bank wrote the
        # reference without its dashes.
        reference_invoices = {}
        for index in range(15):
            fitid = f"REF{index:02d}"
            if index < 10:
                customer = self.make_subscriber(f"Ref Payer {index:02d}")
                amount, balance, status = 25.0, 25.0, "new"
            elif index < 13:
                customer, reference_invoices[fitid] = self.invoiced_customer(
                    f"Ref Debtor {index:02d}"
                )
                amount, balance, status = 30.0, 0.0, "active"
            else:
                customer = self.blocked_prepaid_customer(f"Ref Blocked {index:02d}")
                amount, balance, status = 30.0, 0.0, "active"
            reference = customer.isp_payment_reference
            self.assertEqual(reference, payment_reference(customer.id))
            if index == 0:
                reference = reference.replace("-", "")
            transactions.append((fitid, amount, "Remitter", f"Top-up {reference}"))
            expected[fitid] = (customer, balance, status)

        # 8 transfers quoting a proforma number (Tax Invoice on Payment); one
        # customer was blocked on the proforma's blocking day.
        self.company.isp_tax_invoice_on_payment = True
        proformas = {}
        for index in range(8):
            customer, proforma = self.proforma_customer(
                f"Pro Payer {index:02d}", blocked=index == 0
            )
            fitid = f"PRO{index:02d}"
            proformas[fitid] = proforma
            transactions.append((fitid, 30.0, "Remitter", f"Proforma {proforma.name}"))
            expected[fitid] = (customer, 0.0, "active")

        # 1 transfer quoting the receipt of a refill card the customer redeemed.
        refill_customer = self.make_subscriber("Card User")
        receipt = self.refill_receipt(refill_customer, 10.0)
        transactions.append(("RCP00", 15.0, "Remitter", f"Receipt {receipt}"))
        expected["RCP00"] = (refill_customer, 25.0, "new")

        # 14 transfers nobody can place: no reference, unknown numbers, a
        # reference with a wrong check digit, the reference of another
        # company's customer.
        own = payment_reference(self.company.partner_id.id + 900000)
        wrong_digit = own[:-1] + str((int(check_digit(own[4:10])) + 1) % 10)
        unknown = [
            "Rent March",
            "Transfer 777777777",
            "INV/1999/00042",
            "Proforma 9999999999",
            wrong_digit,
            f"Top-up {stranger.isp_payment_reference}",
            "Receipt R-000000",
            "Refund",
            "ISP-12-3",
            "Salary",
            "Cash deposit",
            "Ref 000000000",
            "Invoice",
            "Donation",
        ]
        for index, memo in enumerate(unknown):
            transactions.append((f"UNK{index:02d}", 12.0, "Remitter", memo))
        self.assertEqual(len(transactions), 50)

        data = ofx_file(self.currency.name, transactions)
        self.import_file(data)

        statement_lines = self.lines("")
        self.assertEqual(len(statement_lines), 50)
        for fitid, (customer, balance, status) in expected.items():
            line = self.lines(fitid)
            with self.subTest(fitid=fitid, label=line.payment_ref):
                self.assertEqual(line.partner_id, customer)
                self.assertTrue(line.is_reconciled)
                counterpart = line.move_id.line_ids.filtered(
                    lambda aml: aml.account_type == "asset_receivable"
                )
                self.assertEqual(counterpart.partner_id, customer)
                self.assertBalance(customer, balance)
                self.assertBalanceIsReceivable(customer)
                self.assertFalse(customer.isp_billing_error)
                self.assertStatus(customer, status)

        for fitid, invoice in {**invoices, **reference_invoices}.items():
            with self.subTest(fitid=fitid):
                self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        for fitid, proforma in proformas.items():
            with self.subTest(fitid=fitid):
                self.assertEqual(proforma.state, "paid")
                self.assertIn(proforma.invoice_id.payment_state, ("paid", "in_payment"))
        # The blocked prepaid customers' money charged a period at once, from
        # the day it arrived.
        for fitid in ("REF13", "REF14"):
            customer = expected[fitid][0]
            self.assertEqual(
                customer.isp_contract_ids.isp_charged_until.isoformat(), "2026-04-17"
            )

        for line in self.lines("UNK"):
            with self.subTest(label=line.payment_ref):
                self.assertFalse(line.partner_id)
                self.assertFalse(line.is_reconciled)
                self.assertFalse(line._isp_reference_customer())
        self.assertBalance(stranger, 0.0)

        # The same file again: refused, nothing changes.
        balances = {fitid: c.isp_balance for fitid, (c, __, __) in expected.items()}
        with self.assertRefused(UserError, "already imported"):
            self.import_file(data)
        self.assertEqual(len(self.lines("")), 50)
        for fitid, (customer, __, __) in expected.items():
            self.assertBalance(customer, balances[fitid])

    def test_partly_known_statement_imports_only_new_lines(self):
        customer = self.make_subscriber("Partial Import")
        first = [("P1", 20.0, "Remitter", customer.isp_payment_reference)]
        self.import_file(ofx_file(self.currency.name, first))
        self.assertBalance(customer, 20.0)
        second = first + [("P2", 5.0, "Remitter", customer.isp_payment_reference)]
        self.import_file(ofx_file(self.currency.name, second))
        self.assertEqual(len(self.lines("P")), 2)
        self.assertBalance(customer, 25.0)
        self.assertBalanceIsReceivable(customer)

    def test_two_customers_quoted_on_one_transfer_wait_for_a_person(self):
        first = self.make_subscriber("Twin One")
        second = self.make_subscriber("Twin Two")
        memo = f"{first.isp_payment_reference} {second.isp_payment_reference}"
        self.import_file(ofx_file(self.currency.name, [("TW", 40.0, "Remitter", memo)]))
        line = self.lines("TW")
        self.assertFalse(line.partner_id)
        self.assertFalse(line.is_reconciled)
        self.assertBalance(first, 0.0)
        self.assertBalance(second, 0.0)

    def test_malformed_file_is_refused_and_writes_nothing(self):
        statements = self.env["account.bank.statement"].search_count([])
        attachments = self.env["ir.attachment"].search_count([])
        for data, message in (
            (b"<OFX><BANKMSGSRSV1><STMTTRN><TRNAMT>12", "holds no bank transaction"),
            (b"not a statement at all", "not supported"),
        ):
            with self.subTest(data=data), self.assertRefused(UserError, message):
                self.import_file(data, name="broken.ofx")
        self.assertEqual(
            self.env["account.bank.statement"].search_count([]), statements
        )
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)
        self.assertFalse(self.lines(""))

    def test_payment_reference_is_given_once_and_shown_to_the_customer(self):
        customer = self.make_subscriber("Shown Reference")
        reference = customer.isp_payment_reference
        self.assertRegex(reference, r"^ISP-\d{6}-\d$")
        customer.isp_billing_enabled = False
        customer.isp_billing_enabled = True
        self.assertEqual(customer.isp_payment_reference, reference)
        contact = self.env["res.partner"].create({"name": "Not billed"})
        self.assertFalse(contact.isp_payment_reference)

        self.make_subscription(customer, price=30.0, date_start="2026-03-01")
        self.company.write({"isp_proforma_enabled": True, "isp_proforma_day": 18})
        customer.action_isp_create_proforma()
        proforma = self.env["isp.proforma"].search([("partner_id", "=", customer.id)])
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "isp_prepaid_billing.action_report_isp_proforma", proforma.ids
            )[0]
            .decode()
        )
        self.assertIn(reference, html)

    def test_new_company_gets_the_matching_rules(self):
        company = self.setup_other_company()["company"]
        models = self.env["account.reconcile.model"].search(
            [("company_id", "=", company.id), ("isp_customer_reference", "=", True)]
        )
        self.assertEqual(
            sorted(models.mapped("rule_type")),
            ["invoice_matching", "writeoff_suggestion"],
        )
        self.assertTrue(all(models.mapped("auto_reconcile")))
        self.assertEqual(models.line_ids.account_id.account_type, "asset_receivable")
        self.assertEqual(models.line_ids.account_id.company_ids, company)
