"""A realistic billing day on queue_job, with 1 and with 2 job workers.

Seeds (not timed) N subscribers: 60% prepaid, 30% recurring, 10% postpaid, on
three plans (20.00, 35.00, 60.00 a month, 50/35/15%) with a 15% VAT; 80% of
the prepaid customers have a month or two on their balance and 20% are short
of funds (the charge blocks them); 5% of all customers (recurring) have
December's invoice open past its due date (the status sweep blocks them).
Template customers are made with the ORM, their copies with SQL
(``INSERT ... SELECT`` of the template rows), the opening balances with the
ORM, December's invoices by the engine itself.

Then, for each worker count W, on a copy of the seeded database, an Odoo
server with W HTTP workers and queue_job's job runner (``--load
base,web,queue_job``, channel ``root.isp_billing:W``) runs the billing day:
the charge cron enqueues its jobs, the workers run them; then the status cron;
then the day's notifications are queued (``_isp_queue_due_events``, in this
process). The time is from the first enqueue to the last job done.

OCA contract's cron (create + post, one transaction, as it runs) is timed on a
sample of plain contracts of the same plans in the same seeded database.

Usage: scripts/bench.sh --realistic [--workers 1 2] [--contract-sample 1000]
       [--max-minutes M] [--profile] N [N ...]
Not a test. Prints a table for the README.
"""

import argparse
import cProfile
import io
import os
import pstats
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date

import psutil

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.tools import config

BILLING_DAY = date(2026, 1, 1)
LAST_MONTH = date(2025, 12, 1)
PLANS = [("Home 20 Mbit/s", 20.0), ("Home 50 Mbit/s", 35.0), ("Business 100 Mbit/s", 60.0)]
QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "mail_create_nosubscribe": True,
}
UNFINISHED = ("wait_dependencies", "pending", "enqueued", "started")
# The Odoo server of the timed runs, without its websocket (gevent) process:
# the benchmark has no browser, and a gevent process that cannot start (here:
# a missing zope.interface) is respawned again and again, eating a core.
LAUNCHER = """
import subprocess, sys
from odoo.service import server
def no_gevent(self):
    self.long_polling_pid = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(10**7)"]).pid
server.PreforkServer.long_polling_spawn = no_gevent
import odoo.cli
odoo.cli.main()
"""


def customer_kind(i):
    """(billing type, plan index, situation) of the i-th customer."""
    slot = i % 20
    billing_type = "prepaid" if slot % 10 < 6 else "recurring" if slot % 10 < 9 else "postpaid"
    step = (i // 20) % 20
    plan = 0 if step < 10 else 1 if step < 17 else 2
    if billing_type == "prepaid":
        situation = "short" if (i // 20) % 5 == 0 else "funded"
    elif slot == 6:
        situation = "past_due"
    else:
        situation = "normal"
    return billing_type, plan, situation


# === SEEDING (not timed) === #


def setup(env):
    company = env.company
    company.write(
        {
            "isp_batch_size": 200,
            "isp_billing_day": 1,
            "isp_payment_due_days": 15,
            "isp_blocking_days": 0,
            "isp_deactivation_days": 60,
            "check_account_audit_trail": False,
        }
    )
    tax = env["account.tax"].search(
        [
            ("company_id", "=", company.id),
            ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"),
            ("amount", "=", 15.0),
        ],
        limit=1,
    ) or env["account.tax"].create(
        {"name": "VAT 15%", "amount": 15.0, "type_tax_use": "sale", "company_id": company.id}
    )
    products = env["product.product"].create(
        [
            {"name": name, "type": "service", "list_price": price, "taxes_id": [Command.set(tax.ids)]}
            for name, price in PLANS
        ]
    )
    return company, tax, products


def make_template(env, company, product, price, billing_type, situation):
    Partner = env["res.partner"].with_context(**QUIET)
    start = LAST_MONTH if situation == "past_due" else BILLING_DAY
    partner = Partner.create(
        {
            "name": f"Template {billing_type} {product.name} {situation}",
            "isp_billing_enabled": True,
            "isp_billing_type": billing_type,
            "isp_company_id": company.id,
            "customer_rank": 1,
        }
    )
    contract = env["contract.contract"].with_context(**QUIET).create(
        {
            "name": f"Internet {partner.name}",
            "partner_id": partner.id,
            "company_id": company.id,
            "date_start": start,
            "contract_line_ids": [
                Command.create(
                    {
                        "product_id": product.id,
                        "name": product.name,
                        "quantity": 1,
                        "price_unit": price,
                        "date_start": start,
                    }
                )
            ],
        }
    )
    partner.write({"isp_status": "active", "isp_status_date": start})
    env.flush_all()
    return partner, contract


def columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def clone_sql(cr, table, overrides, source_join):
    """INSERT INTO table SELECT template row with ``overrides`` per copy."""
    cols = columns(cr, table)
    select = ", ".join(overrides.get(col, f"t.{col}") for col in cols)
    cr.execute(
        f"INSERT INTO {table} (id, {', '.join(cols)}) "  # noqa: S608 - bench, fixed names
        f"SELECT {overrides['id']}, {select} FROM bench_map m {source_join}"
    )


def clone_customers(env, templates, n, tag):
    """Copy the template customer and subscription of each customer's kind."""
    from odoo.addons.isp_prepaid_billing.tools.payment_reference import payment_reference

    cr = env.cr
    cr.execute("SELECT nextval('res_partner_id_seq') FROM generate_series(1, %s)", [n])
    partner_ids = [row[0] for row in cr.fetchall()]
    cr.execute("SELECT nextval('contract_contract_id_seq') FROM generate_series(1, %s)", [n])
    contract_ids = [row[0] for row in cr.fetchall()]
    cr.execute("SELECT nextval('contract_line_id_seq') FROM generate_series(1, %s)", [n])
    line_ids = [row[0] for row in cr.fetchall()]
    kinds = [customer_kind(i) for i in range(n)]
    tpl_partner = [templates[kind][0].id for kind in kinds]
    tpl_contract = [templates[kind][1].id for kind in kinds]
    names = [f"Subscriber {tag}-{i}" for i in range(n)]
    refs = [payment_reference(pid) for pid in partner_ids]
    cr.execute("DROP TABLE IF EXISTS bench_map")
    cr.execute(
        "CREATE TEMP TABLE bench_map AS SELECT * FROM unnest("
        "%s::int[], %s::int[], %s::int[], %s::int[], %s::int[], %s::text[], %s::text[]) "
        "AS m(tpl_partner, tpl_contract, partner_id, contract_id, line_id, name, ref)",
        [tpl_partner, tpl_contract, partner_ids, contract_ids, line_ids, names, refs],
    )
    now = "(now() at time zone 'UTC')"
    clone_sql(
        cr,
        "res_partner",
        {
            "id": "m.partner_id",
            "name": "m.name",
            "complete_name": "m.name",
            "commercial_partner_id": "m.partner_id",
            "isp_payment_reference": "m.ref",
            "create_date": now,
            "write_date": now,
        },
        "JOIN res_partner t ON t.id = m.tpl_partner",
    )
    clone_sql(
        cr,
        "contract_contract",
        {
            "id": "m.contract_id",
            "name": "'Internet ' || m.name",
            "partner_id": "m.partner_id",
            "invoice_partner_id": "m.partner_id",
            "commercial_partner_id": "m.partner_id",
            "access_token": "NULL",
            "create_date": now,
            "write_date": now,
        },
        "JOIN contract_contract t ON t.id = m.tpl_contract",
    )
    clone_sql(
        cr,
        "contract_line",
        {
            "id": "m.line_id",
            "contract_id": "m.contract_id",
            "partner_id": "m.partner_id",
            "create_date": now,
            "write_date": now,
        },
        "JOIN contract_line t ON t.contract_id = m.tpl_contract",
    )
    env.invalidate_all()
    return env["res.partner"].browse(partner_ids), kinds


def fund(env, partners, kinds, company, chunk=50):
    """Opening entries credit funded prepaid customers with one or two months
    of their plan, VAT included, 50 customers an entry (like a day's top-ups:
    one entry for all would make every reconciliation recompute a huge move).
    The ORM posts each entry with one customer line, SQL copies it for the
    others."""
    receivable = env["res.partner"]._fields["property_account_receivable_id"]
    account = receivable.get_company_dependent_fallback(env["res.partner"])
    journal = env["account.journal"].search(
        [("type", "=", "general"), ("company_id", "=", company.id)], limit=1
    )
    equity = env["account.account"].search(
        [("account_type", "=", "equity"), ("company_ids", "in", company.id)], limit=1
    )
    funded = [
        (partner.id, round(PLANS[plan][1] * 1.15 * (1 + index % 2), 2))
        for index, (partner, (billing_type, plan, situation)) in enumerate(
            zip(partners, kinds, strict=True)
        )
        if situation == "funded"
    ]
    cr = env.cr
    cols = columns(cr, "account_move_line")
    money = {"credit": "f.amount", "debit": "0", "balance": "-f.amount",
             "amount_currency": "-f.amount", "amount_residual": "-f.amount",
             "amount_residual_currency": "-f.amount", "partner_id": "f.partner_id"}
    select = ", ".join(money.get(col, f"t.{col}") for col in cols)
    for begin in range(0, len(funded), chunk):
        part = funded[begin : begin + chunk]
        (first_id, first_amount), rest = part[0], part[1:]
        total = round(sum(amount for __, amount in part), 2)
        move = env["account.move"].with_context(**QUIET).create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": date(2025, 12, 31),
                "line_ids": [
                    Command.create({"account_id": account.id, "partner_id": first_id,
                                    "credit": first_amount, "name": "Prepayment"}),
                    Command.create({"account_id": equity.id, "debit": first_amount,
                                    "name": "Prepayments"}),
                ],
            }
        )
        move.action_post()
        env.flush_all()
        template = move.line_ids.filtered(lambda line: line.partner_id)
        counterpart = move.line_ids - template
        if rest:
            cr.execute(
                f"INSERT INTO account_move_line ({', '.join(cols)}) "  # noqa: S608 - bench
                f"SELECT {select} FROM unnest(%s::int[], %s::numeric[]) "
                "AS f(partner_id, amount), account_move_line t WHERE t.id = %s",
                [[pid for pid, __ in rest], [amount for __, amount in rest], template.id],
            )
        cr.execute(
            "UPDATE account_move_line SET debit = %s, balance = %s, amount_currency = %s "
            "WHERE id = %s",
            [total, total, total, counterpart.id],
        )
        cr.execute(
            "UPDATE account_move SET amount_total = %s, amount_total_signed = %s, "
            "amount_total_in_currency_signed = %s WHERE id = %s",
            [total, total, total, move.id],
        )
        env.invalidate_all()
        if begin % 5000 == 0:
            cr.commit()
    cr.commit()
    return len(funded)


def bill_last_month(env, partners, kinds):
    """December's invoices of the past-due customers, by the engine, unpaid."""
    past_due = env["res.partner"].browse(
        [p.id for p, kind in zip(partners, kinds, strict=True) if kind[2] == "past_due"]
    )
    engine = env["isp.billing.engine"]
    for start in range(0, len(past_due), 200):
        engine._execute(past_due[start : start + 200], LAST_MONTH)
        env.cr.commit()
    return past_due


def seed_plain_contracts(env, products, k, tag):
    """K plain OCA contracts (no ISP billing) on the same plans, for contract's cron."""
    Partner = env["res.partner"].with_context(**QUIET)
    Contract = env["contract.contract"].with_context(**QUIET)
    for start in range(0, k, 500):
        count = min(500, k - start)
        partners = Partner.create([{"name": f"Plain {tag}-{start + i}"} for i in range(count)])
        Contract.create(
            [
                {
                    "name": f"Sub {p.name}",
                    "partner_id": p.id,
                    "date_start": BILLING_DAY,
                    "contract_line_ids": [
                        Command.create(
                            {
                                "product_id": products[customer_kind(start + i)[1]].id,
                                "name": "Internet",
                                "quantity": 1,
                                "price_unit": PLANS[customer_kind(start + i)[1]][1],
                                "date_start": BILLING_DAY,
                                "recurring_next_date": BILLING_DAY,
                            }
                        )
                    ],
                }
                for i, p in enumerate(partners)
            ]
        )
        env.cr.commit()


def seed(registry, n, contract_sample):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company, tax, products = setup(env)
        templates = {}
        for i in range(min(n, 400)):
            kind = customer_kind(i)
            if kind not in templates:
                billing_type, plan, situation = kind
                templates[kind] = make_template(
                    env, company, products[plan], PLANS[plan][1], billing_type, situation
                )
        cr.commit()
        t0 = time.perf_counter()
        partners, kinds = clone_customers(env, templates, n, f"n{n}")
        cr.commit()
        t1 = time.perf_counter()
        funded = fund(env, partners, kinds, company)
        t2 = time.perf_counter()
        past_due = bill_last_month(env, partners, kinds)
        t3 = time.perf_counter()
        # The templates are not customers of the day.
        env["res.partner"].browse([p.id for p, __ in templates.values()]).write(
            {"isp_billing_enabled": False}
        )
        for __, contract in templates.values():
            contract.active = False
        seed_plain_contracts(env, products, contract_sample, f"n{n}")
        cr.commit()
        t4 = time.perf_counter()
        print(
            f"N={n}: seeded {len(partners)} subscribers by SQL in {t1 - t0:.0f}s, "
            f"{funded} balances in {t2 - t1:.0f}s, {len(past_due)} past-due December "
            f"invoices in {t3 - t2:.0f}s, {contract_sample} plain contracts in {t4 - t3:.0f}s",
            flush=True,
        )


# === TIMED BILLING DAY === #


def settle(db_name):
    cr = odoo.sql_db.db_connect(db_name).cursor()
    try:
        cr._cnx.autocommit = True  # VACUUM cannot run inside a transaction
        cr.execute("VACUUM ANALYZE")
    finally:
        cr.close()


def start_server(conf, db, workers, port, log):
    env = dict(os.environ, ODOO_QUEUE_JOB_CHANNELS=f"root:{workers},root.isp_billing:{workers}")
    cmd = [
        sys.executable, "-c", LAUNCHER, "-c", conf, "-d", db, "--db-filter", f"^{db}$",
        "--workers", str(workers), "--max-cron-threads", "0",
        "--http-port", str(port), "--gevent-port", str(port + 1),
        "--load", "base,web,queue_job",
        "--limit-time-cpu", "3600", "--limit-time-real", "7200",
        "--limit-memory-soft", str(4 << 30), "--limit-memory-hard", str(6 << 30),
        "--log-level", "warn", "--logfile", log,
    ]
    # close_fds: the server must not hold the benchmark's flock
    proc = subprocess.Popen(cmd, env=env, close_fds=True, start_new_session=True)
    for __ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=2)
            return proc
        except OSError:
            time.sleep(1)
    stop_server(proc)
    raise RuntimeError(f"Odoo did not start on port {port}; see {log}")


def stop_server(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def cpu_seconds(server_pid):
    """CPU seconds used so far by PostgreSQL's processes and by the server's."""
    pg = odoo_s = 0.0
    tree = set()
    try:
        root = psutil.Process(server_pid)
        tree = {root.pid} | {child.pid for child in root.children(recursive=True)}
    except psutil.NoSuchProcess:
        pass
    for proc in psutil.process_iter(["name", "cpu_times"]):
        times = proc.info["cpu_times"]
        if not times:
            continue
        spent = times.user + times.system + times.children_user + times.children_system
        if proc.pid in tree:
            odoo_s += spent
        elif (proc.info["name"] or "").startswith("postgres"):
            pg += spent
    return pg, odoo_s


def wait_jobs(cr, deadline, label):
    last = 0
    while True:
        cr.execute(
            "SELECT state, count(*), coalesce(sum(retry), 0) FROM queue_job "
            "WHERE channel = 'root.isp_billing' GROUP BY state"
        )
        states = {state: (count, retries) for state, count, retries in cr.fetchall()}
        cr.commit()
        left = sum(states.get(s, (0, 0))[0] for s in UNFINISHED)
        if not left:
            return states, True
        if time.perf_counter() > deadline:
            return states, False
        if time.perf_counter() - last > 60:
            print(f"  {label}: {left} jobs left", flush=True)
            last = time.perf_counter()
        time.sleep(0.5)


def billing_day(registry, server_pid, max_minutes):
    """Charge, status, notifications queued; returns what was done and when."""
    deadline = time.perf_counter() + 60 * max_minutes
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"isp_billing_jobs": True})
        pg0, odoo0 = cpu_seconds(server_pid)
        t0 = time.perf_counter()
        env["res.partner"]._cron_isp_charge(BILLING_DAY)
        cr.commit()
        charge_states, complete = wait_jobs(cr, deadline, "charge")
        t1 = time.perf_counter()
        status_states = {}
        if complete:
            env["res.partner"]._cron_isp_status(BILLING_DAY)
            cr.commit()
            status_states, complete = wait_jobs(cr, deadline, "status")
        t2 = time.perf_counter()
        queued = 0
        if complete:
            before = env["isp.notification"].search_count([])
            env["isp.notification"]._isp_queue_due_events(BILLING_DAY)
            cr.commit()
            queued = env["isp.notification"].search_count([]) - before
        t3 = time.perf_counter()
        pg1, odoo1 = cpu_seconds(server_pid)
        cr.execute(
            "SELECT count(*) FILTER (WHERE l.action = 'charge'), "
            "count(*) FILTER (WHERE l.action = 'block'), "
            "count(*) FILTER (WHERE l.action = 'error'), "
            "count(DISTINCT l.partner_id) "
            "FROM isp_billing_run_line l JOIN isp_billing_run r ON r.id = l.run_id "
            "WHERE r.run_type = 'cron' AND r.date = %s",
            [BILLING_DAY],
        )
        charged, blocked, errors, customers = cr.fetchone()
        cr.execute(
            "SELECT count(*) FROM res_partner WHERE isp_billing_enabled "
            "AND (isp_charge_checked_on = %s)",
            [BILLING_DAY],
        )
        handled = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*) FROM res_partner WHERE isp_billing_enabled AND isp_status = 'blocked'"
        )
        blocked_now = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*) FILTER (WHERE state = 'failed'), count(*) FILTER (WHERE retry > 1), "
            "count(*) FROM queue_job WHERE channel = 'root.isp_billing'"
        )
        failed, retried, jobs = cr.fetchone()
    return {
        "charge_s": t1 - t0, "status_s": t2 - t1, "notify_s": t3 - t2, "total_s": t3 - t0,
        "complete": complete, "charged": charged, "blocked_lines": blocked, "errors": errors,
        "customers_in_run": customers, "handled": handled, "blocked_now": blocked_now,
        "notifications": queued, "failed_jobs": failed, "retried_jobs": retried, "jobs": jobs,
        "pg_cpu": pg1 - pg0, "odoo_cpu": odoo1 - odoo0,
        "charge_states": charge_states, "status_states": status_states,
    }


def time_contract_cron(registry):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        env["contract.contract"].cron_recurring_create_invoice(BILLING_DAY)
        created = time.perf_counter()
        moves = env["account.move"].search(
            [("state", "=", "draft"), ("move_type", "=", "out_invoice"),
             ("invoice_date", "=", BILLING_DAY), ("isp_is_billing", "=", False)]
        )
        moves.action_post()
        cr.commit()
        return len(moves), time.perf_counter() - start, created - start


def profile_batch(registry, out):
    """cProfile of one charge job (200 customers) in this process."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"isp_billing_jobs": True})
        Run = env["isp.billing.run"]
        company = env.company
        run = Run.with_company(company)._scheduled_run(company, BILLING_DAY)
        ids = env["res.partner"].search(
            Run._pending_domain("charge", company, BILLING_DAY), limit=200, order="id"
        ).ids
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        run._isp_job_batch("charge", ids)
        env.flush_all()
        profiler.disable()
        elapsed = time.perf_counter() - start
        cr.commit()
    profiler.dump_stats(out.replace(".txt", ".prof"))
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    buf.write(phases(stats, elapsed))
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    with open(out, "w") as handle:
        handle.write(f"one charge job of {len(ids)} customers: {elapsed:.1f}s\n")
        handle.write(buf.getvalue())
    print(f"profile of one job of {len(ids)} customers ({elapsed:.1f}s) in {out}", flush=True)


PHASES = [
    ("plan (periods, prices, taxes, balances)", "isp_billing_engine.py", "_plan"),
    ("lock customers", "isp_billing_engine.py", "_lock_partners"),
    ("create invoices and entries (ORM)", "isp_invoice_batch.py", "_create"),
    ("charged periods (isp.charge)", "isp_billing_engine.py", "_prepare_charge_vals"),
    ("post", "isp_invoice_batch.py", "_post"),
    ("reconcile with the balance", "isp_billing_engine.py", "_reconcile_with_credit"),
    ("queue invoice notices", "isp_billing_engine.py", "_queue_invoice_notices"),
    ("advance subscriptions", "isp_billing_engine.py", "_advance_contracts"),
    ("block prepaid short of funds", "isp_billing_engine.py", "_block_lapsed_prepaid"),
    ("run lines", "isp_billing_run.py", "_record"),
]


def phases(stats, elapsed):
    """Cumulative time of the engine's phases in the profiled job."""
    found = {}
    for (filename, __, name), (__, __, __, cumulative, __) in stats.stats.items():
        for label, file_end, func in PHASES:
            if filename.endswith(file_end) and name == func:
                found[label] = found.get(label, 0.0) + cumulative
    lines = [f"phase | s (under cProfile) | share of {elapsed:.1f}s"]
    for label, __, __ in PHASES:
        spent = found.get(label, 0.0)
        lines.append(f"{label} | {spent:.2f} | {100 * spent / elapsed:.0f}%")
    return "\n".join(lines) + "\n\n"


def createdb(target, template):
    subprocess.run(["dropdb", "--if-exists", target], check=True)
    subprocess.run(["createdb", "-T", template, target], check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--prefix", default="isp_bench_real")
    parser.add_argument("--port", type=int, default=18369)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--contract-sample", type=int, default=1000)
    parser.add_argument("--max-minutes", type=float, default=30.0,
                        help="stop waiting for jobs after this; the rate is then "
                        "extrapolated from what was done (said so in the output)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--reuse-seed", action="store_true",
                        help="use the seeded database a --keep run left")
    parser.add_argument("sizes", nargs="*", type=int, default=[10000])
    args = parser.parse_args()
    config.parse_config(["-c", args.config, "--log-level=warn"])
    run_dir = os.path.dirname(os.path.abspath(args.config))
    rows = []
    for n in args.sizes:
        seed_db = f"{args.prefix}_{n}"
        if not args.reuse_seed:
            subprocess.run(["dropdb", "--if-exists", seed_db], check=True)
            subprocess.run(
                [sys.executable, "-m", "odoo", "-c", args.config, "-d", seed_db,
                 "-i", "isp_prepaid_billing", "--without-demo=all", "--stop-after-init",
                 "--log-level=warn"],
                check=True,
            )
            registry = odoo.modules.registry.Registry(seed_db)
            seed(registry, n, args.contract_sample)
            odoo.sql_db.close_db(seed_db)
            odoo.modules.registry.Registry.delete(seed_db)
        results = {}
        for workers in args.workers:
            db = f"{seed_db}_w{workers}"
            createdb(db, seed_db)
            settle(db)
            log = os.path.join(run_dir, f"bench-{db}.log")
            proc = start_server(args.config, db, workers, args.port, log)
            try:
                registry = odoo.modules.registry.Registry(db)
                result = billing_day(registry, proc.pid, args.max_minutes)
            finally:
                stop_server(proc)
                odoo.sql_db.close_db(db)
                odoo.modules.registry.Registry.delete(db)
            results[workers] = result
            print(f"N={n} workers={workers}: {result}", flush=True)
            if not args.keep:
                subprocess.run(["dropdb", "--if-exists", db], check=True)
        registry = odoo.modules.registry.Registry(seed_db)
        if args.profile:
            profile_batch(registry, os.path.join(run_dir, f"bench-profile-{n}.txt"))
        settle(seed_db)
        contract = time_contract_cron(registry) if args.contract_sample else (0, 0.0, 0.0)
        print(f"N={n}: contract cron {contract[0]} invoices in {contract[1]:.1f}s "
              f"(create {contract[2]:.1f}s)", flush=True)
        odoo.sql_db.close_db(seed_db)
        odoo.modules.registry.Registry.delete(seed_db)
        if not args.keep:
            subprocess.run(["dropdb", "--if-exists", seed_db], check=True)
        rows.append((n, contract, results))
    report(rows)
    return 0


def report(rows):
    print()
    print("| N | workers | charge s | status s | notifications s | total s | ms/subscriber "
          "| subscribers/s | contract invoices/s | ratio | PG CPU s | Odoo CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, (count_c, contract_s, __), results in rows:
        contract_rate = count_c / contract_s if contract_s else 0
        for workers, r in results.items():
            handled = r["handled"] or 1
            total = r["total_s"]
            note = "" if r["complete"] else f" (partial: {r['handled']} handled)"
            rate = handled / total
            print(
                f"| {n} | {workers} | {r['charge_s']:.0f} | {r['status_s']:.0f} "
                f"| {r['notify_s']:.0f} | {total:.0f}{note} | {1000 * total / handled:.1f} "
                f"| {rate:.1f} | {contract_rate:.1f} "
                f"| {rate / contract_rate if contract_rate else 0:.2f} "
                f"| {r['pg_cpu']:.0f} | {r['odoo_cpu']:.0f} |"
            )
        if 1 in results and 2 in results:
            speedup = results[1]["total_s"] / results[2]["total_s"]
            if not (results[1]["complete"] and results[2]["complete"]):
                speedup = (results[2]["handled"] / results[2]["total_s"]) / (
                    results[1]["handled"] / results[1]["total_s"]
                )
            print(f"N={n}: 2 workers are {speedup:.2f}x one worker")


if __name__ == "__main__":
    sys.exit(main())
