"""RADIUS authorize latency at a large subscriber base (not a test).

Seeds N subscribers, each with a subscription line and a network login, by
cloning one subscriber made through the ORM with SQL (the ORM would take hours
for 100,000), then starts an Odoo HTTP server on the database and sends
Access-Request-shaped JSON to /isp/radius/authorize as FreeRADIUS' rlm_rest
does, over one keep-alive connection. Prints latency percentiles.

Usage (see README): scripts/bench-radius.sh [N] [REQUESTS]   (default 100000 1000)
"""

import argparse
import base64
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import date

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.tools import config

API_USER, API_KEY = "bench-radius", "bench-radius-key-0123"
TAG = "RB"


def clone(cr, table, template_id, source_sql, overrides):
    """Insert one copy of row ``template_id`` of ``table`` per row of
    ``source_sql`` (aliased ``s``), with some columns replaced by SQL."""
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name <> 'id' ORDER BY ordinal_position",
        [table],
    )
    columns = [row[0] for row in cr.fetchall()]
    select = ", ".join(overrides.get(column, f"t.{column}") for column in columns)
    cr.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {select} FROM {table} t, ({source_sql}) s WHERE t.id = %s",
        [template_id],
    )


def seed(env, n):
    company = env.company
    company.write({"isp_radius_api_user": API_USER, "isp_radius_api_key": API_KEY})
    env["isp.radius.nas"].create({"name": "Bench NAS", "ip_address": "127.0.0.1", "secret": "s"})
    product = env["product.product"].create(
        {"name": "Bench fibre", "type": "service", "list_price": 30.0}
    )
    product.product_tmpl_id.isp_network_profile_id = env["isp.network.profile"].create(
        {"name": "Bench 100", "rate_limit": "20M/100M", "ip_pool": "fibre"}
    )
    template = env["res.partner"].create(
        {"name": f"{TAG} 0", "isp_billing_enabled": True, "isp_billing_type": "prepaid",
         "isp_company_id": company.id}
    )
    contract = env["contract.contract"].create(
        {"name": f"{TAG} 0", "partner_id": template.id, "date_start": date(2026, 1, 1),
         "contract_line_ids": [Command.create(
             {"product_id": product.id, "name": "Internet", "quantity": 1, "price_unit": 30.0,
              "date_start": date(2026, 1, 1), "isp_radius_username": "rb0",
              "isp_radius_password": "pw"})]}
    )
    template.write({"isp_status": "active", "isp_status_date": date(2026, 1, 1)})
    env.flush_all()
    cr = env.cr
    clone(cr, "res_partner", template.id, f"SELECT g AS n FROM generate_series(1, {n - 1}) g",
          {"name": f"'{TAG} ' || s.n", "complete_name": f"'{TAG} ' || s.n",
           "isp_payment_reference": f"'{TAG}-' || s.n"})
    cr.execute(f"UPDATE res_partner SET commercial_partner_id = id WHERE name LIKE '{TAG} %%'")
    clone(cr, "contract_contract", contract.id,
          f"SELECT id AS pid, substring(name from 4)::int AS n FROM res_partner "
          f"WHERE name LIKE '{TAG} %%' AND id <> {template.id}",
          {"partner_id": "s.pid", "commercial_partner_id": "s.pid",
           "invoice_partner_id": "s.pid", "name": f"'{TAG} ' || s.n"})
    clone(cr, "contract_line", contract.contract_line_ids.id,
          f"SELECT id AS cid, substring(name from 4)::int AS n FROM contract_contract "
          f"WHERE name LIKE '{TAG} %%' AND id <> {contract.id}",
          {"contract_id": "s.cid", "isp_radius_username": "'rb' || s.n"})
    cr.execute("ANALYZE res_partner; ANALYZE contract_contract; ANALYZE contract_line")
    env.cr.commit()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(conf, database, port, options=()):
    server = subprocess.Popen(
        [sys.executable, "-m", "odoo", "-c", conf, "-d", database, f"--db-filter=^{database}$",
         f"--http-port={port}", "--http-interface=127.0.0.1", "--log-level=warn",
         "--max-cron-threads=0", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for __ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("Odoo did not start")


def measure(port, n, requests):
    token = base64.b64encode(f"{API_USER}:{API_KEY}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies, accepted = [], 0
    for i in range(requests + 20):
        login = f"rb{random.randrange(n)}"
        body = json.dumps({
            "User-Name": {"type": "string", "value": [login]},
            "User-Password": {"type": "string", "value": ["pw"]},
            "NAS-IP-Address": {"type": "ipaddr", "value": ["127.0.0.1"]},
        })
        start = time.perf_counter()
        connection.request("POST", "/isp/radius/authorize", body, headers)
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if i >= 20:  # the first requests warm the server's caches
            latencies.append(elapsed)
            accepted += response.status == 200
    return latencies, accepted


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("subscribers", nargs="?", type=int, default=100000)
    parser.add_argument("requests", nargs="?", type=int, default=1000)
    args = parser.parse_args()
    config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        t0 = time.perf_counter()
        seed(api.Environment(cr, SUPERUSER_ID, {}), args.subscribers)
        print(f"seeded {args.subscribers} subscribers in {time.perf_counter() - t0:.0f}s",
              flush=True)
    port = free_port()
    server = serve(args.config, args.database, port)
    try:
        latencies, accepted = measure(port, args.subscribers, args.requests)
    finally:
        server.terminate()
        server.wait(30)
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]
    print(f"\n/isp/radius/authorize over HTTP, {args.subscribers} subscribers, "
          f"{len(latencies)} requests ({accepted} accepted), one keep-alive connection:")
    print("| p50 ms | p95 ms | p99 ms | max ms | mean ms |")
    print("|---|---|---|---|---|")
    print(f"| {pct(0.5):.1f} | {pct(0.95):.1f} | {pct(0.99):.1f} | {latencies[-1]:.1f} "
          f"| {statistics.mean(latencies):.1f} |")
    return 0 if accepted == len(latencies) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
