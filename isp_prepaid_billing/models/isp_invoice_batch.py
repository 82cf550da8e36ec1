# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Create and post the billing engine's documents in bulk.

On a billing day most subscribers get an invoice that differs from their
neighbour's only by the customer, the descriptions and the dates: same plan,
same price, same taxes. Odoo derives the tax and receivable lines of every new
invoice again (``_sync_dynamic_lines``), which is half the cost of invoicing.
Here the first invoice of each such group is created the standard way; the
others get its tax and receivable lines as they are, with their own customer,
descriptions and due date. The group key holds everything those lines depend
on, and invoices with a payment term are always created the standard way.
"""

from collections import Counter, defaultdict
from contextlib import contextmanager

from odoo import Command, api, models
from odoo.tools import SQL

# Accounting documents made by the engine have no followers yet: skip the chatter
# noise that dominates the cost of mass invoicing (see perf notes).
QUIET_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}

# What a look-alike invoice takes from its group's first invoice, line by line.
TEMPLATE_LINE_FIELDS = (
    "display_type",
    "sequence",
    "account_id",
    "currency_id",
    "product_id",
    "product_uom_id",
    "quantity",
    "price_unit",
    "discount",
    "tax_ids",
    "tax_tag_ids",
    "tax_repartition_line_id",
    "group_tax_id",
    "tax_base_amount",
    "balance",
    "amount_currency",
    "analytic_distribution",
    "name",
)
# What stays the invoice's own on its product lines.
OWN_PRODUCT_LINE_FIELDS = ("name", "contract_line_id")


class IspInvoiceBatch(models.AbstractModel):
    _name = "isp.invoice.batch"
    _description = "ISP batch invoicing"

    @api.model
    def _create(self, vals_list):
        """Create the moves of ``vals_list``, in its order."""
        Move = self._quiet(self.env["account.move"], vals_list)
        groups = defaultdict(list)
        standard = []
        analytic_models = {}
        for index, vals in enumerate(vals_list):
            key = self._template_key(vals, analytic_models)
            if key is None:
                standard.append(index)
            else:
                groups[key].append(index)
        firsts = [indexes[0] for indexes in groups.values()]
        moves_by_index = dict(
            zip(
                standard + firsts,
                Move.create([vals_list[i] for i in standard + firsts]),
                strict=True,
            )
        )
        look_alikes = []
        look_alike_vals = []
        for indexes in groups.values():
            template = self._template(moves_by_index[indexes[0]])
            for index in indexes[1:]:
                look_alikes.append(index)
                look_alike_vals.append(self._from_template(vals_list[index], template))
        # The lines are complete: nothing for Odoo to derive again.
        created = Move.with_context(skip_invoice_sync=True).create(look_alike_vals)
        moves_by_index.update(zip(look_alikes, created, strict=True))
        return Move.browse([moves_by_index[i].id for i in range(len(vals_list))])

    @api.model
    def _quiet(self, records, vals_list=None):
        """Engine documents skip the chatter, except in companies that keep
        the audit trail: there they leave the trail Odoo leaves."""
        company_ids = {vals["company_id"] for vals in vals_list} if vals_list else set(records.company_id.ids)
        companies = self.env["res.company"].browse(company_ids)
        if any(companies.mapped("check_account_audit_trail")):
            return records
        return records.with_context(**QUIET_CONTEXT)

    @api.model
    def _template_key(self, vals, analytic_models=None):
        """What the tax and receivable lines of an invoice depend on, or None
        when the invoice must be created the standard way. Sets the invoice's
        fiscal position in ``vals``, so that it and its template share it."""
        if vals.get("move_type") != "out_invoice":
            return None
        company = self.env["res.company"].browse(vals["company_id"])
        partner = (
            self.env["res.partner"].browse(vals["partner_id"]).with_company(company)
        )
        if partner.property_payment_term_id or vals.get("invoice_payment_term_id"):
            return None  # installments and early payment discounts: standard way
        if "fiscal_position_id" not in vals:
            # As Odoo's invoice does: from the customer and its delivery address.
            delivery = self.env["res.partner"].browse(
                partner.address_get(["delivery"])["delivery"]
            )
            vals["fiscal_position_id"] = (
                self.env["account.fiscal.position"]
                .with_company(company)
                ._get_fiscal_position(partner, delivery=delivery)
                .id
            )
        lines = tuple(
            (
                line["product_id"],
                line["price_unit"],
                line["quantity"],
                line.get("discount", 0.0),
                repr(sorted((line.get("analytic_distribution") or {}).items())),
            )
            for __, __, line in vals["invoice_line_ids"]
        )
        return (
            company.id,
            vals["journal_id"],
            vals["currency_id"],
            vals["date"],
            vals["fiscal_position_id"],
            partner.property_account_receivable_id.id,
            lines,
            self._analytic_key(partner, company, analytic_models),
        )

    @api.model
    def _analytic_key(self, partner, company, analytic_models=None):
        """What of the customer analytic distribution models read: the partner
        itself and its tags, where some model names them."""
        analytic_models = {} if analytic_models is None else analytic_models
        if company.id not in analytic_models:
            analytic_models[company.id] = self._analytic_models(company)
        models_ = analytic_models[company.id]
        tags = partner.category_id & models_.partner_category_id
        return (
            partner.commercial_partner_id.id
            if partner.commercial_partner_id in models_.partner_id
            else None,
            tuple(sorted(tags.ids)),
        )

    @api.model
    def _analytic_models(self, company):
        """Analytic distribution models that depend on the customer."""
        return (
            self.env["account.analytic.distribution.model"]
            .sudo()
            .search(
                [
                    ("company_id", "in", (False, company.id)),
                    "|",
                    ("partner_id", "!=", False),
                    ("partner_category_id", "!=", False),
                ]
            )
        )

    @api.model
    def _template(self, move):
        def write_values(line):
            return {
                name: line._fields[name].convert_to_write(line[name], line)
                for name in TEMPLATE_LINE_FIELDS
            }

        lines = move.line_ids.sorted(lambda line: (line.sequence, line.id))
        return {
            "product": [
                write_values(line) for line in lines if line.display_type == "product"
            ],
            "other": [
                write_values(line) for line in lines if line.display_type != "product"
            ],
        }

    @api.model
    def _from_template(self, vals, template):
        own_lines = [line for __, __, line in vals["invoice_line_ids"]]
        partner_id = vals["partner_id"]
        line_vals = [
            {
                **template_line,
                **{
                    name: line[name] for name in OWN_PRODUCT_LINE_FIELDS if name in line
                },
                "partner_id": partner_id,
            }
            for template_line, line in zip(template["product"], own_lines, strict=True)
        ]
        for template_line in template["other"]:
            values = dict(template_line, partner_id=partner_id)
            if values["display_type"] == "payment_term":
                values["date_maturity"] = vals["invoice_date_due"]
            line_vals.append(values)
        return {
            key: value for key, value in vals.items() if key != "invoice_line_ids"
        } | {"line_ids": [Command.create(values) for values in line_vals]}

    @api.model
    def _post(self, moves):
        """Post the engine's new moves with the per-document work done once.

        ``_post`` subscribes each customer and sets ``checked`` document by
        document, each a full ``write`` with line synchronisation: the two cost
        as much as the rest of posting. The followers are inserted here in one
        go, and ``checked`` is only cached by ``_post`` and flushed as one
        UPDATE; its write has no business logic besides storing the flag.
        """
        self._subscribe_customers(moves)
        # Nothing changed the lines since ``_create`` made them complete (the
        # standard way or from a template): posting has nothing to derive again.
        moves = moves.with_context(skip_invoice_sync=True, isp_engine=True)
        if any(moves.company_id.mapped("check_account_audit_trail")):
            # The trail records the posting field by field, ``checked`` included.
            with self._deferred_customer_ranks():
                moves._post(soft=False)
            return
        with (
            self.env.protecting([moves._fields["checked"]], moves),
            self._deferred_customer_ranks(),
        ):
            moves._post(soft=False)

    @contextmanager
    def _deferred_customer_ranks(self):
        """``_post`` counts each customer's invoices with a savepoint, a row lock
        and an UPDATE per customer; collect the counts and write them at once.
        The engine holds the customers' rows locked already."""
        cache = self.env.cr.cache
        cache["isp_deferred_customer_ranks"] = deferred = Counter()
        try:
            yield
        finally:
            del cache["isp_deferred_customer_ranks"]
        by_count = defaultdict(list)
        for partner_id, count in deferred.items():
            by_count[count].append(partner_id)
        Partner = self.env["res.partner"]
        for count, partner_ids in by_count.items():
            self.env.execute_query(
                SQL(
                    "UPDATE res_partner SET customer_rank = customer_rank + %s "
                    "WHERE id IN %s",
                    count,
                    tuple(partner_ids),
                )
            )
            partners = Partner.browse(partner_ids)
            partners.invalidate_recordset(["customer_rank"])
            partners.modified(["customer_rank"])

    @api.model
    def _subscribe_customers(self, moves):
        moves.check_access("write")  # what message_subscribe checks before its sudo
        Followers = self.env["mail.followers"]
        customers = moves.partner_id.filtered("partner_share")
        values = []
        for move in moves:
            new, __ = Followers._add_default_followers(
                move._name,
                move.ids,
                move.partner_id.ids,
                customer_ids=customers.ids,
                check_existing=False,  # a document just created has no followers
            )
            values += [
                dict(vals, res_id=res_id)
                for res_id, vals_list in new.items()
                for vals in vals_list
            ]
        Followers.sudo().create(values)
        moves.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    @api.model
    def _reconcile(self, reconciliation_plan):
        """Odoo's batched reconciliation, without deriving the dynamic lines of
        the posted moves involved again: reconciling changes only residual
        amounts. Entries it creates on the way (exchange differences, cash
        basis) are made inside the reconciliation, where Odoo already skips it.
        """
        self.env["account.move.line"].with_context(
            skip_invoice_sync=True, isp_engine=True
        )._reconcile_plan(reconciliation_plan)
