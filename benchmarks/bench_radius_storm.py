"""FreeRADIUS at scale, SQL mode beside REST mode (not a test).

On one database of N subscribers (seeded by SQL as bench_radius.py does; one
in ten blocked, one in fifty deactivated), with a real FreeRADIUS 3.2 on
loopback:

1. SQL mode: FreeRADIUS reads the radius views as the read-only role
   (data/radius_sql_role.sql) with its stock PostgreSQL queries.
2. REST mode: FreeRADIUS calls Odoo's /isp/radius/* (rlm_rest), Odoo running
   with --workers.

In each mode, while a billing day runs on the same database (the charge cron
of bench_billing.py's subscribers, batch after batch, in another process):

* a reconnect storm: REQUESTS Access-Requests (PAP) in SECONDS from CLIENTS
  parallel routers (radius_client.py), each answer timed;
* then accounting Start and Stop of SESSIONS sessions sent by radclient
  (20 in parallel), and the rows counted: once each in radacct (SQL mode) and
  in isp.radius.session (both modes).

Usage: scripts/bench-radius.sh --storm [N] [REQUESTS] [SECONDS] [CLIENTS]
       (default 100000 5000 60 20; --billing M subscribers billed, default 2000;
       --workers W of Odoo in REST mode, default 2; --sessions, default 5000)
"""

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from datetime import date

import odoo
from odoo import SUPERUSER_ID, api, sql_db
from odoo.tools import config

HERE = os.path.dirname(os.path.abspath(__file__))
ADDON = os.path.join(HERE, "..", "isp_prepaid_billing")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ADDON, "tests"))

import bench_billing  # noqa: E402
import bench_radius  # noqa: E402
from freeradius import FreeRadius  # noqa: E402

SECRET = "bench-secret"
BILLING_DAYS = "2026-01-01,2026-02-01"  # SQL mode's, REST mode's


def say(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# === SEEDING === #


def seed(env, n, billed):
    bench_radius.seed(env, n)  # commits
    cr = env.cr
    # A realistic mix: blocked subscribers go to the suspended pool, deactivated
    # ones are rejected. None of them is due on the billing days below: those
    # charge bench_billing's subscribers only.
    cr.execute(
        """
        UPDATE res_partner
           SET isp_status = CASE WHEN substring(name from 4)::int % 50 = 1 THEN 'inactive'
                                 WHEN substring(name from 4)::int % 10 = 0 THEN 'blocked'
                                 ELSE 'active' END,
               isp_next_charge_date = NULL
         WHERE name LIKE 'RB %%'
        """
    )
    cr.execute(
        "UPDATE contract_contract SET isp_next_charge_date = NULL WHERE name LIKE 'RB %%'"
    )
    cr.commit()
    say(f"seeding {billed} subscribers billed on the billing days")
    bench_billing.seed(env, billed, f"storm{int(time.time())}", plain_contracts=False)
    cr.commit()


def vacuum(db):
    cr = sql_db.db_connect(db).cursor()
    try:
        cr._cnx.autocommit = True
        cr.execute("VACUUM ANALYZE")
    finally:
        cr.close()


def radius_role(db):
    role, password = f"{db}_radius", secrets.token_urlsafe(18)
    subprocess.run(
        ["psql", "-q", "-X", "-d", db, "-v", f"role={role}", "-v", f"password={password}",
         "-f", os.path.join(ADDON, "data", "radius_sql_role.sql")],
        check=True,
    )
    return role, password


# === BILLING DAY (a process of its own) === #


def billing_day(conf, db, day):
    """The charge cron of ``day`` to completion, as ir.cron runs it."""
    config.parse_config(["-c", conf, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Partner = env["res.partner"]
        print(f"billing started {time.time()}", flush=True)
        charged = 0
        while True:
            done, __ = Partner._cron_isp_charge(day)
            cr.commit()
            charged += done
            print(f"billing progress {time.time()} {charged}", flush=True)
            if not done:
                break
        print(f"billing done {time.time()} {charged}", flush=True)


class Billing:
    def __init__(self, args, day):
        self.events = []
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--config", args.config,
             "--database", args.database, "--billing-day", day.isoformat()],
            stdout=subprocess.PIPE, text=True,
        )
        self.started = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            kind, __, rest = line.partition(" ")
            if kind != "billing":
                continue
            event, stamp, *count = rest.split()
            self.events.append((event, float(stamp), int(count[0]) if count else 0))
            if event == "started":
                self.started.set()

    def charged_between(self, start, end):
        """Subscribers charged during ``[start, end]`` (batch granularity)."""
        progress = [(stamp, count) for event, stamp, count in self.events
                    if event in ("progress", "done")]
        before = max((c for s, c in progress if s <= start), default=0)
        during = max((c for s, c in progress if s <= end), default=0)
        return during - before

    def finish(self):
        self.process.wait()
        self.reader.join(5)
        stamps = [stamp for event, stamp, __ in self.events]
        total = max((count for event, __, count in self.events if event == "done"), default=0)
        return (stamps[0], stamps[-1], total) if stamps else (0, 0, 0)


# === STORM AND ACCOUNTING === #


def storm(radius, logins, seconds, clients):
    """Each client sends its share of ``logins`` at a fixed pace over
    ``seconds``; ``(results, wall seconds)``."""
    share = [logins[i::clients] for i in range(clients)]
    start_at = time.time() + 1.0
    processes = []
    for number, own in enumerate(share):
        interval = seconds / len(own)
        processes.append(subprocess.Popen(
            [sys.executable, os.path.join(HERE, "radius_client.py"),
             str(radius.values["auth_port"]), SECRET,
             str(start_at + number * interval / clients), str(interval), *own],
            stdout=subprocess.PIPE, text=True,
        ))
    results = []
    for process in processes:
        out, __ = process.communicate(timeout=seconds + 120)
        results += json.loads(out)
    return results, start_at, time.time()


def radclient_file(path, packets):
    with open(path, "w") as handle:
        for packet in packets:
            handle.write("\n".join(f"{name} = {value}" for name, value in packet.items()))
            handle.write("\n\n")


def accounting(radius, mode, logins, sessions, workdir):
    """Start then Stop of ``sessions`` sessions through radclient, 20 at a
    time; ``(seconds, radclient summary lines)``."""
    chosen = random.sample(logins, sessions)
    common = [
        {"User-Name": f'"{login}"', "NAS-IP-Address": "127.0.0.1", "NAS-Port": number,
         "Acct-Session-Id": f'"{mode}-{number:06d}"',
         "Framed-IP-Address": f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"}
        for number, login in enumerate(chosen)
    ]
    start = [{**packet, "Acct-Status-Type": "Start"} for packet in common]
    stop = [{**packet, "Acct-Status-Type": "Stop", "Acct-Session-Time": 600,
             "Acct-Input-Octets": 1000, "Acct-Output-Octets": 9000,
             "Acct-Terminate-Cause": "User-Request"} for packet in common]
    summaries = []
    began = time.perf_counter()
    for name, packets in (("start", start), ("stop", stop)):
        path = os.path.join(workdir, f"{mode}-{name}.txt")
        radclient_file(path, packets)
        result = subprocess.run(
            ["radclient", "-q", "-s", "-p", "20", "-r", "3", "-t", "5", "-f", path,
             f"127.0.0.1:{radius.values['acct_port']}", "acct", SECRET],
            capture_output=True, text=True, timeout=1800, check=False,
        )
        summaries.append(f"{name}: " + ", ".join(
            " ".join(line.split()) for line in result.stdout.splitlines() if ":" in line))
    return time.perf_counter() - began, summaries


def count_accounting(db, mode, sessions):
    with sql_db.db_connect(db).cursor() as cr:
        cr.execute(
            "SELECT count(*), count(DISTINCT unique_id), count(*) FILTER "
            "(WHERE state = 'closed' AND output_bytes = 9000 AND partner_id IS NOT NULL) "
            "FROM isp_radius_session WHERE session_id LIKE %s",
            [f"{mode}-%"],
        )
        counted = {"sessions": cr.fetchone()}
        if mode.startswith("sql"):
            cr.execute(
                "SELECT count(*), count(DISTINCT acctuniqueid), count(acctstoptime) "
                "FROM radius.radacct WHERE acctsessionid LIKE %s",
                [f"{mode}-%"],
            )
            counted["radacct"] = cr.fetchone()
    ok = all(row == (sessions, sessions, sessions) for row in counted.values())
    return counted, ok


def percentiles(latencies):
    latencies = sorted(latencies)
    pick = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]  # noqa: E731
    return {"p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99), "max": latencies[-1],
            "mean": statistics.mean(latencies)}


def run_mode(args, mode, radius, logins, report):
    say(f"{mode}: FreeRADIUS up, warming up")
    storm(radius, random.sample(logins, 1000), 5, args.clients)
    billing = None
    if not args.idle:
        day = date.fromisoformat(args.billing_days.split(",")[mode == "rest"])
        billing = Billing(args, day)
        if not billing.started.wait(300):
            raise RuntimeError("the billing day did not start")
        time.sleep(2)  # into its first batch
    say(f"{mode}: {'idle' if args.idle else 'billing day running'}; storm of "
        f"{args.requests} requests in {args.seconds}s from {args.clients} clients")
    results, started, ended = storm(
        radius, random.choices(logins, k=args.requests), args.seconds, args.clients)
    charged = billing.charged_between(started, ended) if billing else 0
    say(f"{mode}: accounting of {args.sessions} sessions")
    tag = f"{mode}{args.run}"
    acct_seconds, summaries = accounting(radius, tag, logins, args.sessions, args.workdir)
    counted, stored_once = count_accounting(args.database, tag, args.sessions)
    billing_start, billing_end, billing_total = billing.finish() if billing else (0, 0, 0)
    answered = [latency for code, latency in results if code]
    codes = {code: sum(1 for c, __ in results if c == code) for code in {c for c, __ in results}}
    report[mode] = {
        "requests": len(results), "answered": len(answered), "codes": codes,
        "wall": ended - started, **percentiles(answered),
        "billing_during_storm": charged,
        "billing_overlap": (min(billing_end, ended) - max(billing_start, started)),
        "billing_total": billing_total, "billing_seconds": billing_end - billing_start,
        "accounting_seconds": acct_seconds, "radclient": summaries,
        "counted": counted, "stored_once": stored_once,
    }
    say(f"{mode}: {json.dumps(report[mode], default=str)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--billing-day")
    parser.add_argument("--billing", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--modes", default="sql,rest")
    parser.add_argument("--billing-days", default=BILLING_DAYS)
    parser.add_argument("--idle", action="store_true", help="no billing day during the storm")
    parser.add_argument("--schema", default="radius", help="where FreeRADIUS reads (SQL mode)")
    parser.add_argument(
        "--reuse", action="store_true",
        help="keep the subscribers already seeded (another run on the same database)")
    parser.add_argument("subscribers", nargs="?", type=int, default=100000)
    parser.add_argument("requests", nargs="?", type=int, default=5000)
    parser.add_argument("seconds", nargs="?", type=int, default=60)
    parser.add_argument("clients", nargs="?", type=int, default=20)
    args = parser.parse_args()
    if args.billing_day:
        billing_day(args.config, args.database, date.fromisoformat(args.billing_day))
        return 0
    config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    t0 = time.perf_counter()
    if not args.reuse:
        with registry.cursor() as cr:
            seed(api.Environment(cr, SUPERUSER_ID, {}), args.subscribers, args.billing)
        say(f"seeded {args.subscribers} + {args.billing} subscribers in "
            f"{time.perf_counter() - t0:.0f}s")
    vacuum(args.database)
    args.run = int(time.time()) % 100000
    logins = [f"rb{n}" for n in range(args.subscribers)]
    args.workdir = os.path.join(os.path.dirname(args.config), "bench-radius")
    os.makedirs(args.workdir, exist_ok=True)
    report = {}
    if "sql" in args.modes:
        role, password = radius_role(args.database)
        host = config["db_host"]
        radius = FreeRadius(None, None, None, SECRET, sql={
            "db_host": host if host and not host.startswith("/") else "127.0.0.1",
            "db_port": config["db_port"] or 5432, "db_name": args.database,
            "db_user": role, "db_password": password,
            # as many connections as FreeRADIUS threads, each planned before the storm
            "pool_start": 32, "pool_max": 32, "schema": args.schema,
        })
        radius.start()
        try:
            run_mode(args, "sql", radius, logins, report)
        finally:
            radius.stop()
    if "rest" in args.modes:
        port = bench_radius.free_port()
        server = bench_radius.serve(
            args.config, args.database, port,
            [f"--workers={args.workers}", f"--gevent-port={bench_radius.free_port()}"],
        )
        radius = FreeRadius(f"http://127.0.0.1:{port}", bench_radius.API_USER,
                            bench_radius.API_KEY, SECRET)
        radius.values["pool_max"] = 32
        try:
            radius.start()
            run_mode(args, "rest", radius, logins, report)
        finally:
            radius.stop()
            server.terminate()
            server.wait(60)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "?")
    print(f"\n{time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs ({cpu}), "
          f"{args.subscribers} subscribers, {args.billing} billed during the storm")
    print("| mode | requests | answered | accept/reject | p50 ms | p95 ms | p99 ms "
          "| max ms | billed during storm | accounting (start+stop) | stored once |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for mode, r in report.items():
        print(f"| {mode.upper()} | {r['requests']} in {r['wall']:.0f}s | {r['answered']} "
              f"| {r['codes'].get('accept', 0)}/{r['codes'].get('reject', 0)} "
              f"| {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.1f} "
              f"| {r['billing_during_storm']} | {2 * args.sessions} in "
              f"{r['accounting_seconds']:.0f}s | {'yes' if r['stored_once'] else 'NO'} |")
    return 0 if all(r["answered"] == r["requests"] and r["stored_once"]
                    for r in report.values()) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
