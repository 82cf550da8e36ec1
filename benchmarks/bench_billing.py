"""Billing-day throughput: our engine against OCA contract's own invoicing.

Seeds N ISP subscribers (recurring, monthly, 30.00, with a prepayment on their
balance) and, in the same database, N identical plain OCA contracts. Then, for
the same billing day, it times

* OCA contract's cron ``cron_recurring_create_invoice`` plus posting the drafts
  (one transaction, as the cron does), and
* our cron ``_cron_isp_charge`` (invoice, post, reconcile with the balance,
  status), called batch after batch with a commit in between, as ir.cron does.

Each timed phase starts after a VACUUM ANALYZE of the database.

Usage (see README): scripts/bench.sh [--audit-trail] [N ...]   (default: 1000 5000)
Prints both rates, their ratio and the time per subscriber; not a test.
"""

import argparse
import sys
import time
from datetime import date

import odoo
from odoo import Command, SUPERUSER_ID, api
from odoo.tools import config

BILLING_DAY = date(2026, 1, 1)
PRICE = 30.0
SEED_CHUNK = 500


def seed(env, n, tag, plain_contracts=True):
    """N ISP subscribers and, with ``plain_contracts``, N plain OCA contracts."""
    company = env.company
    product = env["product.product"].create(
        {"name": f"Bench plan {tag}", "type": "service", "list_price": PRICE,
         "taxes_id": [Command.clear()]}
    )
    ctx = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True,
           "mail_create_nosubscribe": True}
    Partner = env["res.partner"].with_context(**ctx)
    Contract = env["contract.contract"].with_context(**ctx)
    isp_partners = Partner.browse()
    for start in range(0, n, SEED_CHUNK):
        count = min(SEED_CHUNK, n - start)
        isp = Partner.create([
            {"name": f"ISP {tag}-{start + i}", "isp_billing_enabled": True,
             "isp_billing_type": "recurring", "isp_company_id": company.id,
             "customer_rank": 1}
            for i in range(count)
        ])
        plain = (
            Partner.create([{"name": f"Plain {tag}-{start + i}"} for i in range(count)])
            if plain_contracts else Partner.browse()
        )
        line = {"product_id": product.id, "name": "Internet", "quantity": 1,
                "price_unit": PRICE, "date_start": BILLING_DAY,
                "recurring_next_date": BILLING_DAY}
        Contract.create([
            {"name": f"Sub {p.name}", "partner_id": p.id, "date_start": BILLING_DAY,
             "contract_line_ids": [Command.create(dict(line))]}
            for p in isp | plain
        ])
        isp.write({"isp_status": "active", "isp_status_date": BILLING_DAY})
        isp_partners |= isp
        env.cr.commit()
    # One opening entry credits every subscriber's receivable (their prepayment).
    receivable = env["res.partner"]._fields["property_account_receivable_id"]
    account = receivable.get_company_dependent_fallback(env["res.partner"])
    journal = env["account.journal"].search(
        [("type", "=", "general"), ("company_id", "=", company.id)], limit=1)
    equity = env["account.account"].search(
        [("account_type", "=", "equity"), ("company_ids", "in", company.id)], limit=1)
    for chunk_start in range(0, n, SEED_CHUNK):
        chunk = isp_partners[chunk_start:chunk_start + SEED_CHUNK]
        move = env["account.move"].with_context(**ctx).create({
            "move_type": "entry", "journal_id": journal.id, "date": date(2025, 12, 31),
            "line_ids": [Command.create({"account_id": account.id, "partner_id": p.id,
                                         "credit": PRICE * 2, "name": "Prepayment"})
                         for p in chunk]
            + [Command.create({"account_id": equity.id, "debit": PRICE * 2 * len(chunk),
                               "name": "Prepayments"})],
        })
        move.action_post()
        env.cr.commit()
    return isp_partners


def settle(registry):
    """VACUUM ANALYZE, so neither side pays for the other's dead rows or
    stale planner statistics (autovacuum would otherwise run mid-measure)."""
    cr = odoo.sql_db.db_connect(registry.db_name).cursor()
    try:
        cr._cnx.autocommit = True  # VACUUM cannot run inside a transaction
        cr.execute("VACUUM ANALYZE")
    finally:
        cr.close()


def time_contract_cron(env):
    start = time.perf_counter()
    Contract = env["contract.contract"]
    Contract.cron_recurring_create_invoice(BILLING_DAY)
    created = time.perf_counter()
    moves = env["account.move"].search(
        [("state", "=", "draft"), ("move_type", "=", "out_invoice"),
         ("invoice_date", "=", BILLING_DAY), ("isp_is_billing", "=", False)])
    moves.action_post()
    env.cr.commit()
    end = time.perf_counter()
    return len(moves), created - start, end - created


def run_cron_to_completion(env, cron_method):
    """Call a batch cron method as ir.cron does: commit after each batch."""
    while True:
        done, __ = cron_method(BILLING_DAY)
        env.cr.commit()
        if not done:
            return


def time_our_cron(env, isp_partners):
    Partner = env["res.partner"]
    start = time.perf_counter()
    run_cron_to_completion(env, Partner._cron_isp_charge)
    charged = time.perf_counter()
    run_cron_to_completion(env, Partner._cron_isp_status)
    end = time.perf_counter()
    invoices = env["account.move"].search_count(
        [("partner_id", "in", isp_partners.ids), ("isp_is_billing", "=", True),
         ("state", "=", "posted"), ("payment_state", "in", ("paid", "in_payment"))])
    return invoices, charged - start, end - charged


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument(
        "--audit-trail", action="store_true",
        help="turn on the company's audit trail: both sides then leave Odoo's trail "
        "(creation message and tracked posting) on every invoice")
    args = parser.parse_args()
    config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    results = []
    for n in args.sizes:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env.company.check_account_audit_trail = args.audit_trail
            cr.commit()
            t0 = time.perf_counter()
            isp_partners = seed(env, n, f"n{n}-{int(t0)}")
            print(f"N={n}: seeded in {time.perf_counter() - t0:.0f}s", flush=True)
            settle(registry)
            count_c, create_s, post_s = time_contract_cron(env)
            print(f"N={n}: contract cron {count_c} invoices: create {create_s:.1f}s "
                  f"post {post_s:.1f}s", flush=True)
            settle(registry)
            count_i, charge_s, status_s = time_our_cron(env, isp_partners)
            print(f"N={n}: ISP engine {count_i} invoices paid from balance: "
                  f"charge {charge_s:.1f}s status {status_s:.1f}s", flush=True)
            results.append((n, count_c, create_s + post_s, count_i, charge_s + status_s))
    print()
    print("| N | contract create+post /s | ISP full cycle /s | ratio | ISP ms/subscriber |")
    print("|---|---|---|---|---|")
    for n, count_c, contract_s, count_i, isp_s in results:
        contract_rate = count_c / contract_s
        isp_rate = count_i / isp_s
        print(f"| {n} | {contract_rate:.1f} | {isp_rate:.1f} | {isp_rate / contract_rate:.2f} "
              f"| {1000 * isp_s / max(count_i, 1):.1f} |")
    if len(results) >= 2:
        (n1, *_, c1, s1), (n2, *_, c2, s2) = results[0], results[-1]
        growth = (s2 / c2) / (s1 / c1) - 1
        print(f"\nTime per subscriber from N={n1} to N={n2}: {growth:+.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
