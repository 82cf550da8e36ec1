# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
import base64

from odoo import models
from odoo.exceptions import UserError


class AccountStatementImport(models.TransientModel):
    _inherit = "account.statement.import"

    def _import_file(self):
        # A damaged file that a parser still reads (a cut OFX file reads as no
        # account at all) would otherwise be reported as "already imported".
        self.ensure_one()
        parsed = self.with_context(active_id=self.id)._parse_file(
            base64.b64decode(self.statement_file)
        )
        if not self._isp_has_transactions(parsed):
            raise UserError(
                self.env._(
                    "The file %(file)s holds no bank transaction: it is damaged "
                    "or not a bank statement.",
                    file=self.statement_filename or "",
                )
            )
        return super()._import_file()

    def _isp_has_transactions(self, parsed):
        """Whether ``_parse_file``'s result (a triple or a list of them) holds
        at least one transaction."""
        triples = parsed if isinstance(parsed, list) else [parsed]
        return any(
            statement.get("transactions")
            for triple in triples
            if isinstance(triple, tuple) and len(triple) == 3
            for statement in triple[2] or []
        )
